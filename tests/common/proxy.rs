//! A fault-injecting HTTP proxy in front of moto, for what moto cannot do: throttling, 5xx, IAM
//! propagation errors, asynchronous states, requests held until the test releases them, dropped connections, buckets owned by another
//! account, real-AWS latency and API quotas. Each request is identified by its service and
//! action; rules say what to do to the next N requests of an action.
//!
//! Also run on its own by the benchmark (`cargo run --example aws-proxy`, see proxy_main.rs).
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What to do to a request.
#[derive(Debug, Clone)]
pub(crate) enum Fault {
    /// Answer with an AWS error in the request's wire protocol, without forwarding.
    Error { status: u16, code: &'static str, message: &'static str },
    /// Hold the request at the named gate until the test opens it ([`FaultProxy::release`]),
    /// then forward: a delay the test decides, never the clock.
    Hold(&'static str),
    /// Close the connection without forwarding or answering.
    Reset,
    /// Forward (so the action takes effect), then close the connection without answering.
    ResetAfterForward,
    /// Forward, then replace `"key": "from"` by `"key": "to"` in the JSON answer.
    Rewrite { key: &'static str, from: &'static str, to: &'static str },
    /// Forward, then mark the first `failed` entries of a PutRecordBatch answer as failed with
    /// ServiceUnavailableException, as if they had not been accepted; the others are written.
    /// The failed records are removed from the request before it reaches moto.
    PartialBatch { failed: usize },
    /// Forward (so the action takes effect: records are stored), then answer with an AWS error.
    ErrorAfterForward { status: u16, code: &'static str, message: &'static str },
    /// Forward, then answer a PutRecordBatch with an empty `RequestResponses` (FailedPutCount 0).
    EmptyBatchAnswer,
    /// Answer 200 with this body, without forwarding (an answer no SDK can read).
    Garbage(&'static str),
}

struct Rule {
    action: String,
    fault: Fault,
    remaining: usize,
}

/// AWS's documented default API rates (requests/s per account), and generous values where AWS
/// publishes none, enforced as token buckets holding one second of requests.
pub(crate) fn aws_quota(action: &str) -> Option<f64> {
    let (service, name) = action.split_once('.')?;
    Some(match (service, name) {
        ("Firehose", "PutRecord" | "PutRecordBatch") => return None,
        ("Firehose", _) => 5.0,
        ("Lambda", "GetFunction") => 100.0,
        ("Lambda", _) => 15.0,
        ("CloudWatchLogs", "DescribeLogGroups") => 10.0,
        ("CloudWatchLogs", "DescribeLogStreams") => 25.0,
        ("CloudWatchLogs", "CreateLogStream") => 50.0,
        ("CloudWatchLogs", "DeleteLogGroup") => 10.0,
        ("CloudWatchLogs", "ListTagsForResource") => 10.0,
        ("CloudWatchLogs", _) => 5.0,
        // IAM publishes no rate: provision's own assumption (src/model/kinds/role.rs), so that
        // the floor is what provision paces at.
        ("IAM", _) => 15.0,
        ("S3", _) => 100.0,
        ("STS", _) => 100.0,
        ("ResourceGroupsTaggingAPI", _) => 10.0,
        // "CloudWatch service quotas"; the tag calls are not listed there.
        ("CloudWatch", "DescribeAlarms") => 9.0,
        ("CloudWatch", "GetMetricData") => 50.0,
        ("CloudWatch", _) => 3.0,
        // "Amazon SNS endpoints and quotas", the lowest Regions' values.
        ("SNS", "GetTopicAttributes" | "ListSubscriptionsByTopic" | "Subscribe" | "Unsubscribe") => 30.0,
        ("SNS", _) => 10.0,
        _ => return None,
    })
}

struct Bucket {
    tokens: f64,
    rate: f64,
    last: Instant,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: HashMap<String, usize>,
    /// Requests per location (the signing key and Region: AWS's quotas are per account and
    /// Region) and action.
    seen_at: HashMap<(String, String), usize>,
    throttled: HashMap<String, usize>,
    latency: Duration,
    quota: bool,
    buckets: HashMap<String, Bucket>,
    /// Bucket name -> the account that owns it (other than moto's).
    foreign: HashMap<String, String>,
    /// Every S3 request: (action, bucket, the expected-owner header it carried).
    s3_requests: Vec<(String, String, Option<String>)>,
    /// Each CreateBucket's bucket and its `x-amz-bucket-namespace` header.
    created_buckets: Vec<(String, Option<String>)>,
    arrivals: Vec<Instant>,
    /// Each answered request: when it arrived, when its answer went out.
    exchanges: Vec<(Instant, Instant)>,
    /// Arrival of each request, with its action.
    timeline: Vec<(Instant, String)>,
    /// Records accepted by PutRecordBatch answers.
    records_accepted: usize,
    /// Gates holding a request now, and gates opened.
    holding: Vec<&'static str>,
    opened: Vec<&'static str>,
}

/// The proxy; it runs until the process ends.
pub(crate) struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub(crate) fn start(upstream: &str) -> FaultProxy {
        Self::start_on("127.0.0.1:0", upstream)
    }

    pub(crate) fn start_on(address: &str, upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind(address).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let (state, upstream) = (shared.clone(), upstream.clone());
                std::thread::spawn(move || {
                    let _ = handle(client, &upstream, &state);
                });
            }
        });
        FaultProxy { endpoint, state }
    }

    /// Applies `fault` to the next `times` requests of `action` (e.g. `CreateDeliveryStream`).
    pub(crate) fn inject(&self, action: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push(Rule { action: action.into(), fault, remaining: times });
    }

    /// Holds the next request of `action` at gate `gate` until [`FaultProxy::release`].
    pub(crate) fn hold(&self, action: &str, gate: &'static str) {
        self.inject(action, Fault::Hold(gate), 1);
    }

    /// Whether a request is held at `gate` now.
    pub(crate) fn holding(&self, gate: &str) -> bool {
        self.state.lock().unwrap().holding.contains(&gate)
    }

    /// Opens `gate`: what it holds goes on, and what arrives at it later passes.
    pub(crate) fn release(&self, gate: &'static str) {
        self.state.lock().unwrap().opened.push(gate);
    }

    /// Removes every rule.
    pub(crate) fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Adds `latency` to every request, as a round trip to AWS would.
    pub(crate) fn set_latency(&self, latency: Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    /// Throttles requests over AWS's default API quotas, as AWS does.
    pub(crate) fn enforce_quotas(&self, on: bool) {
        self.state.lock().unwrap().quota = on;
    }

    /// Makes `bucket` belong to `account`: S3 answers 403 to requests that name another expected
    /// owner (or none), and BucketAlreadyExists to CreateBucket.
    pub(crate) fn foreign_bucket(&self, bucket: &str, account: &str) {
        self.state.lock().unwrap().foreign.insert(bucket.into(), account.into());
    }

    /// How many requests of `action` reached the proxy (bare action name, e.g. `GetRole`).
    pub(crate) fn seen(&self, action: &str) -> usize {
        let state = self.state.lock().unwrap();
        state
            .seen
            .iter()
            .filter(|(k, _)| k.split_once('.').map(|(_, a)| a) == Some(action) || *k == action)
            .map(|(_, v)| v)
            .sum()
    }

    /// Requests per `Service.Action`.
    pub(crate) fn counts(&self) -> HashMap<String, usize> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The least time AWS's quotas allow for the requests seen: the busiest action of the
    /// busiest location, its count over its rate (locations are paced apart, as AWS does).
    pub(crate) fn floor_seconds(&self) -> f64 {
        let state = self.state.lock().unwrap();
        state
            .seen_at
            .iter()
            .filter_map(|((_, action), n)| aws_quota(action).map(|rate| *n as f64 / rate))
            .fold(0.0, f64::max)
    }

    /// Throttled answers per `Service.Action`.
    pub(crate) fn throttled(&self) -> HashMap<String, usize> {
        self.state.lock().unwrap().throttled.clone()
    }

    /// Every S3 request: action, bucket and the expected-owner header it carried.
    /// Each CreateBucket seen: the bucket and the namespace it asked for.
    pub(crate) fn created_buckets(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().created_buckets.clone()
    }

    pub(crate) fn s3_requests(&self) -> Vec<(String, String, Option<String>)> {
        self.state.lock().unwrap().s3_requests.clone()
    }

    /// Records accepted by PutRecordBatch answers that passed through.
    pub(crate) fn records_accepted(&self) -> usize {
        self.state.lock().unwrap().records_accepted
    }

    /// Forgets counts, arrivals and logs (rules stay).
    pub(crate) fn reset_counts(&self) {
        let mut state = self.state.lock().unwrap();
        state.seen.clear();
        state.seen_at.clear();
        state.throttled.clear();
        state.s3_requests.clear();
        state.arrivals.clear();
        state.exchanges.clear();
        state.timeline.clear();
    }

    /// Per action: seconds from the first request of the run to its first and last request.
    pub(crate) fn spans(&self) -> HashMap<String, (f64, f64)> {
        let state = self.state.lock().unwrap();
        let Some(start) = state.timeline.iter().map(|(t, _)| *t).min() else { return HashMap::new() };
        let mut spans: HashMap<String, (f64, f64)> = HashMap::new();
        for (t, action) in &state.timeline {
            let at = t.duration_since(start).as_secs_f64();
            let e = spans.entry(action.clone()).or_insert((at, at));
            e.0 = e.0.min(at);
            e.1 = e.1.max(at);
        }
        spans
    }

    /// Seconds from the first request of the run to each request of `action`.
    pub(crate) fn times(&self, action: &str) -> Vec<f64> {
        let state = self.state.lock().unwrap();
        let Some(start) = state.timeline.iter().map(|(t, _)| *t).min() else { return Vec::new() };
        state.timeline.iter().filter(|(_, a)| a == action).map(|(t, _)| t.duration_since(start).as_secs_f64()).collect()
    }

    /// Sequential rounds of requests, from causality rather than the clock: a request is one
    /// round after the deepest request whose answer had gone out before it arrived (it may have
    /// waited for it); a request that arrived before any answer is in the first round. No time
    /// threshold decides; a large latency keeps requests sent side by side from arriving after
    /// an answer of their own round on a loaded machine.
    pub(crate) fn rounds(&self) -> usize {
        let mut exchanges = self.state.lock().unwrap().exchanges.clone();
        exchanges.sort();
        let mut round = vec![0usize; exchanges.len()];
        for i in 0..exchanges.len() {
            let waited = (0..i).filter(|&j| exchanges[j].1 <= exchanges[i].0).map(|j| round[j]).max();
            round[i] = 1 + waited.unwrap_or(0);
        }
        round.into_iter().max().unwrap_or(0)
    }
}

/// The wire protocol of a request, which decides the shape of an error answer.
#[derive(Debug, PartialEq)]
enum Protocol {
    Json,
    RestJson,
    Query,
    RestXml,
}

struct Request {
    raw: Vec<u8>,
    head_end: usize,
    method: String,
    path: String,
    target: Option<String>,
    owner_header: Option<String>,
    namespace_header: Option<String>,
    /// The service the request is signed for (SigV4's credential scope: `monitoring`, `sns`...),
    /// which tells the services of the Query protocol apart.
    signed_for: Option<String>,
    /// Where the request acts: its signing key and Region (the account behind a key is
    /// moto's to know; each set of credentials is one account here).
    location: String,
    body: Vec<u8>,
}

impl Request {
    /// Where an action's quota applies: the signing key and Region, but the key alone for IAM
    /// (global: one quota per account, whatever Region a client signs for).
    fn location_of(&self, action: &str) -> String {
        if action.starts_with("IAM.") {
            self.location.split('/').next().unwrap_or_default().to_string()
        } else {
            self.location.clone()
        }
    }

    fn protocol(&self) -> Protocol {
        if self.target.is_some() {
            Protocol::Json
        } else if self.path.starts_with("/2015-03-31/") || self.path.starts_with("/2017-03-31/") {
            Protocol::RestJson
        } else if self.body.starts_with(b"Action=") {
            Protocol::Query
        } else {
            Protocol::RestXml
        }
    }

    /// `Service.Action`: from X-Amz-Target, the query `Action`, Lambda's REST routes or S3's.
    fn action(&self) -> String {
        if let Some(target) = &self.target {
            let (prefix, action) = target.split_once('.').unwrap_or(("", target));
            let service = match prefix.split('_').next().unwrap_or_default() {
                "Firehose" => "Firehose",
                "Logs" => "CloudWatchLogs",
                "ResourceGroupsTaggingAPI" => "ResourceGroupsTaggingAPI",
                other => other,
            };
            return format!("{service}.{action}");
        }
        if let Some(rest) = std::str::from_utf8(&self.body).ok().and_then(|b| b.strip_prefix("Action=")) {
            let action = rest.split('&').next().unwrap_or_default();
            let service = match self.signed_for.as_deref() {
                Some("monitoring") => "CloudWatch",
                Some("sns") => "SNS",
                Some("sts") => "STS",
                Some("iam") => "IAM",
                _ if action == "GetCallerIdentity" || action == "AssumeRole" => "STS",
                _ => "IAM",
            };
            return format!("{service}.{action}");
        }
        let path = self.path.split('?').next().unwrap_or_default();
        if let Some(rest) = path.strip_prefix("/2015-03-31/functions").or_else(|| path.strip_prefix("/2017-03-31/tags"))
        {
            let parts: Vec<&str> = rest.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
            let action = match (self.method.as_str(), parts.as_slice()) {
                _ if self.path.starts_with("/2017-03-31/tags") => match self.method.as_str() {
                    "GET" => "ListTags",
                    "POST" => "TagResource",
                    _ => "UntagResource",
                },
                ("POST", []) => "CreateFunction",
                ("GET", []) => "ListFunctions",
                ("GET", [_]) => "GetFunction",
                ("DELETE", [_]) => "DeleteFunction",
                ("GET", [_, "configuration"]) => "GetFunctionConfiguration",
                ("PUT", [_, "configuration"]) => "UpdateFunctionConfiguration",
                ("PUT", [_, "code"]) => "UpdateFunctionCode",
                ("POST", [_, "versions"]) => "PublishVersion",
                ("GET", [_, "versions"]) => "ListVersionsByFunction",
                _ => "Other",
            };
            return format!("Lambda.{action}");
        }
        format!("S3.{}", s3_action(&self.method, &self.path))
    }

    /// The bucket of a path-style S3 request.
    fn bucket(&self) -> Option<String> {
        let path = self.path.split('?').next().unwrap_or_default();
        path.trim_start_matches('/').split('/').next().filter(|b| !b.is_empty()).map(String::from)
    }
}

/// The S3 action of a path-style request, from its method, key and query.
fn s3_action(method: &str, path: &str) -> String {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let has_key = path.trim_start_matches('/').split_once('/').is_some_and(|(_, k)| !k.is_empty());
    let sub = [
        "versioning",
        "publicAccessBlock",
        "encryption",
        "ownershipControls",
        "policy",
        "tagging",
        "versions",
        "delete",
        "uploads",
    ]
    .into_iter()
    .find(|s| query.split('&').any(|p| p == *s || p.starts_with(&format!("{s}="))));
    let name = |s: &str| {
        let mut c = s.chars();
        c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
    };
    match (method, has_key, sub) {
        ("GET", false, Some("versions")) => "ListObjectVersions".into(),
        ("POST", false, Some("delete")) => "DeleteObjects".into(),
        ("GET", false, Some(s)) => format!("GetBucket{}", name(s)),
        ("PUT", false, Some(s)) => format!("PutBucket{}", name(s)),
        ("DELETE", false, Some(s)) => format!("DeleteBucket{}", name(s)),
        ("HEAD", false, _) => "HeadBucket".into(),
        ("PUT", false, None) => "CreateBucket".into(),
        ("DELETE", false, None) => "DeleteBucket".into(),
        ("GET", false, None) => "ListObjects".into(),
        ("GET", true, _) => "GetObject".into(),
        ("HEAD", true, _) => "HeadObject".into(),
        ("PUT", true, _) => "PutObject".into(),
        ("DELETE", true, _) => "DeleteObject".into(),
        _ => method.to_string(),
    }
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let head_end = loop {
        if let Some(pos) = find(&raw, b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(None);
        }
        raw.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
            .map(|l| l.split_once(':').unwrap().1.trim().to_string())
    };
    if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        while raw.len() < head_end + length {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        while find(&raw[head_end..], b"0\r\n\r\n").is_none() {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
    }
    let mut first = head.lines().next().unwrap_or_default().split(' ');
    Ok(Some(Request {
        method: first.next().unwrap_or_default().to_string(),
        path: first.next().unwrap_or_default().to_string(),
        target: header("x-amz-target"),
        owner_header: header("x-amz-expected-bucket-owner"),
        namespace_header: header("x-amz-bucket-namespace"),
        signed_for: header("authorization")
            .and_then(|a| a.split("Credential=").nth(1).and_then(|c| c.split('/').nth(3)).map(String::from)),
        location: header("authorization")
            .and_then(|a| {
                let scope: Vec<&str> = a.split("Credential=").nth(1)?.split(',').next()?.split('/').collect();
                Some(format!("{}/{}", scope.first()?, scope.get(2)?))
            })
            .unwrap_or_default(),
        body: raw[head_end..].to_vec(),
        head_end,
        raw,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Takes a token of `action`'s bucket in `location`; false when the request is over quota.
fn take_token(state: &mut State, location: &str, action: &str) -> bool {
    let Some(rate) = aws_quota(action) else { return true };
    let now = Instant::now();
    let bucket =
        state.buckets.entry(format!("{location}|{action}")).or_insert(Bucket { tokens: rate, rate, last: now });
    bucket.tokens = (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * bucket.rate).min(bucket.rate);
    bucket.last = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        true
    } else {
        false
    }
}

/// The throttling answer each service gives.
fn throttle_fault(action: &str) -> Fault {
    match action.split('.').next().unwrap_or_default() {
        "Firehose" => Fault::Error { status: 400, code: "LimitExceededException", message: "Rate exceeded" },
        "Lambda" => Fault::Error { status: 429, code: "TooManyRequestsException", message: "Rate exceeded" },
        "S3" => Fault::Error { status: 503, code: "SlowDown", message: "Please reduce your request rate." },
        "ResourceGroupsTaggingAPI" => {
            Fault::Error { status: 400, code: "ThrottledException", message: "Rate exceeded" }
        }
        "CloudWatchLogs" => Fault::Error { status: 400, code: "ThrottlingException", message: "Rate exceeded" },
        _ => Fault::Error { status: 400, code: "Throttling", message: "Rate exceeded" },
    }
}

fn handle(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client)? else { return Ok(()) };
    let action = request.action();
    let bare = action.split_once('.').map(|(_, a)| a.to_string()).unwrap_or_default();
    let s3_action = action.strip_prefix("S3.").map(String::from);
    let arrived = Instant::now();
    let (fault, latency) = {
        let mut state = state.lock().unwrap();
        state.arrivals.push(arrived);
        state.timeline.push((Instant::now(), action.clone()));
        *state.seen.entry(action.clone()).or_default() += 1;
        let location = request.location_of(&action);
        *state.seen_at.entry((location, action.clone())).or_default() += 1;
        if let Some(a) = &s3_action {
            let owner = request.owner_header.clone();
            state.s3_requests.push((a.clone(), request.bucket().unwrap_or_default(), owner));
            if a == "CreateBucket" {
                let created = (request.bucket().unwrap_or_default(), request.namespace_header.clone());
                state.created_buckets.push(created);
            }
        }
        // A rewrite or partial batch is used up only by an answer it changes; other faults by any request.
        let rule = state
            .rules
            .iter_mut()
            .find(|r| (r.action == action || r.action == bare || legacy_s3(&r.action, &request)) && r.remaining > 0);
        let mut fault = rule.map(|r| {
            if !matches!(r.fault, Fault::Rewrite { .. }) {
                r.remaining -= 1;
            }
            r.fault.clone()
        });
        if fault.is_none() {
            if let Some(bucket) = request.bucket().filter(|_| s3_action.is_some()) {
                if let Some(owner) = state.foreign.get(&bucket) {
                    fault = Some(if s3_action.as_deref() == Some("CreateBucket") {
                        Fault::Error {
                            status: 409,
                            code: "BucketAlreadyExists",
                            message: "The requested bucket name is not available.",
                        }
                    } else if request.owner_header.as_deref() != Some(owner.as_str()) {
                        Fault::Error { status: 403, code: "AccessDenied", message: "Access Denied" }
                    } else {
                        Fault::Error {
                            status: 500,
                            code: "InternalError",
                            message: "the proxy does not serve foreign buckets",
                        }
                    });
                }
            }
        }
        if fault.is_none() && state.quota && !take_token(&mut state, &request.location_of(&action), &action) {
            *state.throttled.entry(action.clone()).or_default() += 1;
            fault = Some(throttle_fault(&action));
        }
        (fault, state.latency)
    };
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    match fault {
        Some(Fault::Error { status, code, message }) => {
            let response = error_response(&request, status, code, message);
            client.write_all(&response)?;
        }
        Some(Fault::Reset) => {}
        Some(Fault::ResetAfterForward) => {
            forward(&request.raw, upstream)?;
        }
        Some(Fault::Hold(gate)) => {
            state.lock().unwrap().holding.push(gate);
            // Until the test opens the gate (a watchdog of ten minutes never leaves a thread).
            let watchdog = Instant::now() + Duration::from_secs(600);
            while !state.lock().unwrap().opened.contains(&gate) && Instant::now() < watchdog {
                std::thread::sleep(Duration::from_millis(5));
            }
            state.lock().unwrap().holding.retain(|g| *g != gate);
            let answer = forward(&request.raw, upstream)?;
            client.write_all(&answer)?;
        }
        Some(Fault::Rewrite { key, from, to }) => {
            let response = forward(&request.raw, upstream)?;
            let rewritten = rewrite(&response, key, from, to);
            if find(&rewritten, format!("\"{key}\": \"{to}\"").as_bytes()).is_some()
                || find(&rewritten, format!("\"{key}\":\"{to}\"").as_bytes()).is_some()
            {
                let mut state = state.lock().unwrap();
                if let Some(rule) =
                    state.rules.iter_mut().find(|r| (r.action == action || r.action == bare) && r.remaining > 0)
                {
                    rule.remaining -= 1;
                }
            }
            client.write_all(&rewritten)?;
        }
        Some(Fault::ErrorAfterForward { status, code, message }) => {
            let response = forward(&request.raw, upstream)?;
            count_stored(&request, &response, state);
            client.write_all(&error_response(&request, status, code, message))?;
        }
        Some(Fault::Garbage(body)) => {
            let answer =
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}", body.len());
            client.write_all(answer.as_bytes())?;
        }
        Some(Fault::EmptyBatchAnswer) => {
            let response = forward(&request.raw, upstream)?;
            count_stored(&request, &response, state);
            let body = r#"{"FailedPutCount":0,"Encrypted":false,"RequestResponses":[]}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            client.write_all(answer.as_bytes())?;
        }
        Some(Fault::PartialBatch { failed }) => {
            let response = partial_batch(&request, upstream, failed)?;
            count_accepted(&response, state);
            client.write_all(&response)?;
        }
        None => {
            let response = forward(&request.raw, upstream)?;
            if bare == "PutRecordBatch" {
                count_accepted(&response, state);
            }
            client.write_all(&response)?
        }
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
    state.lock().unwrap().exchanges.push((arrived, Instant::now()));
    Ok(())
}

/// Old-style rules named `S3 METHOD /path` still match.
fn legacy_s3(rule: &str, request: &Request) -> bool {
    // The SDK writes a bucket's path with a trailing slash (`PUT /bucket/`).
    let path = request.path.split('?').next().unwrap_or_default();
    let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
    rule == format!("S3 {} {}", request.method, path)
}

/// Counts the records moto stored for a PutRecordBatch whose answer the client will not see.
fn count_stored(request: &Request, response: &[u8], state: &Mutex<State>) {
    if request.action().ends_with(".PutRecordBatch") {
        count_accepted(response, state);
    }
}

fn count_accepted(response: &[u8], state: &Mutex<State>) {
    let Some(head_end) = find(response, b"\r\n\r\n").map(|p| p + 4) else { return };
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&response[head_end..]) else { return };
    let accepted = doc["RequestResponses"]
        .as_array()
        .map(|r| r.iter().filter(|e| e.get("ErrorCode").is_none() && e.get("RecordId").is_some()).count())
        .unwrap_or(0);
    state.lock().unwrap().records_accepted += accepted;
}

/// Forwards a PutRecordBatch without its first `failed` records, and answers as if those had
/// failed with ServiceUnavailableException.
fn partial_batch(request: &Request, upstream: &str, failed: usize) -> std::io::Result<Vec<u8>> {
    let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
        return forward(&request.raw, upstream);
    };
    let records = doc["Records"].as_array().cloned().unwrap_or_default();
    let failed = failed.min(records.len());
    doc["Records"] = serde_json::Value::Array(records[failed..].to_vec());
    let body = serde_json::to_vec(&doc).unwrap();
    let head = String::from_utf8_lossy(&request.raw[..request.head_end]);
    let head: String = head
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("content-length:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    let mut raw = format!("{head}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    raw.extend_from_slice(&body);
    let response = if failed == records.len() {
        // Nothing left to send: an answer without going upstream.
        let empty = serde_json::json!({"FailedPutCount": 0, "Encrypted": false, "RequestResponses": []});
        let body = empty.to_string();
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    } else {
        forward(&raw, upstream)?
    };
    let Some(head_end) = find(&response, b"\r\n\r\n").map(|p| p + 4) else { return Ok(response) };
    let Ok(mut answer) = serde_json::from_slice::<serde_json::Value>(&response[head_end..]) else {
        return Ok(response);
    };
    let mut entries: Vec<serde_json::Value> = (0..failed)
        .map(|_| serde_json::json!({"ErrorCode": "ServiceUnavailableException", "ErrorMessage": "Slow down."}))
        .collect();
    entries.extend(answer["RequestResponses"].as_array().cloned().unwrap_or_default());
    let already = answer["FailedPutCount"].as_u64().unwrap_or(0);
    answer["RequestResponses"] = serde_json::Value::Array(entries);
    answer["FailedPutCount"] = serde_json::json!(already + failed as u64);
    let body = answer.to_string();
    Ok(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes())
}

/// Sends the request to moto and returns its whole answer (moto closes every connection).
fn forward(raw: &[u8], upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(raw)?;
    let mut response = Vec::new();
    server.read_to_end(&mut response)?;
    Ok(response)
}

fn rewrite(response: &[u8], key: &str, from: &str, to: &str) -> Vec<u8> {
    let Some(head_end) = find(response, b"\r\n\r\n").map(|p| p + 4) else { return response.to_vec() };
    let body = String::from_utf8_lossy(&response[head_end..])
        .replace(&format!("\"{key}\": \"{from}\""), &format!("\"{key}\": \"{to}\""))
        .replace(&format!("\"{key}\":\"{from}\""), &format!("\"{key}\":\"{to}\""));
    let head: String = String::from_utf8_lossy(&response[..head_end])
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("content-length:"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    format!("{head}Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

fn error_response(request: &Request, status: u16, code: &str, message: &str) -> Vec<u8> {
    let (content_type, body, extra) = match request.protocol() {
        Protocol::Json => (
            "application/x-amz-json-1.1",
            format!("{{\"__type\":\"{code}\",\"message\":\"{message}\"}}"),
            String::new(),
        ),
        Protocol::RestJson => (
            "application/json",
            format!("{{\"Type\":\"User\",\"message\":\"{message}\"}}"),
            format!("x-amzn-ErrorType: {code}\r\n"),
        ),
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
            String::new(),
        ),
        Protocol::RestXml => (
            "application/xml",
            format!("<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"),
            String::new(),
        ),
    };
    // HEAD answers carry no body.
    let body = if request.method == "HEAD" { String::new() } else { body };
    format!(
        "HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: fault\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
