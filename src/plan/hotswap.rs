//! Which plans `watch` may apply at once: code and environment of functions, and streams
//! taking a function's new version; anything else is apply's.

use super::{Action, Change, Plan};
use crate::model::{Address, Spec};

/// Whether `watch` may apply the plan at once, as `cdk watch` hotswaps: only updates, each of
/// attributes its kind lets `watch` change (a function's code and environment, a stream taking
/// the function's new version; see [`KindInfo::hotswap`]).
/// A stream's processors only when they differ in the function version alone: never the
/// function invoked, a jq query or another parameter.
pub fn hotswappable(plan: &Plan) -> bool {
    let active: Vec<&Change> = plan.changes.iter().filter(|c| c.is_active()).collect();
    !active.is_empty()
        && active.iter().all(|c| {
            let allowed = c.address.kind.info().hotswap;
            c.action == Action::Update
                && !c.attributes.is_empty()
                && c.attributes
                    .iter()
                    .all(|a| allowed.iter().any(|k| if k.ends_with('.') { a.key.starts_with(k) } else { a.key == *k }))
                && (!c.attributes.iter().any(|a| a.key == "processors") || processors_take_a_new_version(plan, c))
        })
}

/// Whether a stream's processors change only in the version of the functions they invoke.
fn processors_take_a_new_version(plan: &Plan, stream: &Change) -> bool {
    let (Some(desired), Some(live)) = (&stream.desired, &stream.live) else { return false };
    let (Spec::Firehose(desired), Spec::Firehose(live)) = (&desired.spec, &live.spec) else { return false };
    // A function of the stack is the one a live ARN names when its ARN, unqualified, is it.
    let same_function = |address: &Address, live_arn: &str| {
        plan.changes.iter().any(|c| {
            &c.address == address
                && c.live.as_ref().is_some_and(|l| crate::model::kinds::firehose::unqualified(&l.arn) == live_arn)
        })
    };
    crate::model::kinds::firehose::only_versions_differ(&desired.processors, &live.processors, &same_function)
}
