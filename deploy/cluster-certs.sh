#!/bin/sh
# Makes the mutual-TLS set of the split daemons' inter-daemon port, at deploy
# time: a fresh CA, and per daemon (supervisor, gateway, admin) an EC P-256
# key and a certificate that CA signed. The CA's own key is deleted once they
# are signed, so nothing that reads DIR can mint another peer. Never commit
# the output.
#
#   deploy/cluster-certs.sh DIR
#
# Then each daemon runs with --cluster-ca DIR/ca.pem --cluster-cert
# DIR/NAME.pem --cluster-key DIR/NAME.key (or cluster.tls in
# server-config.json). docker-compose.yml runs this script in its
# `cluster-certs` service, into the kb-cluster-certs volume. A DIR that
# already holds a set (DIR/ready) is left alone; KB_CERT_DAYS sets the
# lifetime (default 825 days).
set -eu
out=${1:?usage: cluster-certs.sh DIR}
days=${KB_CERT_DAYS:-825}
if [ -f "$out/ready" ]; then
  echo "cluster-certs: $out already holds a set"
  exit 0
fi
command -v openssl >/dev/null || { echo "cluster-certs: needs the openssl CLI" >&2; exit 1; }
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
new_key "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -days "$days" -subj "/CN=kiro-bridge cluster CA" \
  -out "$work/ca.pem"
for name in supervisor gateway admin; do
  new_key "$work/$name.key"
  openssl req -new -key "$work/$name.key" -subj "/CN=kiro-$name" -out "$work/$name.csr"
  openssl x509 -req -in "$work/$name.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -days "$days" -out "$work/$name.pem" 2>/dev/null
done
mkdir -p "$out"
for f in ca.pem supervisor.pem supervisor.key gateway.pem gateway.key admin.pem admin.key; do
  cp "$work/$f" "$out/$f"
done
chmod 644 "$out"/*.pem
chmod 600 "$out"/*.key
touch "$out/ready"
echo "cluster-certs: CA and certificates for supervisor, gateway, admin in $out"
