//! Ctrl-C and SIGTERM, one policy for every command. An interrupt ends the run at once, after
//! cleaning up: the stack's lock is released and local processes (preview's Lambda workers and
//! jq) are killed with their whole process groups. While a [`Graceful`] section runs (apply's
//! executor, `send`), the first interrupt only asks it to start nothing new, and a second one
//! cleans up and ends the run. Either way the exit code is 130, or 1 when a graceful section
//! stopped early and reported what it did.

use crate::errln;
use crate::provider::{LockHandle, StateStore};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::watch;

/// Exit code of a run ended by an interrupt (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static COUNT: AtomicU32 = AtomicU32::new(0);
static GRACEFUL: AtomicUsize = AtomicUsize::new(0);
static MESSAGE: Mutex<String> = Mutex::new(String::new());
static HELD_LOCK: Mutex<Option<(Arc<dyn StateStore>, LockHandle)>> = Mutex::new(None);
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

fn stop_channel() -> &'static watch::Sender<bool> {
    static STOP: OnceLock<watch::Sender<bool>> = OnceLock::new();
    STOP.get_or_init(|| watch::channel(false).0)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts listening for SIGINT and SIGTERM. Call once, inside the runtime, before any work.
pub fn install() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
            return;
        };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                interrupted().await;
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            interrupted().await;
        }
    });
}

/// One interrupt: a graceful section's first stops new work; any other ends the run.
async fn interrupted() {
    let n = COUNT.fetch_add(1, Ordering::SeqCst) + 1;
    // Decided before the stop is signalled: a section that stops may end (and leave) at once.
    let graceful = n == 1 && GRACEFUL.load(Ordering::SeqCst) > 0;
    if graceful {
        errln!("\n{}", lock(&MESSAGE));
    }
    stop_channel().send_replace(true);
    if !graceful {
        abort().await;
    }
}

/// Whether an interrupt has been received.
pub fn requested() -> bool {
    COUNT.load(Ordering::SeqCst) > 0
}

/// Turns true at the first interrupt.
pub fn stop_signal() -> watch::Receiver<bool> {
    stop_channel().subscribe()
}

/// While alive, the first interrupt only stops new work (see the module's doc).
#[derive(Debug)]
pub struct Graceful(());

/// Enters a graceful section; `message` is printed at the first interrupt.
pub fn graceful(message: &str) -> Graceful {
    *lock(&MESSAGE) = message.to_string();
    GRACEFUL.fetch_add(1, Ordering::SeqCst);
    Graceful(())
}

impl Drop for Graceful {
    fn drop(&mut self) {
        GRACEFUL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Registers the lock this run holds, for an interrupt to release it.
pub fn hold_lock(provider: Arc<dyn StateStore>, handle: LockHandle) {
    *lock(&HELD_LOCK) = Some((provider, handle));
}

/// The run released its lock itself (or is about to): an interrupt has nothing to release.
pub fn forget_lock() {
    lock(&HELD_LOCK).take();
}

/// Registers a child process group (its leader's pid), killed whole on interrupt.
pub fn register_group(pid: u32) {
    lock(&GROUPS).push(pid);
}

/// The group is gone (killed or ended): forget it.
pub fn unregister_group(pid: u32) {
    lock(&GROUPS).retain(|p| *p != pid);
}

/// Kills a child process group: its leader and every process it started.
pub fn kill_group(pid: u32) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{killpg, Signal};
        use nix::unistd::Pid;
        if let Ok(pid) = i32::try_from(pid) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Cleans up and ends the run: every registered process group killed, the lock released (for
/// at most 5 s), exit 130.
async fn abort() {
    let groups = std::mem::take(&mut *lock(&GROUPS));
    for pid in groups {
        kill_group(pid);
    }
    let held = lock(&HELD_LOCK).take();
    match held {
        Some((provider, handle)) => {
            let released = tokio::time::timeout(Duration::from_secs(5), provider.release(&handle)).await;
            match released {
                Ok(Ok(_)) => errln!(
                    "\nInterrupted: the stack's lock is released. Run the command again to continue from what exists."
                ),
                _ => errln!("\nInterrupted; the stack's lock could not be released: run `provision unlock`."),
            }
        }
        None => errln!("\nInterrupted."),
    }
    #[allow(clippy::exit)]
    std::process::exit(i32::from(EXIT_INTERRUPTED));
}
