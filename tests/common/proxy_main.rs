#![allow(clippy::print_stdout, clippy::print_stderr)]
//! The test proxy as a program, for the benchmark: `cargo run --release --example aws-proxy --
//! UPSTREAM [--latency-ms N] [--quota] [--port P]`. Prints `listening on URL`, then on each line
//! read from stdin (`counts`, `reset`) answers with JSON: requests and throttled answers per action,
//! and the number of sequential rounds.

#[path = "proxy.rs"]
mod proxy;

use std::io::BufRead;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let upstream = args.first().cloned().unwrap_or_else(|| {
        eprintln!("usage: aws-proxy UPSTREAM [--latency-ms N] [--quota] [--port P]");
        std::process::exit(2)
    });
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let port = value("--port").unwrap_or_else(|| "0".into());
    let proxy = proxy::FaultProxy::start_on(&format!("127.0.0.1:{port}"), &upstream);
    let latency = value("--latency-ms").and_then(|v| v.parse().ok()).unwrap_or(50);
    proxy.set_latency(std::time::Duration::from_millis(latency));
    proxy.enforce_quotas(args.iter().any(|a| a == "--quota"));
    println!("listening on {}", proxy.endpoint);
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        match line.trim() {
            "reset" => {
                proxy.reset_counts();
                println!("{{}}");
            }
            "quota on" | "quota off" => {
                proxy.enforce_quotas(line.trim() == "quota on");
                println!("{{}}");
            }
            _ => {
                let counts = proxy.counts();
                let throttled = proxy.throttled();
                // The least time AWS's quotas allow for these calls: the busiest action's count
                // over its rate, in the busiest location.
                let floor = proxy.floor_seconds();
                let doc = serde_json::json!({
                    "floor_seconds": floor,
                    "calls": counts.values().sum::<usize>(),
                    "throttled": throttled.values().sum::<usize>(),
                    "rounds": proxy.rounds(),
                    "per_action": counts,
                    "throttled_per_action": throttled,
                    "spans": proxy.spans(),
                    "firehose_describes": proxy.times("Firehose.DescribeDeliveryStream"),
                });
                println!("{doc}");
            }
        }
    }
}
