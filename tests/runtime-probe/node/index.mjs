// What handlers commonly do, each tried under preview's sandbox: every check must answer "ok"
// (the system call filter allows what the runtime needs). Used by tests/it/hostile_pr.rs and
// scripts/sandbox-runtimes.sh.
import { execFileSync, spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import zlib from "node:zlib";

export const lambda_handler = async (event) => {
  const checks = {};
  const check = async (name, f) => {
    try { await f(); checks[name] = "ok"; } catch (e) { checks[name] = String(e && (e.code || e.message) || e); }
  };
  await check("child_process", () => execFileSync("/bin/sh", ["-c", "echo hi"]));
  await check("spawn", () => new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", "exit 0"]);
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`exit ${code}`))));
  }));
  await check("worker_threads", () => new Promise((resolve, reject) => {
    const file = path.join(os.tmpdir(), "worker.mjs");
    fs.writeFileSync(file, "import { parentPort } from 'node:worker_threads'; parentPort.postMessage(1);");
    const w = new Worker(file);
    w.on("message", () => { w.terminate(); resolve(); });
    w.on("error", reject);
  }));
  await check("files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "p-"));
    fs.writeFileSync(path.join(dir, "a"), "x".repeat(10000));
    fs.renameSync(path.join(dir, "a"), path.join(dir, "b"));
    fs.copyFileSync(path.join(dir, "b"), path.join(dir, "c"));
    fs.rmSync(dir, { recursive: true });
  });
  await check("fs_promises", async () => {
    const file = path.join(os.tmpdir(), "q");
    await fsp.writeFile(file, "x");
    await fsp.readFile(file);
    await fsp.unlink(file);
  });
  await check("listdir", () => fs.readdirSync("."));
  await check("zlib", () => zlib.gunzipSync(zlib.gzipSync("x".repeat(1000))));
  await check("crypto", () => [crypto.createHash("sha256").update("x").digest("hex"), crypto.randomBytes(16), crypto.randomUUID()]);
  await check("timers", () => new Promise((resolve) => setTimeout(resolve, 1)));
  await check("json", () => JSON.parse(JSON.stringify({ a: [1, 2.5, null] })));
  await check("url", () => new URL("https://example.com/a?b=c"));
  const keys = { checks: JSON.stringify(checks, Object.keys(checks).sort()), version: process.versions.node.split(".")[0] };
  for (const key of ["region", "device", "year", "month", "day", "hour"]) keys[key] = key;
  return { records: event.records.map((r) => ({ recordId: r.recordId, result: "Ok", data: r.data, metadata: { partitionKeys: keys } })) };
};
