#!/usr/bin/env bash
# Sets up the Mosquitto broker of a facility (or adds a facility to an existing broker directory):
#   - a private CA and a server certificate for the broker's host names/addresses (kept if present),
#   - mosquitto.conf (TLS-only listener, passwords, ACLs, persistence, set_tcp_nodelay),
#   - the hub's credentials (user hub-<facility>) and ACL, and the hub's environment file.
# Run again for the same facility to rotate the hub's password. docs/operations.md, "Install".
#
# usage: deploy/new-facility.sh --facility ID [--dir DIR] [--host NAME|IP]... [--port 8883] [--bind ADDR]
#                               [--data DIR] [--days 825]
#        deploy/new-facility.sh --ca-only [--dir DIR]
#   --ca-only  only the facility CA (kept if present), nothing for Mosquitto: for sites whose broker is the NATS
#              cluster (deploy/nats) and for the hubs' and HAProxy's certificates (deploy/hub-certificate.sh)
#   --dir   broker directory (default /etc/somnis/broker): certs/, passwd, acl, mosquitto.conf, hub-ID.env
#   --host  name or IP address edges and hub use to reach the broker (repeatable; default: this host's name)
#   --data  Mosquitto persistence directory (default /var/lib/mosquitto)
source "$(dirname "$0")/lib.sh"

dir=/etc/somnis/broker facility="" port=8883 bind=0.0.0.0 data=/var/lib/mosquitto days=825 hosts=() ca_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --ca-only) ca_only=1; shift ;;
    --facility) facility=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --host) hosts+=("$2"); shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bind) bind=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [ -n "$ca_only" ]; then
  [ -z "$facility" ] && [ ${#hosts[@]} -eq 0 ] || die "--ca-only makes the CA alone: leave out --facility and --host"
else
  [ -n "$facility" ] || die "--facility is required"
fi
[ -n "$ca_only" ] || valid_id "$facility" facility
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "--port must be 1-65535"
[ ${#hosts[@]} -gt 0 ] || hosts=("$(hostname -f 2>/dev/null || hostname)")
need openssl openssl
make_ca() {
  # The CA signs the broker's and the hubs' certificates; edges, hubs and HAProxy trust only it. Its key never leaves
  # this machine.
  if [ ! -f "$certs/ca.crt" ]; then
    (umask 077; openssl genrsa -out "$certs/ca.key" 3072 2>/dev/null)
    openssl req -x509 -new -key "$certs/ca.key" -sha256 -days 3650 -subj "/O=Somnis Facility/CN=Somnis broker CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$certs/ca.crt"
    echo "created CA $certs/ca.crt"
  else
    echo "kept CA $certs/ca.crt"
  fi
  chmod 0644 "$certs/ca.crt"
}
if [ -n "$ca_only" ]; then
  mkdir -p "$dir/certs"
  dir=$(cd "$dir" && pwd)
  certs=$dir/certs
  make_ca
  exit 0
fi
need mosquitto_passwd mosquitto

mkdir -p "$dir/certs" "$dir/edges" "$data"
dir=$(cd "$dir" && pwd)
data=$(cd "$data" && pwd)
# Mosquitto started as root drops to the mosquitto user, which must write its persistence file.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto: "$data"; fi
certs=$dir/certs

make_ca

if [ ! -f "$certs/server.crt" ]; then
  issue_certificate "$certs" "$certs/server" "$days" "${hosts[@]}"
  broker_readable "$certs/server.key"
  echo "created server certificate for ${hosts[*]} (valid $days days)"
fi
chmod 0644 "$certs/ca.crt" "$certs/server.crt"

if [ ! -f "$dir/mosquitto.conf" ]; then
  sed -e "s|@DIR@|$dir|g" -e "s|@DATA@|$data|g" -e "s|@PORT@|$port|g" -e "s|@BIND@|$bind|g" \
    "$(dirname "$0")/mosquitto/somnis.conf.in" > "$dir/mosquitto.conf"
  chmod 0644 "$dir/mosquitto.conf"
  echo "mqtts://${hosts[0]}:$port" > "$dir/broker.url"
  echo "created $dir/mosquitto.conf (TLS on $bind:$port)"
fi
[ -f "$dir/passwd" ] || { : > "$dir/passwd"; broker_readable "$dir/passwd"; }
[ -f "$dir/acl" ] || { echo "# Somnis Facility broker ACL (deploy/new-facility.sh, deploy/provision-bed.sh). Users not listed get nothing." > "$dir/acl"; broker_readable "$dir/acl"; }

user="hub-$facility"
password=$(new_password)
set_password "$dir" "$user" "$password"
add_acl "$dir" "$user" "$user: the Somnis hub of facility $facility (reads every bed, sends commands and alarm states)" \
  "topic read somnis/$facility/beds/#" \
  "topic write somnis/$facility/beds/+/cmd" \
  "topic write somnis/$facility/alarms/#"
write_env "$dir/hub-$facility.env" \
  "# Somnis hub of facility $facility: broker settings (deploy/new-facility.sh). Secret: keep 0600." \
  "Broker__Url=$(cat "$dir/broker.url")" \
  "Broker__Username=$user" \
  "Broker__Password=$password" \
  "Broker__CaCertificate=$certs/ca.crt" \
  "Broker__ClientId=somnis-hub-$facility" \
  "Broker__Facilities__0=$facility"
echo "hub user $user: credentials in $dir/hub-$facility.env"
echo "reload a running broker to apply: systemctl reload mosquitto (or kill -HUP its pid)"
