//! Named analyzers: what a pattern cannot say on its own (cross-file resolution), each
//! configured from the YAML matcher that names it.

pub mod nest_global;
pub mod prisma;
pub mod provenance;
