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
  5. a fleet from one for_each (examples/fleet.toml's module, its alarms derived): validate of 200
     instances, and apply, plan, status and destroy of BENCH_FLEET pipelines under the quotas;
  6. one fleet over four Regions (BENCH_PER_REGION pipelines each): apply, plan and destroy, each
     Region paced apart;
  7. the data path: preview and send (see the section's own notes).
Writes BENCHMARKS.md. BENCH_ONLY=regions (or default, sizes, fleet, data; comma-separated) runs
only those sections, the others' figures kept from the last run (target/bench-results.json).

`bench.py --first-run` (scripts/bench.sh --first-run) measures instead what a new user waits for,
in a fresh clone of this repository's HEAD with an empty target directory (the crates already
downloaded): the clone to `scripts/demo.sh` done, and `cargo install --path .`. It keeps the
figures in target/first-run.json and rewrites BENCHMARKS.md with them and the last run's results.
"""
import datetime
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/provision")
PROXY = os.path.join(ROOT, "target/release/examples/aws-proxy")
LATENCY_MS = int(os.environ.get("BENCH_LATENCY_MS", "50"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1,10,40").split(",")]
FOREIGN_ROLES = int(os.environ.get("BENCH_FOREIGN_ROLES", "1000"))
FOREIGN_FUNCTIONS = int(os.environ.get("BENCH_FOREIGN_FUNCTIONS", "200"))
FOREIGN_DATABASES = int(os.environ.get("BENCH_FOREIGN_DATABASES", "50"))
FLEET = int(os.environ.get("BENCH_FLEET", "100"))
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]
PER_REGION = int(os.environ.get("BENCH_PER_REGION", "25"))
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
FLEET_VALIDATE = 200


def log(*args):
    print(*args, file=sys.stderr, flush=True)


class Moto:
    def __init__(self):
        server = subprocess.check_output([os.path.join(ROOT, "scripts/install-moto.sh")], text=True).strip()
        self.pkgs = os.path.join(os.path.dirname(server), "pkgs")
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", PYTHONPATH=self.pkgs)
        # moto refuses a 51st stream (an old quota); AWS's default is 5,000 per region in
        # us-east-1 ("Amazon Data Firehose Quota"): the fleet of 100 needs it.
        launcher = ("import sys, moto.firehose.models as m; m.DeliveryStream.MAX_STREAMS_PER_REGION = 5000; "
                    "from moto.server import main; sys.exit(main())")
        self.proc = subprocess.Popen([sys.executable, "-c", launcher, "-H", "127.0.0.1", "-p", "0"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            m = re.search(r"http://127\.0\.0\.1:\d+", line)
            if m:
                self.endpoint = m.group(0)
                break
        # Keep reading moto's request log: a full pipe would block moto on its next log line.
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()
        for _ in range(100):
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/data.json")
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("moto did not start")

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"))
        self.warm()

    def warm(self):
        """moto builds the backends its tagging API searches on the first GetResources after a
        reset (about 2 s here, in no AWS): asked for here, straight to moto, so that no run
        measured counts it."""
        sys.path.insert(0, self.pkgs)
        import boto3
        for region in REGIONS:
            tagging = boto3.client("resourcegroupstaggingapi", endpoint_url=self.endpoint, region_name=region,
                                   aws_access_key_id="test", aws_secret_access_key="test")
            for _ in range(2):
                tagging.get_resources(ResourcesPerPage=1)

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


def function_source(directory):
    """The sample's function code copied into `directory` (a source outside the stack's project
    is refused), as the stack there names it."""
    copy = os.path.join(directory, "lambda/metadata_extractor")
    if not os.path.exists(copy):
        shutil.copytree(os.path.join(ROOT, "examples/lambda/metadata_extractor"), copy)
    return "lambda/metadata_extractor"


def generated_stack(n, directory):
    """n pipelines like the default stack's, from the template the tests use."""
    template = open(os.path.join(ROOT, "tests/common/pipeline.toml")).read()
    source = function_source(directory)
    parts = ['[stack]\nname = "bench"\n']
    parts += [template.replace("{i}", str(i)).replace("{source}", source) for i in range(n)]
    path = os.path.join(directory, f"stack-{n}.toml")
    with open(path, "w") as f:
        f.write("".join(parts))
    return path


def fleet_stack(n, directory):
    """examples/fleet.toml with n tenants: one module, one for_each."""
    if not os.path.exists(os.path.join(directory, "modules")):
        shutil.copytree(os.path.join(ROOT, "examples/modules"), os.path.join(directory, "modules"))
    function_source(directory)
    text = open(os.path.join(ROOT, "examples/fleet.toml")).read()
    keys = ", ".join(f'"t{i}"' for i in range(n))
    text = text.replace('for_each = ["acme", "globex", "initech"]', f"for_each = [{keys}]")
    text = text.replace('name = "firehose-fleet"', 'name = "bench-fleet"')
    assert f'"t{n - 1}"' in text
    path = os.path.join(directory, f"fleet-{n}.toml")
    with open(path, "w") as f:
        f.write(text)
    return path


def regions_stack(directory):
    """PER_REGION pipelines like the default stack's in a module, one instance per Region of REGIONS."""
    template = open(os.path.join(ROOT, "tests/common/pipeline.toml")).read()
    source = function_source(directory)
    module = "".join(template.replace("{i}", str(i)).replace("{source}", source) for i in range(PER_REGION))
    # Bucket names are global: one per Region.
    module = module.replace('-${aws.account_id}"', '-${aws.account_id}-${aws.region}"')
    with open(os.path.join(directory, "regional.toml"), "w") as f:
        f.write(module)
    keys = ", ".join(f'"{r}"' for r in REGIONS)
    path = os.path.join(directory, "regions.toml")
    with open(path, "w") as f:
        f.write(f'[stack]\nname = "bench-regions"\nregion = "{REGIONS[0]}"\n\n'
                f'[module.region]\nsource = "regional.toml"\nfor_each = [{keys}]\nregion = "${{each.key}}"\n')
    return path


def regions(moto, proxy, work, results):
    """apply, plan and destroy of len(REGIONS) x PER_REGION pipelines under the quotas, each Region paced apart."""
    r = results["regions"]
    moto.reset()
    stack = regions_stack(work)
    for k, args in [("apply", ["apply", "--auto-approve"]), ("plan", ["plan", "--detailed-exitcode"]),
                    ("destroy", ["destroy", "--auto-approve"])]:
        v = r[k] = run(proxy, stack, args, quota=True)
        log(f"  {k:<8} {v['wall']:6.2f} s  {v['calls']:5} calls  {v['throttled']} throttled  "
            f"floor of the busiest Region {v['floor_seconds']:5.2f} s  RSS {v['rss']:5.1f} MiB")


def fleet(moto, proxy, work, results):
    """validate of 200 instances (offline); apply, plan, destroy of FLEET pipelines under the quotas."""
    f = results["fleet"]
    big = fleet_stack(FLEET_VALIDATE, work)
    walls = []
    env = dict(os.environ, PROVISION_VAR_require_tls="false")
    for _ in range(5):
        wall, rss, _ = timed([BIN, "-f", big, "validate"], env=env)
        walls.append(wall)
    walls.sort()
    said = subprocess.run([BIN, "-f", big, "validate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    resources = int(re.search(r"valid: (\d+) resources", said).group(1))
    f["validate"] = {"instances": FLEET_VALIDATE, "resources": resources, "wall": walls[len(walls) // 2],
                     "max": walls[-1], "rss": rss}
    log(f"  validate of {FLEET_VALIDATE} instances: median {f['validate']['wall']:.3f} s, max {walls[-1]:.3f} s")
    moto.reset()
    stack = fleet_stack(FLEET, work)
    os.environ["PROVISION_VAR_require_tls"] = "false"
    for k, args in [("apply", ["apply", "--auto-approve"]), ("plan", ["plan", "--detailed-exitcode"]),
                    ("status", ["status", "--since", "3h"]), ("destroy", ["destroy", "--auto-approve"])]:
        v = f[k] = run(proxy, stack, args, quota=True)
        log(f"  {k:<8} {v['wall']:6.2f} s  {v['calls']:5} calls  {v['throttled']} throttled  "
            f"floor {v['floor_seconds']:5.2f} s  RSS {v['rss']:5.1f} MiB")


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
    glue = boto3.client("glue", **kw)
    for i in range(FOREIGN_DATABASES):
        glue.create_database(DatabaseInput={"Name": f"other_team_db_{i}"})
        glue.create_table(DatabaseName=f"other_team_db_{i}", TableInput={"Name": "events"})


SECTIONS = ["default", "sizes", "fleet", "regions", "data"]


def main():
    """Runs every section, or those BENCH_ONLY names (comma-separated, of SECTIONS), keeping the
    others' last results."""
    only = [x for x in os.environ.get("BENCH_ONLY", "").split(",") if x]
    unknown = [x for x in only if x not in SECTIONS]
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown section(s) {unknown}; sections: {SECTIONS}")
    wanted = only or SECTIONS
    results = {"default": {}, "sizes": {}, "busy": {}, "fleet": {}, "regions": {}, "data": {}}
    saved = os.path.join(ROOT, "target/bench-results.json")
    if only and os.path.exists(saved):
        with open(saved) as f:
            results.update(json.load(f))
        results["sizes"] = {int(k): v for k, v in results["sizes"].items()}
    moto = Moto()
    proxy = Proxy(moto.endpoint)
    work = tempfile.mkdtemp()
    default_stack = os.path.join(ROOT, "stack.toml")
    try:
        if "default" in wanted:
            log(f"== default stack through the proxy ({LATENCY_MS} ms per request)")
            moto.reset()
            d = results["default"] = {}
            d["plan (nothing exists)"] = run(proxy, default_stack, ["plan"])
            d["apply (create all)"] = run(proxy, default_stack, ["apply", "--auto-approve"])
            d["plan (no changes)"] = run(proxy, default_stack, ["plan", "--detailed-exitcode"])
            d["destroy"] = run(proxy, default_stack, ["destroy", "--auto-approve"])
            for k, v in d.items():
                log(f"  {k:<24} {v['wall']:6.2f} s  {v['calls']:4} calls  {v['rounds']:3} rounds  {v['throttled']} throttled")
        if "sizes" in wanted:
            results["sizes"] = {}
            for n in SIZES:
                log(f"== {n} pipelines ({n * 6} resources), AWS quotas enforced")
                moto.reset()
                stack = generated_stack(n, work)
                r = results["sizes"][n] = {}
                r["apply"] = run(proxy, stack, ["apply", "--auto-approve"], quota=True)
                r["plan"] = run(proxy, stack, ["plan", "--detailed-exitcode"], quota=True)
                if n == max(SIZES):
                    r["plan, quotas off"] = run(proxy, stack, ["plan", "--detailed-exitcode"])
                    log(f"== busy account: {FOREIGN_ROLES} foreign roles, {FOREIGN_FUNCTIONS} foreign functions, "
                        f"{FOREIGN_DATABASES} foreign Glue databases")
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
        if "fleet" in wanted:
            log(f"== a fleet from one for_each ({FLEET} pipelines), AWS quotas enforced")
            results["fleet"] = {}
            fleet(moto, proxy, work, results)
        if "regions" in wanted:
            log(f"== one fleet over {len(REGIONS)} Regions ({PER_REGION} pipelines each), AWS quotas enforced per Region")
            results["regions"] = {}
            regions(moto, proxy, work, results)
        if "data" in wanted:
            log("== data path")
            results["data"] = {}
            data_path(moto, results)
    finally:
        proxy.stop()
        moto.stop()
    with open(saved, "w") as f:
        json.dump(results, f, default=str)
    write_report(results)


def timed(cmd, env=None):
    """Wall seconds and peak RSS (MiB) of a command; its stdout."""
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        log(p.stdout[-2000:], p.stderr[-2000:])
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}")
    return wall, int(p.stderr.strip().splitlines()[-1]) / 1024, p.stdout


def timed_hwm(cmd, env=None):
    """timed(), with provision's own peak RSS (VmHWM, MiB) read from /proc while it runs."""
    start = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", *cmd], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    hwm = 0
    out_chunks = []
    reader = threading.Thread(target=lambda: out_chunks.append(p.stdout.read()))
    reader.start()
    child = None
    while p.poll() is None:
        if child is None:
            try:
                child = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
            except (OSError, IndexError, ValueError):
                pass
        if child is not None:
            try:
                for line in open(f"/proc/{child}/status"):
                    if line.startswith("VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]) / 1024)
            except OSError:
                pass
        time.sleep(0.05)
    reader.join()
    err = p.stderr.read()
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}: {err[-2000:]}")
    return wall, int(err.strip().splitlines()[-1]) / 1024, hwm, "".join(out_chunks)


def data_path(moto, results):
    """Preview throughput (offline) and send throughput straight to moto, next to boto3 loops."""
    d = results["data"] = {}
    n = int(os.environ.get("BENCH_PREVIEW_RECORDS", "100000"))
    at = "2026-11-26T10:00:00Z"
    query = os.path.join(ROOT, "examples/query-partitioning.toml")
    for label, stack in [("Python Lambda (default stack)", os.path.join(ROOT, "stack.toml")),
                         ("jq query (examples/query-partitioning.toml)", query)]:
        # The median of RUNS runs: one run on a shared machine says little.
        runs = sorted((timed([BIN, "-f", stack, "preview", "--count", str(n), "--at", at]) for _ in range(RUNS)),
                      key=lambda r: r[0])
        wall, rss, _ = runs[len(runs) // 2]
        d[f"preview, {label}"] = {"records": n, "wall": wall, "rate": n / wall, "rss": rss, "runs": RUNS,
                                  "min_rate": n / runs[-1][0], "max_rate": n / runs[0][0]}
        log(f"  preview {n} records, {label}: median of {RUNS} {wall:.2f} s, {n / wall:,.0f} records/s "
            f"({n / runs[-1][0]:,.0f} to {n / runs[0][0]:,.0f}), RSS {rss:.1f} MiB")
    jq_side_by_side(query, n, at, d)
    # Memory: the largest --count, through the default stack (the sample's 24 partitions). Peak
    # RSS of provision itself (VmHWM), and of its largest process (the handler's worker too).
    big = int(os.environ.get("BENCH_PREVIEW_RSS_RECORDS", "1000000"))
    for label, stack in [("Python Lambda (default stack)", os.path.join(ROOT, "stack.toml")),
                         ("jq query (examples/query-partitioning.toml)", query)]:
        wall, rss, hwm, out = timed_hwm([BIN, "-f", stack, "preview", "--count", str(big), "--at", at])
        partitions = re.search(r"delivered to (\d+) partitions", out)
        d[f"preview memory, {label}"] = {"records": big, "wall": wall, "rate": big / wall, "rss": rss, "provision_rss": hwm,
                                         "partitions": int(partitions.group(1)) if partitions else None}
        log(f"  preview {big} records, {label}: {wall:.2f} s, provision's peak RSS {hwm:.1f} MiB "
            f"(largest process {rss:.1f} MiB), {partitions.group(1) if partitions else '?'} partitions")

    # A stream to send to: the default stack, with the bucket readable under moto.
    moto.reset()
    work = tempfile.mkdtemp()
    text = open(os.path.join(ROOT, "stack.toml")).read()
    text = text.replace('require_tls = "true"', 'require_tls = "false"')
    # The function's code beside the stack: provision packages nothing from outside its project.
    shutil.copytree(os.path.join(ROOT, "examples/lambda"), os.path.join(work, "examples/lambda"))
    stack = os.path.join(work, "stack.toml")
    open(stack, "w").write(text)
    env = dict(os.environ, AWS_ENDPOINT_URL=moto.endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1", NO_COLOR="1")
    subprocess.run([BIN, "-f", stack, "apply", "--auto-approve"], env=env, check=True, stdout=subprocess.DEVNULL)
    count = int(os.environ.get("BENCH_SEND_RECORDS", "100000"))
    runs = sorted((timed([BIN, "-f", stack, "-q", "send", "--count", str(count)], env=env) for _ in range(RUNS)),
                  key=lambda r: r[0])
    wall, rss, out = runs[len(runs) // 2]
    d["send (provision)"] = {"records": count, "wall": wall, "rate": count / wall, "rss": rss, "runs": RUNS}
    log(f"  provision send {count}: median of {RUNS} {wall:.2f} s, {count / wall:,.0f} records/s, RSS {rss:.1f} MiB")
    big = int(os.environ.get("BENCH_SEND_RSS_RECORDS", "1000000"))
    wall, rss, _ = timed([BIN, "-f", stack, "-q", "send", "--count", str(big)], env=env)
    d["send, peak memory"] = {"records": big, "wall": wall, "rate": big / wall, "rss": rss}
    log(f"  provision send {big}: {wall:.2f} s, {big / wall:,.0f} records/s, peak RSS {rss:.1f} MiB")

    sys.path.insert(0, moto.pkgs)
    import boto3
    firehose = boto3.client("firehose", endpoint_url=moto.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")
    record = json.dumps({"type": {"device": "mobile", "event": "view"}, "customer_id": "123456789012",
                         "event_timestamp": 1565382027, "region": "us-east-1"}).encode()
    start = time.perf_counter()
    for _ in range(count // 500):
        firehose.put_record_batch(DeliveryStreamName="PUT-S3-lambda", Records=[{"Data": record}] * 500)
    wall = time.perf_counter() - start
    d["boto3, sequential PutRecordBatch loop"] = {"records": count, "wall": wall, "rate": count / wall}
    log(f"  boto3 PutRecordBatch loop {count}: {count / wall:,.0f} records/s")
    single = 2000
    start = time.perf_counter()
    for _ in range(single):
        firehose.put_record(DeliveryStreamName="PUT-S3-lambda", Record={"Data": record})
    wall = time.perf_counter() - start
    d["the sample's approach: one PutRecord per record (without its sleeps)"] = {"records": single, "wall": wall, "rate": single / wall}
    log(f"  boto3 one PutRecord per record {single}: {single / wall:,.0f} records/s")
    watch_latency(stack, env, work, d)


def sample_records(n):
    """n records of the sample producer's shape (a customer of its own each), one per line."""
    devices, events = ["mobile", "pc", "tablet"], ["view", "click", "purchase"]
    lines = []
    for i in range(n):
        lines.append(json.dumps({"type": {"device": devices[i % 3], "event": events[i % 3]},
                                 "customer_id": str(100000000000 + i), "event_timestamp": 1565382027 + i,
                                 "region": ["us-east-1", "eu-west-1"][i % 2]}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def jq_side_by_side(stack, n, at, d):
    """The same records through preview of the jq example and through `jq -c` of a jq 1.6 binary,
    medians of RUNS each, interleaved: the ratio of their rates."""
    jq = os.environ.get("PROVISION_JQ") or shutil.which("jq")
    version = subprocess.run([jq, "--version"], capture_output=True, text=True).stdout.strip() if jq else ""
    if version != "jq-1.6":
        log(f"  no jq 1.6 binary ({jq}: {version or 'none'}): the side-by-side ratio is not measured")
        return
    # Inside the project: preview reads no file from outside it.
    records = os.path.join(ROOT, "target/bench-records.jsonl")
    with open(records, "w") as f:
        f.write(sample_records(n))
    preview, binary = [], []
    for _ in range(RUNS):
        preview.append(timed([BIN, "-f", stack, "--project-dir", ROOT, "preview", "--records", records,
                              "--at", at])[0])
        start = time.perf_counter()
        with open(records) as source:
            subprocess.run([jq, "-c", "{customer_id: .customer_id}"], stdin=source, stdout=subprocess.DEVNULL,
                           check=True)
        binary.append(time.perf_counter() - start)
    p, b = sorted(preview)[RUNS // 2], sorted(binary)[RUNS // 2]
    d["preview against jq -c, same records"] = {"records": n, "preview_wall": p, "jq_wall": b,
                                                 "preview_rate": n / p, "jq_rate": n / b, "ratio": b / p,
                                                 "runs": RUNS}
    log(f"  same {n} records: preview {n / p:,.0f} records/s ({p:.2f} s), jq -c {n / b:,.0f} records/s "
        f"({b:.2f} s): preview at {b / p:.2f}x jq's rate")


def watch_latency(stack, env, work, d):
    """`provision watch`: from saving the function's code to the function updated on moto."""
    # The stack's own copy of the function's code (see data_path), edited here.
    source = os.path.join(work, "examples/lambda/metadata_extractor")
    subprocess.run([BIN, "-f", stack, "apply", "--auto-approve"], env=env, check=True, stdout=subprocess.DEVNULL)
    watch = subprocess.Popen([BIN, "-f", stack, "watch"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    lines = []
    try:
        def wait_for(text):
            while True:
                line = watch.stdout.readline()
                if not line:
                    raise SystemExit("watch ended")
                if text in line:
                    return line
        wait_for("No changes.")
        code = os.path.join(source, "index.py")
        for i in range(5):
            with open(code, "a") as f:
                f.write(f"\n# save {i}\n")
            start = time.perf_counter()
            wait_for("Hotswapped")
            lines.append(time.perf_counter() - start)
    finally:
        watch.send_signal(2)
        watch.wait(timeout=30)
    lines.sort()
    d["watch: save to function updated"] = {"saves": len(lines), "median": lines[len(lines) // 2], "max": lines[-1]}
    log(f"  watch: save to function updated: median {lines[len(lines) // 2]:.2f} s, max {lines[-1]:.2f} s")


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except Exception:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), {mem:.0f} GiB"


def targets(results, first_run_rows):
    """The issues' targets next to what was measured."""
    rows = []

    def row(target, measured, met):
        rows.append(f"| {target} | {measured} | {'met' if met else 'not met (see docs/src/figures.md)'} |")

    d = results["default"].get("plan (no changes)")
    if d:
        row("no-op plan of the default stack within 4 sequential rounds", f"{d['rounds']} rounds, {d['calls']} calls", d["rounds"] <= 4)
    big = results["sizes"].get(max(SIZES)) if results["sizes"] else None
    if big:
        n = max(SIZES)
        plan = big["plan"]
        one = results["sizes"].get(min(SIZES), {}).get("plan") if n > min(SIZES) else None
        # Calls per pipeline and per run: the slope and the intercept between the smallest and the largest stack.
        per = (plan["calls"] - one["calls"]) / (n - min(SIZES)) if one else plan["calls"] / n
        fixed = f", plus {one['calls'] - per * min(SIZES):.0f} per run" if one else ""
        row("at most 12 calls per pipeline for a plan (from 24)", f"{per:.1f} per pipeline{fixed}", per <= 12)
        row(f"plan of {n} pipelines within 1.25x the quota floor, zero throttled calls",
            f"{plan['wall'] / plan['floor_seconds']:.2f}x ({plan['wall']:.2f} s / {plan['floor_seconds']:.2f} s), {plan['throttled']} throttled",
            plan["wall"] <= 1.25 * plan["floor_seconds"] and plan["throttled"] == 0)
        for k, factor in (("apply", 1.5), ("destroy", 1.25)):
            v = big[k]
            row(f"{k} of {n} pipelines within {factor}x the quota floor, zero throttled calls",
                f"{v['wall'] / v['floor_seconds']:.2f}x ({v['wall']:.2f} s / {v['floor_seconds']:.2f} s), {v['throttled']} throttled",
                v["wall"] <= factor * v["floor_seconds"] and v["throttled"] == 0)
        row(f"peak RSS of a plan of {n} pipelines under 50 MB", f"{plan['rss']:.1f} MiB", plan["rss"] < 50)
    if results["busy"]:
        b = results["busy"]
        ratio = b["busy"]["wall"] / b["empty"]["wall"]
        # Roles are found account-wide by their marker, and the account's roles and functions are
        # listed (one not listed is not read): the busy account costs only those listings' pages.
        listings = ("IAM.ListRoles", "Lambda.ListFunctions")
        other = {a: n for a, n in b["busy"]["per_action"].items() if a not in listings}
        other_empty = {a: n for a, n in b["empty"]["per_action"].items() if a not in listings}
        pages = ", ".join(f"{a.split('.')[1]} {b['busy']['per_action'].get(a, 0)} vs {b['empty']['per_action'].get(a, 0)}"
                          for a in listings)
        row("busy-account plan within 1.05x of the empty account's, the same calls but the listings' pages",
            f"{ratio:.2f}x, {b['busy']['calls']} calls vs {b['empty']['calls']} ({pages})",
            ratio <= 1.05 and other == other_empty)
    fl = results.get("fleet") or {}
    if "validate" in fl:
        v = fl["validate"]
        row(f"validate of {v['instances']} module instances under 1 s", f"median {v['wall']:.2f} s, max {v['max']:.2f} s", v["max"] < 1)
    def against_floor(label, v, factor):
        """A row for a run held against the quota floor of its calls."""
        row(label,
            f"{v['wall'] / v['floor_seconds']:.2f}x ({v['wall']:.2f} s / {v['floor_seconds']:.2f} s, {v['calls']} calls), "
            f"{v['throttled']} throttled",
            v["wall"] <= factor * v["floor_seconds"] and v["throttled"] == 0)
    if "plan" in fl:
        against_floor(f"plan of {FLEET} pipelines from one for_each within 1.1x the quota floor, zero throttled calls",
                      fl["plan"], 1.1)
    rg = results.get("regions") or {}
    for k, factor in (("plan", 1.1), ("apply", 1.5)):
        if k in rg:
            against_floor(f"{k} of {len(REGIONS)} Regions x {PER_REGION} pipelines within {factor}x the quota floor "
                          "of its busiest Region, zero throttled calls", rg[k], factor)
    if "status" in fl:
        against_floor(f"status of {FLEET} streams within 1.1x the quota floor of its calls, zero throttled calls",
                      fl["status"], 1.1)
    if "apply" in fl:
        against_floor(f"apply of the {FLEET}-pipeline fleet with its alarms within 1.5x the quota floor, "
                      "zero throttled calls", fl["apply"], 1.5)
    data = results["data"]
    for key, target, label in [("preview, Python Lambda (default stack)", 40000, "preview through the Python Lambda"),
                               ("preview, jq query (examples/query-partitioning.toml)", 100000,
                                "preview through the jq example (jq 1.6)"),
                               ("send (provision)", 20000, "send to moto")]:
        if key in data:
            v = data[key]
            runs = f" (median of {v['runs']} runs)" if v.get("runs") else ""
            row(f"{label}: at least {target:,} records/s", f"{v['rate']:,.0f} records/s{runs}", v["rate"] >= target)
    if "preview against jq -c, same records" in data:
        v = data["preview against jq -c, same records"]
        row("preview through the jq example at least as fast as `jq -c` of jq 1.6 over the same records",
            f"{v['preview_rate']:,.0f} against {v['jq_rate']:,.0f} records/s: {v['ratio']:.2f}x "
            f"(medians of {v['runs']})", v["ratio"] >= 1.0)
    if "watch: save to function updated" in data:
        v = data["watch: save to function updated"]
        row("watch updates the code within 2 s of a save (moto)", f"median {v['median']:.2f} s, max {v['max']:.2f} s", v["max"] <= 2)
    # The jq example gives each record a customer of its own: 500 partitions (the quota), the rest
    # to the error prefix, and a million distinct prefixes to count for the active-partition estimate.
    for key, label in [("preview memory, Python Lambda (default stack)", "the default stack"),
                       ("preview memory, jq query (examples/query-partitioning.toml)",
                        "the jq example (a distinct key per record)")]:
        if key in data:
            v = data[key]
            row(f"preview of {v['records']:,} records through {label}: provision's peak RSS under 64 MiB",
                f"{v['provision_rss']:.1f} MiB ({v['partitions']} partitions; largest process {v['rss']:.1f} MiB)",
                v["provision_rss"] < 64)
    if "send, peak memory" in data:
        v = data["send, peak memory"]
        row(f"peak RSS of send under 100 MB for {v['records']:,} records", f"{v['rss']:.1f} MiB", v["rss"] < 100)
    rows += first_run_rows
    if not rows:
        return []
    return ["", "## Targets", "", "| target | measured | |", "|---|---|---|"] + rows


def first_run():
    """A new user's first run, timed in a fresh clone (about 11 minutes on 2 cores)."""
    work = tempfile.mkdtemp(prefix="provision-first-run-")
    clone = os.path.join(work, "provision")
    # A new user's environment: no shared target directory, no prebuilt binary.
    env = {k: v for k, v in os.environ.items() if k not in ("CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "PROVISION")}
    env["NO_COLOR"] = "1"
    commit = subprocess.check_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True).strip()
    log(f"== first run of {commit} in {clone}")
    try:
        figures = first_run_in(clone, env, commit)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(os.path.join(ROOT, "target/first-run.json"), "w") as f:
        json.dump(figures, f)


def first_run_in(clone, env, commit):
    """Clones into `clone`, then times the demo and cargo install there; the figures."""
    work = os.path.dirname(clone)
    start = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", ROOT, clone], check=True)
    clone_wall = time.perf_counter() - start
    # The condition: the registry already downloaded (not timed).
    subprocess.run(["cargo", "fetch", "--locked", "--quiet"], cwd=clone, env=env, check=True)

    def step(cmd):
        start = time.perf_counter()
        p = subprocess.run(cmd, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            log(p.stdout[-3000:])
            raise SystemExit(f"{' '.join(cmd)} exited {p.returncode}")
        # cargo's own figure for the compiling part: "Finished `dev` profile [...] target(s) in 2m 46s".
        m = re.search(r"Finished .* in (?:(\d+)m )?([\d.]+)s", p.stdout)
        build = int(m.group(1) or 0) * 60 + float(m.group(2)) if m else None
        return wall, build

    log("  scripts/demo.sh (a debug build, moto's install, the demo)")
    demo_wall, demo_build = step(["scripts/demo.sh"])
    log(f"  clone {clone_wall:.1f} s, demo.sh {demo_wall:.1f} s (its cargo build {demo_build} s)")
    log("  cargo install --path . (an empty target directory of its own)")
    root = os.path.join(work, "root")
    install_wall, _ = step(["cargo", "install", "--locked", "--quiet", "--path", ".", "--root", root,
                            "--target-dir", os.path.join(work, "install-target")])
    version = subprocess.check_output([os.path.join(root, "bin/provision"), "--version"], text=True).strip()
    log(f"  cargo install {install_wall:.1f} s: {version}")
    return {"commit": commit, "measured": time.time(), "clone": clone_wall, "demo": demo_wall,
            "demo_build": demo_build, "install": install_wall, "cpus": os.cpu_count()}


def minutes(seconds):
    return f"{int(seconds // 60)}m{seconds % 60:02.0f}s"


def first_run_report():
    """BENCHMARKS.md's first-run section and its two targets, from target/first-run.json if measured."""
    try:
        with open(os.path.join(ROOT, "target/first-run.json")) as f:
            v = json.load(f)
    except FileNotFoundError:
        return [], []
    when = datetime.datetime.fromtimestamp(v["measured"], datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    to_demo = v["clone"] + v["demo"]
    build = f", its `cargo build` {minutes(v['demo_build'])}" if v.get("demo_build") else ""
    section = ["", "## First run", "",
               f"Measured by `scripts/bench.sh --first-run` on {when}, commit {v['commit']}, {v['cpus']} cores: a fresh "
               "clone with an empty target directory, the crates already downloaded (`cargo fetch`, not timed).", "",
               "| step | wall |", "|---|---|",
               f"| clone (local) | {v['clone']:.1f} s |",
               f"| `scripts/demo.sh`: a debug build, moto's install, the demo | {minutes(v['demo'])}{build} |",
               f"| clone -> demo done | {minutes(to_demo)} |",
               f"| `cargo install --path .` (its own empty target directory) | {minutes(v['install'])} |"]
    rows = [f"| clone -> `scripts/demo.sh` done in 4 minutes or less | {minutes(to_demo)} | "
            f"{'met' if to_demo <= 240 else 'not met (see docs/src/figures.md)'} |",
            f"| `cargo install --path .` in 10 minutes or less | {minutes(v['install'])} | "
            f"{'met' if v['install'] <= 600 else 'not met (see docs/src/figures.md)'} |"]
    return section, rows


def write_report(results):
    # The date of the measurement, not of the report: --report-only rewrites it from the saved results.
    measured = os.path.getmtime(os.path.join(ROOT, "target/bench-results.json"))
    now = datetime.datetime.fromtimestamp(measured, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    moto_version = open(os.path.join(ROOT, "target/moto/version")).read().strip()
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench.sh` on {now}. Machine: {machine()}. Release build; moto {moto_version} "
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
        lines += ["", f"## Busy account ({FOREIGN_ROLES} foreign roles, {FOREIGN_FUNCTIONS} foreign functions, {FOREIGN_DATABASES} foreign Glue databases with a table each)", "",
                  f"Plan of {max(SIZES)} pipelines, quotas enforced: {b['empty']['wall']:.2f} s and {b['empty']['calls']} calls "
                  f"in an empty account, {b['busy']['wall']:.2f} s and {b['busy']['calls']} calls in the busy one "
                  f"({b['busy']['wall'] / b['empty']['wall']:.2f}x)."]
    fl = results.get("fleet") or {}
    if fl:
        v = fl.get("validate")
        lines += ["", f"## A fleet from one for_each (examples/fleet.toml's module, {FLEET} tenants), AWS's quotas", ""]
        if v:
            lines.append(f"`validate` of {v['instances']} module instances ({v['resources']} resources, offline, Lambda code packaged once): "
                         f"median {v['wall']:.2f} s of 5 runs, max {v['max']:.2f} s, peak RSS {v['rss']:.1f} MiB.")
            lines.append("")
        lines += ["| command | wall | calls | throttled | quota floor | wall / floor | peak RSS |", "|---|---|---|---|---|---|---|"]
        for k in ("apply", "plan", "status", "destroy"):
            if k in fl:
                x = fl[k]
                lines.append(f"| `{k}` | {x['wall']:.2f} s | {x['calls']} | {x['throttled']} | {x['floor_seconds']:.2f} s | "
                             f"{x['wall'] / x['floor_seconds']:.2f}x | {x['rss']:.1f} MiB |")
    rg = results.get("regions") or {}
    if rg:
        lines += ["", f"## One fleet over {len(REGIONS)} Regions ({PER_REGION} pipelines each, `region` on a module call), AWS's quotas per Region", "",
                  "The floor is the busiest Region's (each Region is paced apart, as AWS's quotas are per account and Region; IAM, global, is paced per account).", "",
                  "| command | wall | calls | throttled | quota floor | wall / floor | peak RSS |", "|---|---|---|---|---|---|---|"]
        for k in ("apply", "plan", "destroy"):
            if k in rg:
                x = rg[k]
                lines.append(f"| `{k}` | {x['wall']:.2f} s | {x['calls']} | {x['throttled']} | {x['floor_seconds']:.2f} s | "
                             f"{x['wall'] / x['floor_seconds']:.2f}x | {x['rss']:.1f} MiB |")
    first_run_section, first_run_rows = first_run_report()
    lines += first_run_section
    lines += targets(results, first_run_rows)
    if results["data"]:
        lines += ["", "## Data path", "",
                  "Preview runs offline: the default stack's Python handler in a local worker; the jq example through the jq 1.6 "
                  "built into provision (Firehose's engine) in two confined worker processes, side by side with `jq -c` "
                  "of a jq 1.6 binary over the same records. "
                  "Send goes straight to moto (no proxy), which accepts every record at once.", "",
                  "| what | records | wall | records/s | peak RSS |", "|---|---|---|---|---|"]
        for k, v in results["data"].items():
            if "records" not in v or "wall" not in v:
                continue
            rss = f"{v['rss']:.1f} MiB" if "rss" in v else "-"
            if "provision_rss" in v:
                rss = f"provision {v['provision_rss']:.1f} MiB, largest process {v['rss']:.1f} MiB ({v['partitions']:,} partitions)"
            lines.append(f"| {k} | {v['records']:,} | {v['wall']:.2f} s | {v['rate']:,.0f} | {rss} |")
    with open(os.path.join(ROOT, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    log("wrote BENCHMARKS.md")


if __name__ == "__main__":
    if sys.argv[1:] == ["--first-run"]:
        first_run()
    if sys.argv[1:] in (["--report-only"], ["--first-run"]):
        # Rewrites BENCHMARKS.md from the last run's results.
        if not os.path.exists(os.path.join(ROOT, "target/bench-results.json")):
            raise SystemExit("no results in target/bench-results.json yet: scripts/bench.sh measures them and writes the report")
        with open(os.path.join(ROOT, "target/bench-results.json")) as f:
            saved = json.load(f)
        saved["sizes"] = {int(k): v for k, v in saved["sizes"].items()}
        saved.setdefault("fleet", {})
        saved.setdefault("regions", {})
        write_report(saved)
    else:
        main()
