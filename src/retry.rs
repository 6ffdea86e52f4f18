//! The one retry policy, in two layers:
//! - every SDK call: the SDK's standard retry mode ([`sdk_retry_config`]) retries throttling, 5xx and
//!   dropped connections with jittered exponential backoff;
//! - mutating calls ([`aws`]): errors that heal only after seconds to minutes (IAM propagation,
//!   "update in progress" conflicts, stale version ids) are retried until [`DEADLINE`].
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

/// Attempts per SDK call (the first included) for throttling, 5xx and connection errors.
pub const SDK_MAX_ATTEMPTS: u32 = 5;

/// The SDK-level retry configuration every client uses.
pub fn sdk_retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard().with_max_attempts(SDK_MAX_ATTEMPTS)
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

/// Delay before attempt `n` (0-based): exponential from 1 s, capped at 10 s, with jitter.
pub fn backoff(attempt: u32) -> Duration {
    let base = 1000u64.saturating_mul(1 << attempt.min(4)).min(10_000);
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64 % (base / 4 + 1))
        .unwrap_or(0);
    Duration::from_millis(base - base / 8 + jitter)
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
                tokio::time::sleep(backoff(attempt)).await;
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
        assert!(backoff(0) < Duration::from_millis(1300));
        assert!(backoff(1) >= Duration::from_millis(1700));
        assert!(backoff(10) <= Duration::from_millis(12_500));
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
