// Rebuild when a built-in rule changes: the rules/ folder is embedded with include_dir.
fn main() {
    println!("cargo:rerun-if-changed=rules");
}
