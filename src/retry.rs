//! The one retry policy ([`Policy`]: attempts and jittered exponential backoff), in three uses:
//! - every SDK call: the SDK's standard retry mode configured from [`Policy::SDK`] retries
//!   throttling, 5xx and dropped connections;
//! - mutating calls ([`aws`]): errors that heal only after seconds to minutes (IAM propagation,
//!   "update in progress" conflicts, stale version ids) are retried until [`DEADLINE`], spaced by
//!   [`Policy::CONVERGENCE`];
//! - `send`: entries of a batch that failed are sent again as [`Policy::RECORDS`] says.
//!
//! Errors that will not heal (validation, access denied to the caller) fail at once.

use std::future::Future;
use std::time::Duration;

/// Messages of propagation errors: AWS gives these no code of their own (they come as
/// `InvalidParameterValueException`, `InvalidArgumentException`...), so here alone the message
/// decides. IAM changes take seconds to minutes to reach Lambda and Firehose.
const PROPAGATION_MESSAGES: &[&str] = &[
    "cannot be assumed by Lambda",
    "execution role does not have permissions",
    "is unable to assume role",
    // Firehose checking a fresh role; a caller's own "User: ... is not authorized" is permanent.
    "Firehose is not authorized to",
    "Access was denied",
];

/// Codes of errors that heal when the resource settles.
const SETTLING_CODES: &[&str] = &["ConcurrentModificationException", "OperationAbortedException"];

/// How often to try, and how long to wait between tries: exponential from `initial`, capped at
/// `max`, with "equal jitter" (half the delay fixed, half random) so that runs do not retry in
/// step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts, the first included.
    pub max_attempts: u32,
    pub initial: Duration,
    pub max: Duration,
}

impl Policy {
    /// Every SDK call: throttling, 5xx and connection errors (the SDK's standard mode).
    pub const SDK: Policy = Policy { max_attempts: 5, initial: Duration::from_secs(1), max: Duration::from_secs(20) };
    /// Errors that heal as AWS converges; [`DEADLINE`] bounds them, not a count.
    pub const CONVERGENCE: Policy =
        Policy { max_attempts: u32::MAX, initial: Duration::from_secs(1), max: Duration::from_secs(10) };
    /// Failed entries of a record batch.
    pub const RECORDS: Policy =
        Policy { max_attempts: 12, initial: Duration::from_millis(100), max: Duration::from_secs(5) };

    /// The delay before retry `attempt` (0 for the first retry).
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self.initial.saturating_mul(1u32 << attempt.min(16)).min(self.max);
        let half = base / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The SDK's retry configuration for this policy.
    pub fn sdk_config(&self) -> aws_config::retry::RetryConfig {
        aws_config::retry::RetryConfig::standard()
            .with_max_attempts(self.max_attempts)
            .with_initial_backoff(self.initial)
            .with_max_backoff(self.max)
    }
}

/// Whether an error is worth retrying: throttling, server and network failures, a resource still
/// settling (an update in progress, a stale version id), or IAM propagation. Decided from the
/// AWS error code carried in the chain; an error without one is never retried.
pub fn is_transient(error: &anyhow::Error) -> bool {
    let Some(e) = crate::error::aws_error(error) else { return false };
    if e.is_throttling() || e.is_server_or_network() {
        return true;
    }
    if e.code.as_deref().is_some_and(|c| SETTLING_CODES.contains(&c)) {
        return true;
    }
    // Lambda: "The operation cannot be performed at this time. An update is in progress".
    if e.has_code("ResourceConflictException") && e.message_contains("in progress") {
        return true;
    }
    matches!(
        e.code.as_deref(),
        Some(
            "InvalidParameterValueException"
                | "InvalidArgumentException"
                | "AccessDeniedException"
                | "InvalidRequestException"
        )
    ) && PROPAGATION_MESSAGES.iter().any(|m| e.message_contains(m))
}

/// How long transient errors are retried.
pub const DEADLINE: Duration = Duration::from_secs(180);

/// Runs `call` until it succeeds, fails with a permanent error, or the deadline passes.
pub async fn aws<T, F, Fut>(operation: &str, mut call: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let start = tokio::time::Instant::now();
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(value) => return Ok(value),
            Err(e) if is_transient(&e) && start.elapsed() < DEADLINE => {
                tokio::time::sleep(Policy::CONVERGENCE.delay(attempt)).await;
                attempt += 1;
            }
            Err(e) if attempt == 0 => return Err(e),
            Err(e) => return Err(e.context(format!("{operation} still failing after {attempt} retries"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AwsError;

    fn aws_error(code: &str, message: &str) -> anyhow::Error {
        anyhow::Error::new(AwsError::service(Some(code), Some(message), Some(400))).context("creating x")
    }

    #[test]
    fn propagation_errors_are_transient_validation_errors_are_not() {
        assert!(is_transient(&aws_error(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        )));
        assert!(is_transient(&aws_error("ThrottlingException", "Rate exceeded")));
        assert!(!is_transient(&aws_error("ValidationException", "bad prefix")));
        assert!(!is_transient(&aws_error(
            "AccessDenied",
            "User: arn:aws:iam::1:user/x is not authorized to perform: iam:CreateRole"
        )));
        assert!(is_transient(&aws_error(
            "InvalidArgumentException",
            "Firehose is not authorized to perform lambda:GetFunctionConfiguration"
        )));
        assert!(is_transient(&aws_error("ResourceConflictException", "An update is in progress for resource")));
        assert!(!is_transient(&aws_error("ResourceConflictException", "Function already exist: x")));
        assert!(is_transient(&aws_error("ConcurrentModificationException", "version id does not match")));
        assert!(!is_transient(&anyhow::anyhow!("ThrottlingException: text alone is never matched")));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = Policy::CONVERGENCE;
        assert!(p.delay(0) >= Duration::from_millis(500) && p.delay(0) <= Duration::from_secs(1));
        assert!(p.delay(1) >= Duration::from_secs(1) && p.delay(1) <= Duration::from_secs(2));
        assert!(p.delay(10) >= Duration::from_secs(5) && p.delay(10) <= Duration::from_secs(10));
        let r = Policy::RECORDS;
        assert!(r.delay(0) <= Duration::from_millis(100) && r.delay(30) <= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success() {
        let mut calls = 0;
        let result = aws("Op", || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(aws_error("Throttling", "Rate exceeded"))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn permanent_errors_fail_at_once() {
        let mut calls = 0;
        let result: anyhow::Result<()> = aws("Op", || {
            calls += 1;
            async { Err(aws_error("ValidationException", "no")) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 1);
    }
}
