//! `top_patent_countries` through the real sandbox: numbers against the
//! replaced system's reference chart_data, the chart-data schema, byte
//! stability, and a PNG to look at.

use std::collections::BTreeMap;

use patchart::ingest::{IngestLimits, ingest_path};
use patchart::pipeline::{ChartRequest, OutputFormats, render_chart};
use patchart::render::Rasterizer;
use patchart::style::{self, ResolvedStyle};
use patchart_suite::{registry, runtime, sample_dataset, shared_data, shared_export, skip};
use serde_json::{Value, json};

fn render(
    dataset: &patchart::Dataset,
    params: Value,
    style: &ResolvedStyle,
) -> patchart::pipeline::ChartArtifacts {
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in");
    render_chart(
        &runtime(),
        &Rasterizer::new(),
        &plugin,
        &ChartRequest {
            dataset,
            params: &params,
            style,
            formats: OutputFormats::default(),
        },
        None,
    )
    .unwrap_or_else(|f| panic!("render failed: {f}"))
}

fn series(chart_data: &Value) -> Vec<(String, u64)> {
    let s = &chart_data["series"][0];
    let labels = s["labels"].as_array().expect("labels");
    let values = s["values"].as_array().expect("values");
    labels
        .iter()
        .zip(values)
        .map(|(l, v)| {
            (
                l.as_str().expect("label").to_string(),
                v.as_u64().expect("count"),
            )
        })
        .collect()
}

#[test]
fn matches_the_replaced_systems_numbers_on_the_shared_export() {
    let Some(export) = shared_export() else {
        return;
    };
    let Some(reference) = shared_data("reference/top_patent_countries.chart_data.json") else {
        skip("../shared/data/reference/top_patent_countries.chart_data.json not found");
        return;
    };
    let reference: Value =
        serde_json::from_slice(&std::fs::read(reference).expect("read reference")).expect("json");
    let dataset =
        ingest_path("espacenet_excel", &export, &IngestLimits::default()).expect("ingest");
    let art = render(&dataset, json!({"top_n": 15}), &ResolvedStyle::default());
    let data = &art.chart_data;

    assert_eq!(data["totals"]["total"], json!(364), "total publications");
    let ours = series(data);
    assert_eq!(ours.len(), 16, "15 bars + Others");
    assert_eq!(ours[0], ("CN".to_string(), 192));
    assert_eq!(ours.last().expect("Others"), &("Others".to_string(), 28));

    // Same bars with the same counts. Order among equal counts differs on
    // purpose: we break ties by label (BR, DK, FR, IT, NL), the old system
    // kept the source's arbitrary order.
    let old_labels = reference["chart_data"]["y_axis"]["categories"]
        .as_array()
        .expect("categories");
    let old_values = reference["chart_data"]["x_axis"]["values"]
        .as_array()
        .expect("values");
    let old: BTreeMap<String, u64> = old_labels
        .iter()
        .zip(old_values)
        .map(|(l, v)| {
            (
                l.as_str().expect("label").to_string(),
                v.as_u64().expect("count"),
            )
        })
        .collect();
    let new: BTreeMap<String, u64> = ours.iter().cloned().collect();
    assert_eq!(new, old, "bars and counts equal the reference");
    let ties: Vec<&str> = ours[10..15].iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        ties,
        ["BR", "DK", "FR", "IT", "NL"],
        "ties ordered by label"
    );

    // The old chart noted WO and EP; so do we.
    let notes = data["notes"].to_string();
    assert!(notes.contains("WO") && notes.contains("EP"), "{notes}");

    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-output");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(
        out.join("top_patent_countries.png"),
        art.png.as_deref().expect("png"),
    )
    .expect("write png");
    std::fs::write(out.join("top_patent_countries.svg"), &art.svg).expect("write svg");
}

#[test]
fn highlighted_country_outside_the_top_is_reported_with_its_rank() {
    let art = render(
        &sample_dataset(),
        json!({"top_n": 3, "highlight": ["EC"]}),
        &ResolvedStyle::default(),
    );
    let h = &art.chart_data["highlights"][0];
    assert_eq!(h["label"], "EC");
    assert_eq!(h["found"], true);
    assert_eq!(h["count"], 2);
    assert_eq!(h["in_chart"], false);
    assert!(h["rank"].as_u64().expect("rank") > 3);
}

#[test]
fn labels_are_escaped_and_output_is_byte_identical() {
    let style = ResolvedStyle::default();
    let a = render(&sample_dataset(), json!({}), &style);
    let b = render(&sample_dataset(), json!({}), &style);
    assert_eq!(a.svg, b.svg);
    assert_eq!(a.png, b.png, "PNG bytes are stable too");
    assert!(!a.svg.contains("<script>"), "raw label leaked into SVG");
    assert!(
        a.svg.contains("&lt;script&gt;"),
        "label is present, escaped"
    );
}

#[test]
fn spanish_locale_and_other_palettes_render() {
    let style =
        style::resolve(&json!({"locale": "es", "palette": "colorblind", "font_size": "large"}))
            .expect("style");
    let art = render(&sample_dataset(), json!({}), &style);
    assert_eq!(art.chart_data["locale"], "es");
    let png = art.png.expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn scale_two_doubles_the_png() {
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in");
    let style = ResolvedStyle::default();
    let params = json!({});
    let dataset = sample_dataset();
    let mut request = ChartRequest {
        dataset: &dataset,
        params: &params,
        style: &style,
        formats: OutputFormats::default(),
    };
    let one = render_chart(&runtime(), &Rasterizer::new(), &plugin, &request, None).expect("1x");
    request.formats.png = Some(patchart::render::Scale::X2);
    let two = render_chart(&runtime(), &Rasterizer::new(), &plugin, &request, None).expect("2x");
    let dims = |png: &[u8]| {
        (
            u32::from_be_bytes([png[16], png[17], png[18], png[19]]),
            u32::from_be_bytes([png[20], png[21], png[22], png[23]]),
        )
    };
    assert_eq!(dims(&one.png.expect("png")), (960, 640));
    assert_eq!(dims(&two.png.expect("png")), (1920, 1280));
}

#[test]
fn missing_facet_is_missing_data_naming_it() {
    let mut dataset = sample_dataset();
    dataset.facets.retain(|f| f.name != "countries");
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in");
    let err = runtime()
        .render(
            &plugin,
            &dataset,
            &json!({}),
            &ResolvedStyle::default(),
            None,
        )
        .expect_err("no countries facet");
    assert_eq!(err.error.code, patchart::ErrorCode::PluginMissingData);
    assert!(
        err.error.message.contains("countries"),
        "{}",
        err.error.message
    );
}

#[test]
fn out_of_range_top_n_is_invalid_params_naming_the_field() {
    let plugin = registry()
        .get("top_patent_countries", None)
        .expect("built-in");
    let err = runtime()
        .render(
            &plugin,
            &sample_dataset(),
            &json!({"top_n": 500}),
            &ResolvedStyle::default(),
            None,
        )
        .expect_err("500 > 100");
    assert_eq!(err.error.code, patchart::ErrorCode::PluginInvalidParams);
    assert!(err.error.message.contains("top_n"), "{}", err.error.message);
}
