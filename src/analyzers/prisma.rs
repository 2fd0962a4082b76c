//! Prisma schema × code: the schema model of each Prisma project in the repository, the
//! call sites that query it, and the analyzers the DATA-* and PERF-* rules name.
//!
//! A project is one schema (a `schema.prisma`, or every `.prisma` file of a multi-file schema
//! folder). Each application uses the project inside its folder, else the nearest one above
//! it, else the only one in the repository when it depends on Prisma.

use super::provenance::{
    base_identifier, is_constant, procedure_vouches, value_core, CheckNames, Origin, Provenance,
    Voucher, Words,
};
use super::{Analyzer, Site};
use crate::facts::prisma_calls::{principal_value, PrismaCall, PrismaFacts};
use crate::facts::prisma_schema::{Field, IndexKind, Model};
use crate::model::{Confidence, Location};
use crate::workspace::apps::{contains, is_script, App};
use crate::workspace::imports::ImportGraph;
use crate::workspace::scan::is_test_path;
use crate::workspace::scan::ScannedFile;
use globset::{Glob, GlobSet, GlobSetBuilder};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding the schema file(s).
    pub dir: String,
    pub schema_files: Vec<usize>,
    pub provider: Option<String>,
    pub relation_mode: Option<String>,
    /// The datasource line (or the first schema file's first line).
    pub anchor: Location,
    pub migrations: bool,
    /// The name in the package.json of the folder above `prisma/` (`@acme/database`), when
    /// that folder is a workspace package: apps that depend on it use this schema.
    pub package: Option<String>,
}

/// Tenant settings from prodready.toml; they override the rule's options.
#[derive(Debug, Clone, Default)]
pub struct TenantConfig {
    pub fields: Option<Vec<String>>,
    pub exempt_paths: Option<Vec<String>>,
    pub review_paths: Option<Vec<String>>,
}

pub struct PrismaIndex<'a> {
    files: &'a [ScannedFile],
    graph: &'a ImportGraph,
    pub projects: Vec<Project>,
    config: TenantConfig,
}

/// A model with the schema file it is declared in.
struct ModelRef<'a> {
    file: usize,
    model: &'a Model,
}

impl<'a> PrismaIndex<'a> {
    pub fn new(
        files: &'a [ScannedFile],
        graph: &'a ImportGraph,
        all_paths: &[String],
        config: TenantConfig,
    ) -> Self {
        let mut by_dir: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, f) in files.iter().enumerate() {
            if f.facts.schema.is_some() && !is_test_path(&f.rel) {
                let dir = f.rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                by_dir.entry(dir.to_string()).or_default().push(i);
            }
        }
        let projects = by_dir
            .into_iter()
            .map(|(dir, schema_files)| {
                let with_source = schema_files.iter().find_map(|&i| {
                    let s = files[i].facts.schema.as_ref()?;
                    s.provider
                        .as_ref()
                        .map(|(p, line)| (i, p.clone(), *line, s))
                });
                let anchor = match &with_source {
                    Some((i, _, line, _)) => Location {
                        path: files[*i].rel.clone(),
                        line: *line,
                        column: 1,
                    },
                    None => Location {
                        path: files[schema_files[0]].rel.clone(),
                        line: 1,
                        column: 1,
                    },
                };
                // Migrations sit next to the schema, or next to a multi-file schema folder.
                let parent = dir.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
                let migrations = all_paths.iter().any(|p| {
                    p.ends_with("/migration.sql")
                        && [dir.as_str(), parent].iter().any(|d| {
                            let prefix = if d.is_empty() {
                                "migrations/".to_string()
                            } else {
                                format!("{d}/migrations/")
                            };
                            p.starts_with(&prefix)
                        })
                });
                let base = project_base(&dir);
                let manifest = format!("{base}/package.json");
                let package = files
                    .iter()
                    .find(|f| !base.is_empty() && f.rel == manifest)
                    .and_then(|f| f.package.as_ref()?.name.clone());
                Project {
                    provider: with_source.as_ref().map(|w| w.1.clone()),
                    relation_mode: with_source.and_then(|w| w.3.relation_mode.clone()),
                    dir,
                    schema_files,
                    anchor,
                    migrations,
                    package,
                }
            })
            .collect();
        PrismaIndex {
            files,
            graph,
            projects,
            config,
        }
    }

    /// The project an application uses, if any.
    pub fn project_for(&self, app: &App) -> Option<usize> {
        let inside = self
            .projects
            .iter()
            .enumerate()
            .filter(|(_, p)| contains(&app.root, &p.dir) || p.dir == app.root)
            .max_by_key(|(_, p)| p.dir.len());
        if let Some((i, _)) = inside {
            return Some(i);
        }
        // The nearest project whose base folder (the folder above `prisma/`) holds the app.
        let above = self
            .projects
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                let base = project_base(&p.dir);
                base.is_empty() || contains(base, &app.root) || base == app.root
            })
            .max_by_key(|(_, p)| p.dir.len());
        if let Some((i, _)) = above {
            if self.projects.len() == 1 || uses_prisma(app) {
                return Some(i);
            }
        }
        (self.projects.len() == 1 && uses_prisma(app)).then_some(0)
    }

    /// Every project an application uses: the one above, and each workspace package holding a
    /// schema (`internal-packages/database`, named `@acme/database`) that it depends on.
    pub fn projects_for(&self, app: &App) -> Vec<usize> {
        let mut out: Vec<usize> = self.project_for(app).into_iter().collect();
        for (i, p) in self.projects.iter().enumerate() {
            let depended = p
                .package
                .as_ref()
                .is_some_and(|name| app.has_dependency(name));
            if depended && !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    fn models(&self, project: usize) -> Vec<ModelRef<'a>> {
        self.projects[project]
            .schema_files
            .iter()
            .filter_map(|&i| {
                let files: &'a [ScannedFile] = self.files;
                files[i].facts.schema.as_ref().map(|s| (i, s))
            })
            .flat_map(|(file, s)| s.models.iter().map(move |model| ModelRef { file, model }))
            .collect()
    }

    /// The enum names a project's schema declares.
    fn enums(&self, project: usize) -> Vec<String> {
        self.projects[project]
            .schema_files
            .iter()
            .filter_map(|&i| self.files[i].facts.schema.as_ref())
            .flat_map(|s| s.enums.iter().cloned())
            .collect()
    }

    /// Is each of `wanted` admin or background-job code: a file `review` matches, or one
    /// that only such code imports (a `lib/` importer that only cron routes call)? Tests and
    /// scripts that import a file do not make it reachable from a request. Decided from the
    /// wanted files up through their importers, so that the globs see only those paths.
    fn review_files(&self, review: &GlobSet, wanted: &[usize]) -> BTreeMap<usize, bool> {
        let n = self.files.len();
        let mut importers: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, out) in self.graph.edges.iter().enumerate() {
            for &j in out.iter().filter(|&&j| j != i && j < n) {
                importers[j].push(i);
            }
        }
        let app = |i: usize| {
            let f = &self.files[i];
            f.is_source() && !f.is_test() && !is_script(&f.rel)
        };
        let mut memo: BTreeMap<usize, bool> = BTreeMap::new();
        for &f in wanted {
            self.review_at(f, review, &importers, &app, &mut memo, 0);
        }
        memo
    }

    /// One file of `review_files`; a file met again on its own import chain (a cycle), or
    /// deeper than a sane chain, is not review code.
    fn review_at(
        &self,
        f: usize,
        review: &GlobSet,
        importers: &[Vec<usize>],
        app: &dyn Fn(usize) -> bool,
        memo: &mut BTreeMap<usize, bool>,
        depth: usize,
    ) -> bool {
        if let Some(&known) = memo.get(&f) {
            return known;
        }
        memo.insert(f, false);
        let verdict = review.is_match(&self.files[f].rel) || {
            let callers: Vec<usize> = importers[f].iter().copied().filter(|&i| app(i)).collect();
            depth < 64
                && !callers.is_empty()
                && callers
                    .iter()
                    .all(|&i| self.review_at(i, review, importers, app, memo, depth + 1))
        };
        memo.insert(f, verdict);
        verdict
    }

    fn location(&self, file: usize, line: usize) -> Location {
        Location {
            path: self.files[file].rel.clone(),
            line,
            column: 1,
        }
    }

    /// Prisma calls in the unit's code, with the model each one queries.
    fn calls<'m>(
        &self,
        unit_files: &BTreeSet<usize>,
        models: &'m [ModelRef<'a>],
    ) -> Vec<(usize, &'a PrismaCall, &'m ModelRef<'a>)> {
        let by_accessor: BTreeMap<String, &ModelRef> =
            models.iter().map(|m| (m.model.accessor(), m)).collect();
        let files: &'a [ScannedFile] = self.files;
        unit_files
            .iter()
            .filter_map(|&i| files[i].facts.prisma_calls.as_ref().map(|p| (i, p)))
            // Seeds, scripts and migrations are not the running application.
            .filter(|(i, _)| !is_script(&files[*i].rel))
            .flat_map(|(i, p)| p.calls.iter().map(move |c| (i, c)))
            .filter_map(|(i, c)| by_accessor.get(&c.accessor).map(|m| (i, c, *m)))
            .collect()
    }

    fn call_site(&self, file: usize, call: &PrismaCall) -> Location {
        Location {
            path: self.files[file].rel.clone(),
            line: call.line,
            column: call.column,
        }
    }

    pub fn run(
        &self,
        analyzer: Analyzer,
        options: &BTreeMap<String, Vec<String>>,
        project: usize,
        unit_files: &BTreeSet<usize>,
    ) -> Vec<Site> {
        let models = self.models(project);
        match analyzer {
            Analyzer::TenantScope => {
                self.tenant_scope(options, &models, &self.enums(project), unit_files)
            }
            Analyzer::RelationOnDelete => self.relation_on_delete(project, &models),
            Analyzer::Indexes => self.indexes(project, &models, unit_files),
            Analyzer::Migrations => self.migrations(project),
            Analyzer::Pagination => self.pagination(&models, unit_files),
            Analyzer::NPlusOne => self.n_plus_one(&models, unit_files),
            _ => Vec::new(), // not a Prisma analyzer
        }
    }

    fn tenant_scope(
        &self,
        options: &BTreeMap<String, Vec<String>>,
        models: &[ModelRef],
        enums: &[String],
        unit_files: &BTreeSet<usize>,
    ) -> Vec<Site> {
        let option = |key: &str| options.get(key).cloned().unwrap_or_default();
        let tenant_fields: Vec<String> = self
            .config
            .fields
            .clone()
            .unwrap_or_else(|| option("tenant_fields"))
            .iter()
            .map(|f| f.to_lowercase())
            .collect();
        let exempt = glob_set(
            &self
                .config
                .exempt_paths
                .clone()
                .unwrap_or_else(|| option("exempt_paths")),
        );
        // Instance-admin and background-job code reads across tenants by design, or is
        // handed ids a request checked before: reported at medium confidence, for review.
        let review = glob_set(
            &self
                .config
                .review_paths
                .clone()
                .unwrap_or_else(|| option("review_paths")),
        );

        let operations = option("operations");
        // Word lists are matched case-insensitively.
        let lowered =
            |key: &str| -> Vec<String> { option(key).iter().map(|w| w.to_lowercase()).collect() };
        let owner_fields = lowered("owner_fields");
        let public_words = lowered("public_words");
        let public_keys = lowered("public_keys");
        let token_words = lowered("token_words");
        let is_tenant = |name: &str| tenant_fields.contains(&name.to_lowercase());
        // `workspaceid` → `workspace`: the name code gives the tenant object.
        let tenant_stems: Vec<&str> = tenant_fields
            .iter()
            .filter_map(|f| f.strip_suffix("id"))
            .filter(|stem| !stem.is_empty())
            .collect();
        let calls = self.calls(unit_files, models);
        let call_files: Vec<usize> = calls.iter().map(|(f, _, _)| *f).collect();
        let in_review = self.review_files(&review, &call_files);
        let all_facts: Vec<(usize, &PrismaFacts)> = unit_files
            .iter()
            .filter_map(|&i| self.files[i].facts.prisma_calls.as_ref().map(|f| (i, f)))
            .collect();
        let tenant_named = |name: &str| tenant_stems.iter().any(|t| t.eq_ignore_ascii_case(name));
        let check_names = CheckNames {
            prefixes: option("check_prefixes"),
            verbs: option("check_verbs"),
            words: lowered("access_words"),
        };
        let vouchers = calls
            .iter()
            .filter(|(_, call, m)| vouches(call, m.model, &is_tenant, &owner_fields))
            .filter_map(|&(file, call, _)| {
                let (class, method) = call.method.clone()?;
                let names = call
                    .filter
                    .values
                    .iter()
                    .map(|(_, v)| v)
                    .chain(&call.filter.nested_values)
                    .map(|v| (v.trim(), base_identifier(v)))
                    // `dataroomId`, `{ in: ids }`: not a member of another object (`req.query.id`).
                    .filter(|(v, base)| !base.is_empty() && (v == base || v.starts_with('{')))
                    .map(|(_, base)| base.to_string())
                    .collect();
                Some(Voucher {
                    file,
                    class,
                    method,
                    place: call.place,
                    names,
                })
            })
            .collect();
        let words = Words {
            tenant_named: &tenant_named,
            tenant_field: &is_tenant,
            checks: check_names,
            request_names: option("request_names"),
        };
        let imports = |from: usize, to: usize| {
            self.graph
                .edges
                .get(from)
                .is_some_and(|e| e.binary_search(&to).is_ok())
        };
        let review_file = |f: usize| review.is_match(&self.files[f].rel);
        let provenance = Provenance::build(&all_facts, words, vouchers, &imports, &review_file);
        let mut sites = Vec::new();
        let mut by_file: BTreeMap<usize, Vec<&PrismaCall>> = BTreeMap::new();
        for &(file, call, _) in &calls {
            by_file.entry(file).or_default().push(call);
        }
        // Calls of the current file judged safe so far, for "a write by the same id after a
        // checked fetch" (calls come file by file).
        let mut safe: Vec<(usize, &PrismaCall)> = Vec::new();
        for &(file, call, m) in &calls {
            if safe.last().is_some_and(|(f, _)| *f != file) {
                safe.clear();
            }
            if !operations.contains(&call.op) || exempt.is_match(&self.files[file].rel) {
                continue;
            }
            let model = m.model;
            // A tenant field is required, or the foreign key of a relation: an optional
            // `tenantId String?` with no relation is an attribute the app stores for its
            // customers, not the boundary it authorizes by.
            let Some(tenant) = model.fields.iter().find(|f| {
                f.relation.is_none()
                    && is_tenant(&f.name)
                    && (!f.optional
                        || model.fields.iter().any(|r| {
                            r.relation
                                .as_ref()
                                .is_some_and(|rel| rel.fields.contains(&f.name))
                        }))
            }) else {
                continue;
            };
            // Relation fields whose foreign key is the tenant field: `workspace: { id }`.
            let tenant_relations: Vec<&str> = model
                .fields
                .iter()
                .filter(|f| {
                    f.relation
                        .as_ref()
                        .is_some_and(|r| r.fields.iter().any(|x| x == &tenant.name))
                })
                .map(|f| f.name.as_str())
                .collect();
            let filter = &call.filter;
            let constrained = expand_compound_keys(model, &filter.constrained);
            let tenant_path = |path: &Vec<String>| {
                path.iter().any(|p| is_tenant(p))
                    || path
                        .first()
                        .is_some_and(|p| tenant_relations.contains(&p.as_str()))
            };
            // Rows of the acting user (`{ userId }`, `{ creatorUid }`, a relation to User), or
            // of the tenants the user belongs to (`team: { members: { some: { userId } } }`).
            let owner_path = |path: &Vec<String>| {
                path.last()
                    .is_some_and(|last| owner_fields.contains(&last.to_lowercase()))
                    || path.len() == 1 && references_user(model, &path[0])
            };
            // A tenant nested in another (a Team of an Organisation) looked up by its own id:
            // `{ id: teamId }` on Team is the filter `teamId` is on every other model.
            let tenant_root = is_tenant(&format!("{}id", model.name));
            let scoped = constrained.iter().any(tenant_path)
                || tenant_root
                    && filter
                        .constrained
                        .iter()
                        .any(|p| p.len() == 1 && p[0] == "id");
            // Values of the authenticated principal (`ctx.user.email`, `req.user.id`): the
            // caller's own rows across tenants (an inbox, "my invitations").
            let by_principal = filter
                .values
                .iter()
                .map(|(_, v)| v)
                .chain(filter.nested_values.iter())
                .any(|v| match &call.method {
                    Some((class, method)) => provenance.is_principal(file, class, method, v),
                    None => principal_value(v),
                });
            let by_owner = constrained.iter().any(owner_path) || by_principal;
            // An OR each of whose branches is scoped by the tenant, by the owner, or by a unique
            // key (`OR: [{ email }, { teamId }]`: "is this email or this team taken?").
            let branches_scoped = filter.or_groups.iter().any(|group| {
                group.iter().all(|branch| {
                    branch.iter().any(|p| {
                        tenant_path(p)
                            || owner_path(p)
                            || p.len() == 1 && unique_non_id(model, &p[0])
                    })
                })
            });
            // A lookup by a unique key other than the id establishes the tenant itself, also
            // through a relation (`recipients: { some: { token } }`).
            let by_unique = constrained.iter().any(|path| {
                path.len() == 1 && unique_non_id(model, &path[0])
                    || path.len() == 2
                        && model
                            .field(&path[0])
                            .filter(|f| f.relation.is_some() || f.list)
                            .and_then(|f| models.iter().find(|m| m.model.name == f.ty))
                            .is_some_and(|target| unique_non_id(target.model, &path[1]))
                    || path.len() >= 2
                        && model.indexes.iter().any(|i| {
                            i.kind == IndexKind::Unique && i.key == path[0] && i.fields.len() > 1
                        })
            });
            // A secret the caller presents (`{ token }`, `recipients: { some: { token } }`,
            // `{ keyHash }`) grants access by itself, unique in the schema or not.
            let by_token = constrained.iter().any(|path| {
                path.last().is_some_and(|last| {
                    let last = last.to_lowercase();
                    token_words.iter().any(|w| last.contains(w.as_str()))
                })
            });
            // A read whose result's tenant is read (or which is handed to an access check)
            // right after; a write cannot be protected that way.
            let read = call.op.starts_with("find") || call.op == "count";
            let checked_after = read
                && (call.result_checked
                    || call
                        .result_fields
                        .iter()
                        .any(|f| is_tenant(f) || tenant_relations.contains(&f.as_str())));
            // A total count or aggregate over the table returns a number, not rows; so does one
            // over a fixed part of it (`count({ where: { deletedAt: null } })`): no caller value
            // picks another tenant's rows.
            let fixed_filter = filter.absent
                || !filter.unknown
                    && !filter.values.is_empty()
                    && filter.values.iter().all(|(_, v)| is_constant(v))
                    && filter.nested_values.iter().all(|v| is_constant(v));
            let global_number = fixed_filter && matches!(call.op.as_str(), "count" | "aggregate");
            // An earlier call of the same function, also from a callback inside it
            // (`$transaction`), on every path to this one: in a block around it, not in a
            // sibling `if` branch.
            let runs_before = |c: &PrismaCall| {
                let same_function = c.scope_start == call.scope_start
                    || c.method.is_some() && c.method == call.method;
                same_function && c.place.dominates(&call.place)
            };
            // The same values as an earlier call on the model that was safe (`update({ where:
            // { id } })` after a checked `findUnique({ where: { id } })`).
            let same_as_safe = !filter.values.is_empty()
                && safe.iter().any(|(f, c)| {
                    *f == file
                        && runs_before(c)
                        && c.accessor == call.accessor
                        && filter.values.iter().all(|v| c.filter.values.contains(v))
                });
            // Every value comes from a row fetched earlier in the same function
            // (`where: { id: collection.id }` after a scoped fetch of `collection`), or from a
            // loop variable / callback parameter over such rows.
            let mut fetched: Vec<&str> = by_file
                .get(&file)
                .into_iter()
                .flatten()
                .filter(|c| c.line < call.line)
                .filter_map(|c| c.result_var.as_deref())
                .collect();
            for (alias, rows) in &call.row_aliases {
                if fetched.contains(&base_identifier(rows)) {
                    fetched.push(alias);
                }
            }
            // A member of a fetched row (`collection.id`), also as a list (`{ in:
            // commissions.map((c) => c.id) }`), not the bare row.
            let row_based = |v: &str| {
                let base = base_identifier(v);
                v.trim() != base && fetched.contains(&base)
            };
            let trusted = |v: &str| {
                call.method.as_ref().is_some_and(|(class, method)| {
                    let base = base_identifier(v);
                    provenance.is_row(file, class, method, base)
                        // What authentication established (`env: AuthenticatedEnvironment`).
                        || provenance.is_principal(file, class, method, v)
                        || procedure_vouches(call.procedure.as_deref(), v)
                        || provenance.authorized(file, class, method, v, &call.place)
                        || provenance.tenant_compared(
                            file,
                            class,
                            method,
                            base,
                            &call.place,
                            &|f| is_tenant(f) || tenant_relations.contains(&f),
                        )
                        || call.row_aliases.iter().any(|(alias, rows)| {
                            alias == base
                                && provenance.is_row(file, class, method, base_identifier(rows))
                        })
                })
            };
            // Values of the authenticated tenant object itself (`workspace.defaultProgramId`,
            // `team.id`, a local built on `workspace`): the variable is named for the tenant
            // field's model (`workspaceId` → `workspace`), as auth wrappers hand it over.
            let of_tenant = |v: &str| {
                let base = base_identifier(v);
                tenant_named(base)
                    || call.method.as_ref().is_some_and(|(class, method)| {
                        provenance.built_on(file, class, method, base, &tenant_named)
                    })
            };
            let row_based = |v: &str| row_based(v) || of_tenant(v);
            let variable: Vec<&str> = filter
                .values
                .iter()
                .map(|(_, v)| v.as_str())
                .filter(|v| !is_constant(v))
                .collect();
            // A row pinned by its id or another unique key taken from a fetched row: the
            // rest of the filter can only narrow it (`{ id: envelope.id, recipients: {...} }`).
            let pinned_by = |ok: &dyn Fn(&str) -> bool| {
                filter
                    .values
                    .iter()
                    .any(|(k, v)| model.field(k).is_some_and(|f| f.id || f.unique) && ok(v))
            };
            // Rows under one parent the code fetched or took from the signed-in tenant, when the
            // parent is itself tenant-scoped: `{ programId: enrollment.programId, resourceId }`
            // on ActivityLog, where a Program belongs to one workspace.
            // The parent is the relation's model, or by name when the key has no relation
            // (`programId String` beside a Program model).
            let tenant_scoped = |name: &str| {
                models.iter().any(|t| {
                    t.model.name.eq_ignore_ascii_case(name)
                        && (is_tenant(&format!("{}id", t.model.name))
                            || t.model.fields.iter().any(|f| is_tenant(&f.name)))
                })
            };
            let under_tenant_parent = |ok: &dyn Fn(&str) -> bool| {
                filter.values.iter().any(|(k, v)| {
                    let related = model.fields.iter().any(|r| {
                        r.relation
                            .as_ref()
                            .is_some_and(|rel| rel.fields.contains(k))
                            && tenant_scoped(&r.ty)
                    });
                    let named = k
                        .strip_suffix("Id")
                        .or_else(|| k.strip_suffix("ID"))
                        .is_some_and(&tenant_scoped);
                    ok(v) && (related || named)
                })
            };
            let from_fetched_row = !variable.is_empty() && variable.iter().all(|v| row_based(v))
                || pinned_by(&row_based)
                || under_tenant_parent(&row_based);
            // Every value is built on a row or a parameter that only ever receives rows
            // (a private helper called with `collection.id`; a field resolver's parent).
            let from_trusted = !variable.is_empty() && variable.iter().all(|v| trusted(v))
                || pinned_by(&trusted)
                || under_tenant_parent(&trusted);
            // A public listing: a read filtered by a publication flag (`published: true`,
            // `addedToMarketplaceAt: { not: null }`, `groups: { some: { landerPublishedAt } }`).
            let public_listing = read
                && filter.values.iter().any(|(k, v)| {
                    raised_flags(k, v).iter().any(|flag| {
                        let flag = flag.to_lowercase();
                        public_words.iter().any(|w| flag.contains(w.as_str()))
                    })
                });
            // A public page's lookup by its public key (`{ slug }`, `{ subdomain }`): a unique
            // one is exempt above; a non-unique one (versions sharing a slug) is read the
            // same way.
            let is_public_key = |f: &str| public_keys.contains(&f.to_lowercase());
            let by_public_key = read
                && filter
                    .constrained
                    .iter()
                    .any(|path| path.len() == 1 && is_public_key(&path[0]));
            // A read that returns nothing but public keys (`select: { slug: true }` for a
            // static-params listing) shows no tenant's data.
            let public_columns =
                read && !call.selected.is_empty() && call.selected.iter().all(|f| is_public_key(f));
            // A read that returns nothing but the row's tenant (`select: { workspaceId: true }`,
            // `getOrganizationIdFromSurveyId`): it finds the owner for an access check and
            // shows no tenant's data.
            let owner_lookup =
                read && !call.selected.is_empty()
                    && call.selected.iter().all(|f| {
                        is_tenant(f) || tenant_relations.contains(&f.as_str()) || f == "id"
                    })
                    && call.selected.iter().any(|f| f != "id");
            // The lookup a guard makes to find the tenant it then checks.
            // So is a read inside an access check (`canUpdateBoard` loads the board to compare
            // its team with the caller's).
            let for_guard = read
                && call.method.as_ref().is_some_and(|(class, method)| {
                    call.returned && provenance.guard_lookup(file, class, method)
                        || provenance.is_check(method)
                });
            if scoped
                || for_guard
                || by_unique
                || by_token
                || checked_after
                || by_owner
                || branches_scoped
                || from_fetched_row
                || from_trusted
                || global_number
                || same_as_safe
                || public_listing
                || by_public_key
                || public_columns
                || owner_lookup
            {
                safe.push((file, call));
                continue;
            }
            let client = client_call(call);
            let schema_at = self.location(m.file, tenant.line);
            // Every value is a parameter no caller seen feeds from a request: a data-access
            // helper, scoped or not by callers the analyzer does not see checking the id.
            let loader = read && call.returned;
            // The values compared; a relation filter (`{ some: { surveyId } }`) by the values
            // inside it.
            let relation_object =
                |v: &str| v.trim_start().starts_with('{') && value_core(v) == v.trim();
            let compared: Vec<&str> = variable
                .iter()
                .copied()
                .filter(|v| !relation_object(v))
                .chain(
                    filter
                        .nested_values
                        .iter()
                        .map(String::as_str)
                        .filter(|v| !is_constant(v) && !relation_object(v)),
                )
                .collect();
            let origins: Vec<(&str, Origin)> = compared
                .iter()
                .map(|&v| {
                    let origin = call
                        .method
                        .as_ref()
                        .map_or(Origin::Other, |(class, method)| {
                            provenance.origin(file, class, method, v, loader)
                        });
                    (v, origin)
                })
                .collect();
            let helper_params: Vec<&str> = origins
                .iter()
                .filter(|(_, o)| *o == Origin::Parameter)
                .map(|(v, _)| *v)
                .collect();
            // Values neither a request nor a caller's argument: computed here from what the
            // analyzer does not follow (an instance field, configuration, a generated id, a
            // call's result).
            let untraced: Vec<&str> = origins
                .iter()
                .filter(|(_, o)| *o == Origin::Other)
                .map(|(v, _)| *v)
                .collect();
            let (mut message, mut confidence) = if filter.unknown {
                (
                    format!(
                        "cannot verify: {client} on tenant-scoped model {} builds its `where` where the analyzer cannot see it; make sure it filters by `{}` ({schema_at})",
                        model.name, tenant.name
                    ),
                    Confidence::Medium,
                )
            } else {
                let what = if filter.absent {
                    "has no `where`".to_string()
                } else if filter.used.iter().any(|u| is_tenant(u)) {
                    format!(
                        "uses `{}` only inside OR / NOT, which does not restrict every row,",
                        tenant.name
                    )
                } else {
                    let mut used = filter.used.clone();
                    used.dedup();
                    format!("filters only by {}", used.join(", "))
                };
                (
                    format!(
                        "{client} on tenant-scoped model {} {what}, not by its tenant field `{}` ({schema_at}): one tenant can read or change another's rows",
                        model.name, tenant.name
                    ),
                    Confidence::High,
                )
            };
            if !filter.unknown && !helper_params.is_empty() && helper_params.len() == compared.len()
            {
                let function = call.method.as_ref().map_or("", |(_, m)| m.as_str());
                let params = quoted(&helper_params);
                message.push_str(&format!("; {params} arrive as parameters of `{function}` and no caller the analyzer saw passes request input: make sure every caller checks the id belongs to the caller's tenant"));
                confidence = Confidence::Medium;
            } else if !filter.unknown
                && !compared.is_empty()
                && origins.iter().all(|(_, o)| *o != Origin::Request)
                && !untraced.is_empty()
            {
                let values = quoted(&untraced);
                message.push_str(&format!("; no request input reaches it that the analyzer can see: {values} is computed in the function (from an instance field, configuration, a generated id or a call it does not follow): make sure it cannot name another tenant's row"));
                confidence = Confidence::Medium;
            }
            // A model whose tenant is optional holds shared rows beside tenant-owned ones
            // (`organizationId String?`: managed worker groups, global market data); a query
            // that takes no value from anywhere usually selects shared rows.
            if !filter.unknown && variable.is_empty() && tenant.optional {
                message.push_str(&format!("; `{}` is optional, so the model also holds shared rows, and this query takes no value from the caller: make sure it cannot return a tenant's own rows", tenant.name));
                confidence = Confidence::Medium;
            }
            // Rows under one tenant-scoped parent the function is handed, not the request
            // (`resolveSession(envId, externalId)`: `{ runtimeEnvironmentId: envId, externalId }`):
            // as safe as the parent its callers pass.
            let origin_of = |v: &str| {
                origins
                    .iter()
                    .find(|(c, _)| *c == v)
                    .map_or(Origin::Other, |(_, o)| *o)
            };
            let delegated_parent = confidence == Confidence::High
                && !filter.unknown
                && under_tenant_parent(&|v| !is_constant(v) && origin_of(v) != Origin::Request);
            if delegated_parent {
                message.push_str("; it keeps to one tenant-scoped parent that the function is handed and no request input the analyzer sees reaches: make sure its callers pass a parent they checked");
                confidence = Confidence::Medium;
            }
            // A read of nothing but flags or kinds (`select: { type: true }` to pick the
            // delete to run, `{ enableConversation: true }` to refuse): it shows no tenant's
            // content, and what follows is usually scoped.
            let flags_only = read
                && !call.selected.is_empty()
                && call.selected.iter().all(|f| {
                    model
                        .field(f)
                        .is_some_and(|f| !f.list && (f.ty == "Boolean" || enums.contains(&f.ty)))
                });
            if !filter.unknown && flags_only {
                let fields = call.selected.join(", ");
                message.push_str(&format!("; it reads only {fields} (a flag or kind, usually to decide what to do next): make sure the row's content is then read scoped"));
                confidence = Confidence::Medium;
            }
            // "Is this name taken?": a read whose row is only tested for being there.
            if read && call.exists_only {
                message.push_str("; the code only tests whether such a row exists (a uniqueness or availability check): make sure the answer cannot tell one tenant about another's rows");
                confidence = Confidence::Medium;
            }
            // Totals per tenant (`groupBy({ by: ["organizationId"] })`) are a report across
            // tenants by design: system code, which no tenant's user should reach.
            if call.grouped_by.iter().any(|f| is_tenant(f)) {
                message.push_str(&format!("; it groups by `{}`, a report across tenants by design: make sure only system or admin code reaches it", tenant.name));
                confidence = Confidence::Medium;
            }
            if let Some(secret) = &call.secret_gate {
                message.push_str(&format!("; the function first compares a shared secret (`process.env.{secret}`): if only trusted servers hold it, reading across tenants may be intended, and `exempt_paths` can say so"));
                confidence = Confidence::Medium;
            }
            let background = call
                .method
                .as_ref()
                .is_some_and(|(class, method)| provenance.background(file, class, method));
            if in_review.get(&file).copied().unwrap_or(false) || background {
                let how = if review.is_match(&self.files[file].rel) {
                    "this is admin, webhook or background-job code (`review_paths`)"
                } else if background {
                    "only background code calls this function (a scheduled job, a queue processor, a start-up hook, or code under `review_paths`)"
                } else {
                    "only admin, webhook or background-job code (`review_paths`) imports this file"
                };
                message.push_str(&format!("; {how}: if only instance administrators, a signed provider callback or internal jobs reach it, reading across tenants is intended, and `exempt_paths` can say so"));
                confidence = Confidence::Medium;
            }
            sites.push(Site {
                location: self.call_site(file, call),
                message,
                snippet: call.snippet.clone(),
                confidence,
            });
        }
        sites
    }

    fn relation_on_delete(&self, project: usize, models: &[ModelRef]) -> Vec<Site> {
        // With `relationMode = "prisma"` there is no foreign key: Prisma Client emulates it.
        let emulated = self.projects[project].relation_mode.as_deref() == Some("prisma");
        let mut sites = Vec::new();
        for m in models {
            for f in &m.model.fields {
                let Some(rel) = &f.relation else { continue };
                if rel.fields.is_empty() || rel.on_delete.is_some() {
                    continue;
                }
                let default = match (f.optional, emulated) {
                    (true, _) => "SetNull: deleting the related row silently orphans these rows",
                    (false, false) => {
                        "Restrict: deleting the related row fails with a foreign-key error"
                    }
                    (false, true) => {
                        "Restrict (emulated by Prisma Client, no foreign key): deleting the related row through Prisma fails, and a delete outside Prisma leaves these rows dangling"
                    }
                };
                sites.push(Site {
                    location: self.location(m.file, f.line),
                    message: format!(
                        "{}.{} → {} has no onDelete: Prisma defaults to {default}; say Cascade, SetNull or Restrict explicitly",
                        m.model.name, f.name, f.ty
                    ),
                    snippet: format!("{} {}{}", f.name, f.ty, if f.optional { "?" } else { "" }),
                    confidence: Confidence::High,
                });
            }
        }
        sites
    }

    fn indexes(
        &self,
        project: usize,
        models: &[ModelRef],
        unit_files: &BTreeSet<usize>,
    ) -> Vec<Site> {
        let p = &self.projects[project];
        let mut sites = Vec::new();
        let mut reported: BTreeSet<(String, String)> = BTreeSet::new();
        // MySQL (InnoDB) indexes foreign keys itself, unless Prisma emulates relations.
        let fk_auto_indexed =
            p.provider.as_deref() == Some("mysql") && p.relation_mode.as_deref() != Some("prisma");
        let mongo = p.provider.as_deref() == Some("mongodb");
        let enums = self.enums(project);
        if !fk_auto_indexed && !mongo {
            for m in models {
                for f in &m.model.fields {
                    let Some(rel) = &f.relation else { continue };
                    // A composite key (`[programId, partnerId]`) is served by an index led by
                    // its first column; its later columns alone need none.
                    for scalar in rel.fields.iter().take(1) {
                        if m.model.leads_an_index(scalar) {
                            continue;
                        }
                        if !reported.insert((m.model.name.clone(), scalar.clone())) {
                            continue;
                        }
                        let line = m.model.field(scalar).map(|s| s.line).unwrap_or(f.line);
                        sites.push(Site {
                            location: self.location(m.file, line),
                            message: format!(
                                "{}.{} (foreign key of {}) is not the first field of any index: joins, `where: {{ {scalar} }}` lookups and cascading deletes scan the table; add @@index([{scalar}])",
                                m.model.name, scalar, f.name
                            ),
                            snippet: scalar.clone(),
                            confidence: Confidence::High,
                        });
                    }
                }
            }
        }
        // Fields code filters by, on queries that no index serves at all.
        let filtering_ops = [
            "findFirst",
            "findFirstOrThrow",
            "findMany",
            "count",
            "updateMany",
            "deleteMany",
            "aggregate",
            "groupBy",
        ];
        for (file, call, m) in self.calls(unit_files, models) {
            if !filtering_ops.contains(&call.op.as_str()) {
                continue;
            }
            let model = m.model;
            let direct: Vec<&Field> = call
                .filter
                .constrained
                .iter()
                .filter(|path| path.len() == 1)
                .filter_map(|path| model.field(&path[0]))
                .filter(|f| is_column(f, &enums) && !f.list && !call.filter.fuzzy.contains(&f.name))
                .collect();
            // A filter through a relation (`users: { some: { userId } }`) can drive the query
            // from the related table's index.
            let joins = call.filter.constrained.iter().any(|path| {
                path.len() >= 2 && model.field(&path[0]).is_some_and(|f| !is_column(f, &enums))
            });
            if joins || direct.is_empty() || direct.iter().any(|f| model.leads_an_index(&f.name)) {
                continue;
            }
            // One suggestion per query, led by a selective column: an index on a Boolean, an
            // enum or a soft-delete timestamp alone barely narrows the scan.
            let Some(lead) = direct.iter().find(|f| selective(f, &enums)) else {
                continue;
            };
            if !reported.insert((model.name.clone(), lead.name.clone())) {
                continue;
            }
            let rest: Vec<&str> = direct
                .iter()
                .filter(|f| f.name != lead.name)
                .map(|f| f.name.as_str())
                .collect();
            let columns = std::iter::once(lead.name.as_str())
                .chain(rest.iter().copied())
                .collect::<Vec<_>>()
                .join(", ");
            let site = self.call_site(file, call);
            sites.push(Site {
                location: self.location(m.file, lead.line),
                message: format!(
                    "{}.{} is filtered on in code ({site}: {}) and no index starts with it (nor with any other field of that filter): the query scans the table; add @@index([{columns}])",
                    model.name, lead.name, client_call(call)
                ),
                snippet: format!("{} {}", lead.name, lead.ty),
                confidence: Confidence::High,
            });
        }
        sites
    }

    fn migrations(&self, project: usize) -> Vec<Site> {
        let p = &self.projects[project];
        // MongoDB has no migrations: `db push` is how Prisma manages its indexes.
        if p.migrations || p.provider.as_deref() == Some("mongodb") {
            return Vec::new();
        }
        vec![Site {
            location: p.anchor.clone(),
            message: format!(
                "no committed migrations next to the schema ({}/migrations/*/migration.sql): the database is shaped by `db push`, with no reviewed, repeatable history; run `prisma migrate dev` and commit the folder",
                if p.dir.is_empty() { "." } else { &p.dir }
            ),
            snippet: String::new(),
            confidence: Confidence::High,
        }]
    }

    fn pagination(&self, models: &[ModelRef], unit_files: &BTreeSet<usize>) -> Vec<Site> {
        let files = self.files;
        let facts = || {
            unit_files
                .iter()
                .filter_map(|&i| files[i].facts.prisma_calls.as_ref().map(|p| (i, p)))
        };
        // (service class, method) → the handler that returns it: one hop.
        let mut served: BTreeMap<(String, String), Location> = BTreeMap::new();
        let mut handlers: BTreeSet<(String, String)> = BTreeSet::new();
        for (i, f) in facts() {
            for h in &f.handlers {
                handlers.insert((h.class.clone(), h.method.clone()));
                for (field, method) in &h.calls {
                    let ty = facts().find_map(|(_, g)| {
                        g.injected
                            .iter()
                            .find(|(c, name, _)| *c == h.class && name == field)
                            .map(|(_, _, ty)| ty.clone())
                    });
                    if let Some(ty) = ty {
                        served
                            .entry((ty, method.clone()))
                            .or_insert_with(|| self.location(i, h.line));
                    }
                }
            }
        }
        let mut sites = Vec::new();
        for (file, call, m) in self.calls(unit_files, models) {
            if call.op != "findMany" || call.bounded || !call.returned {
                continue;
            }
            let via = match &call.method {
                Some(key) if handlers.contains(key) => {
                    Some("returned by a controller handler".to_string())
                }
                Some(key) => served
                    .get(key)
                    .map(|at| format!("returned to the controller handler at {at}")),
                None => None,
            }
            .or_else(|| {
                call.in_route_callback
                    .then(|| "sent by a route handler".to_string())
            });
            let Some(via) = via else { continue };
            sites.push(Site {
                location: self.call_site(file, call),
                message: format!(
                    "{} without `take` is {via}: the response grows with the {} table; page it (take/skip or cursor) and cap the page size",
                    client_call(call), m.model.name
                ),
                snippet: call.snippet.clone(),
                confidence: Confidence::High,
            });
        }
        sites
    }

    fn n_plus_one(&self, models: &[ModelRef], unit_files: &BTreeSet<usize>) -> Vec<Site> {
        let mut sites = Vec::new();
        for (file, call, _) in self.calls(unit_files, models) {
            let Some(loop_line) = call.in_loop else {
                continue;
            };
            // `while (more) { findMany({ take: 500, cursor }) }` reads in batches: not N+1.
            if call.op == "findMany" && call.bounded {
                continue;
            }
            sites.push(Site {
                location: self.call_site(file, call),
                message: format!(
                    "{}.{}.{}() runs once per item of the loop at line {loop_line}: N round trips; fetch in one query (`where: {{ id: {{ in: ids }} }}`, `include`) or use createMany/updateMany/$transaction",
                    call.receiver, call.accessor, call.op
                ),
                snippet: call.snippet.clone(),
                confidence: Confidence::High,
            });
        }
        sites
    }
}

/// The fields a filter entry requires to be set: `published: true`, `listedAt: { not: null }`,
/// also inside a relation filter (`groups: { some: { landerPublishedAt: { not: null } } }`).
fn raised_flags(key: &str, value: &str) -> Vec<String> {
    static FLAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"([A-Za-z_$][\w$]*):(?:true\b|\{not:null\b)").expect("valid regex")
    });
    let entry: String = format!("{key}:{value}")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    FLAG.captures_iter(&entry)
        .map(|c| c[1].to_string())
        .collect()
}

/// Does an index led by this field narrow a scan? Not a Boolean, an enum or `deletedAt`.
/// Is the field a column of its table? A field typed by a model (`enrollment Enrollment?`,
/// a back-relation without `@relation`) or a composite type is a join, not a column to index.
fn is_column(field: &Field, enums: &[String]) -> bool {
    const SCALARS: [&str; 9] = [
        "String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes",
    ];
    field.relation.is_none()
        && (SCALARS.contains(&field.ty.as_str())
            || enums.contains(&field.ty)
            || field.ty == "Unsupported")
}

fn selective(field: &Field, enums: &[String]) -> bool {
    // Json and Bytes columns cannot lead a plain B-tree index (MySQL rejects them).
    !matches!(field.ty.as_str(), "Boolean" | "Json" | "Bytes")
        && !enums.contains(&field.ty)
        && !matches!(
            field.name.as_str(),
            "deletedAt" | "deleted_at" | "archivedAt"
        )
}

/// `this.prisma.user.findMany()`; a compound receiver in parentheses: `(tx || this.prisma)`.
fn client_call(call: &PrismaCall) -> String {
    let receiver = if call.receiver.contains(' ') {
        format!("({})", call.receiver)
    } else {
        call.receiver.clone()
    };
    format!("{receiver}.{}.{}()", call.accessor, call.op)
}

/// Does this read tie the ids it is given to the tenant, for the code after it? It is scoped
/// by a tenant field (also through a relation or a compound key), looks a tenant up by its id
/// (`team.findUnique({ where: { id: teamId, folders: { some: { id: folderId } } } })`), or
/// keeps to the acting user's rows; or the code compares the row's tenant after it.
fn vouches(
    call: &PrismaCall,
    model: &Model,
    is_tenant: &dyn Fn(&str) -> bool,
    owner_fields: &[String],
) -> bool {
    // One row, which the code tests or reads so that a missing row stops it (a list of rows
    // vouches for none of the ids it was asked for).
    let single = matches!(call.op.as_str(), "findUnique" | "findFirst");
    let throws = matches!(call.op.as_str(), "findUniqueOrThrow" | "findFirstOrThrow");
    let kept = throws || single && (call.result_tested || call.result_checked);
    if !kept {
        return false;
    }
    let constrained = expand_compound_keys(model, &call.filter.constrained);
    let tenant_root = is_tenant(&format!("{}id", model.name));
    constrained.iter().any(|path| {
        path.iter().any(|p| is_tenant(p))
            || tenant_root && path.len() == 1 && path[0] == "id"
            || path
                .last()
                .is_some_and(|l| owner_fields.contains(&l.to_lowercase()))
    }) || call.result_fields.iter().any(|f| is_tenant(f))
}

/// Values as the message names them: `` `a`, `b.id` ``.
fn quoted(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| format!("`{}`", v.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Paths with a compound id or unique key given whole (`where: { id_userId }`, the key
/// shorthand of `@@id([id, userId])`) also constrain each of the key's fields.
fn expand_compound_keys(model: &Model, constrained: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = constrained.to_vec();
    for path in constrained.iter().filter(|p| p.len() == 1) {
        let compound = model
            .indexes
            .iter()
            .filter(|i| i.kind != IndexKind::Index && i.fields.len() > 1 && i.key == path[0]);
        for index in compound {
            out.extend(
                index
                    .fields
                    .iter()
                    .map(|f| vec![path[0].clone(), f.clone()]),
            );
        }
    }
    out
}

/// Is the field the foreign key of a relation to the User model?
fn references_user(model: &Model, field: &str) -> bool {
    model.fields.iter().any(|f| {
        f.relation
            .as_ref()
            .is_some_and(|r| r.fields.iter().any(|x| x == field))
            && matches!(f.ty.as_str(), "User" | "Users")
    })
}

fn unique_non_id(model: &Model, field: &str) -> bool {
    model.field(field).is_some_and(|f| f.unique && !f.id)
        || model
            .indexes
            .iter()
            .any(|i| i.kind == IndexKind::Unique && i.fields.len() == 1 && i.fields[0] == field)
}

/// The folder a schema folder serves: `apps/api` for `apps/api/prisma`.
fn project_base(dir: &str) -> &str {
    let mut d = dir;
    for tail in ["schema", "prisma"] {
        if d == tail {
            return "";
        }
        if let Some(base) = d.strip_suffix(&format!("/{tail}")) {
            d = base;
        }
    }
    d
}

fn uses_prisma(app: &App) -> bool {
    app.has_dependency("@prisma/client") || app.has_dependency("prisma")
}

fn glob_set(patterns: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        if let Ok(g) = Glob::new(p) {
            b.add(g);
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_values_are_the_acting_user() {
        assert!(principal_value("ctx.user.email"));
        assert!(principal_value("req.user?.id"));
        assert!(principal_value("user.id"));
        assert!(!principal_value("dto.userId"));
        assert!(!principal_value("input.email"));
        // Values the server keeps in the session, not ones the caller sends.
        assert!(principal_value("session.viewId"));
        assert!(principal_value("req.session.userId"));
        assert!(principal_value("dataroomSession.viewerId"));
        assert!(!principal_value("sessionId"));
        assert!(!principal_value("body.session"));
        assert!(!principal_value(
            "prisma.team.findUnique({ where: { users: { some: { userId: (session.user as U).id } } } })"
        ));
    }
}
