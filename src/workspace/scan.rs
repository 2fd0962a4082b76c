//! The per-file phase: read each file once, ask the prefilter which patterns can hit it,
//! run those regexes, parse only when a query or a fact extractor needs the tree, run the one
//! merged query, extract facts, drop the tree. Files are scanned in parallel; the output is
//! sorted by path, so it does not depend on the thread count.

use super::walk::{self, WalkedFile};
use crate::facts::{
    self, nest, package::Package, prisma_calls, prisma_schema, routes, FileFacts, Flags,
};
use crate::model::Note;
use crate::rules::queries::{Batch, CompiledQuery, Lang};
use crate::rules::{PatternKind, RuleSet};
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Parser, QueryCursor};

/// Files larger than this are skipped with a note (minified bundles, generated dumps).
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Hit {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub column: usize,
    pub snippet: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileClass {
    Source { lang: Lang, test: bool },
    PackageJson,
    PrismaSchema,
    Other,
}

#[derive(Debug, Clone)]
pub struct ScannedFile {
    pub rel: String,
    pub class: FileClass,
    pub hits: Vec<Hit>,
    pub facts: FileFacts,
    pub package: Option<Package>,
}

impl ScannedFile {
    pub fn is_test(&self) -> bool {
        matches!(self.class, FileClass::Source { test: true, .. })
    }

    pub fn is_source(&self) -> bool {
        matches!(self.class, FileClass::Source { .. })
    }
}

pub fn classify(rel: &str) -> FileClass {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name == "package.json" {
        return FileClass::PackageJson;
    }
    if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
        return FileClass::Other;
    }
    if name.ends_with(".prisma") {
        return FileClass::PrismaSchema;
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match Lang::for_extension(ext) {
        Some(lang) => FileClass::Source {
            lang,
            test: is_test_path(rel),
        },
        None => FileClass::Other,
    }
}

/// Tests, specs, mocks and e2e suites: controls there are not the app's controls.
pub fn is_test_path(rel: &str) -> bool {
    // Every marker below contains one of these: most paths are settled without splitting.
    if !["test", "spec", "e2e", "__", ".stories."]
        .iter()
        .any(|m| rel.contains(m))
    {
        return false;
    }
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let stem_markers = [".spec.", ".test.", ".e2e-spec.", ".e2e.", ".stories."];
    if stem_markers.iter().any(|m| name.contains(m)) {
        return true;
    }
    // Test folders in any spelling: `test/`, `__tests__/`, `integration-tests/`,
    // `test-utils/`, `libs/testing/`, `e2e_tests/`.
    rel.split('/').rev().skip(1).any(|dir| {
        matches!(dir, "__tests__" | "__mocks__" | "spec" | "__fixtures__")
            || dir
                .split(['-', '_', '.'])
                .any(|w| matches!(w, "test" | "tests" | "testing" | "e2e"))
    })
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256 * 1024));
    static PARSERS: RefCell<HashMap<Lang, Parser>> = RefCell::new(HashMap::new());
}

/// Work a file left for the second phase: its text and what the tree is needed for.
struct PendingParse {
    index: usize,
    rel: String,
    /// The file names Prisma (see `read_all`).
    names_prisma: bool,
    /// Parsed for Prisma facts before any schema was seen.
    speculative: bool,
    lang: Lang,
    text: String,
    queries: Vec<usize>,
    nest: bool,
    prisma: bool,
    routes: bool,
}

/// Phase 1's result: every file, sorted by path, with its text facts; the notes so far; and
/// the files that still need a tree (phase 2, `parse_pending_files`).
pub struct FirstPass {
    pub files: Vec<ScannedFile>,
    pub notes: Vec<Note>,
    pending: Vec<PendingParse>,
    /// Files parsed during the walk (facts only).
    early: Vec<Parsed>,
    /// The queries files need, compiled during the walk as files asked for them.
    batches: Vec<(Lang, Batch)>,
}

/// Phase 1, on the walker's threads: read, prefilter, regexes and text facts.
///
/// A file that needs a tree for facts only (no query) is parsed on the rayon pool while the
/// walk goes on: reading leaves the cores partly idle, and such a parse waits for nothing.
/// Prisma call sites are gathered only where there is a schema: a file that needs a tree for
/// them waits for phase 2 unless a schema has been read already or the file names Prisma (a
/// schema is then all but certain; if none turns up, what that parse found is dropped).
/// The queries files ask for compile on the pool as they are first asked for.
pub fn read_all(root: &std::path::Path, ignores: &globset::GlobSet, rules: &RuleSet) -> FirstPass {
    let schema_seen = AtomicBool::new(false);
    let early: Mutex<Vec<Parsed>> = Mutex::new(Vec::new());
    let asked: Mutex<HashSet<(Lang, usize)>> = Mutex::new(HashSet::new());
    let batches: Mutex<Vec<(Lang, Batch)>> = Mutex::new(Vec::new());
    let (results, mut notes) = rayon::in_place_scope(|scope| {
        let visit = |f: &WalkedFile| {
            let (file, notes, pending) = guarded(&f.rel, || scan_file(f, rules))
                .unwrap_or_else(|n| (bare(&f.rel, classify(&f.rel)), n, None));
            if file.facts.schema.is_some() {
                schema_seen.store(true, Ordering::Relaxed);
            }
            // The queries a file needs compile now, on the pool, not after the walk: their
            // analysis is the longest task of phase 2. Each is compiled once, merged with
            // the others the same file asks for (entry files ask for the same few).
            if let Some(p) = pending.as_ref().filter(|p| !p.queries.is_empty()) {
                let new: Vec<usize> = match asked.lock() {
                    Ok(mut asked) => p
                        .queries
                        .iter()
                        .copied()
                        .filter(|&q| asked.insert((p.lang, q)))
                        .collect(),
                    Err(_) => Vec::new(),
                };
                if !new.is_empty() {
                    let (lang, batches) = (p.lang, &batches);
                    scope.spawn(move |_| {
                        // One chunk: the walk keeps the cores busy, merging costs least.
                        let batch = rules.queries.batch(&new, lang, 1);
                        if let Ok(mut b) = batches.lock() {
                            b.push((lang, batch));
                        }
                    });
                }
            }
            let pending = match pending {
                Some(mut p)
                    if p.queries.is_empty()
                        && (!p.prisma || p.names_prisma || schema_seen.load(Ordering::Relaxed)) =>
                {
                    p.rel = f.rel.clone();
                    p.speculative = p.prisma && !schema_seen.load(Ordering::Relaxed);
                    let early = &early;
                    scope.spawn(move |_| {
                        let parsed = parse_guarded(&p, &[]);
                        if let Ok(mut e) = early.lock() {
                            e.push(parsed);
                        }
                    });
                    None
                }
                other => other,
            };
            (file, notes, pending)
        };
        walk::walk(root, ignores, &visit)
    });
    crate::timing::mark("walk: files read, prefiltered, regexes run, facts-only files parsed");
    let mut files = Vec::with_capacity(results.len());
    let mut pending = Vec::new();
    for (index, (_, scan)) in results.into_iter().enumerate() {
        let (file, n, p) = *scan;
        notes.extend(n);
        pending.extend(p.map(|p| PendingParse {
            index,
            rel: file.rel.clone(),
            ..p
        }));
        files.push(file);
    }
    // The early parses knew their file by path; files are now sorted by it.
    let mut early = early.into_inner().unwrap_or_default();
    for parsed in &mut early {
        if let Ok(i) = files.binary_search_by(|f| f.rel.as_str().cmp(&parsed.rel)) {
            parsed.index = i;
        }
    }
    // Prisma call sites matter only where there is a schema: otherwise no parse for them,
    // and nothing kept from a parse that was only for them.
    if !files.iter().any(|f| f.facts.schema.is_some()) {
        early.retain_mut(|parsed| {
            parsed.prisma = None;
            !parsed.speculative || parsed.nest.is_some() || parsed.routes.is_some()
        });
        pending.retain_mut(|p| {
            p.prisma = false;
            !p.queries.is_empty() || p.nest || p.routes
        });
    }
    FirstPass {
        files,
        notes,
        pending,
        early,
        batches: batches.into_inner().unwrap_or_default(),
    }
}

/// Phase 2's work on one file, a panic turned into a note.
fn parse_guarded(p: &PendingParse, batches: &[&Batch]) -> Parsed {
    guarded(&p.rel, || parse_pending(p, batches)).unwrap_or_else(|n| Parsed {
        index: p.index,
        rel: p.rel.clone(),
        speculative: p.speculative,
        hits: Vec::new(),
        nest: None,
        prisma: None,
        routes: None,
        notes: n,
    })
}

/// What phase 2 found, to be folded into phase 1's files (`FirstPass::absorb`).
pub struct SecondPass(Vec<Parsed>);

impl FirstPass {
    /// Phase 2: parse only the files some query or fact extractor needs; trees die here. It
    /// reads nothing of phase 1's files, so cross-file work on them can run alongside.
    pub fn parse_pending_files(&self) -> SecondPass {
        let for_lang = |lang: Lang| -> Vec<&Batch> {
            self.batches
                .iter()
                .filter(|(l, _)| *l == lang)
                .map(|(_, b)| b)
                .collect()
        };
        let (ts, tsx) = (for_lang(Lang::TypeScript), for_lang(Lang::Tsx));
        let parsed = self
            .pending
            .par_iter()
            .map(|p| {
                let batches = if p.queries.is_empty() {
                    &[][..]
                } else if p.lang == Lang::TypeScript {
                    &ts[..]
                } else {
                    &tsx[..]
                };
                parse_guarded(p, batches)
            })
            .collect();
        crate::timing::mark(&format!(
            "{} files parsed after the walk",
            self.pending.len()
        ));
        SecondPass(parsed)
    }

    /// Every file's facts, sorted by path, and the notes.
    pub fn absorb(mut self, second: SecondPass) -> (Vec<ScannedFile>, Vec<Note>) {
        let early = std::mem::take(&mut self.early);
        for p in early.into_iter().chain(second.0) {
            let file = &mut self.files[p.index];
            file.hits.extend(p.hits);
            file.hits.sort_by_key(|h| (h.start, h.pattern, h.end));
            file.facts.nest = p.nest;
            file.facts.prisma_calls = p.prisma;
            file.facts.routes = p.routes;
            self.notes.extend(p.notes);
        }
        (self.files, self.notes)
    }
}

/// Runs per-file work so that a panic on one file becomes a note, not a crash.
fn guarded<T>(rel: &str, work: impl FnOnce() -> T) -> Result<T, Vec<Note>> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|_| {
        note(
            rel,
            "internal error while scanning this file (please report it); skipped",
        )
    })
}

/// What phase 2 learned about one file.
struct Parsed {
    index: usize,
    rel: String,
    speculative: bool,
    hits: Vec<Hit>,
    nest: Option<nest::NestFacts>,
    prisma: Option<prisma_calls::PrismaFacts>,
    routes: Option<routes::RouteFacts>,
    notes: Vec<Note>,
}

fn parse_pending(p: &PendingParse, batches: &[&Batch]) -> Parsed {
    let rel = p.rel.as_str();
    let mut hits = Vec::new();
    let mut notes = Vec::new();
    let mut nest_facts = None;
    let mut prisma = None;
    let mut route_facts = None;
    let lines = Lines::new(&p.text);
    match parse(p.lang, &p.text) {
        Some(tree) => {
            if tree.root_node().has_error() {
                notes.extend(note(
                    rel,
                    "partially parsed: syntax the grammar does not know; the rest was audited",
                ));
            }
            // A merged query costs a pass over the tree: run only chunks this file needs.
            for (query, owner) in batches.iter().flat_map(|b| &b.chunks) {
                if p.queries
                    .iter()
                    .any(|q| owner.iter().any(|ids| ids.contains(q)))
                {
                    run_query(query, owner, &p.queries, &tree, &lines, &mut hits);
                }
            }
            // One walk feeds every extractor the file needs.
            nest_facts = p.nest.then(nest::NestFacts::default);
            prisma = p.prisma.then(prisma_calls::PrismaFacts::default);
            route_facts = p.routes.then(routes::RouteFacts::default);
            let mut kinds: Vec<&str> = Vec::new();
            for (wanted, list) in [
                (p.nest, nest::KINDS),
                (p.prisma, prisma_calls::KINDS),
                (p.routes, routes::KINDS),
            ] {
                if wanted {
                    kinds.extend(list);
                }
            }
            if !kinds.is_empty() {
                let src = p.text.as_str();
                facts::tree::walk(tree.root_node(), &kinds, |node, ancestors| {
                    let kind = node.kind();
                    if let Some(f) = nest_facts.as_mut().filter(|_| nest::KINDS.contains(&kind)) {
                        nest::visit(node, src, f);
                    }
                    if let Some(f) = prisma
                        .as_mut()
                        .filter(|_| prisma_calls::KINDS.contains(&kind))
                    {
                        prisma_calls::visit(node, ancestors, src, f);
                    }
                    if let Some(f) = route_facts
                        .as_mut()
                        .filter(|_| routes::KINDS.contains(&kind))
                    {
                        routes::visit(node, src, f);
                    }
                });
            }
            if let Some(f) = route_facts.as_mut() {
                routes::finish(f);
            }
        }
        None => notes.extend(note(rel, "skipped: could not be parsed")),
    }
    Parsed {
        index: p.index,
        rel: p.rel.clone(),
        speculative: p.speculative,
        hits,
        nest: nest_facts,
        prisma,
        routes: route_facts,
        notes,
    }
}

fn bare(rel: &str, class: FileClass) -> ScannedFile {
    ScannedFile {
        rel: rel.to_string(),
        class,
        hits: Vec::new(),
        facts: FileFacts::default(),
        package: None,
    }
}

fn note(rel: &str, message: impl Into<String>) -> Vec<Note> {
    vec![Note {
        path: rel.to_string(),
        message: message.into(),
    }]
}

/// Does some regex pattern look at this non-source file (Dockerfile, YAML ...)?
fn wanted_by_pattern(rel: &str, rules: &RuleSet) -> bool {
    rules
        .patterns
        .iter()
        .any(|p| p.files.as_ref().is_some_and(|g| g.is_match(rel)))
}

type FileScan = (ScannedFile, Vec<Note>, Option<PendingParse>);

fn scan_file(file: &WalkedFile, rules: &RuleSet) -> FileScan {
    let mut pending = None;
    let (out, notes) = read_and_match(file, rules, &mut pending);
    (out, notes, pending)
}

/// Phase 1 for one file; files that need a tree are handed back through `pending`.
fn read_and_match(
    file: &WalkedFile,
    rules: &RuleSet,
    pending: &mut Option<PendingParse>,
) -> (ScannedFile, Vec<Note>) {
    let class = classify(&file.rel);
    let out = bare(&file.rel, class);
    // Decided once per file: the secret / signature-word pass reads it.
    let text_scan =
        (rules.scans_secrets || rules.scans_routes) && facts::secrets::eligible(&file.rel);
    let wanted = match class {
        FileClass::Source { .. } | FileClass::PackageJson | FileClass::PrismaSchema => true,
        FileClass::Other => {
            wanted_by_pattern(&file.rel, rules) || (rules.scans_secrets && text_scan)
        }
    };
    if !wanted {
        return (out, Vec::new());
    }
    BUFFER.with(|cell| {
        let mut buffer = cell.borrow_mut();
        match read_capped(&file.abs, &mut buffer) {
            Ok(true) => match_bytes(file, class, out, &buffer, rules, text_scan, pending),
            Ok(false) => (
                out,
                note(
                    &file.rel,
                    "skipped: over the 2 MiB cap (minified bundle or generated file?)",
                ),
            ),
            Err(e) => (out, note(&file.rel, format!("skipped: cannot read ({e})"))),
        }
    })
}

/// Phase 1 on a file's bytes.
fn match_bytes(
    file: &WalkedFile,
    class: FileClass,
    mut out: ScannedFile,
    bytes: &[u8],
    rules: &RuleSet,
    text_scan: bool,
    pending: &mut Option<PendingParse>,
) -> (ScannedFile, Vec<Note>) {
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        let notes = if class == FileClass::Other {
            Vec::new()
        } else {
            note(&file.rel, "skipped: binary content")
        };
        return (out, notes);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (out, note(&file.rel, "skipped: not valid UTF-8"));
    };
    let mut notes = Vec::new();
    match class {
        FileClass::PackageJson => match Package::parse(text) {
            Ok(p) => out.package = Some(p),
            Err(e) => notes.extend(note(&file.rel, format!("package.json not read: {e}"))),
        },
        FileClass::PrismaSchema => {
            let schema = prisma_schema::parse(text);
            if let Some((line, message)) = schema.errors.first() {
                notes.extend(note(
                    &file.rel,
                    format!("Prisma schema not understood at line {line} ({message}); the Prisma rules skip this file"),
                ));
            } else {
                out.facts.schema = Some(Box::new(schema));
            }
        }
        _ => {}
    }
    if looks_minified(&file.rel, text) {
        return (
            out,
            note(
                &file.rel,
                "skipped: looks minified or generated (very long lines)",
            ),
        );
    }
    // One pass finds secret literals and signature-verification words.
    let mut verify_words = false;
    if text_scan {
        let found = facts::secrets::scan_text(&file.rel, text);
        verify_words = found.verify_words;
        if rules.scans_secrets {
            out.facts.secrets = found.secrets;
        }
    }
    let prefiltered = rules.prefilter.scan(rules.patterns.len(), text.as_bytes());
    let flags = Flags::from_extra(&prefiltered.extra);
    let is_test = matches!(class, FileClass::Source { test: true, .. });
    let lines = Lines::new(text);

    let applies = |id: usize| -> bool {
        let p = &rules.patterns[id];
        if is_test && !p.tests {
            return false;
        }
        match &p.files {
            Some(globs) => globs.is_match(&file.rel),
            None => matches!(class, FileClass::Source { .. }),
        }
    };

    // A condition (`and` / `unless` / `when`) only judges what its parent pattern matched, so
    // it runs only where the parent can match: where the parent is a regex (already run, as
    // parents come first in id order), only where it did match. That spares the parse of
    // most files a condition's query would otherwise need (`.json(` is in every handler).
    // A condition of a condition inherits through the chain.
    let mut enabled = vec![false; rules.patterns.len()];
    let mut matched = vec![false; rules.patterns.len()];
    let mut queries = Vec::new();
    for (id, p) in rules.patterns.iter().enumerate() {
        enabled[id] = match p.parent {
            Some(parent) => {
                enabled[parent]
                    && (matched[parent]
                        || !matches!(rules.patterns[parent].kind, PatternKind::Regex(_)))
            }
            None => {
                prefiltered.patterns[id]
                    && has_required(&p.required, text)
                    && (!rules.prefilter.widened(id)
                        || has_required(std::slice::from_ref(&p.literals), text))
            }
        };
        if !enabled[id] || !applies(id) {
            continue;
        }
        match &p.kind {
            PatternKind::Regex(lazy) => {
                let Some(re) = lazy.get() else { continue };
                for m in re.find_iter(text) {
                    matched[id] = true;
                    let (line, column) = lines.position(m.start());
                    out.hits.push(Hit {
                        pattern: id,
                        start: m.start(),
                        end: m.end(),
                        line,
                        column,
                        snippet: snippet(m.as_str(), &lines, m.start()),
                    });
                }
            }
            PatternKind::Query { .. } => queries.push(id),
        }
    }

    if let FileClass::Source { lang, test } = class {
        out.facts.imports = facts::text::local_imports(text);
        if !test {
            if flags.env {
                out.facts.env_vars = facts::text::env_vars(text);
            }
            if flags.entry {
                out.facts.markers = facts::text::entry_markers(text, lines.starts());
            }
        }
        let wants_nest = flags.nest && !test;
        let wants_prisma = flags.prisma && !test;
        let wants_routes = rules.scans_routes && !test && flags.routes;
        if rules.scans_routes && !test && verify_words {
            out.facts.verifies_signature = routes::verifies_signature(text);
        }
        if !queries.is_empty() || wants_nest || wants_prisma || wants_routes {
            *pending = Some(PendingParse {
                index: 0, // set once the files are sorted
                rel: String::new(),
                names_prisma: flags.names_prisma,
                speculative: false,
                lang,
                text: text.to_string(),
                queries,
                nest: wants_nest,
                prisma: wants_prisma,
                routes: wants_routes,
            });
        }
    }
    if flags.suppress {
        out.facts.suppressions = facts::text::suppressions(text, lines.starts());
    }
    out.hits.sort_by_key(|h| (h.start, h.pattern, h.end));
    (out, notes)
}

/// Reads a file into the thread's buffer; false when it is over the size cap. One open and
/// one read, no stat, no allocation once the buffer has grown.
fn read_capped(path: &std::path::Path, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::io::Read;
    buffer.clear();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(buffer)?;
    Ok(buffer.len() as u64 <= MAX_FILE_BYTES)
}

/// Does the text contain one string of every group?
fn has_required(groups: &[Vec<String>], text: &str) -> bool {
    groups.iter().all(|g| {
        g.iter()
            .any(|lit| memchr::memmem::find(text.as_bytes(), lit.as_bytes()).is_some())
    })
}

fn looks_minified(rel: &str, text: &str) -> bool {
    let js = rel.ends_with(".js") || rel.ends_with(".mjs") || rel.ends_with(".cjs");
    js && text.len() > 20_000
        && text.len() / (memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1) > 500
}

pub fn parse(lang: Lang, text: &str) -> Option<tree_sitter::Tree> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let parser = parsers.entry(lang).or_insert_with(|| {
            let mut p = Parser::new();
            // The grammar crate and the core are pinned together in Cargo.toml.
            let _ = p.set_language(&lang.language());
            p
        });
        parser.parse(text, None)
    })
}

fn run_query(
    cq: &CompiledQuery,
    owner: &[Vec<usize>],
    wanted: &[usize],
    tree: &tree_sitter::Tree,
    lines: &Lines,
    hits: &mut Vec<Hit>,
) {
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&cq.query, tree.root_node(), lines.text.as_bytes());
    while let Some(m) = matches.next() {
        let ids = &owner[m.pattern_index];
        if !ids.iter().any(|id| wanted.contains(id)) {
            continue;
        }
        let node = m
            .captures()
            .iter()
            .find(|c| Some(c.index) == cq.hit_capture)
            .or_else(|| {
                m.captures()
                    .iter()
                    .max_by_key(|c| c.node.byte_range().len())
            })
            .map(|c| c.node);
        let Some(node) = node else { continue };
        let pos = node.start_position();
        let snippet = snippet(
            node.utf8_text(lines.text.as_bytes()).unwrap_or(""),
            lines,
            node.start_byte(),
        );
        for &id in ids.iter().filter(|id| wanted.contains(id)) {
            hits.push(Hit {
                pattern: id,
                start: node.start_byte(),
                end: node.end_byte(),
                line: pos.row + 1,
                column: pos.column + 1,
                snippet: snippet.clone(),
            });
        }
    }
}

/// Line starts of a file, computed on first use: most files never need a line number.
pub struct Lines<'a> {
    pub text: &'a str,
    starts: std::cell::OnceCell<Vec<usize>>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines {
            text,
            starts: std::cell::OnceCell::new(),
        }
    }

    pub fn starts(&self) -> &[usize] {
        self.starts
            .get_or_init(|| facts::text::line_starts(self.text))
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let starts = self.starts();
        let line = facts::text::line_of(starts, offset);
        (line, offset - starts[line - 1] + 1)
    }
}

/// The matched text's first line, trimmed and capped: enough to recognise it in a report.
fn snippet(matched: &str, lines: &Lines, start: usize) -> String {
    let (line, _) = lines.position(start);
    let line_text = lines.text[lines.starts()[line - 1]..]
        .lines()
        .next()
        .unwrap_or("");
    let base = if matched.contains('\n') || matched.len() < 8 {
        line_text
    } else {
        matched
    };
    let trimmed = base.trim();
    if trimmed.chars().count() > 120 {
        let mut s: String = trimmed.chars().take(117).collect();
        s.push_str("...");
        s
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths_are_recognised() {
        assert!(is_test_path("src/app.controller.spec.ts"));
        assert!(is_test_path("apps/api/test/app.e2e-spec.ts"));
        assert!(is_test_path("src/__tests__/x.ts"));
        assert!(!is_test_path("src/testing-utils.ts"));
        assert!(is_test_path("integration-tests/helpers/admin.ts"));
        assert!(is_test_path("libs/testing/src/user.ts"));
        assert!(!is_test_path("src/contest/entry.ts"));
        assert!(!is_test_path("src/main.ts"));
    }
}
