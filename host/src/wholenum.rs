//! Whole numbers in JSON bodies as JSON Schema counts them: `53` and
//! `53.0` are the same integer there, and a schema-driven client may send
//! either. serde's integer types refuse the second.

use serde::{Deserialize, Deserializer, de::Error};

/// For `Option<u64>` fields: `#[serde(default, deserialize_with = "crate::wholenum::opt_u64")]`.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(v) = n.as_u64() {
        return Ok(Some(v));
    }
    match n.as_f64() {
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= u64::MAX as f64 => Ok(Some(f as u64)),
        _ => Err(D::Error::custom(format!(
            "invalid value {n}, expected a whole number of at least 0"
        ))),
    }
}

/// For `Option<u32>` fields, as [`opt_u64`].
pub fn opt_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match opt_u64(d)? {
        None => Ok(None),
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| D::Error::custom(format!("{v} is too large"))),
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::opt_u32")]
        n: Option<u32>,
    }

    #[test]
    fn integral_floats_are_whole_numbers_and_fractions_are_not() {
        let n = |s: &str| serde_json::from_str::<T>(s).map(|t| t.n);
        assert_eq!(n(r#"{"n": 53}"#).ok(), Some(Some(53)));
        assert_eq!(n(r#"{"n": 53.0}"#).ok(), Some(Some(53)));
        assert_eq!(n(r#"{}"#).ok(), Some(None));
        assert_eq!(n(r#"{"n": null}"#).ok(), Some(None));
        assert!(n(r#"{"n": 53.5}"#).is_err());
        assert!(n(r#"{"n": -1}"#).is_err());
        assert!(n(r#"{"n": 5000000000}"#).is_err());
    }
}
