//! The types against the contract's schema, and their serialization.

use super::*;
use serde_json::Value;

/// The schema the host validates against, read from the contract.
const SCHEMA: &str = include_str!("../../../../wit/chart-data.schema.json");

/// A structural check of `doc` against the subset of JSON Schema the
/// chart-data schema uses (type, const, enum, required, properties,
/// additionalProperties, items, $ref). Returns every violation with its
/// JSON pointer. The host checks with a full validator; this keeps the
/// SDK's types from drifting from the contract without a dependency.
fn violations(schema: &Value, root: &Value, doc: &Value, path: &str, out: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        let target = &root["$defs"][name];
        violations(target, root, doc, path, out);
        return;
    }
    if let Some(c) = schema.get("const")
        && c != doc
    {
        out.push(format!("{path}: expected {c}, got {doc}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(doc)
    {
        out.push(format!("{path}: {doc} not in {e:?}"));
    }
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = allowed.iter().any(|t| match *t {
            "object" => doc.is_object(),
            "array" => doc.is_array(),
            "string" => doc.is_string(),
            "number" => doc.is_number(),
            "integer" => doc.is_i64() || doc.is_u64(),
            "boolean" => doc.is_boolean(),
            "null" => doc.is_null(),
            _ => false,
        });
        if !ok {
            out.push(format!("{path}: {doc} is not {allowed:?}"));
        }
    }
    if let Some(obj) = doc.as_object() {
        if let Some(req) = schema.get("required").and_then(Value::as_array) {
            for r in req.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    out.push(format!("{path}: missing required `{r}`"));
                }
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in obj {
            let sub = format!("{path}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => violations(s, root, v, &sub, out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{sub}: not allowed")),
                    Some(s @ Value::Object(_)) => violations(s, root, v, &sub, out),
                    _ => {}
                },
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), doc.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            violations(items, root, v, &format!("{path}/{i}"), out);
        }
    }
}

fn check_against_schema(doc: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap_or(Value::Null);
    assert!(schema.is_object(), "schema must parse");
    let doc: Value = serde_json::from_str(doc).unwrap_or(Value::Null);
    let mut out = Vec::new();
    violations(&schema, &schema, &doc, "", &mut out);
    out
}

fn sample() -> ChartData {
    let ranked = vec![
        Entry {
            label: "CN".into(),
            count: 192,
        },
        Entry {
            label: "WO".into(),
            count: 30,
        },
        Entry {
            label: "EC".into(),
            count: 1,
        },
    ];
    let mut cd = ChartData::new(
        ChartType::HorizontalBar,
        "top_patent_countries",
        "Top 2",
        Locale::En,
    );
    cd.subtitle = Some("223 documents".into());
    cd.x_axis = Some(Axis::new("Documents"));
    cd.y_axis = Some(Axis::new("Country").categories(vec!["CN".into(), "Others".into()]));
    cd.series.push(Series {
        name: "Documents".into(),
        kind: Some("observed".into()),
        labels: vec!["CN".into(), "Others".into()],
        values: vec![Some(192.0), Some(31.0)],
        shares: Some(vec![Some(share(192, 223)), Some(share(31, 223))]),
        ranks: Some(vec![Some(1), None]),
        flags: Some(vec![String::new(), "others".into()]),
    });
    cd.totals
        .set("total", 223u64)
        .set("top_share", share(192, 223))
        .set("note", "x")
        .set("missing", None::<u64>);
    cd.highlights = Some(vec![
        Highlight::locate("ec", &ranked, 223, 1),
        Highlight::locate("XX", &ranked, 223, 1),
    ]);
    cd.metrics
        .insert("cagr".into(), serde_json::json!({"value": 1.5}));
    cd.notes.push("WO: PCT".into());
    cd.warnings.push("labels elided".into());
    cd
}

#[test]
fn a_full_document_follows_the_schema() {
    let json = sample().to_json().unwrap_or_default();
    let problems = check_against_schema(&json);
    assert!(problems.is_empty(), "{problems:#?}\n{json}");
}

#[test]
fn a_minimal_document_follows_the_schema() {
    let cd = ChartData::new(ChartType::Donut, "x", "t", Locale::Es);
    let json = cd.to_json().unwrap_or_default();
    assert!(check_against_schema(&json).is_empty(), "{json}");
}

#[test]
fn the_checker_catches_drift() {
    // The checker itself must be able to fail, or the tests above prove
    // nothing.
    let bad = r#"{"schema_version":2,"type":"pie","algorithm":"x","title":"t",
        "locale":"fr","series":[{"name":"s","labels":[],"values":["1"],"extra":1}],
        "totals":{"a":[1]},"notes":[],"warnings":[]}"#;
    let problems = check_against_schema(bad);
    for needle in [
        "/schema_version",
        "/type",
        "/locale",
        "/values/0",
        "/extra",
        "/totals/a",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle}: {problems:#?}"
        );
    }
    let missing = check_against_schema(r#"{"type":"bar"}"#);
    assert!(missing.iter().any(|p| p.contains("`series`")));
}

#[test]
fn whole_numbers_are_integers_and_totals_keep_their_order() {
    let json = sample().to_json().unwrap_or_default();
    assert!(
        json.contains("\"values\": [\n        192,\n        31\n      ]"),
        "{json}"
    );
    let total = json.find("\"total\"").unwrap_or(usize::MAX);
    let top_share = json.find("\"top_share\"").unwrap_or(0);
    assert!(total < top_share, "insertion order kept");
    assert!(json.contains("\"top_share\": 86.1"));
    assert!(json.contains("\"missing\": null"));
}

#[test]
fn serialization_round_trips_and_is_deterministic() {
    let cd = sample();
    let a = cd.to_json().unwrap_or_default();
    assert_eq!(a, sample().to_json().unwrap_or_default());
    let back: ChartData = serde_json::from_str(&a).unwrap_or_else(|e| panic!("{e}\n{a}"));
    assert_eq!(back.to_json().unwrap_or_default(), a);
}

#[test]
fn highlights_report_rank_outside_the_chart_and_absence() {
    let cd = sample();
    let highlights = cd.highlights.unwrap_or_default();
    let ec = &highlights[0];
    assert_eq!(
        (ec.label.as_str(), ec.found, ec.rank, ec.count, ec.in_chart),
        ("EC", true, Some(3), Some(1), false)
    );
    assert_eq!(ec.share, Some(0.45));
    let xx = &highlights[1];
    assert!(!xx.found && xx.rank.is_none() && !xx.in_chart);
}

#[test]
fn misaligned_series_is_a_plugin_failure() {
    let mut cd = sample();
    cd.series[0].values.pop();
    match cd.to_json() {
        Err(RenderError::Failed(m)) => assert!(m.contains("1 values"), "{m}"),
        other => panic!("expected failure, got {other:?}"),
    }
}

#[test]
fn shares_are_percent_with_two_decimals() {
    assert_eq!(share(192, 364), 52.75);
    assert_eq!(share(8, 364), 2.2);
    assert_eq!(share(1, 0), 0.0);
}

#[test]
fn totals_replace_in_place() {
    let mut t = Totals::new();
    t.set("a", 1u64).set("b", 2u64).set("a", 3u64);
    let keys: Vec<&str> = t.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(t.get("a"), Some(&Scalar::Int(3)));
}

#[test]
fn whole_numbers_read_in_either_spelling_and_fractions_are_refused() {
    let mut doc: Value = serde_json::from_str(&sample().to_json().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    doc["series"][0]["ranks"] = serde_json::json!([1.0, null]);
    doc["highlights"] =
        serde_json::json!([{"label": "EC", "found": true, "rank": 22.0, "count": 1}]);
    let cd: ChartData = serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cd.series[0].ranks, Some(vec![Some(1), None]));
    let h = cd.highlights.unwrap_or_default();
    assert_eq!((h[0].rank, h[0].count), (Some(22), Some(1)));
    for bad in [serde_json::json!(1.5), serde_json::json!(-1)] {
        doc["series"][0]["ranks"] = serde_json::json!([bad, null]);
        let e = serde_json::from_value::<ChartData>(doc.clone()).expect_err("refused");
        assert!(e.to_string().contains("whole number"), "{e}");
    }
}

#[test]
fn a_scalar_reads_as_a_number_whatever_its_spelling() {
    assert_eq!(Scalar::Int(3).as_f64(), Some(3.0));
    assert_eq!(Scalar::Number(2.5).as_f64(), Some(2.5));
    assert_eq!(Scalar::Text("x".into()).as_f64(), None);
    assert_eq!(Scalar::Null.as_f64(), None);
}
