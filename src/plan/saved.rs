//! Saved plans (`plan --out FILE`, `apply FILE`): the plan bound to what it was made from and
//! for. `apply FILE` refuses unless the account, region, partition and provision version are the
//! same, stack.toml, its variables and the Lambda code are unchanged, live AWS is unchanged, and
//! the plan computed again is identical to the saved one (every change, action and attribute).

use super::{LiveState, Plan, Reason};
use crate::model::Stack;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// A saved plan larger than this is refused unread (the default stack's is about 10 KiB).
pub const MAX_PLAN_BYTES: u64 = 16 * 1024 * 1024;

/// Version tag of the file format.
pub const FORMAT: &str = "provision-plan/3";

/// What `plan --out` writes.
#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub provision_version: String,
    pub stack: String,
    pub account_id: String,
    pub region: String,
    pub partition: String,
    /// Hash of the desired stack: every attribute (the Lambda code hash included; sensitive
    /// values left out) and local setting.
    pub stack_fingerprint: String,
    /// The sensitive values, salted and slow ([`sensitive_fingerprint`]): a change to one is
    /// refused, and no candidate can be checked against it fast.
    #[serde(default)]
    pub sensitive_fingerprint: String,
    /// The salt of `sensitive_fingerprint` (random per plan).
    #[serde(default)]
    pub sensitive_salt: String,
    /// Hash of the live state the plan was computed from.
    pub live_fingerprint: String,
    /// What the plan was asked for (`--destroy`, `--replace`, `--target`): apply asks again.
    #[serde(default)]
    pub request: super::Request,
    /// The plan itself, as `plan --json` shows it (sensitive values hidden).
    pub plan: Value,
    /// The plan as `plan` printed it (no colors), for `provision show FILE`.
    #[serde(default)]
    pub text: String,
}

impl SavedPlan {
    /// The plan to save, with `text` the way `plan` printed it (no colors), for `show FILE`.
    pub fn new(
        stack: &Stack,
        live: &LiveState,
        plan: &Plan,
        request: &super::Request,
        text: String,
    ) -> serde_json::Result<SavedPlan> {
        let salt = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        Ok(SavedPlan {
            format: FORMAT.into(),
            provision_version: env!("CARGO_PKG_VERSION").into(),
            stack: stack.name.clone(),
            account_id: stack.env.account_id.clone(),
            region: stack.env.region.clone(),
            partition: stack.env.partition().into(),
            stack_fingerprint: stack_fingerprint(stack),
            sensitive_fingerprint: sensitive_fingerprint(stack, &salt),
            sensitive_salt: salt,
            live_fingerprint: live_fingerprint(live, &stack.sensitive),
            request: request.clone(),
            plan: serde_json::to_value(plan)?,
            text,
        })
    }

    /// Reads a saved plan: a regular file of at most [`MAX_PLAN_BYTES`], never more into memory.
    pub fn read(path: &Path) -> anyhow::Result<SavedPlan> {
        use anyhow::Context as _;
        use std::io::Read;
        let shown = crate::output::escape(&path.display().to_string());
        let meta = std::fs::metadata(path).with_context(|| format!("reading {shown}"))?;
        if !meta.is_file() {
            anyhow::bail!("{shown} is not a regular file: a saved plan is the file `provision plan --out FILE` writes");
        }
        let mut bytes = Vec::new();
        let file = std::fs::File::open(path).with_context(|| format!("reading {shown}"))?;
        file.take(MAX_PLAN_BYTES + 1).read_to_end(&mut bytes).with_context(|| format!("reading {shown}"))?;
        if bytes.len() as u64 > MAX_PLAN_BYTES {
            anyhow::bail!("{shown} is larger than {} MiB: not a saved plan", MAX_PLAN_BYTES >> 20);
        }
        serde_json::from_slice(&bytes).with_context(|| format!("{shown} is not a saved plan"))
    }

    /// Why this saved plan cannot be applied to `stack`, `live` and the `plan` computed from them
    /// again, if it cannot. Values read from the file are escaped: it is input.
    pub fn refusal(&self, stack: &Stack, live: &LiveState, plan: &Plan) -> Option<String> {
        use crate::output::escape;
        if self.format != FORMAT {
            return Some(format!("the plan file is {:?}, this provision reads {FORMAT:?}", escape(&self.format)));
        }
        let version = env!("CARGO_PKG_VERSION");
        if self.provision_version != version {
            return Some(format!(
                "it was made by provision {}, this is provision {version}",
                escape(&self.provision_version)
            ));
        }
        if self.stack != stack.name {
            return Some(format!("the plan is for stack {:?}, not {:?}", escape(&self.stack), stack.name));
        }
        if self.account_id != stack.env.account_id {
            return Some(format!(
                "the plan is for account {}, but the credentials are of account {}",
                escape(&self.account_id),
                stack.env.account_id
            ));
        }
        if self.region != stack.env.region || self.partition != stack.env.partition() {
            return Some(format!("the plan is for region {}, not {}", escape(&self.region), stack.env.region));
        }
        if self.stack_fingerprint != stack_fingerprint(stack)
            || self.sensitive_fingerprint != sensitive_fingerprint(stack, &self.sensitive_salt)
        {
            return Some("stack.toml, its variables or the Lambda code changed since the plan was saved".into());
        }
        if self.live_fingerprint != live_fingerprint(live, &stack.sensitive) {
            return Some("live AWS changed since the plan was saved".into());
        }
        let now = serde_json::to_value(plan).unwrap_or(Value::Null);
        first_difference(&self.plan, &now, "plan")
            .map(|path| format!("the saved plan's body differs from the plan computed now, first at {path}"))
    }

    /// The plan its body states, for showing: `show FILE` renders this (the stored text is never
    /// trusted), and `apply FILE` refuses a file whose text says something else. Its counts
    /// are recomputed from its changes; every text in it is input, escaped where it is shown.
    pub fn body(&self) -> anyhow::Result<Plan> {
        use anyhow::Context as _;
        let body: Body = serde_json::from_value(self.plan.clone()).context("the saved plan's body is not a plan")?;
        let mut changes = Vec::with_capacity(body.changes.len());
        for c in body.changes {
            let address = crate::model::Address::parse(&c.address).with_context(|| {
                format!("the saved plan names {:?}, not an address", crate::output::escape_line(&c.address))
            })?;
            changes.push(super::Change {
                address,
                physical_name: c.physical_name,
                location: crate::model::Location::new(&c.account, &c.region),
                action: c.action,
                attributes: c
                    .attributes
                    .into_iter()
                    .map(|a| super::diff::AttrChange {
                        key: a.key,
                        before: a.before.map(stated_attr),
                        after: a.after.map(stated_attr),
                        forces_replacement: a.forces_replacement,
                    })
                    .collect(),
                reasons: c.reasons.into_iter().map(|r| Reason::Stated { code: r.code, message: r.message }).collect(),
                after: Vec::new(),
                remedy: c.remedy,
                desired: None,
                live: None,
                force_destroy: false,
            });
        }
        let summary = super::Summary::of(&changes);
        Ok(Plan { stack: body.stack, changes, summary, known_outputs: Default::default() })
    }

    /// Writes the plan readable by its owner only (0600), atomically (a temporary file renamed
    /// into place), and never through a symlink at `path`.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        write_private(path, text.as_bytes())
    }
}

/// Writes `bytes` to `path` with mode 0600 through a fresh temporary file in the same directory.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "plan".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
    let written = file.write_all(bytes).and_then(|_| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|_| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    Ok(())
}

/// The path of the first place where two JSON documents differ.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if let Some(p) = first_difference(v, w, &format!("{path}.{k}")) {
                            return Some(p);
                        }
                    }
                    None => return Some(format!("{path}.{k}")),
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map(|k| format!("{path}.{k}"))
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(p) = first_difference(v, w, &format!("{path}[{i}]")) {
                    return Some(p);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}[{}]", x.len().min(y.len())))
        }
        _ => (a != b).then(|| path.to_string()),
    }
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Hash of where the stack lives and of every desired resource's attributes and local settings.
pub fn stack_fingerprint(stack: &Stack) -> String {
    let mut hasher = Sha256::new();
    hasher.update(format!("{} {} {}", stack.env.account_id, stack.env.region, stack.env.partition()));
    for r in &stack.resources {
        let local = serde_json::json!({
            "prevent_destroy": r.prevent_destroy,
            "wait": r.wait_timeout.as_secs(),
            "depends_on": r.depends_on,
            "force_destroy": r.spec.force_destroy(),
        });
        hasher.update(r.address.to_string());
        hasher.update(serde_json::to_string(&masked_attributes(&r.spec, &stack.sensitive)).unwrap_or_default());
        hasher.update(local.to_string());
    }
    hex(hasher.finalize())
}

/// What a sensitive attribute's value is replaced by in [`stack_fingerprint`].
static SENSITIVE: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| Value::String("(sensitive)".into()));

/// PBKDF2-HMAC-SHA256 rounds of [`sensitive_fingerprint`] (OWASP's figure for it): each guess
/// at a sensitive value costs as much.
const SENSITIVE_ROUNDS: u32 = 600_000;

/// The stack's sensitive values, salted and slow: empty when it has none.
pub fn sensitive_fingerprint(stack: &Stack, salt: &str) -> String {
    if stack.sensitive.is_empty() {
        return String::new();
    }
    let mut values = stack.sensitive.clone();
    values.sort();
    let password = serde_json::to_string(&values).unwrap_or_default();
    let mut out = [0u8; 32];
    let rounds = std::num::NonZeroU32::new(SENSITIVE_ROUNDS).unwrap_or(std::num::NonZeroU32::MIN);
    aws_lc_rs::pbkdf2::derive(
        aws_lc_rs::pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt.as_bytes(),
        password.as_bytes(),
        &mut out,
    );
    hex(out)
}

/// Attributes with their real values, but those holding a sensitive value.
fn masked_attributes(spec: &crate::model::Spec, sensitive: &[String]) -> Vec<(String, Value)> {
    spec.attributes()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                crate::model::Attr::Value(v) => v,
                other => serde_json::to_value(&other).unwrap_or(Value::Null),
            };
            if sensitive.iter().any(|s| super::planner::holds(&v, s)) {
                (k, SENSITIVE.clone())
            } else {
                (k, v)
            }
        })
        .collect()
}

/// Hash of the live state: each resource's attributes (sensitive values left out), ARN and
/// problem, in address order.
pub fn live_fingerprint(live: &LiveState, sensitive: &[String]) -> String {
    let mut entries: Vec<(String, String)> = live
        .by_address
        .iter()
        .map(|(a, l)| (a.to_string(), describe(l.as_ref(), sensitive)))
        .chain(live.orphans.iter().map(|(a, l)| (format!("orphan {a}"), describe(Some(l), sensitive))))
        .chain(live.foreign.iter().map(|a| (format!("foreign {a}"), String::new())))
        .collect();
    entries.sort();
    let mut hasher = Sha256::new();
    for (address, state) in entries {
        hasher.update(address);
        hasher.update(state);
    }
    hex(hasher.finalize())
}

fn describe(live: Option<&crate::model::Live>, sensitive: &[String]) -> String {
    match live {
        None => "absent".into(),
        Some(l) => format!(
            "{} {:?} {}",
            l.arn,
            l.problem,
            serde_json::to_string(&masked_attributes(&l.spec, sensitive)).unwrap_or_default()
        ),
    }
}

/// A saved plan's body as `plan --json` writes it.
#[derive(serde::Deserialize)]
struct Body {
    stack: String,
    changes: Vec<BodyChange>,
}

#[derive(serde::Deserialize)]
struct BodyChange {
    address: String,
    physical_name: String,
    account: String,
    region: String,
    action: super::Action,
    attributes: Vec<BodyAttribute>,
    reasons: Vec<BodyReason>,
    remedy: Option<String>,
}

#[derive(serde::Deserialize)]
struct BodyAttribute {
    key: String,
    // Left out when there is none; a JSON null is a value.
    #[serde(default, deserialize_with = "present")]
    before: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    after: Option<Value>,
    forces_replacement: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(serde::Deserialize)]
struct BodyReason {
    code: String,
    message: String,
}

/// An attribute's value as the body states it: the unknown and sensitive placeholders read back
/// as themselves.
fn stated_attr(v: Value) -> crate::model::Attr {
    use crate::model::Attr;
    match v.as_str() {
        Some(crate::model::UNKNOWN) => Attr::Unknown,
        Some(crate::output::SENSITIVE) => Attr::Sensitive,
        _ => Attr::Value(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sensitive_values_are_in_no_fingerprint_that_can_be_checked_fast() {
        let with = |secret: &str| {
            let text = crate::testing::DEFAULT_STACK
                .replace("[variables]", &format!("[variables]\ntoken = {{ default = \"{secret}\", sensitive = true }}"))
                .replace("publish = true", "publish = true\nenvironment = { TOKEN = \"${var.token}\" }");
            crate::testing::stack(&text)
        };
        let (a, b) = (with("guessable-1"), with("guessable-2"));
        let live = LiveState::default();
        let plan = super::super::build(&a, &live).unwrap();
        let saved = SavedPlan::new(&a, &live, &plan, &Default::default(), String::new()).unwrap();
        // The fast hashes do not depend on the secret: nothing to check guesses against.
        assert_eq!(stack_fingerprint(&a), stack_fingerprint(&b));
        assert!(!serde_json::to_string(&saved).unwrap().contains("guessable-1"));
        // The slow one does, salted per plan; a changed secret is refused.
        assert_ne!(sensitive_fingerprint(&a, &saved.sensitive_salt), sensitive_fingerprint(&b, &saved.sensitive_salt));
        assert_ne!(sensitive_fingerprint(&a, "salt-1"), sensitive_fingerprint(&a, "salt-2"));
        assert_eq!(saved.refusal(&a, &live, &plan), None);
        let plan_b = super::super::build(&b, &live).unwrap();
        let refused = saved.refusal(&b, &live, &plan_b).unwrap();
        assert!(refused.contains("stack.toml, its variables or the Lambda code changed"), "{refused}");
    }

    /// `show FILE` renders the body; a file whose stored text says something else (a destroy
    /// relabelled "No changes.") is refused by `apply FILE`, and shown as its body says.
    #[test]
    fn the_body_is_what_is_shown_and_a_text_that_disagrees_is_refused() {
        let stack = crate::testing::stack(crate::testing::DEFAULT_STACK);
        let live = LiveState::default();
        let plan = super::super::build(&stack, &live).unwrap();
        let text = crate::render::plan::render(&plan, crate::render::Style { color: false });
        let mut saved = SavedPlan::new(&stack, &live, &plan, &Default::default(), text.clone()).unwrap();
        let shown = crate::render::plan::render(&saved.body().unwrap(), crate::render::Style { color: false });
        assert_eq!(shown, text);
        assert!(crate::render::plan::saved_text_matches(&saved).is_ok());
        saved.text = "No changes. Live resources match the stack.\n".into();
        assert!(crate::render::plan::saved_text_matches(&saved)
            .unwrap_err()
            .to_string()
            .contains("does not say what its body does"));
        let shown = crate::render::plan::render(&saved.body().unwrap(), crate::render::Style { color: false });
        assert!(shown.contains("Plan: 6 to add"), "{shown}");
    }

    #[test]
    fn finds_the_first_difference() {
        let a = json!({"changes": [{"action": "create", "attributes": [1, 2]}], "summary": {"add": 1}});
        let mut b = a.clone();
        assert_eq!(first_difference(&a, &b, "plan"), None);
        b["changes"][0]["attributes"][1] = json!(3);
        assert_eq!(first_difference(&a, &b, "plan").as_deref(), Some("plan.changes[0].attributes[1]"));
        let c = json!({"changes": [], "summary": {"add": 1}});
        assert_eq!(first_difference(&a, &c, "plan").as_deref(), Some("plan.changes[0]"));
    }

    #[test]
    fn plan_files_are_private_and_replace_a_symlink_instead_of_following_it() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        std::fs::write(&target, "keep me").unwrap();
        let path = dir.path().join("plan.json");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        write_private(&path, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        assert!(!std::fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
