//! A fault-injecting HTTP proxy in front of moto, for what moto cannot do: throttling, 5xx, IAM
//! propagation errors, asynchronous states, delays and dropped connections. Each request is
//! identified by its AWS action; rules say what to do to the next N requests of an action.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What to do to a request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with an AWS error in the request's wire protocol, without forwarding.
    Error { status: u16, code: &'static str, message: &'static str },
    /// Wait, then forward.
    Delay(Duration),
    /// Close the connection without forwarding or answering.
    Reset,
    /// Forward (so the action takes effect), then close the connection without answering.
    ResetAfterForward,
    /// Forward, then replace `"key": "from"` by `"key": "to"` in the JSON answer.
    Rewrite { key: &'static str, from: &'static str, to: &'static str },
}

struct Rule {
    action: String,
    fault: Fault,
    remaining: usize,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    seen: HashMap<String, usize>,
}

/// The proxy; it runs until the test process ends.
pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub fn start(upstream: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
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
    pub fn inject(&self, action: &str, fault: Fault, times: usize) {
        self.state.lock().unwrap().rules.push(Rule { action: action.into(), fault, remaining: times });
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// How many requests of `action` reached the proxy.
    pub fn seen(&self, action: &str) -> usize {
        self.state.lock().unwrap().seen.get(action).copied().unwrap_or(0)
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
    method: String,
    path: String,
    target: Option<String>,
    body: Vec<u8>,
}

impl Request {
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

    /// The AWS action name: from X-Amz-Target, the query `Action`, or Lambda's REST routes.
    fn action(&self) -> String {
        if let Some(target) = &self.target {
            return target.rsplit('.').next().unwrap_or(target).to_string();
        }
        if let Some(rest) = std::str::from_utf8(&self.body).ok().and_then(|b| b.strip_prefix("Action=")) {
            return rest.split('&').next().unwrap_or_default().to_string();
        }
        let path = self.path.split('?').next().unwrap_or_default();
        if let Some(rest) = path.strip_prefix("/2015-03-31/functions") {
            let parts: Vec<&str> = rest.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
            return match (self.method.as_str(), parts.as_slice()) {
                ("POST", []) => "CreateFunction",
                ("GET", [_]) => "GetFunction",
                ("DELETE", [_]) => "DeleteFunction",
                ("GET", [_, "configuration"]) => "GetFunctionConfiguration",
                ("PUT", [_, "configuration"]) => "UpdateFunctionConfiguration",
                ("PUT", [_, "code"]) => "UpdateFunctionCode",
                ("POST", [_, "versions"]) => "PublishVersion",
                ("GET", [_, "versions"]) => "ListVersionsByFunction",
                _ => "Lambda",
            }
            .to_string();
        }
        format!("S3 {} {}", self.method, path)
    }
}

fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
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
        body: raw[head_end..].to_vec(),
        raw,
    }))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn handle(mut client: TcpStream, upstream: &str, state: &Mutex<State>) -> std::io::Result<()> {
    let Some(request) = read_request(&mut client)? else { return Ok(()) };
    let action = request.action();
    // A rewrite is used up only by an answer it changes; other faults by any request.
    let fault = {
        let mut state = state.lock().unwrap();
        *state.seen.entry(action.clone()).or_default() += 1;
        let rule = state.rules.iter_mut().find(|r| r.action == action && r.remaining > 0);
        rule.map(|r| {
            if !matches!(r.fault, Fault::Rewrite { .. }) {
                r.remaining -= 1;
            }
            r.fault.clone()
        })
    };
    match fault {
        Some(Fault::Error { status, code, message }) => {
            let response = error_response(&request, status, code, message);
            client.write_all(&response)?;
        }
        Some(Fault::Reset) => {}
        Some(Fault::ResetAfterForward) => {
            forward(&request, upstream)?;
        }
        Some(Fault::Delay(d)) => {
            std::thread::sleep(d);
            client.write_all(&forward(&request, upstream)?)?;
        }
        Some(Fault::Rewrite { key, from, to }) => {
            let response = forward(&request, upstream)?;
            let rewritten = rewrite(&response, key, from, to);
            if find(&rewritten, format!("\"{key}\": \"{to}\"").as_bytes()).is_some()
                || find(&rewritten, format!("\"{key}\":\"{to}\"").as_bytes()).is_some()
            {
                let mut state = state.lock().unwrap();
                if let Some(rule) = state.rules.iter_mut().find(|r| r.action == action && r.remaining > 0) {
                    rule.remaining -= 1;
                }
            }
            client.write_all(&rewritten)?;
        }
        None => client.write_all(&forward(&request, upstream)?)?,
    }
    let _ = client.shutdown(std::net::Shutdown::Both);
    Ok(())
}

/// Sends the request to moto and returns its whole answer (moto closes every connection).
fn forward(request: &Request, upstream: &str) -> std::io::Result<Vec<u8>> {
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(&request.raw)?;
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
    format!(
        "HTTP/1.1 {status} Fault\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: fault\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
