//! Apply events -> lines such as `bucket.data: Creation complete after 1s`.

use super::Style;
use crate::apply::Event;
use crate::plan::Action;

fn verbs(action: Action) -> (&'static str, &'static str, &'static str) {
    match action {
        Action::Create => ("Creating...", "creating", "Creation complete"),
        Action::Update => ("Modifying...", "modifying", "Modifications complete"),
        Action::Replace => ("Replacing...", "replacing", "Replacement complete"),
        Action::Delete => ("Destroying...", "destroying", "Destruction complete"),
        Action::NoOp | Action::Conflict => ("", "", ""),
    }
}

/// One line for an event.
///
/// ```
/// use provision::{apply::Event, model::{Address, Kind}, plan::Action, render::{progress::line, Style}};
/// let event = Event::StillRunning {
///     address: Address::new(Kind::Firehose, "events"),
///     action: Action::Create,
///     elapsed: std::time::Duration::from_secs(10),
/// };
/// assert_eq!(line(&event, Style::default()), "firehose.events: Still creating... [10s elapsed]");
/// ```
pub fn line(event: &Event, style: Style) -> String {
    match event {
        Event::Started { address, action } => format!("{}: {}", style.bold(&address.to_string()), verbs(*action).0),
        Event::StillRunning { address, action, elapsed } => {
            format!(
                "{}: Still {}... [{}s elapsed]",
                style.bold(&address.to_string()),
                verbs(*action).1,
                elapsed.as_secs()
            )
        }
        Event::Finished { address, action, elapsed } => {
            format!("{}: {} after {}s", style.bold(&address.to_string()), verbs(*action).2, elapsed.as_secs())
        }
        Event::Failed { address, action, error } => {
            format!("{}: {} failed: {error}", style.bold(&address.to_string()), style.red(verbs(*action).1))
        }
        Event::Skipped { address, because } => {
            format!("{}: skipped because {because} failed", style.bold(&address.to_string()))
        }
        Event::NotStarted { address } => format!("{}: not started (interrupted)", style.bold(&address.to_string())),
        Event::Left { address, physical_name } => format!(
            "{} ({}): left: no longer tagged by this stack",
            style.bold(&address.to_string()),
            crate::output::escape_line(physical_name)
        ),
    }
}
