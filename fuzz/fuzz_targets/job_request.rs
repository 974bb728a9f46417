//! Bodies of `POST /api/jobs/` (JSON and multipart) sent to a real server
//! on loopback. Run with `-s none`: the code is safe Rust, so the hunt is
//! for panics, 5xx answers, hangs and memory blowups.
#![no_main]

use std::sync::OnceLock;

static API: OnceLock<patchart_fuzz::JobApi> = OnceLock::new();

libfuzzer_sys::fuzz_target!(
    init: {
        API.get_or_init(patchart_fuzz::JobApi::start);
    },
    |data: &[u8]| {
        patchart_fuzz::job_request(API.get_or_init(patchart_fuzz::JobApi::start), data);
    }
);
