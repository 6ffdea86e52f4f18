//! The one way text leaves provision: stdout and stderr writes that stop quietly when the reader
//! has gone (`provision plan --json | head`), with sensitive values redacted, and escaping for text
//! that provision did not write (AWS messages, lock holders, names read from AWS).

use std::borrow::Cow;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

/// Text shown in place of a sensitive value.
pub const SENSITIVE: &str = "(sensitive)";

/// Sensitive values shorter than this are not searched for in free text (they would match
/// ordinary words); attributes holding them are still shown as `(sensitive)` in plans.
pub const MIN_REDACTED_LEN: usize = 3;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Registers the values of sensitive variables: from now on they never reach the terminal.
pub fn set_secrets(values: impl IntoIterator<Item = String>) {
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    secrets.extend(values.into_iter().filter(|v| v.chars().count() >= MIN_REDACTED_LEN));
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
}

/// `text` with every registered sensitive value replaced by `(sensitive)`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets.iter() {
        out = out.replace(s.as_str(), SENSITIVE);
    }
    Cow::Owned(out)
}

/// Escapes terminal control characters (C0 except newline and tab, DEL, C1) and bidirectional
/// overrides, so that text from elsewhere cannot move the cursor, clear the screen or reorder
/// what is shown.
///
/// ```
/// assert_eq!(provision::output::escape("a\x1b]0;owned\x07b"), "a\\x1b]0;owned\\x07b");
/// assert_eq!(provision::output::escape("line\nnext"), "line\nnext");
/// ```
pub fn escape(text: &str) -> String {
    escape_keeping(text, true)
}

/// [`escape`] for text that must stay on one line (addresses, names, keys and tag values read
/// from AWS, log lines): newlines and carriage returns are escaped too, so that no text from
/// elsewhere can forge a line of provision's output.
///
/// ```
/// assert_eq!(provision::output::escape_line("fn\nbucket.data: Destroyed"), "fn\\x0abucket.data: Destroyed");
/// ```
pub fn escape_line(text: &str) -> String {
    escape_keeping(text, false)
}

/// JSON for people and tools alike: serde_json's text with every character that could move a
/// terminal's cursor or reorder what it shows written as `\uXXXX` (serde_json escapes only the
/// C0 controls): DEL, the C1 controls, the bidirectional marks, embeddings, overrides and
/// isolates, and the line and paragraph separators. These can occur only inside strings, so
/// the text stays the same JSON.
///
/// ```
/// let text = provision::output::json(&serde_json::json!({"name": "a\u{202e}b\u{85}"}), false).unwrap();
/// assert_eq!(text, r#"{"name":"a\u202eb\u0085"}"#);
/// assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap()["name"], "a\u{202e}b\u{85}");
/// ```
pub fn json(value: &impl serde::Serialize, pretty: bool) -> serde_json::Result<String> {
    let text = if pretty { serde_json::to_string_pretty(value)? } else { serde_json::to_string(value)? };
    if !text.chars().any(needs_json_escape) {
        return Ok(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_json_escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Whether `c` can hide or reorder text where it is shown: a control character or a
/// bidirectional mark, embedding, override or isolate.
///
/// ```
/// assert!(provision::output::hides_text('\u{202e}') && provision::output::hides_text('\x1b') && provision::output::hides_text('\u{85}'));
/// assert!(!provision::output::hides_text('é') && !provision::output::hides_text(' '));
/// ```
pub fn hides_text(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn needs_json_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{061c}')
}

/// An address (or any word) as a shell passes it as is: single-quoted when it holds anything
/// but letters, digits and `._-/:=` (zsh globs `module.tenant[acme]` unquoted).
///
/// ```
/// assert_eq!(provision::output::shell_word("firehose.events"), "firehose.events");
/// assert_eq!(provision::output::shell_word("module.tenant[acme].firehose.events"), "'module.tenant[acme].firehose.events'");
/// assert_eq!(provision::output::shell_word("it's"), "'it'\\''s'");
/// ```
pub fn shell_word(text: &str) -> String {
    let plain = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:=@".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", escape_line(text).replace('\'', "'\\''"))
    }
}

fn escape_keeping(text: &str, newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' if newlines => out.push(c),
            '\t' => out.push(c),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            '\u{80}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn write(to_stdout: bool, text: &str) {
    let gone = if to_stdout { &STDOUT_GONE } else { &STDERR_GONE };
    if gone.load(Ordering::Relaxed) {
        return;
    }
    let text = redact(text);
    let result = if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|_| out.flush())
    } else {
        std::io::stderr().lock().write_all(text.as_bytes())
    };
    // The reader went away (a closed pipe): stop writing, but let the run finish its work
    // (an apply must still release its lock).
    if result.is_err() {
        gone.store(true, Ordering::Relaxed);
    }
}

/// Writes to stdout.
pub fn out(text: &str) {
    write(true, text);
}

/// Writes to stderr.
pub fn err(text: &str) {
    write(false, text);
}

/// `println!` through [`out`].
#[macro_export]
macro_rules! outln {
    () => { $crate::output::out("\n") };
    ($($arg:tt)*) => { $crate::output::out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`err`].
#[macro_export]
macro_rules! errln {
    () => { $crate::output::err("\n") };
    ($($arg:tt)*) => { $crate::output::err(&format!("{}\n", format_args!($($arg)*))) };
}

/// A duration for people: `850ms`, `5s`, `2m30s`, `1h5m`.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(provision::output::duration(Duration::from_millis(850)), "850ms");
/// assert_eq!(provision::output::duration(Duration::from_secs(150)), "2m30s");
/// assert_eq!(provision::output::duration(Duration::from_secs(3900)), "1h5m");
/// ```
pub fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{}ms", d.as_millis()),
        1..=59 => format!("{secs}s"),
        60..=3599 if secs % 60 == 0 => format!("{}m", secs / 60),
        60..=3599 => format!("{}m{}s", secs / 60, secs % 60),
        _ if secs % 3600 / 60 == 0 => format!("{}h", secs / 3600),
        _ => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_bidi_characters() {
        assert_eq!(escape("\x1b[2J\r\u{9b}x\u{202e}y"), "\\x1b[2J\\x0d\\u{9b}x\\u{202e}y");
        assert_eq!(escape("plain text, ünïcode"), "plain text, ünïcode");
    }

    #[test]
    fn registered_secrets_are_redacted_short_ones_are_not_searched() {
        set_secrets(["s3cr3t-token".to_string(), "ab".to_string()]);
        assert_eq!(redact("token=s3cr3t-token;"), "token=(sensitive);");
        assert_eq!(redact("ab stays"), "ab stays");
    }
}
