//! package.json: the dependencies that decide what an application is, read once per package.

use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Package {
    pub name: Option<String>,
    /// Runtime dependencies (`dependencies`), name → line in package.json.
    pub runtime: BTreeMap<String, usize>,
    /// `devDependencies` and `peerDependencies`, name → line.
    pub dev: BTreeMap<String, usize>,
    pub is_workspace_root: bool,
    pub scripts: BTreeMap<String, String>,
}

impl Package {
    pub fn parse(text: &str) -> Result<Package, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let obj = value.as_object().ok_or("not a JSON object")?;
        let deps = |key: &str| -> BTreeMap<String, usize> {
            obj.get(key)
                .and_then(Value::as_object)
                .map(|m| {
                    m.keys()
                        .map(|k| (k.clone(), line_of_key(text, k)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut dev = deps("devDependencies");
        dev.extend(deps("peerDependencies"));
        Ok(Package {
            name: obj.get("name").and_then(Value::as_str).map(str::to_string),
            runtime: deps("dependencies"),
            dev,
            is_workspace_root: obj.contains_key("workspaces"),
            scripts: obj
                .get("scripts")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    pub fn has_runtime(&self, name: &str) -> bool {
        self.runtime.contains_key(name)
    }

    /// The line where a dependency is declared, in either section.
    pub fn line_of(&self, name: &str) -> Option<usize> {
        self.runtime
            .get(name)
            .or_else(|| self.dev.get(name))
            .copied()
    }
}

fn line_of_key(text: &str, key: &str) -> usize {
    let needle = format!("\"{key}\"");
    text.find(&needle)
        .map(|i| text[..i].matches('\n').count() + 1)
        .unwrap_or(1)
}

pub const SERVER_FRAMEWORKS: &[&str] = &[
    "@nestjs/core",
    "express",
    "fastify",
    "koa",
    "hono",
    "@hono/node-server",
];
pub const HTTP_FRAMEWORKS: &[&str] = &[
    "@nestjs/core",
    "@nestjs/platform-express",
    "@nestjs/platform-fastify",
    "express",
    "fastify",
    "koa",
    "hono",
    "@hono/node-server",
];
pub const QUEUE_WORKERS: &[&str] = &["bullmq", "bull", "@nestjs/bullmq", "@nestjs/bull"];
