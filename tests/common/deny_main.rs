#![allow(clippy::print_stderr)]
//! `deny-sandbox [--landlock] [--namespaces] [--seccomp] -- PROGRAM ARGS`: runs PROGRAM on a
//! system made to lack what preview's sandbox uses, as an older or locked-down kernel would:
//! Landlock's calls answer ENOSYS (a kernel without it), `unshare` answers EPERM (namespaces
//! refused), `seccomp` and `prctl(PR_SET_SECCOMP)` answer EINVAL (no seccomp filters). The
//! suite runs provision under it to check what `--require-sandbox` refuses and what preview's
//! warning names.

#[cfg(target_os = "linux")]
fn main() -> std::process::ExitCode {
    use seccompiler::{SeccompAction, SeccompFilter, SeccompRule};
    use std::collections::BTreeMap;
    use std::os::unix::process::CommandExt;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(split) = args.iter().position(|a| a == "--") else {
        eprintln!("usage: deny-sandbox [--landlock] [--namespaces] [--seccomp] -- PROGRAM ARGS");
        return std::process::ExitCode::from(2);
    };
    let (flags, command) = (&args[..split], &args[split + 1..]);
    // What each flag takes away: the calls, and what they answer instead.
    let mut denials: Vec<(&str, Vec<i64>, i32)> = Vec::new();
    for flag in flags {
        match flag.as_str() {
            "--landlock" => denials.push((
                "landlock",
                vec![libc::SYS_landlock_create_ruleset, libc::SYS_landlock_add_rule, libc::SYS_landlock_restrict_self],
                libc::ENOSYS,
            )),
            "--namespaces" => denials.push(("namespaces", vec![libc::SYS_unshare], libc::EPERM)),
            "--seccomp" => denials.push(("seccomp", vec![libc::SYS_seccomp], libc::EINVAL)),
            other => {
                eprintln!("deny-sandbox: unknown flag {other}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    if let Err(e) = nix::sys::prctl::set_no_new_privs() {
        eprintln!("deny-sandbox: no_new_privs: {e}");
        return std::process::ExitCode::from(1);
    }
    let arch: seccompiler::TargetArch = std::env::consts::ARCH.try_into().expect("a supported architecture");
    // One filter per answer (a filter has one action for the calls it matches); the one that
    // takes seccomp away last, since no filter can be installed after it.
    denials.sort_by_key(|(name, _, _)| *name == "seccomp");
    for (name, calls, errno) in denials {
        let rules: BTreeMap<i64, Vec<SeccompRule>> = calls.into_iter().map(|c| (c, Vec::new())).collect();
        let filter = match SeccompFilter::new(rules, SeccompAction::Allow, SeccompAction::Errno(errno as u32), arch) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("deny-sandbox: {name}: {e}");
                return std::process::ExitCode::from(1);
            }
        };
        let applied = seccompiler::BpfProgram::try_from(filter)
            .map_err(|e| e.to_string())
            .and_then(|p| seccompiler::apply_filter(&p).map_err(|e| e.to_string()));
        if let Err(e) = applied {
            eprintln!("deny-sandbox: {name}: {e}");
            return std::process::ExitCode::from(1);
        }
    }
    let Some((program, rest)) = command.split_first() else { return std::process::ExitCode::from(2) };
    let error = std::process::Command::new(program).args(rest).exec();
    eprintln!("deny-sandbox: cannot run {program}: {error}");
    std::process::ExitCode::from(127)
}

#[cfg(not(target_os = "linux"))]
fn main() {}
