#!/usr/bin/env bash
# Issues the hub's HTTPS certificate from the facility CA that deploy/new-facility.sh created, and writes the hub's
# HTTPS settings (Urls and Kestrel certificate) to OUT/https.env. Kept if present: delete OUT/hub.crt to renew.
# docs/operations.md, "HTTPS".
#
# usage: deploy/hub-certificate.sh [--dir DIR] [--host NAME|IP]... [--out DIR] [--port 5443] [--days 825]
#   --dir   broker directory holding certs/ca.crt and certs/ca.key (default /etc/somnis/broker)
#   --host  name or IP address browsers, API clients and Prometheus use to reach the hub (repeatable; default: this host's name)
#   --out   where hub.crt, hub.key and https.env go (default DIR/hub)
#   --port  HTTPS port on every interface (default 5443); plain HTTP stays on 127.0.0.1:5080 for local checks
source "$(dirname "$0")/lib.sh"

dir=/etc/somnis/broker out="" port=5443 days=825 hosts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir=$2; shift 2 ;;
    --host) hosts+=("$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "--port must be 1-65535"
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] || die "--days must be a number of days"
[ ${#hosts[@]} -gt 0 ] || hosts=("$(hostname -f 2>/dev/null || hostname)")
need openssl openssl
[ -f "$dir/certs/ca.crt" ] && [ -f "$dir/certs/ca.key" ] || die "no facility CA in $dir/certs: run deploy/new-facility.sh first"
dir=$(cd "$dir" && pwd)
out=${out:-$dir/hub}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ ! -f "$out/hub.crt" ]; then
  issue_certificate "$dir/certs" "$out/hub" "$days" "${hosts[@]}"
  # The hub runs as somnis-hub (deploy/systemd/somnis-hub.service): it must read its key, nobody else.
  if [ "$(id -u)" -eq 0 ] && getent group somnis-hub >/dev/null; then chgrp somnis-hub "$out/hub.key"; chmod 0640 "$out/hub.key"; fi
  echo "created hub certificate $out/hub.crt for ${hosts[*]} (valid $days days)"
fi

write_env "$out/https.env" \
  "# Somnis hub HTTPS (deploy/hub-certificate.sh): browsers reach https://${hosts[0]}:$port/; plain HTTP only on loopback." \
  "Urls=https://0.0.0.0:$port;http://127.0.0.1:5080" \
  "Kestrel__Certificates__Default__Path=$out/hub.crt" \
  "Kestrel__Certificates__Default__KeyPath=$out/hub.key"
chmod 0644 "$out/https.env"
echo "hub HTTPS settings in $out/https.env (append them to /etc/somnis/hub.env)"
