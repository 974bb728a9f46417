//! Reading a plugin's JSON parameters into its own struct.
//!
//! The host validates params against the plugin's published schema before
//! `render`, but a plugin is also run by tests, by the CLI and by older
//! hosts, so it checks again and answers with an `invalid-params` error
//! that names the field, which the user sees as it is.
//!
//! A params struct derives `Deserialize` with `#[serde(default,
//! deny_unknown_fields)]` and implements `Default`:
//!
//! ```
//! use patchart_sdk::params;
//! use serde::Deserialize;
//!
//! #[derive(Deserialize, Debug, PartialEq)]
//! #[serde(default, deny_unknown_fields)]
//! struct Params { top_n: u32 }
//! impl Default for Params { fn default() -> Self { Params { top_n: 15 } } }
//!
//! let p: Params = params::parse("").unwrap();
//! assert_eq!(p.top_n, 15);
//! let err = params::parse::<Params>(r#"{"top_n": "ten"}"#).unwrap_err();
//! assert!(err.to_string().contains("`top_n`"));
//! params::check_range("top_n", p.top_n, 1, 100).unwrap();
//! ```

use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::RenderError;

/// Parses `params` (a JSON object) into `T`. An empty string or `null`
/// means "all defaults". Errors name the offending field.
pub fn parse<T: DeserializeOwned + Default>(params: &str) -> Result<T, RenderError> {
    let trimmed = params.trim();
    if trimmed.is_empty() || trimmed == "null" {
        return Ok(T::default());
    }
    let value: Value = serde_json::from_str(trimmed)
        .map_err(|e| RenderError::InvalidParams(format!("params are not valid JSON: {e}")))?;
    let Value::Object(fields) = &value else {
        return Err(RenderError::InvalidParams(format!(
            "params must be a JSON object, got {}",
            kind(&value)
        )));
    };
    match serde_json::from_value::<T>(value.clone()) {
        Ok(t) => Ok(t),
        Err(whole) => {
            // serde_json names the field of an unknown key but not of a
            // value of the wrong type ("invalid type: string, expected
            // u32"). Deserializing each field on its own (the rest come from
            // the struct's defaults) finds the one that fails, so the
            // message can name it.
            for (name, v) in fields {
                let single = Value::Object([(name.clone(), v.clone())].into_iter().collect());
                if let Err(e) = serde_json::from_value::<T>(single) {
                    let msg = e.to_string();
                    return Err(RenderError::InvalidParams(
                        if msg.contains(&format!("`{name}`")) {
                            msg
                        } else {
                            format!("`{name}`: {msg}")
                        },
                    ));
                }
            }
            Err(RenderError::InvalidParams(whole.to_string()))
        }
    }
}

/// Checks `min <= value <= max`, naming `field` and the allowed range
/// when it is not.
pub fn check_range<T: PartialOrd + Display>(
    field: &str,
    value: T,
    min: T,
    max: T,
) -> Result<(), RenderError> {
    if value < min || value > max {
        return Err(RenderError::InvalidParams(format!(
            "`{field}` must be between {min} and {max}, got {value}"
        )));
    }
    Ok(())
}

/// Checks that the list `field` has at most `max` items.
pub fn check_len<T>(field: &str, items: &[T], max: usize) -> Result<(), RenderError> {
    if items.len() > max {
        return Err(RenderError::InvalidParams(format!(
            "`{field}` accepts at most {max} items, got {}",
            items.len()
        )));
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Params {
        top_n: u32,
        highlight: Vec<String>,
    }

    impl Default for Params {
        fn default() -> Self {
            Params {
                top_n: 15,
                highlight: Vec::new(),
            }
        }
    }

    fn invalid(params: &str) -> String {
        match parse::<Params>(params) {
            Err(RenderError::InvalidParams(m)) => m,
            other => panic!("expected invalid params for {params}, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_null_mean_defaults() {
        for p in ["", "  ", "null", "{}"] {
            assert_eq!(parse::<Params>(p), Ok(Params::default()), "{p:?}");
        }
    }

    #[test]
    fn given_fields_override_defaults() {
        let p: Result<Params, _> = parse(r#"{"highlight": ["EC"]}"#);
        assert_eq!(
            p,
            Ok(Params {
                top_n: 15,
                highlight: vec!["EC".into()]
            })
        );
    }

    #[test]
    fn wrong_type_names_the_field() {
        let m = invalid(r#"{"highlight": [], "top_n": "ten"}"#);
        assert!(m.starts_with("`top_n`: invalid type"), "{m}");
        let m = invalid(r#"{"top_n": -1}"#);
        assert!(m.contains("`top_n`"), "{m}");
        let m = invalid(r#"{"highlight": "EC"}"#);
        assert!(m.contains("`highlight`"), "{m}");
    }

    #[test]
    fn unknown_field_is_named_with_the_expected_ones() {
        let m = invalid(r#"{"top": 5}"#);
        assert!(m.contains("unknown field `top`"), "{m}");
        assert!(m.contains("`top_n`"), "{m}");
    }

    #[test]
    fn non_objects_and_bad_json_are_rejected() {
        assert!(invalid("[1]").contains("must be a JSON object, got an array"));
        assert!(invalid("15").contains("got a number"));
        assert!(invalid("{").contains("not valid JSON"));
    }

    #[test]
    fn range_check_names_field_and_bounds() {
        assert_eq!(check_range("top_n", 15, 1, 100), Ok(()));
        assert_eq!(check_range("top_n", 1, 1, 100), Ok(()));
        assert_eq!(check_range("top_n", 100, 1, 100), Ok(()));
        let err = check_range("top_n", 0, 1, 100);
        assert_eq!(
            err,
            Err(RenderError::InvalidParams(
                "`top_n` must be between 1 and 100, got 0".into()
            ))
        );
        assert!(check_range("ratio", 1.5, 0.0, 1.0).is_err());
    }

    #[test]
    fn length_check_names_field() {
        assert!(check_len("highlight", &[1, 2], 2).is_ok());
        let err = check_len("highlight", &[1, 2, 3], 2);
        assert!(matches!(err, Err(RenderError::InvalidParams(m)) if m.contains("`highlight`")));
    }
}
