//! A plugin's chart_data through the host's output checks and, when it
//! passes, through the describers that read it. Run with `-s none`: the
//! code is safe Rust, so the hunt is for panics, hangs and memory blowups.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| patchart_fuzz::chart_data(data));
