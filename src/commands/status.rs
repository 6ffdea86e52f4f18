//! `provision status [ADDRESS|module.NAME...] [--since D] [--json] [--watch]`.

use super::common::Invocation;
use crate::model::address::Selector;
use crate::model::Location;
use crate::output::escape;
use crate::session::Session;
use crate::status::{self, Report, Watched, Window};
use crate::{outln, render};
use anyhow::bail;
use std::process::ExitCode;
use std::time::Duration;

/// How often `--watch` reads again.
const WATCH_EVERY: Duration = Duration::from_secs(60);

/// Reads the status of `streams`, location by location side by side: in each, their states,
/// every metric in one batch (GetMetricData, 500 queries a call) and the stack's alarms in ALARM
/// (DescribeAlarms by their common prefix; every one of them with `list_alarms`), side by side.
async fn read(session: &Session, streams: &[Watched], since: Duration, list_alarms: bool) -> anyhow::Result<Report> {
    let window = Window::last(since.as_secs() as i64, chrono::Utc::now().timestamp());
    let mut locations: Vec<&Location> = streams.iter().map(|w| &w.location).collect();
    locations.sort();
    locations.dedup();
    let parts = futures::future::join_all(locations.into_iter().map(|location| async move {
        let here: Vec<Watched> = streams.iter().filter(|w| &w.location == location).cloned().collect();
        let clients = session.aws()?.at(location).await?;
        let queries = status::queries(&here);
        let (names, prefix) = status::alarm_names(&session.stack, location);
        let (states, series, firing) = tokio::join!(
            futures::future::join_all(here.iter().map(|w| clients.stream_status(&w.name))),
            clients.metric_data(&queries, window.period, window.start, window.end),
            async {
                if names.is_empty() {
                    Ok(Vec::new())
                } else {
                    clients.alarms(&prefix, list_alarms).await
                }
            }
        );
        let states = states.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
        Ok::<_, anyhow::Error>(status::report(&here, window, &states, &series?, &firing?, &names, list_alarms))
    }))
    .await;
    let order: Vec<_> = streams.iter().map(|w| w.address.clone()).collect();
    Ok(Report::merged(window, parts.into_iter().collect::<anyhow::Result<Vec<_>>>()?, &order))
}

/// `provision status`: exit 0 when healthy, 2 when a stream is not ACTIVE or an alarm of the
/// stack is in ALARM, 1 on an error.
pub(super) async fn run(
    ctx: &Invocation,
    addresses: &[Selector],
    since: Duration,
    json: bool,
    watch: bool,
    list_alarms: bool,
) -> anyhow::Result<ExitCode> {
    let session = ctx.load(false, false).await?;
    let streams = status::watched(&session.stack, addresses);
    if streams.is_empty() {
        let all: Vec<String> = status::watched(&session.stack, &[]).iter().map(|w| w.address.to_string()).collect();
        bail!(
            "no stream of {} is selected by {}; its streams: {}",
            escape(&session.stack.file.display().to_string()),
            addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" "),
            if all.is_empty() { "none".into() } else { all.join(", ") }
        );
    }
    let mut stop = crate::interrupt::stop_signal();
    let _graceful = watch.then(|| crate::interrupt::graceful("Interrupt received: no longer watching."));
    loop {
        let report = read(&session, &streams, since, list_alarms).await?;
        if json {
            outln!("{}", crate::output::json(&report, true)?);
        } else {
            let when = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC");
            crate::output::out(&format!(
                "{when}\n{}",
                render::status::report(&report, &crate::output::duration(since), ctx.style, ctx.local_endpoint())
            ));
        }
        let code = if report.healthy() { ExitCode::SUCCESS } else { ExitCode::from(2) };
        if !watch || *stop.borrow() {
            ctx.report_calls(&session);
            return Ok(code);
        }
        tokio::select! {
            _ = tokio::time::sleep(WATCH_EVERY) => {}
            _ = stop.changed() => {
                ctx.report_calls(&session);
                return Ok(code);
            }
        }
    }
}
