//! Params JSON against the built-in plugins' schemas, and hostile schemas
//! as a plugin could publish them. Run with `-s none`: the code is safe
//! Rust, so the hunt is for panics, hangs and memory blowups.
#![no_main]

libfuzzer_sys::fuzz_target!(
    init: {
        patchart_fuzz::builtins();
    },
    |data: &[u8]| patchart_fuzz::params(data)
);
