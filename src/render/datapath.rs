//! Text for `preview`, `send` and `verify`.

use super::Style;
use crate::datapath::preview::{RecordResult, Report, REASONS_KEPT};
use crate::datapath::send::Totals;
use crate::datapath::verify::{Conclusion, VerifyReport};
use crate::errln;
use crate::output::{escape, escape_line};
use std::fmt::Write;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// One record of the preview, for `-v`: where it is in the input, what happened, where it lands.
pub fn record_line(rec: &RecordResult) -> String {
    let at = rec.line.map(|l| format!("line {l}")).unwrap_or_else(|| format!("#{}", rec.index));
    format!(
        "  {at:<10} {:<18} {}{}",
        rec.result,
        escape_line(rec.prefix.as_deref().unwrap_or("(not delivered)")),
        rec.error.as_deref().map(|e| format!("  ({})", escape_line(e))).unwrap_or_default()
    )
}

/// The preview as text: partitions, error prefixes with their reasons, a summary.
pub fn preview(r: &Report, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} of {} ({}): {} arriving at {}",
        style.bold("Preview"),
        r.stream,
        r.stream_name,
        plural(r.summary.input_records, "record"),
        r.arrival
    );
    if !r.processors.is_empty() {
        let _ = writeln!(out, "Processors: {}", r.processors.join(" -> "));
    }
    if let Some(engine) = &r.jq_engine {
        let _ = writeln!(out, "The jq query ran with {engine}.");
    }
    if let Some(conversion) = &r.conversion {
        let _ = writeln!(out, "Records are converted {conversion}: each is checked against them.");
    }
    if r.trace.invocations > 0 {
        let _ = writeln!(
            out,
            "The function ran locally: {} (batched as Firehose does).",
            plural(r.trace.invocations, "invocation")
        );
    }
    for note in &r.trace.not_simulated {
        let _ = writeln!(out, "{} {note}", style.yellow("note:"));
    }
    let _ = writeln!(out, "\n{} ({}):", style.bold("Partitions"), r.partitions.len());
    let width = r.partitions.keys().map(|k| escape_line(k).chars().count()).max().unwrap_or(0);
    for (prefix, n) in &r.partitions {
        // Prefixes and reasons carry values from the records and the handler's answers (its
        // partition keys, its exception's message): anyone's text, kept on its own line so
        // that it cannot forge one of preview's.
        let prefix = escape_line(prefix);
        let _ = writeln!(out, "  {} {}", style.green(&format!("{prefix:<width$}")), plural(*n, "record"));
    }
    if !r.errors.is_empty() {
        let _ = writeln!(out, "\n{}:", style.bold("Error prefixes"));
        for (prefix, group) in &r.errors {
            let _ = writeln!(out, "  {} {}", style.red(&escape_line(prefix)), plural(group.count, "record"));
            for (reason, n) in group.reasons.iter().take(5) {
                let _ = writeln!(out, "      {n} x {}", escape_line(reason));
            }
            let others = group.reasons.values().skip(5).sum::<usize>() + group.other_reasons;
            if others > 0 {
                let _ = writeln!(out, "      {others} x other reasons (`--json` lists the first {REASONS_KEPT})");
            }
        }
    }
    if let Some(logs) = &r.trace.function_logs {
        let _ = writeln!(out, "\nThe function's output when it failed:");
        for line in logs.lines().take(30) {
            let _ = writeln!(out, "  | {}", escape(line));
        }
    }
    let a = &r.active_partitions;
    let _ = writeln!(
        out,
        "\n{} {} in: {} delivered to {}, {} dropped, {} failed.",
        style.bold("Summary:"),
        plural(r.summary.records, "record"),
        r.summary.delivered,
        plural(r.summary.partitions, "partition"),
        r.summary.dropped,
        r.summary.failed
    );
    let counted = match a.rate {
        Some(rate) => format!("{rate} records/s: {} per buffer interval", plural(a.records_per_interval, "record")),
        None => "all records in one buffer interval; --rate R spreads them".to_string(),
    };
    let at_once = match a.more_than_max {
        true => format!("more than {}", a.max),
        false => format!("at most {}", a.max),
    };
    let _ = writeln!(out, "Active partitions: {at_once} at once ({counted}), quota {}.", a.quota);
    if a.exceeded {
        let _ = writeln!(
            out,
            "{} more than {} partitions would be buffered at once: Firehose sends the excess to the error prefix as activePartitionExceeded (rule D5). Coarser partition keys, or a quota increase, avoid it.",
            style.red("warning:"),
            a.quota
        );
    }
    out
}

/// Progress of `send`: a bar with records/s on a terminal, plain lines otherwise.
pub struct SendProgress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    start: Instant,
    last: std::sync::Mutex<Instant>,
}

impl SendProgress {
    pub fn new(count: Option<u64>, quiet: bool, style: Style) -> SendProgress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = match count {
                Some(n) => indicatif::ProgressBar::new(n),
                None => indicatif::ProgressBar::new_spinner(),
            };
            let template = if count.is_some() {
                "{bar:40} {pos}/{len} records  {per_sec}  {msg}"
            } else {
                "{spinner} {pos} records  {per_sec}  {msg}"
            };
            if let Ok(s) = indicatif::ProgressStyle::with_template(template) {
                bar.set_style(s);
            }
            if !style.color {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar
        });
        SendProgress { bar, quiet, start: Instant::now(), last: std::sync::Mutex::new(Instant::now()) }
    }

    pub fn update(&self, t: &Totals) {
        let done = t.sent + t.failed + t.unknown;
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            if t.retried + t.failed > 0 {
                bar.set_message(format!("retried {}, failed {}", t.retried, t.failed));
            }
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if !self.quiet && last.elapsed() >= Duration::from_secs(2) {
            *last = Instant::now();
            let rate = done as f64 / self.start.elapsed().as_secs_f64().max(0.001);
            errln!("sent {} records ({} retried, {} failed), {rate:.0} records/s", t.sent, t.retried, t.failed);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The line `send` ends with.
pub fn send_summary(address: &str, name: &str, t: &Totals, elapsed: Duration) -> String {
    let rate = t.sent as f64 / elapsed.as_secs_f64().max(0.000_001);
    let mut line = format!(
        "Sent {} to {address} ({name}) in {:.2} s ({rate:.0} records/s): {} accepted, {} retried, {} failed",
        plural((t.sent + t.failed + t.unknown) as usize, "record"),
        elapsed.as_secs_f64(),
        t.sent,
        t.retried,
        t.failed
    );
    if t.unknown > 0 {
        let _ = write!(line, ", {} of unknown outcome (not resent)", t.unknown);
    }
    if t.possible_duplicates > 0 {
        let _ = write!(line, ", {} resent after an unknown outcome (possible duplicates)", t.possible_duplicates);
    }
    let _ = write!(line, "; {} PutRecordBatch call(s), {} throttled.", t.calls, t.throttled);
    if let Some(why) = &t.stopped {
        let _ = write!(line, "\nStopped before the end of the records: {}.", escape_line(why));
    }
    line
}

fn size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

/// The verify report as text.
pub fn verify(r: &VerifyReport, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} ({}) -> s3://{}", style.bold("Verify"), r.stream, r.stream_name, r.bucket);
    if let Some(note) = &r.conversion {
        let _ = writeln!(out, "{} {note}", style.yellow("note:"));
    }
    let _ = writeln!(out, "\n{} ({}):", style.bold("Partitions"), r.found.partitions.len());
    let width = r.found.partitions.keys().map(|k| escape_line(k).chars().count()).max().unwrap_or(0);
    let uncounted = r.found.unpartitioned && r.found.counted_as_lines > 0;
    for (prefix, p) in &r.found.partitions {
        // Keys read from S3: anyone's text.
        let prefix = escape_line(prefix);
        let records = if uncounted { "records not counted".to_string() } else { format!("{:>8} record(s)", p.records) };
        let _ = writeln!(
            out,
            "  {}  {:>4} object(s) {:>10} {records}",
            style.green(&format!("{prefix:<width$}")),
            p.objects,
            size(p.bytes),
        );
    }
    for note in &r.found.unreadable {
        let _ = writeln!(out, "  {}", style.yellow(note));
    }
    if !r.found.errors.is_empty() {
        let _ = writeln!(out, "\n{}:", style.bold("Errors"));
        for (kind, e) in &r.found.errors {
            let _ = writeln!(out, "  {}: {} object(s), {}", style.red(kind), e.objects, plural(e.records, "record"));
            for s in &e.samples {
                let data: String = s.data.chars().take(120).collect();
                let _ = writeln!(out, "      {}: {}  data: {data}", s.error_code, s.error_message);
            }
        }
    }
    if let Some((stream, events)) = &r.delivery_log {
        if events.is_empty() {
            let _ = writeln!(out, "\nDelivery log ({stream}): no events.");
        } else {
            let _ = writeln!(out, "\nDelivery log ({stream}), latest events:");
            for e in events {
                let _ = writeln!(out, "  {e}");
            }
        }
    }
    if r.found.not_compressed > 0 {
        let _ = writeln!(
            out,
            "\n{} not compressed though the stream's compression is {}: the endpoint is not AWS (it writes the records as they were sent); read as they are.",
            plural(r.found.not_compressed, "object"),
            crate::output::escape(&r.compression)
        );
    }
    if let Some(c) = &r.comparison {
        match c.by_size {
            Some((sent, found)) => {
                let _ = writeln!(
                    out,
                    "\nAgainst the records sent: {} records, {} sent, {} found. The emulator writes records back to back with no delimiter and not all of them are JSON documents: they cannot be counted one by one, so their sizes are compared.",
                    c.expected_records,
                    size(sent),
                    size(found)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "\nAgainst the preview of those records: {} expected, {} found.",
                    c.expected_records, c.found_records
                );
            }
        }
        for (prefix, (want, got)) in &c.missing {
            let _ = writeln!(out, "  {} expected {want}, found {got}", style.red(prefix));
        }
    }
    // Records an emulator wrote back to back, not all JSON, are not counted one by one.
    let records = if r.found.unpartitioned && r.found.counted_as_lines > 0 {
        String::new()
    } else {
        format!("{} in ", plural(r.found.records, "record"))
    };
    let _ = writeln!(
        out,
        "\n{} {records}{} ({}). {}",
        style.bold("Summary:"),
        plural(r.found.objects, "object"),
        size(r.found.bytes),
        conclusion(r)
    );
    out
}

/// What arrived, as far as an emulator's objects tell.
fn arrived(r: &VerifyReport) -> String {
    let unread = match r.found.unreadable.len() {
        0 => String::new(),
        n => format!(" ({} could not be read: their records are not counted)", plural(n, "object")),
    };
    match &r.comparison {
        Some(c) => match c.by_size {
            Some((sent, found)) if sent == found => {
                format!("every byte of the {} records sent arrived{unread}", c.expected_records)
            }
            Some((sent, found)) => format!("{} of the {} sent arrived{unread}", size(found), size(sent)),
            None => format!("{} arrived ({} expected){unread}", plural(r.found.records, "record"), c.expected_records),
        },
        None if r.found.counted_as_lines > 0 => format!(
            "{} of records arrived, not counted one by one (written back to back, not all JSON){unread}",
            size(r.found.bytes)
        ),
        None => format!("{} arrived{unread}", plural(r.found.records, "record")),
    }
}

/// What the findings mean, in a sentence.
fn conclusion(r: &VerifyReport) -> String {
    match r.conclusion {
        Conclusion::NothingYet => {
            "Nothing has arrived yet. Firehose delivers when a buffer fills or its interval ends: try `--wait 120`."
                .to_string()
        }
        Conclusion::Unprocessed => format!(
            "These objects were written under the literal prefix, unprocessed and unpartitioned: the endpoint is an emulator (moto writes records at once). What this shows: {}. Where Firehose would put each record: `provision preview`.",
            arrived(r)
        ),
        Conclusion::Partitioned => format!(
            "Records are partitioned: {} in {}, {} under the error prefix.",
            plural(r.found.records, "record"),
            plural(r.found.partitions.len(), "partition"),
            plural(r.found.errors.values().map(|e| e.records).sum(), "record")
        ),
    }
}

/// What `send` says when the endpoint is not AWS and the stream has processors: the emulator
/// stores the records without running them (the function named).
pub fn processors_not_run(spec: &crate::model::FirehoseSpec) -> Option<String> {
    let names: Vec<String> = spec
        .processors
        .iter()
        .map(|p| {
            let function = p.parameters.values().find_map(|v| match v {
                crate::model::Param::LambdaArn { function, .. } => Some(function.to_string()),
                crate::model::Param::Text(_) => None,
            });
            match function {
                Some(f) => format!("{} {f}", p.kind),
                None => p.kind.clone(),
            }
        })
        .collect();
    (!names.is_empty()).then(|| {
        format!(
            "note: this endpoint is not AWS: it stores the records without running the stream's processors ({}), so what they would do to each record is `provision preview`'s to show.",
            names.join(", ")
        )
    })
}
