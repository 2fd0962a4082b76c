//! Facts about one file that rules and analyzers share: local imports, environment
//! variables read, entry-point markers, suppression comments, and (for files that name a
//! Nest binding) the Nest provider facts. Computed once, during the per-file scan.

pub mod nest;
pub mod package;
pub mod prisma_calls;
pub mod prisma_schema;
pub mod routes;
pub mod secrets;
pub mod text;
pub mod tree;

pub use text::{EntryKind, EntryMarker, SuppressComment};

/// Literals that decide whether a file needs the costlier fact extraction.
const ENTRY_LITERALS: &[&str] = &[
    "NestFactory",
    "express(",
    "fastify(",
    "new Koa",
    "new Hono",
    // createServer(, createExpressServer(, createKoaServer(
    "Server(",
    "new Worker",
    ".listen(",
];
const SUPPRESS_LITERAL: &str = "prodready-ignore";
/// Where environment variables are read: `process.env`, `config.get(`, `configService.get(`.
const ENV_LITERALS: &[&str] = &["process.env", "onfig"];
// APP_FILTER and APP_INTERCEPTOR bindings are extracted too, from files these literals select.
const NEST_LITERALS: &[&str] = &["APP_GUARD", "APP_PIPE", "useGlobal"];
/// Files that may hold Prisma calls: they name Prisma (`prisma`, `PrismaService`,
/// `Prisma.TransactionClient`) or call a `*Many(` operation (`this.db.user.findMany(` on a
/// client wrapper); plus the controllers, GraphQL resolvers and guards whose calls into
/// services PERF-PAGINATION and DATA-TENANT-SCOPE follow. A file that
/// uses only single-row operations through a wrapper it never names is not seen.
/// `risma` comes first: `Flags::names_prisma` reads it.
const PRISMA_LITERALS: &[&str] = &["risma", "Many(", "@Controller", "@Resolve", "canActivate"];
/// Files that may hold an HTTP route with a body (Nest decorators, router calls) or mount
/// middleware on a path (`app.use('/auth', limiter)`).
const ROUTE_LITERALS: &[&str] = &[
    "@Post", "@Put", "@Patch", "@All", ".post(", ".put(", ".patch(", ".all(", ".use(",
];

/// The prefilter's extra literals, in the order `Flags::from_extra` reads them.
pub fn fact_literals(global_classes: &[String]) -> Vec<String> {
    ENTRY_LITERALS
        .iter()
        .chain(std::iter::once(&SUPPRESS_LITERAL))
        .chain(ENV_LITERALS)
        .chain(NEST_LITERALS)
        .chain(PRISMA_LITERALS)
        .chain(ROUTE_LITERALS)
        .map(|s| s.to_string())
        .chain(global_classes.iter().cloned())
        .collect()
}

/// Which fact extractors a file needs, from the prefilter's extra hits.
#[derive(Debug, Default, Clone, Copy)]
pub struct Flags {
    pub entry: bool,
    pub suppress: bool,
    pub env: bool,
    pub nest: bool,
    pub prisma: bool,
    /// The file names Prisma itself (not only a `*Many(` call or a controller).
    pub names_prisma: bool,
    pub routes: bool,
}

impl Flags {
    pub fn from_extra(extra: &[bool]) -> Flags {
        let e = ENTRY_LITERALS.len();
        let v = ENV_LITERALS.len();
        let n = NEST_LITERALS.len();
        let p = PRISMA_LITERALS.len();
        let r = ROUTE_LITERALS.len();
        let any = |skip: usize, take: usize| extra.iter().skip(skip).take(take).any(|b| *b);
        Flags {
            entry: any(0, e),
            suppress: any(e, 1),
            env: any(e + 1, v),
            nest: any(e + 1 + v, n) || any(e + 1 + v + n + p + r, usize::MAX),
            prisma: any(e + 1 + v + n, p),
            names_prisma: any(e + 1 + v + n, 1),
            routes: any(e + 1 + v + n + p, r),
        }
    }
}

#[derive(Debug, Default, Clone)]
pub struct FileFacts {
    /// Relative import specifiers (`./config`, `../shutdown`), as written.
    pub imports: Vec<String>,
    pub env_vars: Vec<String>,
    pub markers: Vec<EntryMarker>,
    pub suppressions: Vec<SuppressComment>,
    pub nest: Option<nest::NestFacts>,
    pub prisma_calls: Option<prisma_calls::PrismaFacts>,
    /// For `.prisma` files: the parsed schema.
    pub schema: Option<Box<prisma_schema::SchemaFile>>,
    /// HTTP routes (only when a rule reads them and the file may hold one).
    pub routes: Option<routes::RouteFacts>,
    /// The file verifies a request signature (webhook rules).
    pub verifies_signature: bool,
    /// Secret literals (only when a rule reads them).
    pub secrets: Vec<secrets::Secret>,
}
