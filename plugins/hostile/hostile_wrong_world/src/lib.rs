//! A well-formed component that exports a world other than
//! `patchart:chart/chart-plugin`; loading it must fail with
//! `PLUGIN_LOAD_FAILED`, not crash or half-register.

wit_bindgen::generate!({ path: "wit", world: "other" });

struct Other;

impl Guest for Other {
    fn run() -> String {
        "not a chart".to_string()
    }
}

export!(Other);
