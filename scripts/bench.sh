#!/usr/bin/env bash
# Benchmarks that print figures (no assertions): wall time and peak memory of provision's commands.
#  1. the default stack against a local moto: plan from nothing, apply, plan with no changes, destroy;
#  2. a generated stack of N streams (each with its bucket, roles, log group and function) against moto,
#     reads with --parallelism 1 and 10;
#  3. offline `validate` of that large stack.
# Usage: scripts/bench.sh [RUNS] [N]   (defaults 5 and 20). Builds the release binary first.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
n="${2:-20}"
cargo build --release --quiet
bin="$PWD/target/release/provision"
work="$(mktemp -d)"
. scripts/moto-env.sh
trap 'kill $moto_pid 2>/dev/null || true; rm -rf "$work" "$moto_log"' EXIT

# measure LABEL CMD...: prints median wall ms and max peak RSS over $runs runs (CMD run once per run).
measure() {
  local label="$1"; shift
  python3 - "$label" "$runs" "$@" <<'PY'
import subprocess, sys, time, statistics, resource, os
label, runs, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
times, rss = [], []
for _ in range(runs):
    setup = os.environ.get("BENCH_SETUP")
    if setup:
        subprocess.run(setup, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    times.append((time.perf_counter() - start) * 1000)
    rss.append(int(p.stderr.strip().splitlines()[-1]))
    if p.returncode not in (0, 2):
        sys.exit(f"{label}: exit {p.returncode}: {p.stderr}")
print(f"{label:<48} median {statistics.median(times):8.1f} ms   min {min(times):8.1f} ms   peak RSS {max(rss)/1024:6.1f} MiB")
PY
}

reset="curl -s -X POST $endpoint/moto-api/reset"
echo "== default stack (6 resources) against moto, $runs runs each"
BENCH_SETUP="$reset" measure "plan (nothing exists)" "$bin" plan
BENCH_SETUP="$reset" measure "apply (create all)" "$bin" apply --auto-approve
BENCH_SETUP="$reset; $bin apply --auto-approve" measure "plan (no changes)" "$bin" plan --detailed-exitcode
BENCH_SETUP="$reset; $bin apply --auto-approve" measure "destroy (delete all)" "$bin" destroy --auto-approve

echo "== generated stack: $n streams ($((n * 6)) resources) against moto"
mkdir -p "$work/big"
cp -r examples "$work/big/"
python3 - "$n" > "$work/big/stack.toml" <<'PY'
import sys
n = int(sys.argv[1])
print('[stack]\nname = "bench"\n')
for i in range(n):
    print(f'''[bucket.b{i}]
name = "bench-{i}-${{aws.account_id}}"
[log_group.g{i}]
name = "/aws/kinesisfirehose/bench-{i}"
retention_days = 7
streams = ["DestinationDelivery"]
[role.fn{i}]
trust = ["lambda.amazonaws.com"]
[role.d{i}]
trust = ["firehose.amazonaws.com"]
[lambda.f{i}]
name = "bench-{i}"
runtime = "python3.12"
handler = "index.lambda_handler"
source = "examples/lambda/metadata_extractor"
role = "role.fn{i}"
timeout_seconds = 60
[firehose.s{i}]
name = "bench-{i}"
role = "role.d{i}"
bucket = "bucket.b{i}"
prefix = "k=!{{partitionKeyFromLambda:region}}/"
error_output_prefix = "error/!{{firehose:error-output-type}}/"
buffer_size_mb = 64
buffer_interval_seconds = 60
log_group = "log_group.g{i}"
dynamic_partitioning = true
[[firehose.s{i}.processor]]
type = "Lambda"
function = "lambda.f{i}"
''')
PY
big="$work/big/stack.toml"
runs_saved="$runs"; runs=1
BENCH_SETUP="$reset" measure "apply $((n * 6)) resources (--parallelism 10)" "$bin" -f "$big" apply --auto-approve
runs="$runs_saved"
measure "plan, no changes (--parallelism 1)" "$bin" -f "$big" --parallelism 1 plan
measure "plan, no changes (--parallelism 10)" "$bin" -f "$big" --parallelism 10 plan
echo "== offline"
measure "validate $((n * 6)) resources" "$bin" -f "$big" validate
measure "validate default stack" "$bin" validate
