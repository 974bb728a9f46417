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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_wholes"
    )]
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
    #[serde(default, deserialize_with = "de_opt_whole")]
    pub rank: Option<u64>,
    #[serde(default, deserialize_with = "de_opt_whole")]
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

impl Scalar {
    /// The number, whether written whole or not; `None` for text and null.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(*i as f64),
            Scalar::Number(n) => Some(*n),
            Scalar::Text(_) | Scalar::Null => None,
        }
    }
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

/// A whole number ≥ 0 or null. The schema's `integer` admits `3.0` as
/// well as `3`, and Python's `json` writes a float count that way, so both
/// read as 3; a fraction or a negative number is refused.
fn de_opt_whole<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| whole(&n).ok_or_else(|| serde::de::Error::custom(not_whole(&n))))
        .transpose()
}

/// [`de_opt_whole`] for an optional array of them.
fn de_opt_wholes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Option<u64>>>, D::Error> {
    let Some(items) = Option::<Vec<Option<serde_json::Number>>>::deserialize(d)? else {
        return Ok(None);
    };
    items
        .into_iter()
        .map(|n| {
            n.map(|n| whole(&n).ok_or_else(|| serde::de::Error::custom(not_whole(&n))))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn whole(n: &serde_json::Number) -> Option<u64> {
    // Beyond 2^53 a float no longer holds every whole number exactly.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=EXACT).contains(f))
            .map(|f| f as u64)
    })
}

fn not_whole(n: &serde_json::Number) -> String {
    format!("expected a whole number of at least 0, not {n}")
}

#[cfg(test)]
mod tests;
