//! One build, many plugins: what this component is comes from a marker in
//! its data segment, `PATCHART-VARIANT:<mode>:<version>` padded with NULs,
//! which tests rewrite in the `.wasm` bytes. Each rewrite is a valid
//! component with its own hash, so registry tests get as many versions and
//! misbehaving `info()`s as they need from a single compile.
//!
//! Modes: `ok` (a working chart whose title names its version), `trap`
//! (`info()` panics), `spin` (`info()` never returns), `schema` (`info()`
//! publishes a params schema that is not valid JSON Schema), `markup`
//! (its name and description are an HTML payload, for the console's
//! test that plugin text is shown as text), `slow` (publishes `work` in
//! its params schema, so a form generated from it can ask for a long
//! render).
//!
//! `render` burns `params.work` million loop iterations first, so tests can
//! keep tasks running while they swap versions.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

/// Read byte by byte through volatile loads: the optimiser must not fold
/// the default into the code, or rewriting the data would change nothing.
#[used]
static MARKER: [u8; 64] = padded(b"PATCHART-VARIANT:ok:1.0.0");

const fn padded(text: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    let mut i = 0;
    while i < text.len() {
        out[i] = text[i];
        i += 1;
    }
    out
}

fn marker() -> (String, String) {
    let bytes: Vec<u8> = (0..MARKER.len())
        // SAFETY: in-bounds reads of a static.
        .map(|i| unsafe { core::ptr::read_volatile(MARKER.as_ptr().add(i)) })
        .take_while(|b| *b != 0)
        .collect();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut parts = text.splitn(3, ':').skip(1);
    let mode = parts.next().unwrap_or("ok").to_string();
    let version = parts.next().unwrap_or("1.0.0").to_string();
    (mode, version)
}

struct Variant;

impl ChartPlugin for Variant {
    fn info() -> PluginInfo {
        let (mode, version) = marker();
        let mut info =
            patchart_sdk::testing::hostile_info("variant_probe", "Registry test plugin.");
        info.version = version;
        info.required_facets = vec!["countries".to_string()];
        match mode.as_str() {
            "trap" => panic!("info() fails on purpose"),
            "spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "schema" => info.params_schema = r#"{"type": 12}"#.to_string(),
            "slow" => {
                info.params_schema = r#"{"type":"object","properties":{"work":{"type":"integer","minimum":0,"maximum":1000000,"default":0,"description":"Million loop iterations before drawing."}}}"#.to_string();
            }
            "markup" => {
                info.name = "<img src=x onerror=alert(1)>".to_string();
                info.description = "<img src=x onerror=alert(1)>".to_string();
            }
            _ => {}
        }
        info
    }

    fn render(
        data: &Dataset,
        params: &str,
        _: &Style,
        _: &dyn Measure,
    ) -> Result<Chart, RenderError> {
        let (_, version) = marker();
        let work = params
            .split("\"work\"")
            .nth(1)
            .and_then(|rest| {
                let digits: String = rest
                    .chars()
                    .skip_while(|c| !c.is_ascii_digit())
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse::<u64>().ok()
            })
            .unwrap_or(0);
        let mut acc: u64 = 0;
        for i in 0..work * 1_000_000 {
            acc = std::hint::black_box(acc.wrapping_add(i));
        }
        let total: u64 = data
            .facets
            .iter()
            .find(|f| f.name == "countries")
            .map(|f| f.entries.iter().map(|e| e.count).sum())
            .ok_or_else(|| RenderError::MissingData("facet countries".to_string()))?;
        Ok(Chart {
            svg: format!(
                r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200"><rect width="320" height="200" fill="#ffffff"/><text x="10" y="100" font-family="DejaVu Sans" font-size="14">variant {version}: {total}</text></svg>"##
            ),
            chart_data: format!(
                r#"{{"schema_version":1,"type":"bar","algorithm":"variant_probe","title":"variant {version}","locale":"en","series":[],"totals":{{"total":{total}}},"notes":[],"warnings":[]}}"#
            ),
            warnings: vec![],
        })
    }
}

patchart_sdk::export_plugin!(Variant);
