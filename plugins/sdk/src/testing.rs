//! Small fixtures for plugin tests and for the sandbox's hostile plugins:
//! a minimal valid SVG and chart_data, and a ready-made `info()`; and the
//! helpers the chart plugins' native tests share (dataset builders,
//! chart_data accessors, rendering shorthands and page checks).

use serde_json::Value;

use crate::page_check::{outside_page, text_boxes};
use crate::series::drawn_points;
use crate::{Chart, ChartPlugin, Dataset, Entry, Facet, Measure, PluginInfo, RenderError, Style};

/// The smallest SVG the host accepts and rasterizes.
pub const MINIMAL_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="200" viewBox="0 0 320 200"><rect width="320" height="200" fill="#ffffff"/></svg>"##;

/// The smallest chart_data that follows the chart-data schema.
pub const MINIMAL_CHART_DATA: &str = r#"{"schema_version":1,"type":"bar","algorithm":"test","title":"test","locale":"en","series":[],"totals":{},"notes":[],"warnings":[]}"#;

/// An `info()` with an open params schema and no required facets.
pub fn hostile_info(key: &str, description: &str) -> PluginInfo {
    PluginInfo {
        key: key.to_string(),
        version: "0.1.0".to_string(),
        name: key.to_string(),
        description: description.to_string(),
        params_schema: r#"{"type":"object"}"#.to_string(),
        required_facets: vec![],
    }
}

/// One facet entry.
pub fn entry(label: &str, count: u64) -> Entry {
    Entry {
        label: label.to_owned(),
        count,
    }
}

/// An Espacenet export with the given query and facets, in order.
pub fn dataset(query: Option<&str>, facets: Vec<(&str, Vec<Entry>)>) -> Dataset {
    Dataset {
        source_type: "espacenet_excel".into(),
        query: query.map(str::to_owned),
        facets: facets
            .into_iter()
            .map(|(name, entries)| Facet {
                name: name.into(),
                entries,
            })
            .collect(),
    }
}

/// Entries of a `publication_years` facet: `years` newest first without
/// the years of no documents (as exports list them), then `early` as given.
pub fn year_entries(years: &[(i32, u64)], early: &[(i32, u64)]) -> Vec<Entry> {
    let mut rows: Vec<Entry> = years
        .iter()
        .rev()
        .filter(|(_, c)| *c > 0)
        .map(|(y, c)| Entry {
            label: y.to_string(),
            count: *c,
        })
        .collect();
    for &(y, c) in early {
        rows.push(Entry {
            label: y.to_string(),
            count: c,
        });
    }
    rows
}

/// Publications per year 2006–2023 of the reference export, as the
/// replaced system reported them (the year charts' `chart_data.json`).
pub const REFERENCE_PUBLICATION_YEARS: [(i32, u64); 18] = [
    (2006, 2),
    (2007, 3),
    (2008, 0),
    (2009, 1),
    (2010, 0),
    (2011, 2),
    (2012, 5),
    (2013, 2),
    (2014, 3),
    (2015, 8),
    (2016, 18),
    (2017, 14),
    (2018, 21),
    (2019, 26),
    (2020, 27),
    (2021, 31),
    (2022, 27),
    (2023, 43),
];

/// The reference export's few documents before 2006.
pub const REFERENCE_EARLY_YEARS: [(i32, u64); 6] = [
    (1973, 2),
    (1989, 1),
    (1990, 1),
    (1994, 1),
    (1998, 1),
    (1999, 2),
];

/// Renders with plugin `P`.
pub fn render<P: ChartPlugin>(
    data: &Dataset,
    params: &str,
    style: &Style,
    measure: &dyn Measure,
) -> Result<Chart, RenderError> {
    P::render(data, params, style, measure)
}

/// The message of the invalid-params error `P` must return for `params`.
pub fn invalid_params<P: ChartPlugin>(
    data: &Dataset,
    params: &str,
    measure: &dyn Measure,
) -> String {
    match P::render(data, params, &Style::default(), measure) {
        Err(RenderError::InvalidParams(m)) => m,
        other => panic!("expected invalid params for {params}, got {other:?}"),
    }
}

/// The chart's chart_data, parsed.
pub fn chart_data(chart: &Chart) -> Value {
    serde_json::from_str(&chart.chart_data).unwrap_or_else(|e| panic!("bad chart_data: {e}"))
}

/// A JSON array of strings (non-strings read as ""; not an array: empty).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The numbers of a JSON array (non-numbers skipped; not an array: empty).
pub fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// No two texts of `svg` overlap.
pub fn assert_no_text_overlaps(svg: &str, measure: &dyn Measure) {
    let boxes = text_boxes(svg, measure);
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
        }
    }
}

/// Every text, rectangle and drawn series point of the chart is inside
/// its page.
pub fn assert_series_inside(chart: &Chart, style: &Style, measure: &dyn Measure) {
    let (w, h) = (style.width as f32, style.height as f32);
    let out = outside_page(&chart.svg, w, h, measure);
    assert!(out.is_empty(), "{out:?}");
    for (x, y) in drawn_points(&chart.svg) {
        assert!(
            (-0.01..=w + 0.01).contains(&x) && (-0.01..=h + 0.01).contains(&y),
            "point ({x}, {y}) leaves the page"
        );
    }
}

/// A drawn text's box as a tuple: (left, top, right, bottom, content).
pub type TextBoxTuple = (f32, f32, f32, f32, String);

/// The value of attribute `name` in an SVG element written by the SDK.
pub fn svg_attr(element: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = element.find(&key)? + key.len();
    let end = element[start..].find('"')? + start;
    Some(element[start..end].to_owned())
}

/// The numeric attribute `name` of an SVG element; panics when it has none.
pub fn svg_num(element: &str, name: &str) -> f32 {
    svg_attr(element, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no numeric {name} in {element}"))
}

/// Undoes the SDK's XML escaping.
pub fn svg_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The box of every `<text>` in `svg`, measured with `m` and positioned
/// as its anchor, baseline and rotation say; panics on a transform other
/// than `rotate(-90…)`.
pub fn text_box_tuples(svg: &str, m: &dyn Measure) -> Vec<TextBoxTuple> {
    svg.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<text"))
        .map(|l| {
            let open_end = l.find('>').unwrap_or(l.len());
            let tag = &l[..open_end];
            let content = svg_unescape(l[open_end + 1..].trim_end_matches("</text>"));
            let (x, y, size) = (
                svg_num(tag, "x"),
                svg_num(tag, "y"),
                svg_num(tag, "font-size"),
            );
            let bold = svg_attr(tag, "font-weight").is_some();
            let w = m.width(&content, size, bold);
            let along = match svg_attr(tag, "text-anchor").as_deref() {
                Some("middle") => -w / 2.0,
                Some("end") => -w,
                _ => 0.0,
            };
            // Across the reading direction, from the anchor point.
            let (above, below) = match svg_attr(tag, "dominant-baseline").as_deref() {
                Some("central") => (size / 2.0, size / 2.0),
                Some("hanging") => (0.0, size),
                _ => (size * 0.8, size * 0.25),
            };
            match svg_attr(tag, "transform") {
                // rotate(-90): text reads upwards, its "down" points right.
                Some(t) if t.starts_with("rotate(-90") => {
                    (x - above, y - along - w, x + below, y - along, content)
                }
                Some(t) => panic!("unexpected transform {t}"),
                None => (x + along, y - above, x + along + w, y + below, content),
            }
        })
        .collect()
}

/// The chart has texts, and every text and every `<rect x=…>` is inside
/// its page.
pub fn assert_inside_page(chart: &Chart, style: &Style, m: &dyn Measure) {
    let (w, h) = (style.width as f32, style.height as f32);
    let boxes = text_box_tuples(&chart.svg, m);
    assert!(!boxes.is_empty());
    for (l, t, r, b, content) in &boxes {
        assert!(
            *l >= -0.01 && *t >= -0.01 && *r <= w + 0.01 && *b <= h + 0.01,
            "{content:?} at ({l}, {t})-({r}, {b}) leaves the {w}x{h} page"
        );
    }
    for line in chart
        .svg
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("<rect x="))
    {
        let (x, y) = (svg_num(line, "x"), svg_num(line, "y"));
        let (rw, rh) = (svg_num(line, "width"), svg_num(line, "height"));
        assert!(
            x >= 0.0 && y >= 0.0 && x + rw <= w + 0.01 && y + rh <= h + 0.01,
            "{line}"
        );
    }
}

/// Each property's `default` in the params schema `schema` (JSON text), as
/// a params object: what `P` must read as its `Params::default()`.
pub fn schema_defaults(schema: &str) -> String {
    let schema: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
    let defaults: serde_json::Map<String, Value> = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.clone(), v["default"].clone()))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(defaults).to_string()
}

/// How many times `P` asks the host to measure text while drawing `data`:
/// each is a call out of the sandbox, so charts keep them few.
pub fn measurements<P: ChartPlugin>(
    data: &Dataset,
    params: &str,
    style: &Style,
    measure: &dyn Measure,
) -> usize {
    struct Counting<'a>(std::cell::Cell<usize>, &'a dyn Measure);
    impl Measure for Counting<'_> {
        fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
            self.0.set(self.0.get() + 1);
            self.1.width(text, size, bold)
        }
    }
    let counting = Counting(std::cell::Cell::new(0), measure);
    P::render(data, params, style, &counting).unwrap_or_else(|e| panic!("{e}"));
    counting.0.get()
}

/// Asserts that `chart` drawn at `style` keeps every text box on the page
/// and, unless it warned that its bars are too many to label, that no two
/// texts overlap. Returns whether it gave that warning.
pub fn assert_fits_page(chart: &Chart, style: &Style, measure: &dyn Measure) -> bool {
    let out = outside_page(&chart.svg, style.width as f32, style.height as f32, measure);
    assert!(out.is_empty(), "{}x{}: {out:?}", style.width, style.height);
    let crowded = chart
        .warnings
        .iter()
        .any(|w| w.contains("too many to label"));
    if !crowded {
        assert_no_text_overlaps(&chart.svg, measure);
    }
    crowded
}
