//! Typed errors from AWS: the service's error code survives, so retry and convergence decide by
//! code (see [`crate::retry`]), never by matching the text of a formatted message.

use std::fmt;

/// How a call to AWS failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// AWS answered with an error (a code, a message, an HTTP status).
    Service,
    /// No credentials could be loaded.
    Credentials,
    /// The request could not be sent or its answer was lost (connection refused, reset, timeout).
    Network,
    /// Anything else the SDK reports (an answer it could not parse...).
    Other,
}

/// An error from one AWS call, with the service's error code when AWS sent one.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub kind: ErrorKind,
    /// The service's error code, e.g. `ThrottlingException`, `NoSuchEntity`.
    pub code: Option<String>,
    /// AWS's message, escaped for a terminal (it is text provision did not write).
    pub message: Option<String>,
    /// The HTTP status of the answer, when there was one.
    pub status: Option<u16>,
    /// For errors without a code: the SDK's own description.
    pub detail: String,
}

/// Codes AWS uses when a caller goes faster than its quota.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
];

/// Codes of server-side failures that heal on their own.
const SERVER_CODES: &[&str] = &[
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalError",
    "InternalServerError",
    "InternalServiceError",
    "ServiceFailure",
    "ServiceException",
];

impl AwsError {
    /// An error answer from AWS.
    pub fn service(code: Option<&str>, message: Option<&str>, status: Option<u16>) -> AwsError {
        AwsError {
            kind: ErrorKind::Service,
            code: code.map(String::from),
            message: message.map(crate::output::escape),
            status,
            detail: String::new(),
        }
    }

    /// Whether AWS sent this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Whether AWS's message contains `text`.
    pub fn message_contains(&self, text: &str) -> bool {
        self.message.as_deref().is_some_and(|m| m.contains(text))
    }

    /// The caller went faster than its quota (or S3 asked it to slow down).
    pub fn is_throttling(&self) -> bool {
        if self.status == Some(429) {
            return true;
        }
        match self.code.as_deref() {
            // Firehose also uses this code for "too many streams", which is not about speed.
            Some("LimitExceededException") => {
                self.message_contains("Rate exceeded") || self.message_contains("slow down")
            }
            Some(code) => THROTTLING_CODES.contains(&code),
            None => false,
        }
    }

    /// A failure on AWS's side or on the way there, which heals on its own.
    pub fn is_server_or_network(&self) -> bool {
        self.kind == ErrorKind::Network
            || self.code.as_deref().is_some_and(|c| SERVER_CODES.contains(&c))
            || self.status.is_some_and(|s| s >= 500)
    }

    /// The status says the caller may not see this resource (another account's bucket).
    pub fn is_access_denied(&self) -> bool {
        self.status == Some(403) || self.has_code("AccessDenied") || self.has_code("AccessDeniedException")
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, &self.code, &self.message) {
            (ErrorKind::Credentials, _, _) => write!(
                f,
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or log in with `aws sso login`"
            ),
            (_, Some(code), Some(message)) => write!(f, "{code}: {message}"),
            (_, Some(code), None) => match self.status {
                Some(status) => write!(f, "{code} (HTTP {status})"),
                None => write!(f, "{code}"),
            },
            (_, None, Some(message)) => write!(f, "{message}"),
            (_, None, None) => match self.status {
                Some(status) if self.detail.is_empty() => write!(f, "HTTP {status}"),
                _ => write!(f, "{}", self.detail),
            },
        }
    }
}

impl std::error::Error for AwsError {}

/// A resource of the wanted name exists in another AWS account (a bucket name squatted by
/// someone else): nothing is read from or written to it.
#[derive(Debug, Clone)]
pub struct InAnotherAccount {
    pub what: &'static str,
    pub name: String,
}

impl fmt::Display for InAnotherAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} exists in another account: provision reads and writes nothing there; choose another name",
            self.what,
            crate::output::escape(&self.name)
        )
    }
}

impl std::error::Error for InAnotherAccount {}

/// A resource of the wanted name appeared while provision was creating it, and it does not carry
/// this stack's ownership tag: someone else's, left alone.
#[derive(Debug, Clone)]
pub struct NotOwned {
    pub kind: crate::model::Kind,
    pub name: String,
}

impl fmt::Display for NotOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {:?} appeared while it was being created and is not owned by this stack: left alone",
            self.kind.noun(),
            crate::output::escape(&self.name)
        )
    }
}

impl std::error::Error for NotOwned {}

/// The AWS error somewhere in an error's chain, if any.
pub fn aws_error(error: &anyhow::Error) -> Option<&AwsError> {
    error.chain().find_map(|e| e.downcast_ref::<AwsError>())
}

/// Whether an error carries the AWS error code `code`.
pub fn has_code(error: &anyhow::Error, code: &str) -> bool {
    aws_error(error).is_some_and(|e| e.has_code(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classify_throttling_and_server_errors() {
        assert!(AwsError::service(Some("ThrottlingException"), Some("Rate exceeded"), Some(400)).is_throttling());
        assert!(AwsError::service(Some("SlowDown"), None, Some(503)).is_throttling());
        assert!(AwsError::service(None, None, Some(429)).is_throttling());
        assert!(AwsError::service(Some("LimitExceededException"), Some("Rate exceeded"), Some(400)).is_throttling());
        // Firehose's LimitExceededException also means "too many streams": not a rate problem.
        assert!(!AwsError::service(Some("LimitExceededException"), Some("too many streams"), Some(400)).is_throttling());
        assert!(AwsError::service(Some("InternalFailure"), None, Some(500)).is_server_or_network());
        assert!(!AwsError::service(Some("ValidationException"), Some("bad"), Some(400)).is_server_or_network());
    }

    #[test]
    fn messages_are_escaped_and_shown_with_their_code() {
        let e = AwsError::service(Some("AccessDenied"), Some("no\x1b[2J"), Some(403));
        assert_eq!(e.to_string(), "AccessDenied: no\\x1b[2J");
        assert!(e.is_access_denied());
    }

    #[test]
    fn finds_the_aws_error_in_a_chain() {
        let e = anyhow::Error::new(AwsError::service(Some("NoSuchEntity"), None, Some(404))).context("reading role");
        assert!(has_code(&e, "NoSuchEntity"));
        assert!(!has_code(&anyhow::anyhow!("NoSuchEntity"), "NoSuchEntity"), "text is never matched");
    }
}
