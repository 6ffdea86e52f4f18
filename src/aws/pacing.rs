//! Quota-aware pacing: every call to AWS waits for a slot of its action, spaced by the action's
//! documented default rate, so a run stays within AWS's API quotas instead of being throttled
//! (throttled calls eat the account's shared quota and lengthen every run). When AWS throttles
//! anyway, that action slows down (multiplicative decrease) and speeds up again with each
//! success (additive increase), as the SDK's adaptive retry mode does.
//!
//! How it is wired: [`OperationTag`], an SDK interceptor, names the operation of each request in
//! a header; the paced HTTP client reads and removes that header, waits for the action's slot,
//! sends the request and looks at the answer. Every attempt is paced, SDK retries included.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Header carrying `Service.Operation` from the interceptor to the HTTP client (never sent).
const OPERATION_HEADER: &str = "x-provision-operation";

/// AWS's default API rates, requests per second per account and region, by `Service.Action`
/// (or `Service` for the rest of a service's control plane), for the calls that belong to no
/// resource kind; each kind declares its own ([`crate::model::KindInfo::rates`], with sources).
/// Resource Groups Tagging API, STS: not published for these calls: 10/s and 50/s.
pub const SHARED_RATES: &[(&str, f64)] = &[("ResourceGroupsTaggingAPI", 10.0), ("STS", 50.0)];

/// Rates by `Service.Action` or `Service`: the defaults, with overrides for raised quotas.
#[derive(Debug, Clone)]
pub struct Rates {
    table: BTreeMap<String, f64>,
}

impl Default for Rates {
    fn default() -> Self {
        let kinds = crate::model::Kind::ALL.iter().flat_map(|k| k.info().rates);
        Rates { table: SHARED_RATES.iter().chain(kinds).map(|(k, v)| (k.to_string(), *v)).collect() }
    }
}

impl Rates {
    /// The defaults with `overrides` (`Service.Action=N` or `Service=N`, N requests per second;
    /// `0` turns pacing off for it).
    pub fn with_overrides(overrides: &[(String, f64)]) -> Rates {
        let mut rates = Rates::default();
        for (key, rate) in overrides.iter().filter(|(k, _)| !k.is_empty()) {
            rates.table.insert(key.clone(), if *rate <= 0.0 { f64::INFINITY } else { *rate });
        }
        rates
    }

    /// The rate of `Service.Action`: its own entry, else its service's, else unpaced.
    pub fn rate(&self, operation: &str) -> f64 {
        let service = operation.split('.').next().unwrap_or(operation);
        self.table.get(operation).or_else(|| self.table.get(service)).copied().unwrap_or(f64::INFINITY)
    }
}

/// Parses `--api-rate Service[.Action]=N`.
/// The slowest pace `--api-rate` takes: one call every 100 seconds.
pub const MIN_RATE: f64 = 0.01;
/// The fastest: beyond it, pacing is off in all but name.
pub const MAX_RATE: f64 = 100_000.0;

pub fn parse_override(text: &str) -> Result<(String, f64), String> {
    // An empty PROVISION_API_RATES means no overrides.
    if text.trim().is_empty() {
        return Ok((String::new(), 0.0));
    }
    let (key, value) = text.split_once('=').ok_or_else(|| format!("expected SERVICE[.ACTION]=N, got {text:?}"))?;
    let rate: f64 = value.trim().parse().map_err(|_| format!("{value:?} is not a number of requests per second"))?;
    // 0 turns pacing off; otherwise a rate slow enough to wait minutes per call is a typo.
    if key.trim().is_empty() || !rate.is_finite() || rate < 0.0 || (rate > 0.0 && rate < MIN_RATE) || rate > MAX_RATE {
        return Err(format!(
            "expected SERVICE[.ACTION]=N with N = 0 (unpaced) or {MIN_RATE} to {MAX_RATE} requests per second, got {text:?}"
        ));
    }
    Ok((key.trim().to_string(), rate))
}

/// Per-action pacing state and counts.
#[derive(Debug, Default, Clone)]
struct Action {
    /// Current rate (lowered after throttling, raised back with successes).
    rate: f64,
    next_slot: Option<Instant>,
    calls: u64,
    throttled: u64,
}

/// Counts of one action, for `-v` and the benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionCount {
    pub operation: String,
    pub calls: u64,
    pub throttled: u64,
}

/// Services whose quotas are per account, not per Region (IAM is global): the pacers of one
/// account's Regions pace their calls together.
const ACCOUNT_WIDE: &[&str] = &["IAM."];

/// Paces calls per action and counts them, for one account and Region.
#[derive(Debug)]
pub struct Pacer {
    rates: Rates,
    actions: Mutex<BTreeMap<String, Action>>,
    /// The pacer of the account's first Region, which paces its account-wide services.
    account_wide: Option<Arc<Pacer>>,
}

impl Pacer {
    pub fn new(rates: Rates) -> Pacer {
        Pacer { rates, actions: Mutex::new(BTreeMap::new()), account_wide: None }
    }

    /// A pacer for another Region of `same_account`'s account: its IAM calls are paced (and
    /// counted) with that account's.
    pub fn in_another_region(same_account: &Arc<Pacer>) -> Pacer {
        let shared = same_account.account_wide.clone().unwrap_or_else(|| same_account.clone());
        Pacer { rates: same_account.rates.clone(), actions: Mutex::new(BTreeMap::new()), account_wide: Some(shared) }
    }

    /// The pacer `operation` is paced by: the account's for account-wide services.
    fn for_operation(&self, operation: &str) -> &Pacer {
        match &self.account_wide {
            Some(shared) if ACCOUNT_WIDE.iter().any(|p| operation.starts_with(p)) => shared,
            _ => self,
        }
    }

    /// The rates it paces at.
    pub fn rates(&self) -> &Rates {
        &self.rates
    }

    fn actions(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Action>> {
        self.actions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the next slot of `operation`.
    pub async fn acquire(&self, operation: &str) {
        let pacer = self.for_operation(operation);
        if !std::ptr::eq(pacer, self) {
            return Box::pin(pacer.acquire(operation)).await;
        }
        let slot = {
            let mut actions = self.actions();
            let base = self.rates.rate(operation);
            let action =
                actions.entry(operation.to_string()).or_insert_with(|| Action { rate: base, ..Default::default() });
            action.calls += 1;
            if !action.rate.is_finite() {
                return;
            }
            let now = Instant::now();
            let slot = action.next_slot.map_or(now, |s| s.max(now));
            action.next_slot = Some(slot + Duration::from_secs_f64(1.0 / action.rate));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Feeds back an answer: throttling halves the action's rate, success raises it back.
    pub fn record(&self, operation: &str, throttled: bool) {
        let pacer = self.for_operation(operation);
        if !std::ptr::eq(pacer, self) {
            return pacer.record(operation, throttled);
        }
        let base = self.rates.rate(operation);
        let mut actions = self.actions();
        let Some(action) = actions.get_mut(operation) else { return };
        if throttled {
            action.throttled += 1;
            if base.is_finite() {
                action.rate = (action.rate / 2.0).max(base / 16.0).max(0.2);
                // Let the bucket refill before the next attempt.
                let pause = Duration::from_secs_f64(1.0 / action.rate);
                action.next_slot = Some(action.next_slot.unwrap_or_else(Instant::now).max(Instant::now() + pause));
            }
        } else if base.is_finite() && action.rate < base {
            action.rate = (action.rate + base / 10.0).min(base);
        }
    }

    /// Calls and throttled answers per action so far.
    pub fn counts(&self) -> Vec<ActionCount> {
        self.actions()
            .iter()
            .map(|(k, a)| ActionCount { operation: k.clone(), calls: a.calls, throttled: a.throttled })
            .collect()
    }
}

/// Interceptor naming each request's operation for the paced HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct OperationTag;

impl Intercept for OperationTag {
    fn name(&self) -> &'static str {
        "provision::OperationTag"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            // Service names as in the rate table: "CloudWatch Logs" -> "CloudWatchLogs".
            let value = format!("{}.{}", metadata.service().replace(' ', ""), metadata.name());
            context.request_mut().headers_mut().insert(OPERATION_HEADER, value);
        }
        Ok(())
    }
}

/// The SDK's default HTTPS client (hyper 1, rustls), paced by `pacer`.
pub fn paced_http_client(pacer: Arc<Pacer>) -> SharedHttpClient {
    let inner = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
        ))
        .build_https();
    SharedHttpClient::new(PacedClient { inner, pacer })
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
}

impl HttpClient for PacedClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, mut request: HttpRequest) -> HttpConnectorFuture {
        let operation = request.headers_mut().remove(OPERATION_HEADER);
        let inner = self.inner.clone();
        let pacer = self.pacer.clone();
        HttpConnectorFuture::new(async move {
            let Some(operation) = operation else { return inner.call(request).await };
            pacer.acquire(&operation).await;
            let mut response = inner.call(request).await?;
            let status = response.status().as_u16();
            let throttled = if status == 429 || status == 503 {
                true
            } else if status >= 400 {
                // Error answers are small: read the code from the body, then hand it back intact.
                let body = response.take_body();
                let bytes = aws_smithy_types::byte_stream::ByteStream::new(body)
                    .collect()
                    .await
                    .map(|b| b.into_bytes())
                    .unwrap_or_default();
                let throttled = is_throttling_body(&bytes);
                *response.body_mut() = SdkBody::from(bytes);
                throttled
            } else {
                false
            };
            pacer.record(&operation, throttled);
            Ok(response)
        })
    }
}

/// Whether an error answer's body names a throttling code.
fn is_throttling_body(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    crate::error::THROTTLING_CODES.iter().filter(|c| **c != "LimitExceededException").any(|c| text.contains(c))
        || (text.contains("LimitExceededException") && text.contains("Rate exceeded"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_action_then_the_service() {
        let rates = Rates::with_overrides(&[("Firehose.DescribeDeliveryStream".into(), 20.0), ("IAM".into(), 0.0)]);
        assert_eq!(rates.rate("Firehose.DescribeDeliveryStream"), 20.0);
        assert_eq!(rates.rate("Firehose.CreateDeliveryStream"), 5.0);
        assert_eq!(rates.rate("Lambda.GetFunction"), 100.0);
        assert_eq!(rates.rate("Lambda.ListVersionsByFunction"), 15.0);
        assert!(rates.rate("IAM.GetRole").is_infinite(), "0 turns pacing off");
        assert!(rates.rate("Unknown.Call").is_infinite());
        assert!(parse_override("Firehose=x").is_err());
        assert_eq!(parse_override("").unwrap().0, "", "an empty variable is no override");
        assert_eq!(parse_override("Lambda=30").unwrap(), ("Lambda".into(), 30.0));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_of_one_action_are_spaced_by_its_rate() {
        let pacer = Pacer::new(Rates::default());
        let start = Instant::now();
        for _ in 0..11 {
            pacer.acquire("Firehose.DescribeDeliveryStream").await;
        }
        // 5 per second: the 11th call starts 2 s after the first.
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        // Another action has its own slots.
        let before = Instant::now();
        pacer.acquire("Firehose.ListTagsForDeliveryStream").await;
        assert_eq!(before.elapsed(), Duration::ZERO);
    }

    /// IAM is global: two Regions of one account share its pace; Firehose's quotas are per
    /// Region, so each Region has its own.
    #[tokio::test(start_paused = true)]
    async fn iam_is_paced_per_account_and_the_rest_per_region() {
        let home = Arc::new(Pacer::new(Rates::default()));
        let eu = Pacer::in_another_region(&home);
        let third = Pacer::in_another_region(&Arc::new(eu));
        let start = Instant::now();
        for _ in 0..10 {
            home.acquire("IAM.GetRole").await;
            third.acquire("IAM.GetRole").await;
        }
        // 20 calls at IAM's 15 per second, whichever Region makes them: 19/15 s for the 20th
        // (one Region's pace alone would have started it at 9/15 s).
        let elapsed = start.elapsed().as_secs_f64();
        assert!((elapsed - 19.0 / 15.0).abs() < 0.01, "{elapsed}");
        assert_eq!(home.counts().iter().find(|c| c.operation == "IAM.GetRole").map(|c| c.calls), Some(20));
        assert!(third.counts().is_empty(), "counted once, where it was paced");
        let before = Instant::now();
        for _ in 0..5 {
            home.acquire("Firehose.DescribeDeliveryStream").await;
            third.acquire("Firehose.DescribeDeliveryStream").await;
        }
        // 5 a second in each Region: the fifth of each at 0.8 s.
        assert_eq!(before.elapsed(), Duration::from_millis(800));
    }

    #[tokio::test(start_paused = true)]
    async fn throttling_slows_the_action_down_and_successes_speed_it_up() {
        let pacer = Pacer::new(Rates::default());
        pacer.acquire("Lambda.GetFunction").await;
        pacer.record("Lambda.GetFunction", true);
        let slowed = pacer.actions().get("Lambda.GetFunction").unwrap().rate;
        assert_eq!(slowed, 50.0);
        for _ in 0..20 {
            pacer.record("Lambda.GetFunction", false);
        }
        assert_eq!(pacer.actions().get("Lambda.GetFunction").unwrap().rate, 100.0);
        assert_eq!(pacer.counts()[0].throttled, 1);
    }

    #[test]
    fn throttling_bodies_are_recognised() {
        assert!(is_throttling_body(br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#));
        assert!(is_throttling_body(b"<Error><Code>Throttling</Code></Error>"));
        assert!(!is_throttling_body(br#"{"__type":"ResourceNotFoundException"}"#));
        assert!(!is_throttling_body(br#"{"__type":"LimitExceededException","message":"too many streams"}"#));
    }
}
