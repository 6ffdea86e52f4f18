//! `provision status` as text: a line per stream, then the alarms in ALARM.

use super::Style;
use crate::output::escape_line as escape;
use crate::status::{Report, StreamStatus};

/// The sparkline's levels, lowest first; a period without a datapoint is `·`.
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of `values`, scaled to their largest.
pub fn sparkline(values: &[Option<f64>]) -> String {
    let top = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| match v {
            None => '·',
            Some(_) if top <= 0.0 => LEVELS[0],
            Some(v) => LEVELS[((v / top) * (LEVELS.len() - 1) as f64).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

/// A count for people: `1,234,567`; `-` when unknown.
fn count(v: Option<f64>) -> String {
    let Some(v) = v else { return "-".into() };
    let digits = format!("{}", v.round() as i64);
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits.as_str()), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn seconds(v: Option<f64>) -> String {
    v.map_or("-".into(), |s| crate::output::duration(std::time::Duration::from_secs(s.max(0.0).round() as u64)))
}

fn percent(v: Option<f64>) -> String {
    v.map_or("-".into(), |r| format!("{:.0}%", r * 100.0))
}

/// The columns of one stream, in order.
fn columns(s: &StreamStatus) -> Vec<String> {
    let alarms =
        if s.alarms.is_empty() { "-".into() } else { s.alarms.iter().map(|a| escape(a)).collect::<Vec<_>>().join(",") };
    let partitions = match (s.partition_quota, s.partitions_max) {
        (None, _) => "n/a".into(),
        (Some(q), max) => format!("{}/{q}", count(max)),
    };
    let processing = match s.processing_success {
        None => "-".into(),
        Some(r) if r >= 1.0 => "ok".into(),
        Some(r) => format!("{}% ok", (r * 100.0).round()),
    };
    let records_in = if s.no_data { "no data yet".into() } else { count(s.records_in) };
    vec![
        // Text from AWS (the state, alarm names), on one line and escaped.
        escape(&s.address),
        escape(&s.state),
        records_in,
        count(s.records_delivered),
        percent(s.delivery_success),
        format!("{} / {}", seconds(s.freshness_now), seconds(s.freshness_max)),
        count(s.throttled),
        partitions,
        processing,
        count(s.conversion_failed),
        alarms,
        sparkline(&s.records_in_series),
    ]
}

const HEADERS: [&str; 12] = [
    "STREAM",
    "STATE",
    "RECORDS IN",
    "DELIVERED",
    "S3 OK",
    "FRESHNESS NOW / MAX",
    "THROTTLED",
    "PARTITIONS",
    "PROCESSING",
    "CONVERSION FAILED",
    "ALARMS",
    "RECORDS IN OVER TIME",
];

/// The report as a table, a line per stream, and what is wrong.
pub fn report(r: &Report, since: &str, style: Style, emulator: bool) -> String {
    let rows: Vec<Vec<String>> = r.streams.iter().map(columns).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let last = cells.len() - 1;
        cells
            .into_iter()
            .enumerate()
            .map(|(i, c)| if i == last { c } else { format!("{c:<w$}", w = widths[i]) })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = format!(
        "Status of {} stream(s) over the last {since} (periods of {}):\n\n",
        r.streams.len(),
        crate::output::duration(std::time::Duration::from_secs(r.window.period as u64))
    );
    out.push_str(&style.bold(&line(HEADERS.iter().map(|h| h.to_string()).collect())));
    out.push('\n');
    for (s, row) in r.streams.iter().zip(rows) {
        let text = line(row);
        out.push_str(&if s.healthy { text } else { style.red(&text) });
        out.push('\n');
    }
    let sick: Vec<&StreamStatus> = r.streams.iter().filter(|s| !s.healthy).collect();
    if !r.other_alarms.is_empty() {
        out.push_str(&format!(
            "\nOther alarms of the stack in ALARM: {}\n",
            r.other_alarms.iter().map(|a| escape(a)).collect::<Vec<_>>().join(", ")
        ));
    }
    if sick.is_empty() && r.other_alarms.is_empty() && emulator {
        // An emulator publishes no metric and runs no processor: nothing here says the pipeline works.
        out.push_str(
            "\nEvery stream ACTIVE, no alarm of the stack in ALARM; this endpoint is not AWS: it publishes no Firehose metric and runs no processor, so the pipeline's health is not known here (`provision preview` shows what the processors do).\n",
        );
    } else if sick.is_empty() && r.other_alarms.is_empty() {
        out.push_str(&format!("\n{}\n", style.green("Healthy: every stream ACTIVE, no alarm of the stack in ALARM.")));
    } else {
        out.push_str(&format!(
            "\n{} stream(s) not ACTIVE or with an alarm in ALARM, {} other alarm(s): see the manual, docs/src/operating.md, for what each alarm means.\n",
            sick.len(),
            r.other_alarms.len()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sparklines_and_missing_periods() {
        assert_eq!(count(Some(1234567.0)), "1,234,567");
        assert_eq!(count(Some(0.0)), "0");
        assert_eq!(count(None), "-");
        assert_eq!(sparkline(&[Some(0.0), Some(7.0), None, Some(3.5)]), "▁█·▅");
        assert_eq!(sparkline(&[Some(0.0), Some(0.0)]), "▁▁");
    }

    #[test]
    fn text_from_aws_is_escaped_on_one_line() {
        let s = StreamStatus {
            address: "firehose.events".into(),
            name: "PUT-S3-lambda".into(),
            state: "ACTIVE\x1b[2J\nSummary: forged".into(),
            no_data: true,
            records_in: None,
            records_delivered: None,
            delivery_success: None,
            freshness_now: None,
            freshness_max: None,
            throttled: None,
            partitions_max: None,
            partition_quota: None,
            processing_success: None,
            conversion_failed: None,
            alarms: vec!["a\u{202e}b\nc".into()],
            records_in_series: vec![],
            healthy: false,
        };
        let cells = columns(&s);
        assert_eq!(cells[1], "ACTIVE\\x1b[2J\\x0aSummary: forged");
        assert_eq!(cells[10], "a\\u{202e}b\\x0ac");
    }
}
