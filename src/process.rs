//! This process and others of this machine, as far as the system tells: who a process is,
//! precisely enough to tell later that it is gone (a lock holder), and the host's name. A bottom
//! layer: it uses nothing of provision.

use serde::{Deserialize, Serialize};

/// Where a process runs, precisely enough to tell later that it is gone. Empty fields: unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProcessIdentity {
    /// `/etc/machine-id`.
    #[serde(default)]
    pub machine_id: String,
    /// `/proc/sys/kernel/random/boot_id`: new at every boot.
    #[serde(default)]
    pub boot_id: String,
    /// The PID namespace (`/proc/self/ns/pid`), e.g. `pid:[4026531836]`.
    #[serde(default)]
    pub pid_namespace: String,
    /// The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    #[serde(default)]
    pub start_time: u64,
}

impl ProcessIdentity {
    /// This process's identity, as far as the system tells it.
    pub fn of_this_process() -> ProcessIdentity {
        let read = |path: &str| std::fs::read_to_string(path).map(|s| s.trim().to_string()).unwrap_or_default();
        let machine_id =
            Some(read("/etc/machine-id")).filter(|s| !s.is_empty()).unwrap_or_else(|| read("/var/lib/dbus/machine-id"));
        ProcessIdentity {
            machine_id,
            boot_id: read("/proc/sys/kernel/random/boot_id"),
            pid_namespace: std::fs::read_link("/proc/self/ns/pid")
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            start_time: process_start_time(std::process::id()).unwrap_or(0),
        }
    }
}

/// The start time (clock ticks since boot) of the process `pid` of this PID namespace, or `None`
/// when no such process exists.
pub fn process_start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (command) state ...`: the command may hold spaces and parentheses; fields restart
    // after the last `)`, with field 3 (state) first, so field 22 (starttime) is the 20th.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The host's name, for people reading who holds a lock.
pub fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}
