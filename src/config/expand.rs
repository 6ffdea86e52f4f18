//! Expansion, one stage with one job: the parsed files -> the module instances the builder
//! builds, each with its module path, its file, the variable values its call writes and the
//! `each` of its call. stack.toml is the first instance; `[module.NAME]` adds one instance (or
//! one per `for_each` key), whose file may call modules in turn. Module files are read once
//! each, however many instances use them.

use crate::model::address::{is_valid_key, module_display};
use crate::model::diagnostic::{did_you_mean, Diagnostic, Locator, Rule};
use crate::model::stack_file::Each;
use crate::model::{AttrPath, Kind, ModulePath, ModuleStep, Position, StackFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parsed file: stack.toml, or a module file.
pub struct SourceFile {
    /// As named (stack.toml as on the command line; a module file relative to it).
    pub path: PathBuf,
    pub file: StackFile,
    pub locator: Locator,
}

/// One module instance (stack.toml itself is the first).
pub struct Instance {
    /// Where it is in the stack: empty for stack.toml.
    pub module: ModulePath,
    /// Its file, an index into the loaded files.
    pub file: usize,
    /// The instance calling it (`None`: stack.toml).
    pub caller: Option<usize>,
    /// Values the call writes for the module's variables, raw: interpolated in the caller's
    /// instance, with the call's `each`.
    pub passed: BTreeMap<String, String>,
    /// The `for_each` instance of the call.
    pub each: Option<Each>,
    /// Where the call puts the instance, raw like `passed` (`None`: the caller's).
    pub placement: Placement,
}

/// `region`, `assume_role` and `external_id` as a call (or `[stack]`) writes them, raw.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    pub region: Option<String>,
    pub assume_role: Option<String>,
    pub external_id: Option<String>,
}

impl Instance {
    /// `module.tenant[acme]`, empty for stack.toml.
    pub fn display(&self) -> String {
        module_display(&self.module)
    }
}

/// How deep modules may call modules.
pub const MAX_DEPTH: usize = 16;
/// How many module instances a stack may expand to (bounded memory, whatever the files say).
pub const MAX_INSTANCES: usize = 10_000;
/// How many resources a stack may declare once modules and `for_each` are expanded, together:
/// 1,000 pipelines of seven resources fit, and no stack file makes provision build more.
pub const MAX_RESOURCES: usize = 10_000;

/// The error saying the expanded stack declares more than [`MAX_RESOURCES`], if it does, counted
/// from the files without building any (located at the call that passes the limit).
pub fn too_many_resources(files: &[SourceFile], instances: &[Instance]) -> Option<Diagnostic> {
    let mut total = 0usize;
    for instance in instances {
        total = total.saturating_add(files[instance.file].file.resource_instances());
        if total > MAX_RESOURCES {
            let (file, position, path) = match (instance.caller, instance.module.last()) {
                (Some(caller), Some(call)) => (
                    instances[caller].file,
                    Position::call(&instance.module).at("for_each"),
                    AttrPath::root().key("module").key(&call.name).key("for_each"),
                ),
                _ => (0, Position::stack_file(AttrPath::root().key("stack")), AttrPath::root().key("stack")),
            };
            let d = Diagnostic::error(
                Rule::F2,
                position,
                format!(
                    "the stack declares more than {MAX_RESOURCES} resources once modules and for_each are expanded"
                ),
            )
            .with_help("split it into several stacks (each file, its own [stack] name)");
            return Some(files[file].locator.locate_at(d, &path));
        }
    }
    None
}

/// Reads module files: how [`expand`] gets a file, so that it stays free of I/O in tests.
pub trait Reader {
    /// The file a call's `source` names (relative to `dir`, the caller's directory) and its
    /// canonical path (each file is read once), or why it may not be read (naming the path,
    /// never the file's content): it must be a `.toml` file inside `root`.
    fn resolve(&mut self, dir: &Path, source: &str, root: &Path) -> Result<(PathBuf, PathBuf), String>;
    /// The parsed file at `path`, and the problems found parsing it (located in it).
    fn read(&mut self, path: &Path) -> Result<(StackFile, Locator, Vec<Diagnostic>), Vec<Diagnostic>>;
}

/// Expands the modules of `files[0]` (stack.toml), adding the module files read to `files`.
/// Module sources must resolve, symlinks followed, to a `.toml` file inside `root` (the project:
/// the stack file's directory unless the user names another). Problems are returned located
/// (module call problems in the caller's file).
pub fn expand(files: &mut Vec<SourceFile>, reader: &mut dyn Reader, root: &Path) -> (Vec<Instance>, Vec<Diagnostic>) {
    let mut instances = vec![Instance {
        module: Vec::new(),
        file: 0,
        caller: None,
        passed: BTreeMap::new(),
        each: None,
        placement: Placement::default(),
    }];
    let mut diagnostics = Vec::new();
    // Module files by canonical path, so that each is read once.
    let mut by_path: BTreeMap<PathBuf, usize> = BTreeMap::new();
    by_path.insert(canonical(&files[0].path), 0);
    let mut next = 0;
    while next < instances.len() {
        let caller = next;
        next += 1;
        let caller_file = instances[caller].file;
        let calls: Vec<(String, crate::model::stack_file::ModuleSection)> =
            files[caller_file].file.module.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (name, call) in calls {
            // The call, as the diagnostics name it (`module.NAME` of the caller's instance), and
            // its table's path in the caller's file, where they are located.
            let mut called = instances[caller].module.clone();
            called.push(ModuleStep { name: name.clone(), key: None });
            let call_key = Position::call(&called);
            let call_path = AttrPath::root().key("module").key(&name);
            let at = |d: Diagnostic, files: &Vec<SourceFile>| {
                let path = call_path.clone().join(d.position.path());
                files[caller_file].locator.locate_at(d, &path)
            };
            if instances[caller].module.len() >= MAX_DEPTH {
                diagnostics.push(at(
                    Diagnostic::error(Rule::Module, &call_key, format!("modules nest more than {MAX_DEPTH} deep"))
                        .with_help("a module may use modules, a few levels deep"),
                    files,
                ));
                continue;
            }
            let dir = files[caller_file].path.parent().map(Path::to_path_buf).unwrap_or_default();
            let (path, key) = match reader.resolve(&dir, &call.source, root) {
                Ok(found) => found,
                Err(message) => {
                    diagnostics.push(at(
                        Diagnostic::error(Rule::Module, call_key.at("source"), message).with_help(format!(
                            "source is a directory holding module.toml, or a .toml file, relative to the file naming it and inside {} (or name the project's directory with --project-dir)",
                            crate::output::escape(&root.display().to_string())
                        )),
                        files,
                    ));
                    continue;
                }
            };
            // A cycle: the file is one of the callers' own.
            let mut chain = vec![caller_file];
            let mut up = instances[caller].caller;
            while let Some(i) = up {
                chain.push(instances[i].file);
                up = instances[i].caller;
            }
            if let Some(&f) = by_path.get(&key) {
                if chain.contains(&f) {
                    let mut names: Vec<String> =
                        chain.iter().rev().map(|i| files[*i].path.display().to_string()).collect();
                    names.push(files[f].path.display().to_string());
                    diagnostics.push(at(
                        Diagnostic::error(
                            Rule::Module,
                            call_key.at("source"),
                            format!("modules use each other in a cycle: {}", names.join(" -> ")),
                        )
                        .with_help("a module may use other modules, never itself through them"),
                        files,
                    ));
                    continue;
                }
            }
            let file = match by_path.get(&key) {
                Some(&f) => f,
                None => match reader.read(&path) {
                    Ok((file, locator, problems)) => {
                        diagnostics.extend(problems);
                        if file.stack.is_some() {
                            let stack = Position::InFile { file: path.clone(), path: AttrPath::root().key("stack") };
                            diagnostics.push(locator.locate(
                                Diagnostic::error(Rule::Module, stack, "a module file has no [stack]").with_help(
                                    "the stack's name, region, tags and lock are the caller's: remove [stack]",
                                ),
                            ));
                        }
                        files.push(SourceFile { path: path.clone(), file, locator });
                        by_path.insert(key, files.len() - 1);
                        files.len() - 1
                    }
                    // Parsed, but nothing sensible left: its own problems say why.
                    Err(problems) if !problems.is_empty() => {
                        diagnostics.extend(problems);
                        continue;
                    }
                    Err(_) => {
                        diagnostics.push(at(
                            Diagnostic::error(
                                Rule::Module,
                                call_key.at("source"),
                                format!("cannot read module {}", crate::output::escape(&path.display().to_string())),
                            )
                            .with_help("source is a directory holding module.toml, or a .toml file, relative to the file naming it"),
                            files,
                        ));
                        continue;
                    }
                },
            };
            check_variables(
                &call_key,
                &call_path,
                &call.variables,
                &files[file],
                &files[caller_file],
                &mut diagnostics,
            );
            let each: Vec<Option<Each>> = match &call.for_each {
                None => vec![None],
                Some(f) => f.instances().into_iter().map(Some).collect(),
            };
            for each in each {
                let key = each.as_ref().map(|e| e.key.clone());
                if let Some(k) = key.as_deref().filter(|k| !is_valid_key(k)) {
                    diagnostics.push(at(invalid_key(&call_key.at("for_each"), k), files));
                    continue;
                }
                if instances.len() >= MAX_INSTANCES {
                    diagnostics.push(at(
                        Diagnostic::error(
                            Rule::Module,
                            &call_key,
                            format!("the stack expands to more than {MAX_INSTANCES} module instances"),
                        ),
                        files,
                    ));
                    return (instances, diagnostics);
                }
                let mut module = instances[caller].module.clone();
                module.push(ModuleStep { name: name.clone(), key });
                instances.push(Instance {
                    module,
                    file,
                    caller: Some(caller),
                    passed: call.variables.clone(),
                    each,
                    placement: Placement {
                        region: call.region.clone(),
                        assume_role: call.assume_role.clone(),
                        external_id: call.external_id.clone(),
                    },
                });
            }
        }
    }
    (instances, diagnostics)
}

/// Rule N8: the names of a file's `[kind.NAME]` and `[module.NAME]` tables are 1 to 64 of
/// `A-Z a-z 0-9 _ -`, as `for_each` keys are: a name holding `=`, `.` or brackets could spell
/// another declaration's address or ownership tag (`[bucket."data=eu"]` and `bucket.data` with
/// `for_each = ["eu"]` would both be tagged `bucket.data=eu`).
pub fn check_names(file: &SourceFile) -> Vec<Diagnostic> {
    let tables = Kind::ALL.iter().flat_map(|kind| file.file.names(*kind).into_iter().map(move |n| (kind.as_str(), n)));
    let modules = file.file.module.keys().map(|n| ("module", n.clone()));
    tables
        .chain(modules)
        .filter(|(_, name)| !is_valid_key(name))
        .map(|(kind, name)| {
            file.locator.locate(
                Diagnostic::error(
                    Rule::N8,
                    Position::InFile { file: file.path.clone(), path: AttrPath::root().key(kind).key(&name) },
                    format!(
                        "the name {:?} cannot be part of an address or an ownership tag",
                        crate::output::escape(&name)
                    ),
                )
                .with_help(format!("a {kind} table's name is 1 to 64 of A-Z a-z 0-9 _ -")),
            )
        })
        .collect()
}

/// The error for a `for_each` key that cannot be part of an address.
pub fn invalid_key(at: &Position, key: &str) -> Diagnostic {
    Diagnostic::error(
        Rule::F1,
        at,
        format!("for_each key {:?} cannot be part of an address", crate::output::escape(key)),
    )
    .with_help("1 to 64 of A-Z a-z 0-9 _ -")
}

/// The variables a call writes must be the module's, and those without a default given.
fn check_variables(
    call_key: &Position,
    call_path: &AttrPath,
    given: &BTreeMap<String, String>,
    module: &SourceFile,
    caller: &SourceFile,
    out: &mut Vec<Diagnostic>,
) {
    let declared = &module.file.variables;
    let known: Vec<&str> = declared.keys().map(String::as_str).collect();
    for name in given.keys().filter(|n| !declared.contains_key(*n)) {
        let hint =
            did_you_mean(name, known.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
        let listed = if known.is_empty() { "none".to_string() } else { known.join(", ") };
        out.push(
            caller.locator.locate_at(
                Diagnostic::error(
                    Rule::Variable,
                    call_key.at("variables").at(name),
                    format!("{} has no variable `{name}`", module.path.display()),
                )
                .with_help(format!("{hint}its variables: {listed}")),
                &call_path.clone().key("variables").key(name),
            ),
        );
    }
    for (name, v) in declared {
        if v.default_value().is_none() && !given.contains_key(name) {
            out.push(
                caller.locator.locate_at(
                    Diagnostic::error(
                        Rule::Variable,
                        call_key.at("variables"),
                        format!("the module's variable `{name}` has no default and is not given"),
                    )
                    .with_help(format!("give it: variables = {{ {name} = \"...\" }}")),
                    &call_path.clone().key("variables"),
                ),
            );
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A module call's file on disk: `source` (relative to `dir`; a directory means its
/// `module.toml`), and its canonical path, which must lie inside `root` and name a `.toml` file.
/// The error names the path, never what the file holds.
pub fn resolve_source(dir: &Path, source: &str, root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let shown = |p: &Path| crate::output::escape(&p.display().to_string());
    let mut path = dir.join(source);
    if path.is_dir() {
        path = path.join("module.toml");
    }
    let real = crate::input::inside(&path, root)?;
    if real.extension().and_then(|e| e.to_str()) != Some("toml") || !real.is_file() {
        return Err(format!(
            "{} is not a module file (a .toml file, or a directory holding module.toml)",
            shown(&path)
        ));
    }
    Ok((path, real))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Module files from memory.
    struct Files(BTreeMap<PathBuf, &'static str>);

    impl Reader for Files {
        fn resolve(&mut self, dir: &Path, source: &str, _root: &Path) -> Result<(PathBuf, PathBuf), String> {
            let path = dir.join(source);
            if self.0.contains_key(&path) {
                Ok((path.clone(), path))
            } else {
                Err(format!("cannot read module {}", path.display()))
            }
        }

        fn read(&mut self, path: &Path) -> Result<(StackFile, Locator, Vec<Diagnostic>), Vec<Diagnostic>> {
            let text = self.0.get(path).ok_or_else(Vec::new)?;
            Ok((toml::from_str(text).unwrap(), Locator::new(path, text), Vec::new()))
        }
    }

    fn root(text: &str) -> Vec<SourceFile> {
        let path = PathBuf::from("stack.toml");
        vec![SourceFile { file: toml::from_str(text).unwrap(), locator: Locator::new(&path, text), path }]
    }

    #[test]
    fn each_key_of_a_call_is_an_instance_and_modules_use_modules() {
        let mut files = root(
            "[stack]\nname = \"s\"\n[module.tenant]\nsource = \"m.toml\"\nfor_each = [\"acme\", \"globex\"]\nvariables = { who = \"${each.key}\" }\n",
        );
        let mut reader = Files(BTreeMap::from([
            (PathBuf::from("m.toml"), "[variables]\nwho = {}\n[module.inner]\nsource = \"n.toml\"\n"),
            (PathBuf::from("n.toml"), "[bucket.b]\nname = \"x\"\n"),
        ]));
        let (instances, problems) = expand(&mut files, &mut reader, Path::new("/"));
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<String> = instances.iter().map(Instance::display).collect();
        assert_eq!(
            names,
            [
                "",
                "module.tenant[acme]",
                "module.tenant[globex]",
                "module.tenant[acme].module.inner",
                "module.tenant[globex].module.inner"
            ]
        );
        assert_eq!(files.len(), 3, "each module file is read once");
        assert_eq!(instances[1].each.as_ref().unwrap().key, "acme");
        assert_eq!(instances[1].passed["who"], "${each.key}");
    }

    #[test]
    fn a_cycle_is_named_and_variables_are_checked() {
        let mut files =
            root("[stack]\nname = \"s\"\n[module.a]\nsource = \"a.toml\"\nvariables = { colour = \"red\" }\n");
        let mut reader = Files(BTreeMap::from([
            (PathBuf::from("a.toml"), "[variables]\ncolor = \"blue\"\nsize = {}\n[module.b]\nsource = \"b.toml\"\nvariables = { size = \"1\" }\n"),
            (PathBuf::from("b.toml"), "[variables]\nsize = {}\n[module.a]\nsource = \"a.toml\"\nvariables = { size = \"1\" }\n"),
        ]));
        let (_, problems) = expand(&mut files, &mut reader, Path::new("/"));
        let text: Vec<String> = problems.iter().map(|d| format!("{}: {}: {:?}", d.key(), d.message, d.help)).collect();
        assert!(text.iter().any(|t| t.contains("cycle: stack.toml -> a.toml -> b.toml -> a.toml")), "{text:?}");
        assert!(
            text.iter().any(|t| t.contains("module.a.variables.colour") && t.contains("did you mean `color`")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("`size` has no default")), "{text:?}");
    }

    /// Module files generated by a test (kept for the test's life).
    fn generated(files: Vec<(String, String)>) -> Files {
        Files(files.into_iter().map(|(p, t)| (PathBuf::from(p), &*Box::leak(t.into_boxed_str()))).collect())
    }

    #[test]
    fn modules_nested_deeper_than_the_limit_are_an_error_at_the_call() {
        // m0 calls m1 ... calls m20: a chain of distinct files, no cycle.
        let mut files = root("[stack]\nname = \"s\"\n[module.m]\nsource = \"m0.toml\"\n");
        let chain = (0..=20)
            .map(|i| (format!("m{i}.toml"), format!("[module.m]\nsource = \"m{}.toml\"\n", i + 1)))
            .chain([("m21.toml".to_string(), String::new())])
            .collect();
        let (instances, problems) = expand(&mut files, &mut generated(chain), Path::new("/"));
        let deep: Vec<&Diagnostic> = problems.iter().filter(|d| d.message.contains("nest more than 16 deep")).collect();
        assert!(!deep.is_empty(), "{problems:?}");
        assert_eq!(instances.iter().map(|i| i.module.len()).max(), Some(MAX_DEPTH), "expansion stops at the limit");
        // Within the limit: no problem.
        let mut files = root("[stack]\nname = \"s\"\n[module.m]\nsource = \"m0.toml\"\n");
        let chain = (0..15)
            .map(|i| (format!("m{i}.toml"), format!("[module.m]\nsource = \"m{}.toml\"\n", i + 1)))
            .chain([("m15.toml".to_string(), String::new())])
            .collect();
        let (_, problems) = expand(&mut files, &mut generated(chain), Path::new("/"));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn more_module_instances_than_the_limit_stop_the_expansion_with_an_error() {
        let keys = |n: usize| (0..n).map(|i| format!("\"k{i}\"")).collect::<Vec<_>>().join(", ");
        // 101 instances of a, each with 100 of b: 10,201 instances.
        let mut files =
            root(&format!("[stack]\nname = \"s\"\n[module.a]\nsource = \"a.toml\"\nfor_each = [{}]\n", keys(101)));
        let module_files = vec![
            ("a.toml".to_string(), format!("[module.b]\nsource = \"b.toml\"\nfor_each = [{}]\n", keys(100))),
            ("b.toml".to_string(), String::new()),
        ];
        let (instances, problems) = expand(&mut files, &mut generated(module_files.clone()), Path::new("/"));
        assert_eq!(instances.len(), MAX_INSTANCES, "expansion stops at the limit");
        assert!(
            problems
                .iter()
                .any(|d| d.key().ends_with("].module.b") && d.message.contains("more than 10000 module instances")),
            "{problems:?}"
        );
        // 98 of a: 1 + 98 + 9,800 instances, within it.
        let mut files =
            root(&format!("[stack]\nname = \"s\"\n[module.a]\nsource = \"a.toml\"\nfor_each = [{}]\n", keys(98)));
        let (instances, problems) = expand(&mut files, &mut generated(module_files), Path::new("/"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(instances.len(), 1 + 98 + 98 * 100);
    }

    #[test]
    fn a_missing_module_file_and_a_bad_key_are_errors() {
        let mut files = root(
            "[stack]\nname = \"s\"\n[module.gone]\nsource = \"nowhere\"\n[module.t]\nsource = \"m.toml\"\nfor_each = [\"a b\"]\n",
        );
        let mut reader = Files(BTreeMap::from([(PathBuf::from("m.toml"), "")]));
        let (instances, problems) = expand(&mut files, &mut reader, Path::new("/"));
        assert_eq!(instances.len(), 1);
        let keys: Vec<String> = problems.iter().map(|d| d.key()).collect();
        let rules: Vec<(&str, &str)> = problems.iter().zip(&keys).map(|(d, k)| (d.rule.as_str(), k.as_str())).collect();
        assert_eq!(rules, [("module", "module.gone.source"), ("F1", "module.t.for_each")]);
        assert_eq!(problems[0].location.as_ref().unwrap().line, 4);
    }
}
