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

/// The report as a table, a line per stream (with a `LOCATION` column when the streams live in
/// more than one account or Region), what is wrong, and, when asked, every alarm of the stack.
pub fn report(r: &Report, since: &str, style: Style, emulator: bool) -> String {
    let mut locations: Vec<&str> = r.streams.iter().map(|s| s.location.as_str()).collect();
    locations.dedup();
    let by_location = locations.len() > 1;
    let mut headers: Vec<&str> = HEADERS.to_vec();
    let mut rows: Vec<Vec<String>> = r.streams.iter().map(columns).collect();
    if by_location {
        headers.insert(1, "LOCATION");
        for (row, s) in rows.iter_mut().zip(&r.streams) {
            row.insert(1, escape(&s.location));
        }
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
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
    out.push_str(&style.bold(&line(headers.iter().map(|h| h.to_string()).collect())));
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
    if let Some(alarms) = &r.alarms {
        out.push_str(&alarm_listing(alarms, by_location, style));
    }
    out
}

/// Every alarm of the stack: its state, the stream it watches and, for one not OK, why.
fn alarm_listing(alarms: &[crate::status::StackAlarm], by_location: bool, style: Style) -> String {
    if alarms.is_empty() {
        return "\nThe stack has no alarm here.\n".into();
    }
    let name_width = alarms.iter().map(|a| escape(&a.name).chars().count()).max().unwrap_or(0);
    let state_width = alarms.iter().map(|a| a.state.chars().count()).max().unwrap_or(0);
    let mut out = format!("\nAlarms of the stack ({}):\n", alarms.len());
    for a in alarms {
        let state = format!("{:<state_width$}", escape(&a.state));
        let state = match a.state.as_str() {
            "OK" => style.green(&state),
            "ALARM" | "MISSING" => style.red(&state),
            _ => style.yellow(&state),
        };
        let mut line = format!("  {:<name_width$}  {state}", escape(&a.name));
        if let Some(stream) = &a.stream {
            line.push_str(&format!("  {}", escape(stream)));
        }
        if by_location {
            line.push_str(&format!("  in {}", escape(&a.location)));
        }
        if a.state != "OK" && !a.reason.is_empty() {
            line.push_str(&format!("  {}", escape(&a.reason)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
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
            location: "123456789012/us-east-1".into(),
            state: "ACTIVE\x1b[2J\nSummary: forged".into(),
            no_data: true,
            alarms: vec!["a\u{202e}b\nc".into()],
            ..StreamStatus::default()
        };
        let cells = columns(&s);
        assert_eq!(cells[1], "ACTIVE\\x1b[2J\\x0aSummary: forged");
        assert_eq!(cells[10], "a\\u{202e}b\\x0ac");
    }

    #[test]
    fn a_fleet_across_locations_gets_a_location_column_and_every_alarm_is_listed_when_asked() {
        use crate::status::{Report, StackAlarm, Window};
        let stream = |address: &str, location: &str| StreamStatus {
            address: address.into(),
            name: "s".into(),
            location: location.into(),
            state: "ACTIVE".into(),
            no_data: true,
            healthy: true,
            ..StreamStatus::default()
        };
        let window = Window { start: 0, end: 3600, period: 180 };
        let one =
            Report { window, streams: vec![stream("firehose.a", "1/us-east-1")], other_alarms: vec![], alarms: None };
        assert!(!report(&one, "1h", Style::default(), false).contains("LOCATION"));
        let alarm = |name: &str, state: &str| StackAlarm {
            name: name.into(),
            location: "1/eu-west-1".into(),
            stream: Some("firehose.b".into()),
            state: state.into(),
            reason: if state == "OK" { String::new() } else { "no datapoints".into() },
        };
        let two = Report {
            window,
            streams: vec![stream("firehose.a", "1/us-east-1"), stream("firehose.b", "1/eu-west-1")],
            other_alarms: vec![],
            alarms: Some(vec![alarm("b-freshness", "OK"), alarm("b-delivery", "INSUFFICIENT_DATA")]),
        };
        let text = report(&two, "1h", Style::default(), false);
        let header = text.lines().find(|l| l.starts_with("STREAM")).unwrap();
        assert!(header.starts_with("STREAM      LOCATION"), "{text}");
        assert!(text.contains("firehose.b  1/eu-west-1"), "{text}");
        assert!(text.contains("Alarms of the stack (2):"), "{text}");
        assert!(text.contains("  b-freshness  OK                 firehose.b  in 1/eu-west-1\n"), "{text}");
        assert!(text.contains("  b-delivery   INSUFFICIENT_DATA  firehose.b  in 1/eu-west-1  no datapoints"), "{text}");
    }
}
