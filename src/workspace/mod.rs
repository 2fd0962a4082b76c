//! The audited tree: the walk, each file's scan, and the applications found in it.

pub mod apps;
pub mod imports;
pub mod scan;
pub mod walk;
