//! A Prisma schema file, read by a small hand parser: blocks (`model`, `view`, `enum`, `type`,
//! `datasource`, `generator`), fields with their type markers and attributes, and the block
//! attributes `@@id` / `@@unique` / `@@index` / `@@map`. Every element keeps its line.
//!
//! Hand-written rather than tree-sitter-prisma: the language is line-oriented and small, the
//! rules need exact lines and the few attributes above, and a hand parser stays tolerant of
//! syntax newer than a grammar crate (multi-file schemas, views, new attribute arguments).
//! A file that does not parse yields errors with their line, never a panic.

#[derive(Debug, Clone, Default)]
pub struct SchemaFile {
    /// The datasource provider (`postgresql`, `mysql`, `mongodb` ...) and its line.
    pub provider: Option<(String, usize)>,
    /// `relationMode = "prisma"`: no foreign keys in the database (PlanetScale).
    pub relation_mode: Option<String>,
    pub models: Vec<Model>,
    pub enums: Vec<String>,
    /// Composite `type` blocks (MongoDB): names that are neither models nor scalars.
    pub types: Vec<String>,
    /// Parse errors: (line, message). A file with errors is not used by the rules.
    pub errors: Vec<(usize, String)>,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub line: usize,
    /// `@@map("table")`: the table name, which code never uses (the client keeps the model name).
    pub map: Option<String>,
    pub view: bool,
    pub fields: Vec<Field>,
    /// `@id` / `@unique` fields and `@@id` / `@@unique` / `@@index` blocks, in one list.
    pub indexes: Vec<Index>,
}

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub optional: bool,
    pub list: bool,
    pub line: usize,
    pub id: bool,
    pub unique: bool,
    pub relation: Option<Relation>,
}

#[derive(Debug, Clone, Default)]
pub struct Relation {
    pub name: Option<String>,
    pub fields: Vec<String>,
    pub references: Vec<String>,
    pub on_delete: Option<String>,
    pub on_update: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Id,
    Unique,
    Index,
}

#[derive(Debug, Clone)]
pub struct Index {
    pub kind: IndexKind,
    pub fields: Vec<String>,
    /// The key the client uses for a compound id/unique in `where` (`a_b`, or `name:`).
    pub key: String,
    pub line: usize,
}

impl Model {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The name the generated client uses: `prisma.userProfile` for `model UserProfile`.
    pub fn accessor(&self) -> String {
        let mut chars = self.name.chars();
        match chars.next() {
            Some(c) => c.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }

    /// Is the field the first column of some id, unique constraint or index?
    pub fn leads_an_index(&self, field: &str) -> bool {
        self.indexes
            .iter()
            .any(|i| i.fields.first().is_some_and(|f| f == field))
    }
}

pub fn parse(text: &str) -> SchemaFile {
    let mut out = SchemaFile::default();
    let mut block: Option<(String, String, usize)> = None; // (keyword, name, line)
    let mut model: Option<Model> = None;
    let mut pending = String::new(); // a statement continued over lines (unbalanced brackets)
    let mut pending_line = 0;
    let mut in_block_comment = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let uncommented = strip_block_comments(raw, &mut in_block_comment);
        let code = strip_comment(&uncommented);
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        if !pending.is_empty() {
            pending.push(' ');
            pending.push_str(code);
            if !balanced(&pending) {
                continue;
            }
        } else if !balanced(code) && block.is_some() {
            pending = code.to_string();
            pending_line = line_no;
            continue;
        } else {
            pending_line = line_no;
            pending.push_str(code);
        }
        let statement = std::mem::take(&mut pending);
        let statement = statement.as_str();
        let line_no = pending_line;
        match &block {
            None => match open_block(statement) {
                Some((keyword, name)) => {
                    if keyword == "model" || keyword == "view" {
                        model = Some(Model {
                            name: name.clone(),
                            line: line_no,
                            map: None,
                            view: keyword == "view",
                            fields: Vec::new(),
                            indexes: Vec::new(),
                        });
                    }
                    match keyword.as_str() {
                        "enum" => out.enums.push(name.clone()),
                        "type" => out.types.push(name.clone()),
                        _ => {}
                    }
                    block = Some((keyword, name, line_no));
                    // `enum A { X Y }` on one line.
                    if statement.ends_with('}') {
                        block = None;
                        out.models.extend(model.take());
                    }
                }
                None => out.errors.push((
                    line_no,
                    format!("expected a block (model, enum, datasource ...), found `{statement}`"),
                )),
            },
            Some((keyword, _, _)) => {
                if statement == "}" {
                    block = None;
                    out.models.extend(model.take());
                    continue;
                }
                match keyword.as_str() {
                    "model" | "view" => {
                        if let Some(m) = model.as_mut() {
                            if let Err(e) = model_line(m, statement, line_no) {
                                out.errors.push((line_no, e));
                            }
                        }
                    }
                    "datasource" => {
                        let setting = |key: &str| {
                            statement
                                .strip_prefix(key)
                                .and_then(|r| r.trim_start().strip_prefix('='))
                                .map(|v| unquote(v.trim()).to_string())
                        };
                        if let Some(v) = setting("provider") {
                            out.provider = Some((v, line_no));
                        }
                        if let Some(v) = setting("relationMode") {
                            out.relation_mode = Some(v);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if !pending.is_empty() {
        out.errors
            .push((pending_line, "unbalanced brackets at end of file".into()));
    }
    if let Some((keyword, name, line)) = block {
        out.errors.push((
            line,
            format!("`{keyword} {name}` is never closed (missing `}}`)"),
        ));
    }
    out
}

/// `model User {` → ("model", "User").
fn open_block(s: &str) -> Option<(String, String)> {
    let rest = s.strip_suffix('{').or_else(|| {
        // `enum A { X Y }` on one line
        s.find('{').map(|i| &s[..i])
    })?;
    let mut words = rest.split_whitespace();
    let keyword = words.next()?;
    let name = words.next()?;
    if words.next().is_some()
        || !matches!(
            keyword,
            "model" | "view" | "enum" | "type" | "datasource" | "generator"
        )
        || !is_ident(name)
    {
        return None;
    }
    Some((keyword.to_string(), name.to_string()))
}

fn model_line(m: &mut Model, s: &str, line: usize) -> Result<(), String> {
    if let Some(attr) = s.strip_prefix("@@") {
        let (name, args) = split_attribute(attr);
        let kind = match name {
            "id" => IndexKind::Id,
            "unique" => IndexKind::Unique,
            "index" => IndexKind::Index,
            "map" => {
                m.map = Some(unquote(args.trim()).to_string());
                return Ok(());
            }
            _ => return Ok(()), // @@schema, @@ignore, @@fulltext ...
        };
        let fields = list_argument(args, "fields").unwrap_or_default();
        if fields.is_empty() {
            return Err(format!("@@{name} without a field list"));
        }
        let key = named_argument(args, "name")
            .map(|n| unquote(&n).to_string())
            .unwrap_or_else(|| fields.join("_"));
        m.indexes.push(Index {
            kind,
            fields,
            key,
            line,
        });
        return Ok(());
    }
    let mut parts = s.splitn(2, char::is_whitespace);
    let name = parts.next().unwrap_or("");
    let rest = parts.next().unwrap_or("").trim_start();
    if !is_ident(name) || rest.is_empty() {
        return Err(format!("expected `name Type`, found `{s}`"));
    }
    let ty_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let mut ty = &rest[..ty_end];
    let attrs = &rest[ty_end..];
    let list = ty.ends_with("[]");
    ty = ty.trim_end_matches("[]");
    let optional = ty.ends_with('?');
    ty = ty.trim_end_matches('?');
    let base = ty.split('(').next().unwrap_or(ty); // Unsupported("...")
    if !is_ident(base) {
        return Err(format!("unknown type `{ty}` for field `{name}`"));
    }
    let mut field = Field {
        name: name.to_string(),
        ty: base.to_string(),
        optional,
        list,
        line,
        id: false,
        unique: false,
        relation: None,
    };
    for (attr, args) in attributes(attrs) {
        match attr {
            "id" => field.id = true,
            "unique" => field.unique = true,
            "relation" => {
                field.relation = Some(Relation {
                    name: named_argument(args, "name")
                        .or_else(|| positional_string(args))
                        .map(|n| unquote(&n).to_string()),
                    fields: list_argument(args, "fields").unwrap_or_default(),
                    references: list_argument(args, "references").unwrap_or_default(),
                    on_delete: named_argument(args, "onDelete"),
                    on_update: named_argument(args, "onUpdate"),
                })
            }
            _ => {}
        }
    }
    for (flag, kind) in [(field.id, IndexKind::Id), (field.unique, IndexKind::Unique)] {
        if flag {
            m.indexes.push(Index {
                kind,
                fields: vec![field.name.clone()],
                key: field.name.clone(),
                line,
            });
        }
    }
    m.fields.push(field);
    Ok(())
}

/// The `@name(args)` attributes of a field, in order.
fn attributes(s: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || b"_.".contains(&bytes[j])) {
            j += 1;
        }
        let name = &s[start..j];
        let mut args = "";
        if j < bytes.len() && bytes[j] == b'(' {
            let close = matching_paren(s, j).unwrap_or(s.len());
            args = &s[j + 1..close.min(s.len())];
            j = close + 1;
        }
        // `@db.VarChar(255)` is a native type, not an attribute the rules read.
        out.push((name, args));
        i = j.max(start);
    }
    out
}

/// `unique([a, b], name: "x")` → ("unique", "[a, b], name: \"x\"").
fn split_attribute(attr: &str) -> (&str, &str) {
    match attr.find('(') {
        Some(open) => {
            let close = matching_paren(attr, open).unwrap_or(attr.len());
            (&attr[..open], &attr[open + 1..close.min(attr.len())])
        }
        None => (attr.trim(), ""),
    }
}

fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut in_string = false;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Top-level arguments split on commas outside brackets and strings.
fn arguments(args: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_string = false;
    let mut start = 0;
    for (i, c) in args.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                out.push(args[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(args[start..].trim());
    out.retain(|a| !a.is_empty());
    out
}

fn named_argument(args: &str, name: &str) -> Option<String> {
    arguments(args).into_iter().find_map(|a| {
        let (k, v) = a.split_once(':')?;
        (k.trim() == name).then(|| v.trim().to_string())
    })
}

fn positional_string(args: &str) -> Option<String> {
    arguments(args)
        .into_iter()
        .next()
        .filter(|a| a.starts_with('"'))
        .map(str::to_string)
}

/// A list argument, named or first positional: `[a, b(sort: Desc)]`, or a single element
/// without brackets (`@@index(projectId)`, `fields: userId`), which Prisma accepts too.
fn list_argument(args: &str, name: &str) -> Option<Vec<String>> {
    let list = named_argument(args, name).or_else(|| {
        arguments(args)
            .into_iter()
            .next()
            .filter(|a| !a.starts_with('"') && !a.split('(').next().unwrap_or(a).contains(':'))
            .map(str::to_string)
    })?;
    let list = list.trim();
    let inner = match list.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']')?,
        None => list,
    };
    Some(
        arguments(inner)
            .into_iter()
            .map(|f| f.split('(').next().unwrap_or(f).trim().to_string())
            .filter(|f| !f.is_empty())
            .collect(),
    )
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches('"')
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut in_string = false;
    for c in s.chars() {
        match c {
            '"' => in_string = !in_string,
            '(' | '[' if !in_string => depth += 1,
            ')' | ']' if !in_string => depth -= 1,
            _ => {}
        }
    }
    depth <= 0
}

/// The line without its `//` comment; `//` inside a string (a URL) is kept.
/// The line without `/* … */` comments (which the Prisma parser accepts too, over lines:
/// `in_comment` carries an open one to the next line).
fn strip_block_comments(line: &str, in_comment: &mut bool) -> String {
    let mut out = String::new();
    let mut rest = line;
    loop {
        if *in_comment {
            match rest.find("*/") {
                Some(end) => {
                    rest = &rest[end + 2..];
                    *in_comment = false;
                }
                None => return out,
            }
        }
        // An opening outside strings and line comments.
        let mut in_string = false;
        let bytes = rest.as_bytes();
        let mut open = None;
        for i in 0..bytes.len() {
            match bytes[i] {
                b'"' => in_string = !in_string,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => break,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'*') => {
                    open = Some(i);
                    break;
                }
                _ => {}
            }
        }
        match open {
            Some(i) => {
                out.push_str(&rest[..i]);
                out.push(' ');
                rest = &rest[i + 2..];
                *in_comment = true;
            }
            None => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_comments() {
        let schema = parse(
            "/**\n * Shared state.\n */\nmodel A {\n  id String @id /* the key */\n  /* name\n  String */\n  url String @default(\"/*x*/\")\n}\n",
        );
        assert!(schema.errors.is_empty(), "{:?}", schema.errors);
        let a = &schema.models[0];
        assert_eq!(
            a.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["id", "url"]
        );
        assert_eq!(a.line, 4);
    }

    const SCHEMA: &str = r#"
datasource db {
  provider = "postgresql" // comment
  url      = env("DATABASE_URL")
}

model Project {
  id          String   @id @default(cuid())
  workspaceID String
  slug        String   @unique
  ownerId     String?
  workspace   Workspace @relation(fields: [workspaceID], references: [id], onDelete: Cascade)
  owner       User?    @relation("owner", fields: [ownerId], references: [id])
  tags        Tag[]

  @@unique([workspaceID, slug], name: "ws_slug")
  @@index([ownerId, createdAt(sort: Desc)])
  @@map("projects")
}

enum Role { ADMIN MEMBER }
"#;

    #[test]
    fn reads_models_fields_relations_and_indexes() {
        let s = parse(SCHEMA);
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        assert_eq!(s.provider, Some(("postgresql".into(), 3)));
        assert_eq!(s.enums, vec!["Role".to_string()]);
        let p = &s.models[0];
        assert_eq!((p.name.as_str(), p.line), ("Project", 7));
        assert_eq!(p.map.as_deref(), Some("projects"));
        let ws = p.field("workspace").unwrap().relation.as_ref().unwrap();
        assert_eq!(ws.fields, vec!["workspaceID"]);
        assert_eq!(ws.on_delete.as_deref(), Some("Cascade"));
        let owner = p.field("owner").unwrap();
        assert!(owner.optional);
        let rel = owner.relation.as_ref().unwrap();
        assert_eq!(rel.name.as_deref(), Some("owner"));
        assert_eq!(rel.on_delete, None);
        assert!(p.field("tags").unwrap().list);
        assert!(p.leads_an_index("workspaceID"));
        assert!(p.leads_an_index("ownerId"));
        assert!(!p.leads_an_index("createdAt"));
        assert!(p.indexes.iter().any(|i| i.key == "ws_slug"));
        assert_eq!(p.accessor(), "project");
    }

    #[test]
    fn single_fields_may_drop_the_brackets() {
        let s = parse(
            "model Link {\n  id String @id\n  projectId String\n  createdAt DateTime\n  project Project @relation(\"links\", fields: projectId, references: id)\n\n  @@index(projectId)\n  @@index([createdAt(sort: Desc)])\n}\n",
        );
        assert!(s.errors.is_empty(), "{:?}", s.errors);
        let link = &s.models[0];
        assert!(link.leads_an_index("projectId"));
        assert!(link.leads_an_index("createdAt"));
        let rel = link.field("project").unwrap().relation.as_ref().unwrap();
        assert_eq!(rel.fields, vec!["projectId"]);
        assert_eq!(rel.name.as_deref(), Some("links"));
    }

    #[test]
    fn broken_schema_reports_lines() {
        let s = parse("model A {\n  id Int @id\n  ??? nonsense\n");
        assert!(s.errors.iter().any(|(l, _)| *l == 3));
        assert!(s
            .errors
            .iter()
            .any(|(l, m)| *l == 1 && m.contains("never closed")));
    }
}
