#!/usr/bin/env python3
"""Benchmarks with printed figures (no assertions), run by scripts/bench.sh.

Starts moto behind the project's proxy (tests/common/proxy.rs, built as the example aws-proxy),
which adds a fixed latency to every request (default 50 ms, a round trip to AWS), can enforce
AWS's default API quotas (throttling over-quota requests as AWS does), and counts requests per
action. Measures the release binary:
  1. the default stack: plan from nothing, apply, plan with no changes, destroy (wall, calls, rounds);
  2. generated stacks of N pipelines under the quotas: apply, plan, destroy (wall, calls per
     pipeline, throttled calls, and the floor the tightest quota sets);
  3. the same plan in a busy account (1,000 foreign roles, 200 foreign functions);
  4. peak RSS;
  5. the data path: preview and send (see the section's own notes).
Writes BENCHMARKS.md.
"""
import datetime
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/provision")
PROXY = os.path.join(ROOT, "target/release/examples/aws-proxy")
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1,10,40").split(",")]
FOREIGN_ROLES = int(os.environ.get("BENCH_FOREIGN_ROLES", "1000"))
FOREIGN_FUNCTIONS = int(os.environ.get("BENCH_FOREIGN_FUNCTIONS", "200"))


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Moto:
    def __init__(self):
        server = subprocess.check_output([os.path.join(ROOT, "scripts/install-moto.sh")], text=True).strip()
        self.pkgs = os.path.join(os.path.dirname(server), "pkgs")
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        self.proc = subprocess.Popen([server, "-H", "127.0.0.1", "-p", "0"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            m = re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                self.endpoint = m.group(0)
                break
        for _ in range(100):
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/data.json")
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("moto did not start")

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"))

    def stop(self):
        self.proc.terminate()


class Proxy:
    def __init__(self, upstream):
        self.proc = subprocess.Popen([PROXY, upstream, "--latency-ms", str(LATENCY_MS)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.endpoint = self.proc.stdout.readline().split()[-1]

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.terminate()


def run(proxy, stack, args, quota=False):
    """Runs provision through the proxy; returns wall seconds, peak RSS (MiB), exit code, counts."""
    proxy.send("quota on" if quota else "quota off")
    proxy.send("reset")
    env = dict(os.environ, AWS_ENDPOINT_URL=proxy.endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1", NO_COLOR="1")
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", BIN, "-f", stack, *args], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    rss = int(p.stderr.strip().splitlines()[-1]) / 1024
    if p.returncode not in (0, 2):
        log(p.stdout[-3000:], p.stderr[-3000:])
        raise SystemExit(f"provision {' '.join(args)} exited {p.returncode}")
    counts = proxy.send("counts")
    return {"wall": wall, "rss": rss, "code": p.returncode, **counts}


def generated_stack(n, directory):
    """The generated stack of tests/common (n pipelines like the default one)."""
    parts = ['[stack]\nname = "bench"\n']
    for i in range(n):
        parts.append(f'''
[bucket.b{i}]
name = "bench-{i}-${{aws.account_id}}"
[log_group.g{i}]
name = "/aws/kinesisfirehose/bench-{i}"
retention_days = 7
streams = ["DestinationDelivery"]
[role.fn{i}]
trust = ["lambda.amazonaws.com"]
managed_policies = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
[role.d{i}]
trust = ["firehose.amazonaws.com"]
[lambda.f{i}]
name = "bench-{i}"
runtime = "python3.12"
handler = "index.lambda_handler"
source = "{ROOT}/examples/lambda/metadata_extractor"
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
    path = os.path.join(directory, f"stack-{n}.toml")
    with open(path, "w") as f:
        f.write("".join(parts))
    return path


def busy_account(moto):
    """Roles and functions of other teams, created straight in moto (not through the proxy)."""
    sys.path.insert(0, moto.pkgs)
    import boto3
    import io
    import zipfile
    kw = dict(endpoint_url=moto.endpoint, region_name="us-east-1",
              aws_access_key_id="test", aws_secret_access_key="test")
    iam = boto3.client("iam", **kw)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for i in range(FOREIGN_ROLES):
        iam.create_role(RoleName=f"other-team-role-{i}", AssumeRolePolicyDocument=trust,
                        Description="someone else's", Tags=[{"Key": "team", "Value": "other"}])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(e, c):\n    return e\n")
    lam = boto3.client("lambda", **kw)
    for i in range(FOREIGN_FUNCTIONS):
        lam.create_function(FunctionName=f"other-team-fn-{i}", Runtime="python3.12",
                            Role="arn:aws:iam::123456789012:role/other-team-role-0", Handler="index.handler",
                            Code={"ZipFile": buf.getvalue()}, Tags={"team": "other"})


def main():
    moto = Moto()
    proxy = Proxy(moto.endpoint)
    work = tempfile.mkdtemp()
    default_stack = os.path.join(ROOT, "stack.toml")
    results = {"default": {}, "sizes": {}, "busy": {}, "data": {}}
    try:
        log(f"== default stack through the proxy ({LATENCY_MS} ms per request)")
        moto.reset()
        d = results["default"]
        d["plan (nothing exists)"] = run(proxy, default_stack, ["plan"])
        d["apply (create all)"] = run(proxy, default_stack, ["apply", "--auto-approve"])
        d["plan (no changes)"] = run(proxy, default_stack, ["plan", "--detailed-exitcode"])
        d["destroy"] = run(proxy, default_stack, ["destroy", "--auto-approve"])
        for k, v in d.items():
            log(f"  {k:<24} {v['wall']:6.2f} s  {v['calls']:4} calls  {v['rounds']:3} rounds  {v['throttled']} throttled")

        for n in SIZES:
            log(f"== {n} pipelines ({n * 6} resources), AWS quotas enforced")
            moto.reset()
            stack = generated_stack(n, work)
            r = results["sizes"][n] = {}
            r["apply"] = run(proxy, stack, ["apply", "--auto-approve"], quota=True)
            r["plan"] = run(proxy, stack, ["plan", "--detailed-exitcode"], quota=True)
            if n == max(SIZES):
                r["plan, quotas off"] = run(proxy, stack, ["plan", "--detailed-exitcode"])
                log(f"== busy account: {FOREIGN_ROLES} foreign roles, {FOREIGN_FUNCTIONS} foreign functions")
                busy_account(moto)
                results["busy"] = {"empty": r["plan"],
                                   "busy": run(proxy, stack, ["plan", "--detailed-exitcode"], quota=True)}
            r["destroy"] = run(proxy, stack, ["destroy", "--auto-approve"], quota=True)
            for k, v in r.items():
                log(f"  {k:<18} {v['wall']:6.2f} s  {v['calls']:5} calls ({v['calls'] / n:5.1f}/pipeline)  "
                    f"{v['throttled']} throttled  floor {v['floor_seconds']:5.2f} s  RSS {v['rss']:5.1f} MiB")
        if results["busy"]:
            b = results["busy"]
            log(f"  busy/empty: {b['busy']['wall'] / b['empty']['wall']:.2f}x wall, "
                f"{b['busy']['calls']} vs {b['empty']['calls']} calls")
        data_path(results)
    finally:
        proxy.stop()
        moto.stop()
    write_report(results)


def data_path(results):
    """Preview throughput (no AWS at all) and send throughput to moto, if the commands exist."""
    probe = subprocess.run([BIN, "preview", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if probe.returncode != 0:
        return
    script = os.path.join(ROOT, "scripts/bench_data.py")
    if os.path.exists(script):
        out = subprocess.run([sys.executable, script], stdout=subprocess.PIPE, text=True, check=True)
        results["data"] = json.loads(out.stdout)


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB"


def write_report(results):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    moto_version = open(os.path.join(ROOT, "target/moto/version")).read().strip()
    lines = [
        "# Benchmarks",
        "",
        f"Written by `scripts/bench.sh` on {now}. Machine: {machine()}. Release build; moto {moto_version} "
        f"behind the project's proxy adding {LATENCY_MS} ms to every request (a round trip to AWS); "
        "\"quotas\" means the proxy throttles requests over AWS's default API quotas, as AWS does. "
        "The floor is the least time those quotas allow for the calls made: the busiest action's "
        "count over its rate (for instance 40 DescribeDeliveryStream at 5/s: 8 s).",
        "",
        "## Default stack (6 resources), no quotas",
        "",
        "| command | wall | calls | sequential rounds | throttled | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in results["default"].items():
        lines.append(f"| `{k}` | {v['wall']:.2f} s | {v['calls']} | {v['rounds']} | {v['throttled']} | {v['rss']:.1f} MiB |")
    lines += ["", "## Generated stacks under AWS's quotas", "",
              "| pipelines | command | wall | calls | calls per pipeline | throttled | quota floor | wall / floor | peak RSS |",
              "|---|---|---|---|---|---|---|---|---|"]
    for n, r in results["sizes"].items():
        for k, v in r.items():
            ratio = f"{v['wall'] / v['floor_seconds']:.2f}x" if v["floor_seconds"] > 1 else "-"
            lines.append(f"| {n} | `{k}` | {v['wall']:.2f} s | {v['calls']} | {v['calls'] / n:.1f} | {v['throttled']} | "
                         f"{v['floor_seconds']:.2f} s | {ratio} | {v['rss']:.1f} MiB |")
    if results["busy"]:
        b = results["busy"]
        lines += ["", f"## Busy account ({FOREIGN_ROLES} foreign roles, {FOREIGN_FUNCTIONS} foreign functions)", "",
                  f"Plan of {max(SIZES)} pipelines, quotas enforced: {b['empty']['wall']:.2f} s and {b['empty']['calls']} calls "
                  f"in an empty account, {b['busy']['wall']:.2f} s and {b['busy']['calls']} calls in the busy one "
                  f"({b['busy']['wall'] / b['empty']['wall']:.2f}x)."]
    if results["data"]:
        lines += ["", "## Data path", ""] + results["data"].get("markdown", [])
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    log("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
