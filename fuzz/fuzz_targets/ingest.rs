//! Workbook bytes, as uploaded, through `ingest::ingest_bytes`. Run with
//! `-s none`: the code is safe Rust, so the hunt is for panics, hangs
//! (`-timeout`) and memory blowups (`-rss_limit_mb`), not memory errors.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: patchart_fuzz::report_caught_parser_panics(),
    |data: &[u8]| {
        patchart_fuzz::ingest(data);
    }
);
