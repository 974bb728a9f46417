//! Ingest speed, outside CI: median wall time of reading the workbooks the
//! ingest tests write (a legacy `.xls` with a formula, the standard `.xlsx`)
//! and the shared Espacenet export when this checkout has it. The tests
//! only hold ingest to bounds a hang would break; the figures are here.
//!
//!     cargo bench --bench ingest [-- ITERATIONS]

use std::time::{Duration, Instant};

use patchart::ingest::{IngestLimits, ingest_bytes};
use patchart_suite::workbook::{XlsCell, biff8, compound_file, standard_export};

/// The `.xls` of `a_legacy_xls_export_is_read`: shared strings, a label,
/// and a formula whose tokens a careless reader renders quadratically.
fn legacy_xls() -> Vec<u8> {
    use XlsCell::{Formula, Label, Number, Shared};
    let stream = biff8(&[
        (
            "Query",
            vec![
                (0, 0, Label("Patent search")),
                (1, 0, Label("5 results found for café")),
            ],
        ),
        (
            "Countries (family)",
            vec![
                (0, 0, Shared("Countries (family)")),
                (0, 1, Shared("Number of documents")),
                (1, 0, Shared("CN")),
                (1, 1, Number(3.0)),
                (2, 0, Shared("北京")),
                (2, 1, Number(2.0)),
                (3, 0, Label("EP")),
                (3, 1, Formula(4.0)),
            ],
        ),
    ]);
    compound_file(&[("Workbook", stream)])
}

fn median_ms(name: &str, bytes: &[u8], iterations: usize) -> f64 {
    let limits = IngestLimits::default();
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let started = Instant::now();
            ingest_bytes("espacenet_excel", name, bytes, &limits)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; the first number is the iteration count.
    let iterations = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(200)
        .max(1);
    let mut inputs = vec![
        ("legacy.xls".to_string(), legacy_xls()),
        ("standard.xlsx".to_string(), standard_export()),
    ];
    if let Some(export) = patchart_suite::shared_export() {
        let bytes = std::fs::read(&export).expect("read the shared export");
        inputs.push((export.display().to_string(), bytes));
    }
    println!("ingest, median of {iterations} runs:");
    for (name, bytes) in &inputs {
        println!(
            "  {:<56} {:>9} bytes {:>9.3} ms",
            name,
            bytes.len(),
            median_ms(name, bytes, iterations)
        );
    }
    // What a test used to assert for the `.xls`; a figure, not a gate.
    println!("goal: legacy.xls well under 500 ms");
}
