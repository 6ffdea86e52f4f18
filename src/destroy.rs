//! What destroy checks before it deletes anything: it never deletes data (a bucket holding
//! objects, a log group holding events) without the resource's `force_destroy`.

use crate::plan::{Action, Plan};
use crate::provider::Provider;
use anyhow::{bail, Result};

/// The resources `plan` deletes without `force_destroy` that hold data, each described
/// (`bucket.data (name) holds 3 object version(s)`); asked side by side.
pub async fn resources_holding_data(plan: &Plan, provider: &dyn Provider) -> Result<Vec<String>> {
    let deleted = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace) && !c.force_destroy)
        .filter(|c| c.address.kind.info().holds.is_some())
        .filter_map(|c| c.live.as_ref().map(|l| (c, l)));
    let held = futures::future::join_all(
        deleted.map(|(c, live)| async move { provider.data_held(live).await.map(|held| (c, live, held)) }),
    )
    .await;
    let mut holding = Vec::new();
    for answer in held {
        if let (c, live, Some(what)) = answer? {
            let name = crate::output::escape(live.spec.physical_name());
            holding.push(format!("{} ({name}) holds {what}", c.address));
        }
    }
    Ok(holding)
}

/// Refuses `plan` if it deletes a bucket holding objects without `force_destroy`, before
/// anything is deleted.
pub async fn refuse_data_loss(plan: &Plan, provider: &dyn Provider) -> Result<()> {
    let holding = resources_holding_data(plan, provider).await?;
    if !holding.is_empty() {
        bail!(
            "{}; nothing was deleted. Set force_destroy = true on each to delete what it holds with it (a function's own log group: log_force_destroy), or empty them yourself",
            holding.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::build_destroy;
    use crate::provider::fake::FakeProvider;
    use crate::testing::{stack, BUCKET, DEFAULT_STACK};
    use std::sync::Arc;

    async fn destroy_plan(fake: &Arc<FakeProvider>, text: &str) -> Plan {
        let s = stack(text);
        let provider: Arc<dyn Provider> = fake.clone();
        let live = crate::testing::live_of(&s, &provider).await;
        build_destroy(&s, &live)
    }

    async fn apply_default(fake: &Arc<FakeProvider>) {
        let s = stack(DEFAULT_STACK);
        let provider: Arc<dyn Provider> = fake.clone();
        let live = crate::live::read(&s, &provider, &[]).await.unwrap();
        let plan = crate::plan::build(&s, &live).unwrap();
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        assert!(crate::apply::execute(&plan, &provider, 4, stopped, |_| {}).await.complete());
    }

    #[tokio::test]
    async fn destroy_deletes_dependents_first_and_never_a_bucket_holding_data_unless_forced() {
        let fake = Arc::new(FakeProvider::new());
        apply_default(&fake).await;
        let plan = destroy_plan(&fake, DEFAULT_STACK).await;
        let order: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
        let at = |a: &str| order.iter().position(|o| o == a).unwrap();
        assert!(at("firehose.events") < at("lambda.extractor") && at("lambda.extractor") < at("role.extractor"));
        assert!(at("firehose.events") < at("bucket.data") && at("firehose.events") < at("log_group.delivery"));
        let stream = plan
            .changes
            .iter()
            .find(|c| c.address == crate::model::Address::new(crate::model::Kind::Bucket, "data"))
            .unwrap();
        assert_eq!(stream.after.iter().map(|a| a.to_string()).collect::<Vec<_>>(), ["firehose.events"]);

        fake.put_objects(BUCKET, 3);
        let error = refuse_data_loss(&plan, fake.as_ref()).await.unwrap_err().to_string();
        assert!(error.contains("holds 3 object version(s); nothing was deleted"), "{error}");
        let forced = destroy_plan(&fake, &DEFAULT_STACK.replace("force_destroy = false", "force_destroy = true")).await;
        refuse_data_loss(&forced, fake.as_ref()).await.unwrap();
        fake.put_objects(BUCKET, 0);
        refuse_data_loss(&plan, fake.as_ref()).await.unwrap();
    }

    #[tokio::test]
    async fn a_destroy_plan_reads_nothing_discovery_found_and_each_delete_reads_the_tags_first() {
        let fake = Arc::new(FakeProvider::new());
        apply_default(&fake).await;
        let s = stack(DEFAULT_STACK);
        let provider: Arc<dyn Provider> = fake.clone();
        let mut owned = crate::live::discover(&s, &provider, &s.locations()).await.unwrap();
        // As on AWS, a role is found by the stack's marker, without its tags.
        for o in owned.iter_mut().filter(|o| o.address.kind == crate::model::Kind::Role) {
            o.tags = None;
        }
        // Made before homes were tagged: found by its marker, deleted as a read would plan it.
        fake.modify(crate::model::Kind::Role, "firehose-dp-demo-extractor", |spec| {
            spec.tags_mut().remove(crate::model::HOME_TAG);
        });
        // Taken over after the index was read: the index still says the stack's.
        fake.modify(crate::model::Kind::Firehose, "PUT-S3-lambda", |spec| spec.tags_mut().clear());
        fake.reset_calls();
        let live = crate::live::read_for_destroy(&s, &provider, &owned).await.unwrap();
        assert!(!fake.calls().iter().any(|c| c.starts_with("read ")), "{:?}", fake.calls());
        let plan = build_destroy(&s, &live);
        assert_eq!(plan.changes.iter().filter(|c| c.action == Action::Delete).count(), 6);
        let (_stop, stopped) = tokio::sync::watch::channel(false);
        let report = crate::apply::execute(&plan, &provider, 4, stopped, |_| {}).await;
        assert_eq!(report.left.iter().map(|a| a.to_string()).collect::<Vec<_>>(), ["firehose.events"]);
        assert_eq!(report.done.len(), 5, "{report:?}");
        assert!(fake.get(crate::model::Kind::Role, "firehose-dp-demo-extractor").is_none());
        assert!(fake.get(crate::model::Kind::Firehose, "PUT-S3-lambda").is_some(), "the stream taken over is kept");
        let calls = fake.calls();
        assert_eq!(calls.iter().filter(|c| c.starts_with("tags_now ")).count(), 6, "{calls:?}");
        // What discovery did not find as the stack's is read, as in any plan.
        fake.reset_calls();
        crate::live::read_for_destroy(&s, &provider, &[]).await.unwrap();
        assert!(fake.calls().iter().any(|c| c == "read PUT-S3-lambda"), "{:?}", fake.calls());
    }

    #[tokio::test]
    async fn a_log_group_holding_events_is_refused_unless_forced() {
        let fake = Arc::new(FakeProvider::new());
        apply_default(&fake).await;
        let group = "/aws/kinesisfirehose/PUT-S3-lambda";
        fake.put_objects(group, 1);
        let plan = destroy_plan(&fake, DEFAULT_STACK).await;
        let error = refuse_data_loss(&plan, fake.as_ref()).await.unwrap_err().to_string();
        assert!(error.contains(&format!("log_group.delivery ({group}) holds 1 log event(s)")), "{error}");
        let forced = DEFAULT_STACK.replace("retention_days = 14", "retention_days = 14\nforce_destroy = true");
        assert_ne!(forced, DEFAULT_STACK);
        refuse_data_loss(&destroy_plan(&fake, &forced).await, fake.as_ref()).await.unwrap();
    }
}
