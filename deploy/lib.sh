# Shared by deploy/new-facility.sh and deploy/provision-bed.sh (sourced, not run).
set -euo pipefail

die() { echo "$(basename "$0"): $*" >&2; exit 2; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found: apt-get install -y $2"; }

valid_id() { [[ "$1" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || die "'$1' is not a valid $2 id (1-64 of A-Z a-z 0-9 - _)"; }

# 32 random characters from [A-Za-z0-9] (about 190 bits).
new_password() { openssl rand -base64 48 | tr -dc 'A-Za-z0-9' | head -c 32; }

# Files the broker reads belong to root:mosquitto 0640 when the mosquitto group exists (Debian package).
broker_readable() {
  chmod 0640 "$@"
  if [ "$(id -u)" -eq 0 ] && getent group mosquitto >/dev/null; then chgrp mosquitto "$@"; fi
}

# Sets (or replaces) a user's password in the broker's password file.
set_password() {
  local dir=$1 user=$2 password=$3
  mosquitto_passwd -b "$dir/passwd" "$user" "$password" >/dev/null
  broker_readable "$dir/passwd"
}

# Appends an ACL block for a user unless one exists (the block is the user's only rules).
add_acl() {
  local dir=$1 user=$2 comment=$3; shift 3
  if grep -qxF "user $user" "$dir/acl"; then
    return 0
  fi
  { echo; echo "# $comment"; echo "user $user"; printf '%s\n' "$@"; } >> "$dir/acl"
  broker_readable "$dir/acl"
}

# Writes a KEY=VALUE environment file readable by its owner only.
write_env() {
  local file=$1; shift
  mkdir -p "$(dirname "$file")"
  (umask 077; printf '%s\n' "$@" > "$file.tmp")
  mv "$file.tmp" "$file"
}

# Issues a server certificate signed by the facility CA: OUT.key (new 2048-bit RSA key, 0600) and OUT.crt, valid DAYS days,
# for every HOST (DNS name or IP address; the first is also the subject's CN).
#   issue_certificate CERTS_DIR OUT DAYS HOST...
issue_certificate() {
  local certs=$1 out=$2 days=$3; shift 3
  local san="" h
  for h in "$@"; do
    if [[ "$h" =~ ^[0-9.]+$ || "$h" == *:* ]]; then san+="IP:$h,"; else san+="DNS:$h,"; fi
  done
  (umask 077; openssl genrsa -out "$out.key" 2048 2>/dev/null)
  openssl req -new -key "$out.key" -subj "/O=Somnis Facility/CN=$1" -out "$out.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "${san%,}" > "$out.ext"
  openssl x509 -req -in "$out.csr" -CA "$certs/ca.crt" -CAkey "$certs/ca.key" -CAcreateserial -days "$days" -sha256 \
    -extfile "$out.ext" -out "$out.crt" 2>/dev/null
  rm -f "$out.csr"
  chmod 0644 "$out.crt"
}
