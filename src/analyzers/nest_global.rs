//! `global:` matcher: is a Nest provider of a class (or a subclass, in any file) bound app-wide,
//! with the required options? Resolves `new ValidationPipe(options)` where `options` is a
//! constant in the same file or imported from another, and subclasses whose constructor calls
//! `super({...})`. What it cannot resolve it reports as "cannot verify", never as a pass.

use crate::eval::{Evidence, Outcome};
use crate::facts::nest::{ClassDef, Expr, NestFacts};
use crate::model::Location;
use crate::rules::GlobalSpec;
use crate::workspace::imports;
use crate::workspace::scan::{self, FileClass, ScannedFile};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;

const MAX_DEPTH: usize = 6;

pub struct NestIndex<'a> {
    files: &'a [ScannedFile],
    root: &'a Path,
    index: HashMap<&'a str, usize>,
    classes: HashMap<&'a str, Vec<&'a ClassDef>>,
    parsed_on_demand: Mutex<HashMap<usize, Option<NestFacts>>>,
}

enum Verdict {
    Ok,
    Bad(String),
    Unknown(String),
}

impl<'a> NestIndex<'a> {
    pub fn new(files: &'a [ScannedFile], root: &'a Path) -> Self {
        let mut classes: HashMap<&str, Vec<&ClassDef>> = HashMap::new();
        for f in files.iter().filter(|f| !f.is_test()) {
            if let Some(n) = &f.facts.nest {
                for c in &n.classes {
                    classes.entry(c.name.as_str()).or_default().push(c);
                }
            }
        }
        NestIndex {
            files,
            root,
            index: files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.rel.as_str(), i))
                .collect(),
            classes,
            parsed_on_demand: Mutex::new(HashMap::new()),
        }
    }

    pub fn resolve(
        &self,
        spec: &GlobalSpec,
        region: &BTreeSet<usize>,
        message: Option<&str>,
    ) -> Outcome {
        let mut fallback: Option<Outcome> = None;
        for &f in region {
            let Some(nest) = &self.files[f].facts.nest else {
                continue;
            };
            for b in nest.bindings.iter().filter(|b| b.kind == spec.kind) {
                let Some((class, options, options_file)) =
                    self.class_and_options(f, &b.expr, &spec.class, 0)
                else {
                    continue;
                };
                let ev = Evidence {
                    location: Location {
                        path: self.files[f].rel.clone(),
                        line: b.line,
                        column: b.column,
                    },
                    snippet: b.snippet.clone(),
                };
                match self.check_options(&spec.options, &options, options_file, 0) {
                    Verdict::Ok => return Outcome::Found(Some(ev)),
                    Verdict::Bad(detail) => {
                        let text = render(message, &class, &detail, &ev.location);
                        if !matches!(fallback, Some(Outcome::Partial(..))) {
                            fallback = Some(Outcome::Partial(ev, text));
                        }
                    }
                    Verdict::Unknown(detail) => {
                        if fallback.is_none() {
                            let text =
                                format!("{class} is bound globally ({}) but {detail}", ev.location);
                            fallback = Some(Outcome::Unknown(ev, text));
                        }
                    }
                }
            }
        }
        fallback.unwrap_or(Outcome::Missing)
    }

    /// Does `class` extend `target` (or is it `target`)? Returns the chain's first subclass
    /// definition that passes options to `super(...)`, if any.
    fn subclass_of(&self, class: &str, target: &str) -> Option<Option<&'a ClassDef>> {
        let mut current = class.to_string();
        let mut with_super: Option<&ClassDef> = None;
        for _ in 0..MAX_DEPTH {
            if current == target {
                return Some(with_super);
            }
            let defs = self.classes.get(current.as_str())?;
            // Ambiguous names (two classes called the same) are resolved by the first one.
            let def = defs.first()?;
            if with_super.is_none() && def.super_options.is_some() {
                with_super = Some(def);
            }
            current = def.extends.clone();
        }
        None
    }

    fn class_and_options(
        &self,
        file: usize,
        expr: &Expr,
        target: &str,
        depth: usize,
    ) -> Option<(String, Expr, usize)> {
        if depth > MAX_DEPTH {
            return None;
        }
        match expr {
            Expr::New { class, options } => {
                let sub = self.subclass_of(class, target)?;
                Some(self.effective(class, sub, options, file))
            }
            Expr::Ident(name) => {
                if let Some((e, f)) = self.resolve_const(file, name) {
                    return self.class_and_options(f, &e, target, depth + 1);
                }
                let sub = self.subclass_of(name, target)?;
                Some(self.effective(name, sub, &Expr::Absent, file))
            }
            _ => None,
        }
    }

    fn effective(
        &self,
        class: &str,
        sub: Option<&ClassDef>,
        options: &Expr,
        file: usize,
    ) -> (String, Expr, usize) {
        match sub.and_then(|d| d.super_options.clone().map(|o| (d, o))) {
            Some((def, opts)) => {
                let def_file = self.file_of_class(def).unwrap_or(file);
                // `constructor(o) { super(o) }` passes the caller's options through: an
                // identifier that is no constant of the class's file is a parameter, so the
                // options are the ones given to `new`.
                if let Expr::Ident(name) = &opts {
                    if self.resolve_const(def_file, name).is_none() {
                        return (class.to_string(), options.clone(), file);
                    }
                }
                (class.to_string(), opts, def_file)
            }
            None => (class.to_string(), options.clone(), file),
        }
    }

    fn file_of_class(&self, def: &ClassDef) -> Option<usize> {
        self.files.iter().position(|f| {
            f.facts
                .nest
                .as_ref()
                .is_some_and(|n| n.classes.iter().any(|c| std::ptr::eq(c, def)))
        })
    }

    fn check_options(
        &self,
        required: &[(String, String)],
        options: &Expr,
        file: usize,
        depth: usize,
    ) -> Verdict {
        if required.is_empty() {
            return Verdict::Ok;
        }
        let wanted = || {
            required
                .iter()
                .map(|(k, v)| format!("`{k}: {v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if depth > MAX_DEPTH {
            return Verdict::Unknown("its options are nested too deeply to follow".into());
        }
        match options {
            Expr::Absent => Verdict::Bad(format!("without options, so without {}", wanted())),
            Expr::Object { pairs, spreads } => {
                for (key, value) in required {
                    match pairs.iter().rev().find(|(k, _)| k == key) {
                        Some((_, actual)) if actual == value => {}
                        Some((_, actual)) if is_literal(actual) => {
                            return Verdict::Bad(format!("with `{key}: {actual}` instead of `{key}: {value}`"));
                        }
                        Some((_, actual)) => {
                            return Verdict::Unknown(format!("`{key}` is set from `{actual}`, which prodready cannot evaluate"));
                        }
                        None => {
                            let mut unresolved = None;
                            let mut found = false;
                            for s in spreads {
                                match self.resolve_const(file, s) {
                                    Some((e, f)) => match self.check_options(&[(key.clone(), value.clone())], &e, f, depth + 1) {
                                        Verdict::Ok => found = true,
                                        Verdict::Unknown(d) => unresolved = Some(d),
                                        Verdict::Bad(_) => {}
                                    },
                                    None => unresolved = Some(format!("its options spread `{s}`, which prodready cannot resolve")),
                                }
                            }
                            if found {
                                continue;
                            }
                            if let Some(d) = unresolved {
                                return Verdict::Unknown(d);
                            }
                            return Verdict::Bad(format!("without `{key}: {value}`"));
                        }
                    }
                }
                Verdict::Ok
            }
            Expr::Ident(name) => match self.resolve_const(file, name) {
                Some((e, f)) => self.check_options(required, &e, f, depth + 1),
                None => Verdict::Unknown(format!(
                    "its options come from `{name}`, which prodready cannot resolve (checked this file and its relative imports)"
                )),
            },
            Expr::New { .. } | Expr::Other(_) => Verdict::Unknown("its options are computed at run time".into()),
        }
    }

    /// A constant's value: in this file, or exported by a relatively imported file.
    fn resolve_const(&self, file: usize, name: &str) -> Option<(Expr, usize)> {
        let (local, import) = self.with_facts(file, |n| {
            (n.consts.get(name).cloned(), n.imports.get(name).cloned())
        })?;
        if let Some(e) = local {
            return Some((e, file));
        }
        let (module, exported) = import?;
        if !module.starts_with('.') {
            return None;
        }
        let exists = |p: &str| self.index.contains_key(p);
        let target = imports::resolve(&self.files[file].rel, &module, &exists)?;
        let target = *self.index.get(target.as_str())?;
        let e = self.with_facts(target, |n| {
            let name = match (exported.as_str(), &n.default_export) {
                (crate::facts::nest::DEFAULT, Some(local)) => local.as_str(),
                _ => exported.as_str(),
            };
            n.consts.get(name).cloned()
        })??;
        Some((e, target))
    }

    /// Runs `f` on a file's Nest facts, parsing the file on demand when the scan did not.
    fn with_facts<T>(&self, file: usize, f: impl FnOnce(&NestFacts) -> T) -> Option<T> {
        if let Some(n) = &self.files[file].facts.nest {
            return Some(f(n));
        }
        // Rules are judged in parallel; a poisoned lock only means another rule panicked.
        let mut cache = self
            .parsed_on_demand
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let facts = cache
            .entry(file)
            .or_insert_with(|| self.parse_on_demand(file));
        facts.as_ref().map(f)
    }

    fn parse_on_demand(&self, file: usize) -> Option<NestFacts> {
        let FileClass::Source { lang, .. } = self.files[file].class else {
            return None;
        };
        let path = self.root.join(&self.files[file].rel);
        let meta = std::fs::metadata(&path).ok()?;
        if meta.len() > scan::MAX_FILE_BYTES {
            return None;
        }
        let text = std::fs::read_to_string(&path).ok()?;
        let tree = scan::parse(lang, &text)?;
        Some(crate::facts::nest::extract(tree.root_node(), &text))
    }
}

fn is_literal(text: &str) -> bool {
    matches!(text, "true" | "false" | "null" | "undefined")
        || text.parse::<f64>().is_ok()
        || text.starts_with('\'')
        || text.starts_with('"')
}

fn render(message: Option<&str>, class: &str, detail: &str, at: &Location) -> String {
    match message {
        Some(m) => m
            .replace("{class}", class)
            .replace("{detail}", detail)
            .replace("{at}", &at.to_string()),
        None => format!("{class} is bound globally ({at}) but {detail}"),
    }
}
