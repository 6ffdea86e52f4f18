//! The table of declarations, made once the files are expanded: each block (`[kind.NAME]`) and
//! each module call (`[module.NAME]`) by its config address, with its file and its range, and
//! the file of each module path. A diagnostic's [`Position`] yields its declaration; its
//! attribute is then found inside that block, step by step (Terraform's `DeclRange`): nothing
//! is searched for by its printed key.

use super::expand::{Instance, SourceFile};
use crate::model::address::Declared;
use crate::model::diagnostic::Diagnostic;
use crate::model::{AttrPath, ConfigAddress, Kind, Position};
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

/// Where each declaration is written.
#[derive(Debug, Default)]
pub struct Declarations {
    /// The file of each module path (call names, no keys; stack.toml's is empty).
    files: HashMap<Vec<String>, usize>,
    /// Each block by its config address: its file and its range.
    blocks: HashMap<ConfigAddress, (usize, Range<usize>)>,
    /// Each module call by its caller's module path and its name: the caller's file and range.
    calls: HashMap<(Vec<String>, String), (usize, Range<usize>)>,
    /// Each file by its path, as named.
    paths: HashMap<PathBuf, usize>,
}

impl Declarations {
    /// The declarations of the expanded files.
    pub fn new(files: &[SourceFile], instances: &[Instance]) -> Declarations {
        let mut table = Declarations::default();
        for (i, f) in files.iter().enumerate() {
            table.paths.insert(f.path.clone(), i);
        }
        for instance in instances {
            let module: Vec<String> = instance.module.iter().map(|m| m.name.clone()).collect();
            if table.files.contains_key(&module) {
                continue;
            }
            table.files.insert(module.clone(), instance.file);
            let file = &files[instance.file];
            let range_of = |path: &AttrPath| file.locator.span_of(path).unwrap_or(0..0);
            for kind in Kind::ALL {
                for name in file.file.names(*kind) {
                    let range = range_of(&AttrPath::root().key(kind.as_str()).key(&name));
                    let at = ConfigAddress { module: module.clone(), kind: *kind, name };
                    table.blocks.insert(at, (instance.file, range));
                }
            }
            for name in file.file.module.keys() {
                let range = range_of(&AttrPath::root().key("module").key(name));
                table.calls.insert((module.clone(), name.clone()), (instance.file, range));
            }
        }
        table
    }

    /// The file a position is written in, and its path from that file's root: the block's own
    /// (`firehose.events`) then the position's inside it.
    pub fn place(&self, position: &Position) -> Option<(usize, AttrPath)> {
        let inner = position.path();
        match position.declared() {
            Declared::Block(at) => {
                let (file, _) = self.blocks.get(&at)?;
                Some((*file, AttrPath::root().key(at.kind.as_str()).key(&at.name).join(inner)))
            }
            Declared::Call { caller, name } => {
                let (file, _) = self.calls.get(&(caller, name.clone()))?;
                Some((*file, AttrPath::root().key("module").key(name).join(inner)))
            }
            Declared::File(module) => Some((*self.files.get(&module)?, inner.clone())),
            Declared::Path(path) => Some((*self.paths.get(&path)?, inner.clone())),
        }
    }

    /// The block or call a position is in: its file and its range (`None` for a key of a file).
    pub fn range(&self, position: &Position) -> Option<(usize, Range<usize>)> {
        match position.declared() {
            Declared::Block(at) => self.blocks.get(&at).cloned(),
            Declared::Call { caller, name } => self.calls.get(&(caller, name)).cloned(),
            Declared::File(_) | Declared::Path(_) => None,
        }
    }

    /// Attaches the location of the diagnostic's position: the attribute found inside its
    /// block (the block itself when the attribute is not written).
    pub fn locate(&self, files: &[SourceFile], diagnostic: Diagnostic) -> Diagnostic {
        if diagnostic.location.is_some() {
            return diagnostic;
        }
        match self.place(&diagnostic.position) {
            Some((file, path)) => files[file].locator.locate_at(diagnostic, &path),
            None => diagnostic,
        }
    }

    /// The file a position is written in.
    pub fn file_of(&self, position: &Position) -> Option<usize> {
        self.place(position).map(|(file, _)| file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::diagnostic::{Locator, Rule};
    use crate::model::{Address, ModuleStep};
    use std::path::Path;

    fn file(path: &str, text: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from(path),
            file: toml::from_str(text).unwrap(),
            locator: Locator::new(Path::new(path), text),
        }
    }

    #[test]
    fn a_position_is_found_inside_its_block_of_its_own_file() {
        let root = "[stack]\nname = \"s\"\ntags = { \"team.name\" = \"x\" }\n\n[module.t]\nsource = \"m.toml\"\nfor_each = [\"a\"]\n";
        let module = "[bucket.data]\nname = \"b\"\n\n[log_group.events]\nname = \"e\"\nretention_days = 999\n";
        let files = vec![file("stack.toml", root), file("m.toml", module)];
        let instances = vec![
            Instance {
                module: vec![],
                file: 0,
                caller: None,
                passed: Default::default(),
                each: None,
                placement: Default::default(),
            },
            Instance {
                module: vec![ModuleStep { name: "t".into(), key: Some("a".into()) }],
                file: 1,
                caller: Some(0),
                passed: Default::default(),
                each: None,
                placement: Default::default(),
            },
        ];
        let table = Declarations::new(&files, &instances);
        let events = Address::parse("module.t[a].log_group.events").unwrap();
        let at = Position::resource(&events).at("retention_days");
        let d = table.locate(&files, Diagnostic::error(Rule::D3, &at, "out of range"));
        let loc = d.location.unwrap();
        assert_eq!((loc.file.to_str(), loc.line), (Some("m.toml"), 6));
        let (file, range) = table.range(&at).unwrap();
        assert!(file == 1 && range.contains(&loc.span.start), "inside its block's range");
        // A tag key holding a dot, in [stack].tags of stack.toml.
        let tag = Position::stack("tags").at("team.name");
        assert_eq!(tag.to_string(), "stack.tags.\"team.name\"");
        let d = table.locate(&files, Diagnostic::error(Rule::Stack, &tag, "bad"));
        let loc = d.location.unwrap();
        assert_eq!((loc.line, &root[loc.span.clone()]), (3, "\"x\""));
        // The call of the module instance, in the caller's file.
        let call = Position::call(&events.module).at("for_each");
        assert_eq!(table.locate(&files, Diagnostic::error(Rule::F1, &call, "bad")).location.unwrap().line, 7);
    }
}
