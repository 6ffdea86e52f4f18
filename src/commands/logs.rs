use super::common::Invocation;
use crate::aws::data::LogEvent;
use crate::model::{Address, Stack};
use crate::{errln, outln};
use anyhow::bail;
use std::collections::HashSet;
use std::process::ExitCode;
use std::time::Duration;

/// A log group (and stream) to print, with the resource it belongs to.
struct Source {
    address: Address,
    group: String,
    stream: Option<String>,
    /// Where the log group lives.
    location: crate::model::Location,
}

/// The functions' log groups and the streams' delivery logs, for `address` or all of them.
fn sources(stack: &Stack, address: Option<&crate::model::address::Selector>) -> anyhow::Result<Vec<Source>> {
    let mut all = Vec::new();
    for r in &stack.resources {
        if let Some((group, stream)) = r.spec.logs() {
            all.push(Source { address: r.address.clone(), group, stream, location: r.location.clone() });
        }
    }
    let Some(wanted) = address else { return Ok(all) };
    let listed = all.iter().map(|s| s.address.to_string()).collect::<Vec<_>>().join(", ");
    // An address, or a module instance (`module.tenant[acme]`: its functions and streams).
    let chosen: Vec<Source> = all.into_iter().filter(|s| wanted.matches(&s.address)).collect();
    if chosen.is_empty() {
        bail!("{wanted} has no logs provision reads; these do: {listed}");
    }
    Ok(chosen)
}

fn print(source: &Source, e: &LogEvent) {
    let time = chrono::DateTime::from_timestamp_millis(e.time_ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    // One line per event: a newline inside a message cannot forge a line of its own.
    outln!("{} {time} {}", source.address, crate::output::escape_line(e.message.trim_end()));
}

/// `provision logs [ADDRESS] [--follow] [--since D]`.
pub(super) async fn run(
    ctx: &Invocation,
    address: Option<&crate::model::address::Selector>,
    follow: bool,
    since: Duration,
) -> anyhow::Result<ExitCode> {
    let session = ctx.load(false, false).await?;
    let sources = sources(&session.stack, address)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut start = vec![now_ms - since.as_millis() as i64; sources.len()];
    // Events already printed at the latest timestamp of each source (a poll starts there again).
    let mut seen: Vec<HashSet<String>> = vec![HashSet::new(); sources.len()];
    let _graceful = follow.then(|| crate::interrupt::graceful("Interrupt received: no longer following."));
    let mut stop = crate::interrupt::stop_signal();
    let (mut printed, mut said_none) = (0usize, false);
    loop {
        for (i, source) in sources.iter().enumerate() {
            let clients = session.aws()?.at(&source.location).await?;
            let events = clients.log_events(&source.group, source.stream.as_deref(), start[i]).await?;
            for e in events.iter().filter(|e| !seen[i].contains(&e.id)) {
                print(source, e);
                printed += 1;
            }
            if let Some(last) = events.last().map(|e| e.time_ms) {
                seen[i] = events.iter().filter(|e| e.time_ms == last).map(|e| e.id.clone()).collect();
                start[i] = last;
            }
        }
        if !follow || *stop.borrow() {
            break;
        }
        if printed == 0 && !said_none {
            // Said once, on stderr, while following.
            said_none = true;
            errln!("{}", nothing_yet(&sources, since));
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = stop.changed() => break,
        }
    }
    if printed == 0 && !said_none {
        errln!("{}", nothing_yet(&sources, since));
    }
    if printed == 0 && ctx.local_endpoint() {
        errln!(
            "note: this endpoint is not AWS: it runs no function and no delivery, so no event reaches these log groups whatever the records; `provision preview` runs the function and shows what it answers."
        );
    }
    ctx.report_calls(&session);
    Ok(ExitCode::SUCCESS)
}

/// What `logs` says when it found no event: where it looked, and since when.
fn nothing_yet(sources: &[Source], since: Duration) -> String {
    let places: Vec<String> = sources.iter().map(|s| s.address.to_string()).collect();
    format!(
        "No log events in the last {} for {} (--since reaches further back).",
        crate::output::duration(since),
        places.join(", ")
    )
}
