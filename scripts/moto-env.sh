# Sourced by the demo and bench scripts: installs the pinned moto, starts it on a free loopback
# port (stopped when the calling script exits), and exports AWS_ENDPOINT_URL with dummy credentials.
moto="$(scripts/install-moto.sh)"
moto_log="$(mktemp)"
MOTO_IAM_LOAD_MANAGED_POLICIES=true "$moto" -H 127.0.0.1 -p 0 2>"$moto_log" &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true; rm -f "$moto_log"' EXIT
endpoint=""
for _ in $(seq 1 100); do
  endpoint="$(grep -o 'http://127.0.0.1:[0-9]*' "$moto_log" | head -n 1 || true)"
  [ -n "$endpoint" ] && python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/data.json')" "$endpoint" 2>/dev/null && break
  sleep 0.1
done
[ -n "$endpoint" ] || { echo "moto did not start:"; cat "$moto_log"; exit 1; }
# moto refuses every object read under the TLS-only bucket policy: the default stack's variable.
export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
  PROVISION_VAR_require_tls=false
