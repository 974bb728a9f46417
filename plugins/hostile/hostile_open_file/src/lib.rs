//! Tries to read host files, list directories and read the environment.
//! In the sandbox every attempt must fail; the plugin then reports what it
//! saw with `failed(...)` (`PLUGIN_FAILED`). Should any attempt succeed it
//! returns a chart instead, which the sandbox tests treat as an escape.

use patchart_sdk::{Chart, ChartPlugin, Dataset, Measure, PluginInfo, RenderError, Style};

struct OpenFile;

impl ChartPlugin for OpenFile {
    fn info() -> PluginInfo {
        patchart_sdk::testing::hostile_info("hostile_open_file", "Tries to read host files.")
    }

    fn render(_: &Dataset, _: &str, _: &Style, _: &dyn Measure) -> Result<Chart, RenderError> {
        let mut leaks = Vec::new();
        let mut denials = Vec::new();
        for path in ["/etc/passwd", "/proc/self/environ", "Cargo.toml", "./", "/"] {
            match std::fs::read(path) {
                Ok(bytes) => leaks.push(format!("read {path}: {} bytes", bytes.len())),
                Err(e) => denials.push(format!("read {path}: {e}")),
            }
            match std::fs::read_dir(path) {
                Ok(_) => leaks.push(format!("listed {path}")),
                Err(e) => denials.push(format!("list {path}: {e}")),
            }
        }
        if std::fs::write("escape.txt", b"x").is_ok() {
            leaks.push("wrote escape.txt".into());
        }
        let vars: Vec<String> = std::env::vars().map(|(k, _)| k).collect();
        if !vars.is_empty() {
            leaks.push(format!("environment: {}", vars.join(",")));
        }
        if std::env::args().len() > 0 {
            leaks.push(format!("args: {:?}", std::env::args().collect::<Vec<_>>()));
        }
        if leaks.is_empty() {
            Err(RenderError::Failed(format!(
                "sandbox held: {}",
                denials.join("; ")
            )))
        } else {
            Ok(Chart {
                svg: patchart_sdk::testing::MINIMAL_SVG.to_string(),
                chart_data: patchart_sdk::testing::MINIMAL_CHART_DATA.to_string(),
                warnings: leaks,
            })
        }
    }
}

patchart_sdk::export_plugin!(OpenFile);
