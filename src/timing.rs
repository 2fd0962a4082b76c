//! Phase timings for performance work: `PRODREADY_TIMINGS=1 prodready audit …` prints how long
//! after start each pipeline phase ended, on stderr. Off by default; one load when off.

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Option<Instant>> = OnceLock::new();

fn start() -> Option<Instant> {
    *START.get_or_init(|| std::env::var_os("PRODREADY_TIMINGS").map(|_| Instant::now()))
}

/// Starts the clock (when timings are on); call first thing.
pub fn begin() {
    let _ = start();
}

/// Notes that a phase ended.
pub fn mark(phase: &str) {
    if let Some(t) = start() {
        eprintln!(
            "timing: {:>8.1} ms  {phase}",
            t.elapsed().as_secs_f64() * 1000.0
        );
    }
}
