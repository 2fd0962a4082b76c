//! Thin entry point: run the CLI, map its outcome to the exit status.

fn main() {
    let mut out = anstream::stdout();
    let mut err = anstream::stderr();
    let code = prodready::run(std::env::args_os(), &mut out, &mut err);
    std::process::exit(code);
}
