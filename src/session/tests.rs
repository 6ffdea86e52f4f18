//! The pipeline every command runs, end to end on the in-memory cloud: a project on disk,
//! stack.toml loaded as a command loads it, the session opened on the fake, and plan, apply,
//! destroy, import and forget driven through the session's methods only.

use super::*;
use crate::model::{Kind, OWNER_TAG};
use crate::provider::fake::FakeProvider;
use crate::testing::{BUCKET, DEFAULT_STACK};

/// A project directory holding the default stack and its function's code.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("examples/lambda/metadata_extractor");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("index.py"), "def lambda_handler(event, context):\n    return event\n").unwrap();
    std::fs::write(dir.path().join("stack.toml"), DEFAULT_STACK).unwrap();
    dir
}

/// A session on `fake` for the project's stack, as a command opens it (discovery on).
async fn open(dir: &tempfile::TempDir, fake: &Arc<FakeProvider>) -> Session {
    let loaded = config::load(&dir.path().join("stack.toml"), &config::Options::default()).unwrap();
    Session::open(loaded, fake.clone(), true, &|_| {}).await.unwrap()
}

fn converge() -> Request {
    Request::default()
}

fn destroy() -> Request {
    Request { destroy: true, ..Request::default() }
}

/// What `apply` does once it has a plan: the checks, then the execution inside the lock.
async fn apply(session: &Session, plan: &Plan) -> Result<crate::apply::Report> {
    session.check_before_changes(plan).await?;
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let work = session.execute(plan, 4, false, stopped, |_| {});
    session.lock_target().hold("apply", Duration::ZERO, &|_| {}, work).await
}

fn changing(plan: &Plan) -> Vec<(String, Action)> {
    plan.changes.iter().filter(|c| c.action != Action::NoOp).map(|c| (c.address.to_string(), c.action)).collect()
}

#[tokio::test]
async fn a_stack_applied_through_the_session_plans_no_change_after_and_the_lock_is_free() {
    let (dir, fake) = (project(), Arc::new(FakeProvider::new()));
    let mut session = open(&dir, &fake).await;
    let (_, plan) = session.plan(&converge(), &|_| {}).await.unwrap();
    let creates = changing(&plan);
    assert_eq!(creates.len(), session.stack.resources.len(), "{creates:?}");
    assert!(creates.iter().all(|(_, a)| *a == Action::Create), "{creates:?}");

    let report = apply(&session, &plan).await.unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(fake.lock_holder(), None, "the lock is released after the run");
    assert!(fake.get(Kind::Bucket, BUCKET).unwrap().owner() == Some(session.stack.name.as_str()));

    let mut again = open(&dir, &fake).await;
    assert_eq!(again.owned.len(), session.stack.resources.len(), "discovery finds what apply made");
    let (_, plan) = again.plan(&converge(), &|_| {}).await.unwrap();
    assert_eq!(changing(&plan), vec![], "no perpetual diff");
}

#[tokio::test]
async fn drift_made_outside_is_planned_back_and_a_saved_plan_made_before_it_is_refused() {
    let (dir, fake) = (project(), Arc::new(FakeProvider::new()));
    let mut session = open(&dir, &fake).await;
    let (live, plan) = session.plan(&converge(), &|_| {}).await.unwrap();
    apply(&session, &plan).await.unwrap();

    let mut session = open(&dir, &fake).await;
    let (live_before, plan_before) = session.plan(&converge(), &|_| {}).await.unwrap();
    let saved = SavedPlan::new(&session.stack, &live_before, &plan_before, &converge(), String::new()).unwrap();
    session.refuse_if_changed(&saved, &live_before, &plan_before).expect("nothing changed since");
    // The plan made before anything existed no longer applies either.
    let stale = SavedPlan::new(&session.stack, &live, &plan, &converge(), String::new()).unwrap();
    assert!(session.refuse_if_changed(&stale, &live_before, &plan_before).is_err());

    fake.modify(Kind::LogGroup, "/aws/kinesisfirehose/PUT-S3-lambda", |spec| {
        if let Spec::LogGroup(g) = spec {
            g.retention_days = Some(30);
        }
    });
    let mut session = open(&dir, &fake).await;
    let (live_now, plan_now) = session.plan(&converge(), &|_| {}).await.unwrap();
    assert_eq!(changing(&plan_now), vec![("log_group.delivery".to_string(), Action::Update)]);
    let err = session.refuse_if_changed(&saved, &live_now, &plan_now).unwrap_err().to_string();
    assert!(err.contains("cannot be applied") && err.contains("nothing was changed"), "{err}");
    assert!(apply(&session, &plan_now).await.unwrap().complete());
    let mut session = open(&dir, &fake).await;
    assert_eq!(changing(&session.plan(&converge(), &|_| {}).await.unwrap().1), vec![]);
}

#[tokio::test]
async fn destroy_through_the_session_refuses_a_bucket_holding_data_then_deletes_what_the_stack_owns() {
    let (dir, fake) = (project(), Arc::new(FakeProvider::new()));
    fake.insert({
        // A bucket of someone else's beside the stack's: destroy never touches it.
        let mut spec =
            crate::testing::stack(DEFAULT_STACK).get(&Address::new(Kind::Bucket, "data")).unwrap().spec.clone();
        if let Spec::Bucket(b) = &mut spec {
            b.name = "someone-elses-bucket".into();
        }
        spec.tags_mut().clear();
        spec
    });
    let mut session = open(&dir, &fake).await;
    let (_, plan) = session.plan(&converge(), &|_| {}).await.unwrap();
    apply(&session, &plan).await.unwrap();
    fake.put_objects(BUCKET, 3);

    let mut session = open(&dir, &fake).await;
    let (_, plan) = session.plan(&destroy(), &|_| {}).await.unwrap();
    assert!(changing(&plan).iter().all(|(_, a)| *a == Action::Delete));
    let err = apply(&session, &plan).await.unwrap_err().to_string();
    assert!(err.contains(BUCKET) && err.contains("force_destroy"), "{err}");
    assert!(fake.get(Kind::Bucket, BUCKET).is_some(), "nothing deleted");
    assert_eq!(fake.lock_holder(), None, "no lock is left behind");

    // Without the data, everything the stack owns goes, dependents first; the other bucket stays.
    fake.put_objects(BUCKET, 0);
    let report = apply(&session, &plan).await.unwrap();
    assert!(report.complete(), "{report:?}");
    assert_eq!(fake.names(), vec![(Kind::Bucket, "someone-elses-bucket".to_string())]);
}

#[tokio::test]
async fn import_tags_an_existing_resource_and_forget_gives_it_back_untouched() {
    let (dir, fake) = (project(), Arc::new(FakeProvider::new()));
    let stack = crate::testing::stack(DEFAULT_STACK);
    let address = Address::new(Kind::LogGroup, "delivery");
    let mut spec = stack.get(&address).unwrap().spec.clone();
    spec.tags_mut().clear();
    fake.insert(spec);
    let name = "/aws/kinesisfirehose/PUT-S3-lambda";

    let mut session = open(&dir, &fake).await;
    let (_, plan) = session.plan(&converge(), &|_| {}).await.unwrap();
    assert!(plan.changes.iter().any(|c| c.address == address && c.action == Action::Conflict));

    let prepared = session.prepare_import(&address).await.unwrap();
    assert!(!prepared.already_ours);
    assert_eq!(
        session.import(prepared).await.unwrap(),
        Imported::Adopted { address: address.clone(), name: name.into() }
    );
    assert_eq!(fake.get(Kind::LogGroup, name).unwrap().owner(), Some(session.stack.name.as_str()));
    let again = session.prepare_import(&address).await.unwrap();
    assert!(again.already_ours, "a second import changes nothing");

    let mut session = open(&dir, &fake).await;
    let release = session.prepare_forget(&address, &|_| {}).await.unwrap();
    assert!(release.still_declared);
    session.forget(&release).await.unwrap();
    let left = fake.get(Kind::LogGroup, name).expect("forget deletes nothing");
    assert_eq!(left.spec.tags().get(OWNER_TAG), None);
    let mut session = open(&dir, &fake).await;
    let err = session.prepare_forget(&address, &|_| {}).await.unwrap_err().to_string();
    assert!(err.contains("nothing to forget"), "{err}");
}

#[tokio::test]
async fn the_lock_is_released_when_the_work_fails_and_a_held_lock_stops_a_second_run() {
    let (dir, fake) = (project(), Arc::new(FakeProvider::new()));
    let session = open(&dir, &fake).await;
    let failing = async {
        assert!(fake.lock_holder().is_some(), "held while the work runs");
        anyhow::bail!("the work failed")
    };
    let err = session.lock_target().hold::<()>("apply", Duration::ZERO, &|_| {}, failing).await.unwrap_err();
    assert_eq!(err.to_string(), "the work failed");
    assert_eq!(fake.lock_holder(), None);

    // A run of this very process (so certainly alive) holds it: the second gives up at its timeout.
    let (started, release) = (tokio::sync::Notify::new(), tokio::sync::Notify::new());
    let first = session.lock_target().hold("apply", Duration::ZERO, &|_| {}, async {
        started.notify_one();
        release.notified().await;
        Ok(())
    });
    let second = async {
        started.notified().await;
        let notes = std::sync::Mutex::new(Vec::new());
        let result = session
            .lock_target()
            .hold("destroy", Duration::from_millis(50), &|t| notes.lock().unwrap().push(t.to_string()), async {
                Ok(())
            })
            .await;
        release.notify_one();
        (result, notes.into_inner().unwrap())
    };
    let (first, (second, notes)) = tokio::join!(first, second);
    first.unwrap();
    let err = second.unwrap_err().to_string();
    assert!(err.contains("is locked by") && err.contains("provision unlock"), "{err}");
    assert!(notes.iter().any(|n| n.contains("waiting up to")), "{notes:?}");
    assert_eq!(fake.lock_holder(), None);
}
