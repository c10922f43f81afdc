#!/usr/bin/env bash
# Adds a bed to a facility's broker (deploy/new-facility.sh first):
#   - the device's credentials (user <facility>.<bed>, random password) in the broker's password file,
#   - its ACL: publish only somnis/<facility>/beds/<bed>/{vitals,status,architect}, subscribe only to .../cmd,
#   - the edge's environment file DIR/edges/<facility>.<bed>.env (copy it with certs/ca.crt to the device).
# Run again for the same bed to rotate its password (the ACL is kept). docs/operations.md, "Provision a bed".
#
# usage: deploy/provision-bed.sh --facility ID --bed ID [--dir DIR] [--edge-ca PATH] [--mode hardware|simulated] [--reload]
#   --dir      broker directory (default /etc/somnis/broker)
#   --edge-ca  where the CA certificate will be on the device (default /etc/somnis/ca.crt)
#   --reload   make the running broker re-read passwords and ACLs (systemctl reload mosquitto)
source "$(dirname "$0")/lib.sh"

dir=/etc/somnis/broker facility="" bed="" edge_ca=/etc/somnis/ca.crt mode=hardware reload=0
while [ $# -gt 0 ]; do
  case "$1" in
    --facility) facility=$2; shift 2 ;;
    --bed) bed=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --edge-ca) edge_ca=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --reload) reload=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$facility" ] && [ -n "$bed" ] || die "--facility and --bed are required"
valid_id "$facility" facility
valid_id "$bed" bed
[[ "$mode" == hardware || "$mode" == simulated ]] || die "--mode must be hardware or simulated"
[ -f "$dir/broker.url" ] && [ -f "$dir/acl" ] || die "$dir is not a broker directory: run deploy/new-facility.sh first"
grep -qxF "user hub-$facility" "$dir/acl" || die "facility '$facility' is not set up in $dir: run deploy/new-facility.sh --facility $facility"
need mosquitto_passwd mosquitto
need openssl openssl

user="$facility.$bed"
base="somnis/$facility/beds/$bed"
password=$(new_password)
set_password "$dir" "$user" "$password"
add_acl "$dir" "$user" "$user: bedside device of bed $bed in facility $facility" \
  "topic write $base/vitals" \
  "topic write $base/status" \
  "topic write $base/architect" \
  "topic write $base/gap" \
  "topic read $base/cmd"
env_file="$dir/edges/$user.env"
write_env "$env_file" \
  "# Somnis edge of bed $bed in facility $facility (deploy/provision-bed.sh). Secret: keep 0600." \
  "Edge__Broker=$(cat "$dir/broker.url")" \
  "Edge__BrokerUsername=$user" \
  "Edge__BrokerPassword=$password" \
  "Edge__BrokerCaCertificate=$edge_ca" \
  "Edge__Facility=$facility" \
  "Edge__Bed=$bed" \
  "Edge__Mode=$mode"
echo "bed $bed of $facility: device user $user, edge settings in $env_file (install it as /etc/somnis/edge.env with $dir/certs/ca.crt as $edge_ca)"
if [ "$reload" -eq 1 ]; then
  systemctl reload mosquitto 2>/dev/null || systemctl kill -s HUP mosquitto
  echo "broker reloaded"
fi
