//! `chart_data`: the one documented shape of what a chart shows, as Rust
//! types that mirror `wit/chart-data.schema.json` field for field.
//!
//! AI descriptions are written from this document alone, so it carries
//! every number a reader of the chart needs. Serialization is
//! deterministic: fields in declaration order, [`Totals`] in insertion
//! order, and whole numbers written without a fraction (`192`, not
//! `192.0`), so identical input gives byte-identical JSON.

use std::collections::BTreeMap;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::format::Locale;
use crate::{Entry, RenderError};

/// The version of the schema these types follow.
pub const SCHEMA_VERSION: u32 = 1;

/// The kind of chart, as named in the schema's `type` enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChartType {
    HorizontalBar,
    Bar,
    GroupedBar,
    Line,
    Area,
    DualAxis,
    Forecast,
    Treemap,
    Donut,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChartData {
    pub schema_version: u32,
    #[serde(rename = "type")]
    pub chart_type: ChartType,
    /// Key of the plugin that drew the chart.
    pub algorithm: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    pub locale: Locale,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_axis: Option<Axis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y_axis: Option<Axis>,
    pub series: Vec<Series>,
    pub totals: Totals,
    /// `None` for charts without highlighting; `Some(vec![])` when the
    /// chart supports it and the user asked for nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highlights: Option<Vec<Highlight>>,
    /// Structured model results (growth rates, forecast parameters); a
    /// BTreeMap so keys serialize in a stable order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, serde_json::Value>,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
}

impl ChartData {
    /// An empty document of `chart_type` drawn by `algorithm`.
    pub fn new(chart_type: ChartType, algorithm: &str, title: &str, locale: Locale) -> ChartData {
        ChartData {
            schema_version: SCHEMA_VERSION,
            chart_type,
            algorithm: algorithm.to_owned(),
            title: title.to_owned(),
            subtitle: None,
            locale,
            x_axis: None,
            y_axis: None,
            series: Vec::new(),
            totals: Totals::new(),
            highlights: None,
            metrics: BTreeMap::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Pretty-printed JSON, byte-identical for identical documents.
    pub fn to_json(&self) -> Result<String, RenderError> {
        self.check()?;
        serde_json::to_string_pretty(self)
            .map_err(|e| RenderError::Failed(format!("chart_data could not be serialized: {e}")))
    }

    /// The consistency rules the JSON schema cannot express: every
    /// per-point array of a series is as long as its labels. A violation is
    /// a plugin bug, reported as `failed` rather than as a misleading chart
    /// description.
    pub fn check(&self) -> Result<(), RenderError> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(RenderError::Failed(format!(
                "chart_data schema_version is {}, expected {SCHEMA_VERSION}",
                self.schema_version
            )));
        }
        for s in &self.series {
            let n = s.labels.len();
            let lengths = [
                ("values", Some(s.values.len())),
                ("shares", s.shares.as_ref().map(Vec::len)),
                ("ranks", s.ranks.as_ref().map(Vec::len)),
                ("flags", s.flags.as_ref().map(Vec::len)),
            ];
            for (field, len) in lengths {
                if let Some(len) = len
                    && len != n
                {
                    return Err(RenderError::Failed(format!(
                        "chart_data series `{}` has {n} labels but {len} {field}",
                        s.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// An axis: its title and, for a categorical axis, its categories in
/// display order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_numbers"
    )]
    pub values: Option<Vec<Option<f64>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Axis {
    pub fn new(label: &str) -> Axis {
        Axis {
            label: label.to_owned(),
            ..Axis::default()
        }
    }

    pub fn categories(mut self, categories: Vec<String>) -> Axis {
        self.categories = Some(categories);
        self
    }

    pub fn values(mut self, values: Vec<Option<f64>>) -> Axis {
        self.values = Some(values);
        self
    }

    pub fn unit(mut self, unit: &str) -> Axis {
        self.unit = Some(unit.to_owned());
        self
    }
}

/// One series of points. `values`, and `shares`, `ranks` and `flags` when
/// present, are aligned with `labels`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Series {
    pub name: String,
    /// What the series is: observed, cumulative, fitted, forecast ….
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub labels: Vec<String>,
    #[serde(serialize_with = "ser_numbers")]
    pub values: Vec<Option<f64>>,
    /// Share of the total in percent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_numbers"
    )]
    pub shares: Option<Vec<Option<f64>>>,
    /// 1-based rank in the full facet; `None` for aggregates (Others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranks: Option<Vec<Option<u64>>>,
    /// Per-point markers ("others", "highlight", "incomplete"), "" when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<String>>,
}

impl Series {
    pub fn new(name: &str) -> Series {
        Series {
            name: name.to_owned(),
            ..Series::default()
        }
    }
}

/// A label the user asked about, reported wherever it ranks (or that it
/// is absent), so a description can mention it even when it is not drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Highlight {
    pub label: String,
    pub found: bool,
    pub rank: Option<u64>,
    pub count: Option<u64>,
    #[serde(serialize_with = "ser_opt_number")]
    pub share: Option<f64>,
    #[serde(default)]
    pub in_chart: bool,
}

impl Highlight {
    /// Finds `requested` in `ranked` (labels compared case-insensitively,
    /// since users type `ec` for `EC`) and reports its rank, count and
    /// share of `total`. `in_chart` is true when the rank is at most
    /// `shown`, the number of ranked entries drawn individually.
    pub fn locate(requested: &str, ranked: &[Entry], total: u64, shown: usize) -> Highlight {
        let wanted = requested.trim();
        match ranked
            .iter()
            .position(|e| e.label.trim().to_lowercase() == wanted.to_lowercase())
        {
            Some(i) => Highlight {
                label: ranked[i].label.clone(),
                found: true,
                rank: Some(i as u64 + 1),
                count: Some(ranked[i].count),
                share: Some(share(ranked[i].count, total)),
                in_chart: i < shown,
            },
            None => Highlight {
                label: wanted.to_owned(),
                found: false,
                rank: None,
                count: None,
                share: None,
                in_chart: false,
            },
        }
    }
}

/// `part` as a percentage of `total`, rounded to two decimals (0 when the
/// total is 0): the precision every share in chart_data uses.
pub fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    round2(part as f64 * 100.0 / total as f64)
}

/// Rounds to two decimals.
pub fn round2(v: f64) -> f64 {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

/// A scalar in `totals`: the schema allows numbers, strings and null.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Int(i64),
    Number(f64),
    Text(String),
    Null,
}

impl From<u64> for Scalar {
    fn from(v: u64) -> Scalar {
        i64::try_from(v).map_or(Scalar::Number(v as f64), Scalar::Int)
    }
}

impl From<usize> for Scalar {
    fn from(v: usize) -> Scalar {
        Scalar::from(v as u64)
    }
}

impl From<u32> for Scalar {
    fn from(v: u32) -> Scalar {
        Scalar::Int(i64::from(v))
    }
}

impl From<i64> for Scalar {
    fn from(v: i64) -> Scalar {
        Scalar::Int(v)
    }
}

impl From<f64> for Scalar {
    fn from(v: f64) -> Scalar {
        Scalar::Number(v)
    }
}

impl From<&str> for Scalar {
    fn from(v: &str) -> Scalar {
        Scalar::Text(v.to_owned())
    }
}

impl<T: Into<Scalar>> From<Option<T>> for Scalar {
    fn from(v: Option<T>) -> Scalar {
        v.map_or(Scalar::Null, Into::into)
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Int(i) => s.serialize_i64(*i),
            Scalar::Number(n) => ser_number(*n, s),
            Scalar::Text(t) => s.serialize_str(t),
            Scalar::Null => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Null => Ok(Scalar::Null),
            serde_json::Value::String(s) => Ok(Scalar::Text(s)),
            serde_json::Value::Number(n) => Ok(match n.as_i64() {
                Some(i) => Scalar::Int(i),
                None => Scalar::Number(n.as_f64().unwrap_or(f64::NAN)),
            }),
            other => Err(serde::de::Error::custom(format!(
                "totals values are numbers, strings or null, not {other}"
            ))),
        }
    }
}

/// Named scalar figures, serialized as a JSON object in insertion order
/// (total first, derived figures after), which reads better than
/// alphabetical and is just as deterministic. Setting a name again
/// replaces its value in place.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    entries: Vec<(String, Scalar)>,
}

impl Totals {
    pub fn new() -> Totals {
        Totals::default()
    }

    /// Sets `name` to `value`, keeping its first position.
    pub fn set(&mut self, name: &str, value: impl Into<Scalar>) -> &mut Totals {
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((name.to_owned(), value)),
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&Scalar> {
        self.entries.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Scalar)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}

impl Serialize for Totals {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Totals {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Totals, D::Error> {
        struct TotalsVisitor;
        impl<'de> Visitor<'de> for TotalsVisitor {
            type Value = Totals;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of named numbers, strings or nulls")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Totals, A::Error> {
                let mut totals = Totals::new();
                while let Some((k, v)) = map.next_entry::<String, Scalar>()? {
                    totals.set(&k, v);
                }
                Ok(totals)
            }
        }
        d.deserialize_map(TotalsVisitor)
    }
}

/// Whole numbers within f64's exact integer range are written as JSON
/// integers; non-finite values (never meaningful in a chart) as null.
fn ser_number<S: Serializer>(v: f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !v.is_finite() {
        s.serialize_none()
    } else if v.fract() == 0.0 && v.abs() <= EXACT {
        s.serialize_i64(v as i64)
    } else {
        s.serialize_f64(v)
    }
}

fn ser_opt_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => ser_number(*n, s),
        None => s.serialize_none(),
    }
}

fn ser_numbers<S: Serializer>(v: &[Option<f64>], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    struct Num(Option<f64>);
    impl Serialize for Num {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            ser_opt_number(&self.0, s)
        }
    }
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for n in v {
        seq.serialize_element(&Num(*n))?;
    }
    seq.end()
}

fn ser_opt_numbers<S: Serializer>(v: &Option<Vec<Option<f64>>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(values) => ser_numbers(values, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The schema the host validates against, read from the contract.
    const SCHEMA: &str = include_str!("../../../wit/chart-data.schema.json");

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
}
