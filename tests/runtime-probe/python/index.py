"""What handlers commonly do, each tried under preview's sandbox: every check must answer "ok"
(the system call filter allows what the runtime needs). Used by tests/it/hostile_pr.rs and
scripts/sandbox-runtimes.sh."""
import asyncio, base64, concurrent.futures, datetime, hashlib, json, os, random, ssl, subprocess
import sys, tempfile, threading, time, urllib.parse, uuid, zlib


def lambda_handler(event, context):
    checks = {}

    def check(name, f):
        try:
            f()
            checks[name] = "ok"
        except Exception as e:  # noqa: BLE001 - every failure is reported
            checks[name] = "%s: %s" % (type(e).__name__, e)

    def thread():
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()

    def files():
        with tempfile.NamedTemporaryFile(dir=os.environ["TMPDIR"]) as f:
            f.write(b"x" * 10000)
            f.flush()
            os.fsync(f.fileno())
        d = tempfile.mkdtemp()
        open(os.path.join(d, "a"), "w").write("a")
        os.rename(os.path.join(d, "a"), os.path.join(d, "b"))
        os.unlink(os.path.join(d, "b"))
        os.rmdir(d)

    check("thread", thread)
    check("thread_pool", lambda: list(concurrent.futures.ThreadPoolExecutor(2).map(abs, [-1, -2, -3])))
    check("subprocess", lambda: subprocess.run(["/bin/sh", "-c", "echo hi"], check=True, capture_output=True))
    check("asyncio", lambda: asyncio.run(asyncio.sleep(0.001)))
    check("files", files)
    check("listdir", lambda: os.listdir("."))
    check("zlib", lambda: zlib.decompress(zlib.compress(b"x" * 1000)))
    check("hashlib", lambda: hashlib.sha256(b"x").hexdigest())
    check("ssl", lambda: ssl.create_default_context())
    check("random", lambda: (os.urandom(16), random.random(), uuid.uuid4()))
    check("time", lambda: (time.sleep(0.001), datetime.datetime.now().astimezone(), time.monotonic()))
    check("json", lambda: json.loads(json.dumps({"a": [1, 2.5, None]})))
    check("urllib", lambda: urllib.parse.urlparse("https://example.com/a?b=c"))
    keys = {"checks": json.dumps(checks, sort_keys=True), "version": "%d.%d" % sys.version_info[:2]}
    for key in ["region", "device", "year", "month", "day", "hour"]:
        keys[key] = key
    return {
        "records": [
            {"recordId": r["recordId"], "result": "Ok", "data": r["data"], "metadata": {"partitionKeys": keys}}
            for r in event["records"]
        ]
    }
