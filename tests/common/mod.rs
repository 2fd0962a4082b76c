//! Helpers shared by the CLI-level test files.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

pub fn prodready() -> Command {
    Command::cargo_bin("prodready").expect("binary")
}

pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, text).expect("write");
}
