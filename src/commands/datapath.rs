//! `preview`, `send` and `verify`: the sample's Verify step, and what no other tool shows.

use super::common::Invocation;
use crate::datapath::pick;
use crate::datapath::preview::{self, RecordResult, Report, Settings};
use crate::datapath::query::Engine;
use crate::datapath::records;
use crate::datapath::send::{self, Pace, Totals};
use crate::datapath::verify;
use crate::model::address::Selector;
use crate::model::Spec;
use crate::render::datapath as show;
use crate::{errln, outln};
use anyhow::{anyhow, bail, Result};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// Options of `preview` (and of the expectations `verify --records` computes).
pub(super) struct PreviewArgs<'a> {
    pub address: Option<&'a Selector>,
    pub records: Option<&'a Path>,
    pub count: u64,
    pub seed: u64,
    pub at: Option<&'a str>,
    pub rate: Option<f64>,
    pub json: bool,
}

/// `--at`: RFC 3339, or seconds since the epoch; default now.
fn arrival(at: Option<&str>) -> Result<DateTime<Utc>> {
    match at {
        None => Ok(Utc::now()),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .or_else(|| DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc)))
            .ok_or_else(|| {
                anyhow!("--at {text:?}: expected a time such as 2026-11-26T10:00:00Z, or seconds since 1970")
            }),
    }
}

/// The records of a `--records` file (which must lie inside the project, as every file a run
/// reads), or generated ones.
fn records_of(
    ctx: &Invocation,
    file: Option<&Path>,
    count: Option<u64>,
    seed: u64,
    at: chrono::DateTime<Utc>,
) -> Result<Box<dyn Iterator<Item = std::io::Result<records::Record>> + Send>> {
    let file = file.map(|f| crate::input::inside(f, &ctx.project())).transpose().map_err(|e| anyhow!(e))?;
    Ok(records::source(file.as_deref(), count, seed, at)?)
}

/// Runs a preview, offline; `each` gets every record's result as it is known.
pub(super) fn run_preview(ctx: &Invocation, args: &PreviewArgs, each: &mut dyn FnMut(&RecordResult)) -> Result<Report> {
    let (stack, _) = ctx.load_offline(true)?;
    let (address, spec, location) = pick::stream(&stack, args.address, "preview")?;
    let env = stack.env_at(&location);
    let at = arrival(args.at)?;
    let source = records_of(ctx, args.records, Some(args.count), args.seed, at)?;
    let has_query = spec.processors.iter().any(|p| p.kind == "MetadataExtraction");
    let settings = Settings {
        address: address.to_string(),
        stream: spec,
        stream_arn: env.stream_arn(&spec.name),
        region: env.region.clone(),
        function: pick::function(&stack, spec, &ctx.project()),
        at,
        rate: args.rate,
        jq: if has_query { Engine::detect() } else { Engine::built_in() }.map_err(|e| anyhow!(e))?,
    };
    // Workers run code from stack.toml and the function's source: confined; what this kernel
    // does not allow is said, in one line.
    let workers = settings.function.is_some() || has_query;
    if workers {
        crate::sandbox::check_required().map_err(|e| anyhow!(e))?;
        if let Some(missing) = crate::sandbox::missing_protections() {
            errln!("warning: {missing}");
        }
    }
    preview::run(settings, source, each).map_err(|e| anyhow!(e))
}

/// `provision preview`. Records are streamed: with `--json`, each record's result is written
/// as it is known (the `records` array first, the report's other keys after it); with `-v`,
/// one line per record, then the report.
pub(super) fn preview(ctx: &Invocation, args: &PreviewArgs) -> Result<ExitCode> {
    let report = if args.json {
        outln!("{{\n  \"records\": [");
        let mut first = true;
        let mut each = |r: &RecordResult| {
            let line = crate::output::json(r, false).unwrap_or_default();
            outln!("{}    {line}", if first { "" } else { "," });
            first = false;
        };
        let report = run_preview(ctx, args, &mut each)?;
        let rest = crate::output::json(&report, true)?;
        let rest = rest.strip_prefix('{').unwrap_or(&rest);
        outln!("  ],{rest}");
        report
    } else if ctx.verbose {
        let mut each = |r: &RecordResult| outln!("{}", show::record_line(r));
        let report = run_preview(ctx, args, &mut each)?;
        crate::output::out(&format!("\n{}", show::preview(&report, ctx.style)));
        report
    } else {
        let report = run_preview(ctx, args, &mut |_| {})?;
        crate::output::out(&show::preview(&report, ctx.style));
        report
    };
    if let Some(why) = report.incomplete() {
        errln!("{why}");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// `provision preview --columns`: the records' columns, as a `[table.NAME]` line.
pub(super) fn columns(records: Option<&Path>, count: u64, seed: u64) -> Result<ExitCode> {
    let mut documents = Vec::new();
    for record in records::source(records, Some(count), seed, Utc::now())? {
        let record = record?;
        // A record may hold several JSON documents (de-aggregated by Firehose): each is a row.
        let stream = serde_json::Deserializer::from_slice(&record.data).into_iter::<serde_json::Value>();
        documents.extend(stream.map_while(Result::ok));
    }
    let inferred = crate::model::kinds::table::infer_columns(&documents);
    for skipped in &inferred.skipped {
        errln!("{}: not a column name Athena can query; left out", crate::output::escape(skipped));
    }
    let line = inferred.columns.iter().map(|(k, t)| format!("{k} = {t:?}")).collect::<Vec<_>>().join(", ");
    outln!("columns = {{ {line} }}");
    errln!("Inferred from {} JSON document(s) as sent (before processors).", documents.len());
    Ok(ExitCode::SUCCESS)
}

/// Options of `send`.
pub(super) struct SendArgs<'a> {
    pub address: Option<&'a Selector>,
    pub count: i64,
    pub rate: Option<f64>,
    pub records: Option<&'a Path>,
    pub seed: u64,
    pub dry_run: bool,
    pub in_flight: Option<usize>,
    pub resend_unknown: bool,
}

/// `provision send`.
pub(super) async fn send(ctx: &Invocation, args: &SendArgs<'_>) -> Result<ExitCode> {
    let count = match args.count {
        -1 => None,
        n if n >= 0 => Some(n as u64),
        n => bail!("--count {n}: a number of records, or -1 to send until Ctrl-C"),
    };
    if args.rate.is_some_and(|r| r <= 0.0) {
        bail!("--rate must be a number of records per second above 0");
    }
    if args.dry_run {
        let (stack, _) = ctx.load_offline(false)?;
        let (address, spec, _) = pick::stream(&stack, args.address, "send")?;
        let mut n = 0u64;
        for record in records_of(ctx, args.records, count.or(Some(10)), args.seed, Utc::now())? {
            let record = record?;
            match record.refusal() {
                Some(reason) => errln!("{reason}: not sent"),
                None => outln!("{}", crate::output::escape(&String::from_utf8_lossy(&record.data))),
            }
            n += 1;
        }
        errln!("{n} record(s) for {address} ({}); dry run: nothing was sent.", spec.name);
        return Ok(ExitCode::SUCCESS);
    }
    let session = ctx.load(false, false).await?;
    let (address, spec, location) = pick::stream(&session.stack, args.address, "send")?;
    let clients = &session.aws()?.at(&location).await?;
    match clients.stream_status(&spec.name).await? {
        Some(status) if status == "ACTIVE" => {}
        Some(status) => {
            bail!("the stream {} ({address}) is {status}, not ACTIVE: wait for it, or run `provision apply`", spec.name)
        }
        None => bail!("the stream {} ({address}) does not exist: run `provision apply` first", spec.name),
    }
    let pace = match args.rate {
        Some(rate) => Pace::Exact(rate),
        None if ctx.local_endpoint() => Pace::Unpaced,
        None => Pace::Adaptive(send::region_quota(&location.region)),
    };
    let graceful = crate::interrupt::graceful(
        "Interrupt received: no new records are sent; finishing the calls in flight (Ctrl-C again to quit now).",
    );
    let source = records_of(ctx, args.records, count, args.seed, Utc::now())?;
    let progress = show::SendProgress::new(count, ctx.quiet, ctx.style);
    let start = std::time::Instant::now();
    let sink = Arc::new(clients.stream_sink(&spec.name));
    let options = send::Options {
        pace,
        in_flight: args.in_flight.unwrap_or_else(|| send::calls_in_flight(pace)).max(1),
        resend_unknown: args.resend_unknown,
    };
    let stop = crate::interrupt::stop_signal();
    let totals = send::send(sink, &spec.name, source, options, stop, |t: &Totals| progress.update(t))
        .await
        .map_err(|e| anyhow!(e))?;
    drop(graceful);
    progress.finish();
    let elapsed = start.elapsed();
    outln!("{}", show::send_summary(&address.to_string(), &spec.name, &totals, elapsed));
    if ctx.local_endpoint() {
        if let Some(note) = show::processors_not_run(spec) {
            ctx.note(&note);
        }
    }
    ctx.report_calls(&session);
    Ok(match totals.shortfall() {
        Some(problem) => {
            errln!("{problem}");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    })
}

/// A 403 from the stream's bucket, read over plain HTTP (a local endpoint), is most likely the
/// bucket policy `require_tls` writes: say so, and what to do.
fn tls_hint(ctx: &Invocation, e: anyhow::Error, bucket: &str) -> anyhow::Error {
    let endpoint = ctx.endpoint.clone().or_else(|| std::env::var("AWS_ENDPOINT_URL").ok()).unwrap_or_default();
    let denied = crate::error::aws_error(&e).is_some_and(|a| a.is_access_denied());
    if denied && endpoint.starts_with("http://") {
        return e.context(format!(
            "S3 refused to list or read s3://{bucket} (HTTP 403). The bucket's policy denies requests without TLS (`require_tls`, on by default) and {} is plain HTTP: for a local emulator set `require_tls = false` on the bucket and apply, or use an https endpoint",
            crate::output::escape(&endpoint)
        ));
    }
    e
}

/// Options of `verify`.
pub(super) struct VerifyArgs<'a> {
    pub address: Option<&'a Selector>,
    pub since: Option<&'a str>,
    pub wait: Option<u64>,
    pub records: Option<&'a Path>,
    pub json: bool,
}

/// The bytes of the records of a `--records` file, as `send` sends them (a line too long to be a
/// record is not sent), read as they stream.
fn bytes_of(ctx: &Invocation, path: &Path) -> Result<u64> {
    let mut total = 0u64;
    for record in records_of(ctx, Some(path), None, 0, Utc::now())? {
        let record = record?;
        if record.oversize.is_none() {
            total += record.data.len() as u64;
        }
    }
    Ok(total)
}

/// `provision verify`.
pub(super) async fn verify(ctx: &Invocation, args: &VerifyArgs<'_>) -> Result<ExitCode> {
    let expected = match args.records {
        Some(path) => Some(run_preview(
            ctx,
            &PreviewArgs {
                address: args.address,
                records: Some(path),
                count: 0,
                seed: 0,
                at: None,
                rate: None,
                json: false,
            },
            &mut |_| {},
        )?),
        None => None,
    };
    let session = ctx.load(false, false).await?;
    let (address, spec, location) = pick::stream(&session.stack, args.address, "verify")?;
    let clients = &session.aws()?.at(&location).await?;
    if clients.stream_status(&spec.name).await?.is_none() {
        bail!("the stream {} ({address}) does not exist: run `provision apply` first", spec.name);
    }
    let bucket = spec.bucket_arn.rsplit(':').next().unwrap_or_default().to_string();
    let since = args.since.map(|s| arrival(Some(s))).transpose()?.map(|t| t.timestamp());
    let deadline = std::time::Instant::now() + Duration::from_secs(args.wait.unwrap_or(0));
    let want = expected.as_ref().map(|e| e.summary.records).unwrap_or(1).max(1);
    // A converting stream writes Parquet or ORC on AWS; an emulator keeps JSON (docs/src/local-aws.md).
    let converted = match (&spec.format_conversion, ctx.local_endpoint()) {
        (None, _) => verify::Converted::No,
        (Some(_), false) => verify::Converted::Columnar,
        (Some(_), true) => verify::Converted::NotHere,
    };
    let columnar = converted == verify::Converted::Columnar;
    // The bucket is read where it lives (a stream may deliver to another Region's).
    let bucket_location = session
        .stack
        .resources
        .iter()
        .find(|r| matches!(&r.spec, Spec::Bucket(b) if b.name == bucket))
        .map_or(location.clone(), |r| r.location.clone());
    let bucket_clients = &session.aws()?.at(&bucket_location).await?;
    let mut seen = HashMap::new();
    let findings = loop {
        let findings = verify::read(bucket_clients, &bucket, spec, since, columnar, &mut seen)
            .await
            .map_err(|e| tls_hint(ctx, e, &bucket))?;
        let arrived = if columnar {
            // Records of columnar objects are not counted: done once every expected partition is there.
            let there = match &expected {
                Some(e) => e.partitions.keys().all(|p| findings.partitions.contains_key(&crate::output::escape(p))),
                None => findings.objects > 0,
            };
            if there {
                want
            } else {
                0
            }
        } else {
            findings.records + findings.errors.values().map(|e| e.records).sum::<usize>()
        };
        if arrived >= want || std::time::Instant::now() >= deadline {
            break findings;
        }
        ctx.note(&format!(
            "{arrived} record(s) so far; waiting for delivery (Firehose delivers after the buffer interval)..."
        ));
        tokio::time::sleep(Duration::from_secs(5).min(deadline.saturating_duration_since(std::time::Instant::now())))
            .await;
    };
    let log = match &spec.logging {
        Some((group, stream)) => Some((stream.clone(), clients.recent_log_events(group, stream, 5).await?)),
        None => None,
    };
    let sent_bytes = match args.records {
        Some(path) => bytes_of(ctx, path)?,
        None => 0,
    };
    let expected = expected.as_ref().map(|e| (e, sent_bytes));
    let report = verify::VerifyReport::new(&address.to_string(), spec, &bucket, findings, expected, log, converted);
    if args.json {
        outln!("{}", crate::output::json(&report, true)?);
    } else {
        crate::output::out(&show::verify(&report, ctx.style));
    }
    ctx.report_calls(&session);
    Ok(if report.matches_expectation { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
