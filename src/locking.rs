//! Taking a stack's lock: one attempt through the provider, a takeover only when the holder is
//! certainly gone, and waiting up to `--lock-timeout` for a holder that is alive.
//!
//! "Certainly gone" needs proof, not a guess from a host name: the holder ran on this machine
//! (same machine id), in this boot (same boot id), in this PID namespace (same namespace inode),
//! and no process of its id exists any more, or the process of that id started at another time
//! (the id was reused). On a system that does not tell these (macOS, Windows, a container with
//! no /proc), nothing is ever taken over: `provision unlock` is the way.

use crate::model::LockSettings;
use crate::process::{process_start_time, ProcessIdentity};
use crate::provider::{Holder, LockAttempt, LockHandle, StateStore};
use anyhow::Result;
use std::time::Duration;

/// Whether the process holding a lock is certainly gone, seen from a process identified by
/// `here`; `start_time_of` tells the start time of a process of this namespace, if it exists.
pub fn certainly_gone(holder: &Holder, here: &ProcessIdentity, start_time_of: impl Fn(u32) -> Option<u64>) -> bool {
    let h = &holder.process;
    let same = |a: &str, b: &str| !a.is_empty() && a == b;
    if !same(&h.machine_id, &here.machine_id)
        || !same(&h.boot_id, &here.boot_id)
        || !same(&h.pid_namespace, &here.pid_namespace)
        || holder.pid == 0
    {
        return false;
    }
    match start_time_of(holder.pid) {
        None => true,
        // The id was given to another process since.
        Some(started) => h.start_time != 0 && started != h.start_time,
    }
}

/// The stack is locked by a run that may still be going.
#[derive(Debug)]
pub struct Locked {
    pub stack: String,
    pub holder: Holder,
    pub waited: Option<Duration>,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.holder.escaped();
        write!(f, "stack \"{}\" is locked by {} running `{}` since {}", self.stack, h.who, h.command, h.since)?;
        if let Some(waited) = self.waited.filter(|w| !w.is_zero()) {
            write!(f, " (waited {})", crate::output::duration(waited))?;
        }
        write!(
            f,
            ". Wait for it with --lock-timeout DURATION (e.g. 5m); if that run is gone, break the lock with `provision unlock`"
        )
    }
}

impl std::error::Error for Locked {}

/// How often a held lock is tried again while waiting for it.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// Takes the stack's lock: at once when it is free, by takeover when its holder is certainly
/// gone, or after waiting up to `timeout` for a live holder to release it. `waiting` is called
/// once, with the holder, when the run starts to wait.
pub async fn acquire(
    provider: &dyn StateStore,
    settings: &LockSettings,
    me: &Holder,
    timeout: Duration,
    waiting: impl Fn(&Holder),
) -> Result<LockHandle> {
    let start = tokio::time::Instant::now();
    let mut told = false;
    loop {
        match provider.try_lock(settings, me).await? {
            LockAttempt::Taken(handle) => return Ok(handle),
            LockAttempt::Held { holder, etag } => {
                if certainly_gone(&holder, &me.process, process_start_time) {
                    if let Some(mut handle) = provider.take_over(settings, me, &etag).await? {
                        handle.took_over = Some(holder);
                        return Ok(handle);
                    }
                    // The lock object changed meanwhile: look again.
                    continue;
                }
                let waited = start.elapsed();
                if waited >= timeout {
                    return Err(Locked { stack: settings.stack.clone(), holder, waited: Some(waited) }.into());
                }
                if !told {
                    waiting(&holder);
                    told = true;
                }
                tokio::time::sleep(RETRY_EVERY.min(timeout - waited)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::fake::FakeProvider;

    fn here() -> ProcessIdentity {
        ProcessIdentity {
            machine_id: "m1".into(),
            boot_id: "b1".into(),
            pid_namespace: "pid:[1]".into(),
            start_time: 500,
        }
    }

    fn holder(process: ProcessIdentity, pid: u32) -> Holder {
        Holder { who: "ci@host (pid 42)".into(), command: "apply".into(), pid, process, ..Holder::default() }
    }

    #[test]
    fn only_a_process_of_this_machine_boot_and_namespace_can_be_certainly_gone() {
        let started_at_900 = |_: u32| Some(900);
        let absent = |_: u32| None;
        let same = holder(ProcessIdentity { start_time: 900, ..here() }, 42);
        assert!(!certainly_gone(&same, &here(), started_at_900), "alive: same process");
        assert!(certainly_gone(&same, &here(), absent), "no process of that id");
        assert!(certainly_gone(&same, &here(), |_| Some(901)), "the id was reused");
        for other in [
            ProcessIdentity { pid_namespace: "pid:[2]".into(), ..here() },
            ProcessIdentity { boot_id: "b2".into(), ..here() },
            ProcessIdentity { machine_id: "m2".into(), ..here() },
            ProcessIdentity::default(),
        ] {
            assert!(!certainly_gone(&holder(other.clone(), 42), &here(), absent), "{other:?}");
        }
        // Nothing is known about this process (no /proc): never.
        assert!(!certainly_gone(&same, &ProcessIdentity::default(), absent));
        assert!(!certainly_gone(&holder(here(), 0), &here(), absent));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_process_is_identified_and_alive() {
        let me = ProcessIdentity::of_this_process();
        assert!(!me.boot_id.is_empty() && !me.pid_namespace.is_empty(), "Linux tells a process's identity: {me:?}");
        assert_eq!(process_start_time(std::process::id()), Some(me.start_time));
        let h = holder(me.clone(), std::process::id());
        assert!(!certainly_gone(&h, &me, process_start_time));
    }

    #[tokio::test(start_paused = true)]
    async fn a_live_holder_is_waited_for_then_named() {
        let fake = FakeProvider::new();
        let settings =
            LockSettings { stack: "s".into(), bucket: "locks".into(), account_regional: false, legacy_bucket: None };
        let other = holder(ProcessIdentity { pid_namespace: "pid:[elsewhere]".into(), ..here() }, 42);
        let first = acquire(&fake, &settings, &other, Duration::ZERO, |_| {}).await.unwrap();
        let me = holder(here(), 7);
        let told = std::sync::Mutex::new(0);
        let refused =
            acquire(&fake, &settings, &me, Duration::from_secs(5), |_| *told.lock().unwrap() += 1).await.unwrap_err();
        let text = refused.to_string();
        assert!(text.contains("locked by ci@host (pid 42)") && text.contains("provision unlock"), "{text}");
        assert!(text.contains("waited 5s"), "{text}");
        assert_eq!(*told.lock().unwrap(), 1);
        // Released while waiting: taken.
        let waiter = acquire(&fake, &settings, &me, Duration::from_secs(60), |_| {});
        let release = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            fake.release(&first).await.unwrap();
        };
        let (taken, ()) = tokio::join!(waiter, release);
        assert!(taken.unwrap().took_over.is_none());
    }

    #[tokio::test]
    async fn a_holder_certainly_gone_is_taken_over_and_named() {
        let fake = FakeProvider::new();
        let settings =
            LockSettings { stack: "s".into(), bucket: "locks".into(), account_regional: false, legacy_bucket: None };
        let me = Holder::current("apply");
        // A process of this machine, boot and namespace whose id no process has (above pid_max).
        let gone = Holder { pid: 4_999_999, ..me.clone() };
        acquire(&fake, &settings, &gone, Duration::ZERO, |_| {}).await.unwrap();
        let taken = acquire(&fake, &settings, &me, Duration::ZERO, |_| {}).await;
        if me.process.boot_id.is_empty() {
            // Never in CI: a system that does not tell a process's identity skips only by name.
            assert!(
                std::env::var_os("PROVISION_TEST_NO_PROCESS_IDENTITY").is_some(),
                "this system does not tell a process's identity: set PROVISION_TEST_NO_PROCESS_IDENTITY=1 to skip"
            );
            assert!(taken.is_err(), "without /proc nothing is taken over");
        } else {
            assert_eq!(taken.unwrap().took_over.map(|h| h.pid), Some(4_999_999));
            assert_eq!(fake.lock_holder().map(|h| h.pid), Some(me.pid));
        }
    }
}
