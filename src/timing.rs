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
            "timing: {:>8.1} ms  cpu {:>5} ms  {phase}",
            t.elapsed().as_secs_f64() * 1000.0,
            cpu_ms().map_or("?".into(), |c| c.to_string())
        );
    }
}

/// CPU time of the whole process so far (all threads, user + system), from /proc on Linux;
/// clock-tick resolution (10 ms), enough to tell a phase that keeps both cores busy.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), 1-based: utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}
