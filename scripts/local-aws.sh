#!/usr/bin/env bash
# A local AWS to work against by hand: the pinned moto (installed into target/moto on first use)
# with what the default stack needs (AWS managed policies loaded), on a free loopback port.
#
#   eval "$(scripts/local-aws.sh start)"   start it; this shell gets AWS_ENDPOINT_URL, dummy
#                                          credentials, the region, and PROVISION_VAR_require_tls=false
#                                          (moto refuses object reads under the TLS-only bucket policy)
#   eval "$(scripts/local-aws.sh env)"     the same settings, for another shell
#   scripts/local-aws.sh stop              stop it (its resources are gone with it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
state="$root/target/local-aws"

running() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

exports() {
  echo "export AWS_ENDPOINT_URL=$(cat "$state/endpoint") AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 PROVISION_VAR_require_tls=false"
}

case "${1:-}" in
  start)
    if running; then
      echo "A local AWS is already running at $(cat "$state/endpoint")." >&2
    else
      moto="$("$root/scripts/install-moto.sh")"
      mkdir -p "$state"
      rm -f "$state/endpoint"
      MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$moto" -H 127.0.0.1 -p 0 >"$state/moto.log" 2>&1 &
      echo $! > "$state/pid"
      endpoint=""
      for _ in $(seq 1 150); do
        endpoint="$(grep -o 'http://127.0.0.1:[0-9]*' "$state/moto.log" | head -n 1 || true)"
        [ -n "$endpoint" ] && python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/data.json')" "$endpoint" 2>/dev/null && break
        sleep 0.1
      done
      if [ -z "$endpoint" ]; then
        echo "moto did not start; its log:" >&2
        cat "$state/moto.log" >&2
        exit 1
      fi
      echo "$endpoint" > "$state/endpoint"
      echo "A local AWS (moto $(cat "$root/target/moto/version")) listens at $endpoint; stop it with scripts/local-aws.sh stop." >&2
    fi
    exports
    ;;
  env)
    running || { echo "No local AWS is running: eval \"\$(scripts/local-aws.sh start)\"" >&2; exit 1; }
    exports
    ;;
  stop)
    if running; then
      kill "$(cat "$state/pid")"
      echo "Stopped the local AWS." >&2
    else
      echo "No local AWS is running." >&2
    fi
    rm -f "$state/pid" "$state/endpoint"
    ;;
  *)
    echo "usage: scripts/local-aws.sh start|env|stop   (eval \"\$(scripts/local-aws.sh start)\")" >&2
    exit 2
    ;;
esac
