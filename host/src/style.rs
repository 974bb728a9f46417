//! The user's visual configuration (`visualization_config` of a job, or
//! `--style` on the command line) resolved to the concrete `style` record a
//! plugin receives. Names are resolved here so plugins carry no tables.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::plugins::bindings::patchart::chart::types as wit;
use crate::render::BUNDLED_FAMILY;

/// Named font sizes, in px of the base (tick-label) text.
pub const FONT_SIZES: &[(&str, f32)] = &[("small", 11.0), ("medium", 13.0), ("large", 16.0)];
/// The chart languages; the first is the default.
pub const LOCALES: &[&str] = &["en", "es"];
pub const DEFAULT_PALETTE: &str = "professional";
/// Bounds and defaults a style is checked against; `GET /api/styles/`
/// publishes them, so forms offer what the server accepts.
pub const FONT_SIZE_PX: Bounds<f32> = Bounds {
    min: 8.0,
    max: 32.0,
    default: 13.0,
};
pub const WIDTH_PX: Bounds<u32> = Bounds {
    min: 320,
    max: 4096,
    default: 960,
};
pub const HEIGHT_PX: Bounds<u32> = Bounds {
    min: 320,
    max: 4096,
    default: 640,
};

#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
pub struct Bounds<T> {
    pub min: T,
    pub max: T,
    pub default: T,
}

/// Fields accepted in a style object.
const FIELDS: &str = "palette (or color_palette), font_size, width, height, locale, background, \
     text_color, grid_color, custom_params";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StyleConfig {
    palette: Option<Value>,
    /// The replaced Jobs API's name for `palette`; its clients still send it.
    color_palette: Option<Value>,
    /// Free-form settings the replaced Jobs API stored beside the style.
    /// Accepted (an object) and kept in the job's configuration, so those
    /// clients are not refused; no plugin reads them.
    custom_params: Option<Value>,
    font_size: Option<Value>,
    width: Option<u32>,
    height: Option<u32>,
    locale: Option<String>,
    background: Option<String>,
    text_color: Option<String>,
    grid_color: Option<String>,
}

/// A fully resolved style.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResolvedStyle {
    pub palette_name: String,
    pub palette: Vec<String>,
    pub background: String,
    pub text: String,
    pub grid: String,
    pub font_family: String,
    pub font_size: f32,
    pub width: u32,
    pub height: u32,
    pub locale: String,
}

impl Default for ResolvedStyle {
    fn default() -> Self {
        // The empty config is valid by construction.
        resolve(&Value::Null).unwrap_or_else(|e| panic!("default style must resolve: {e}"))
    }
}

impl ResolvedStyle {
    pub fn to_wit(&self) -> wit::Style {
        wit::Style {
            palette: self.palette.clone(),
            background: self.background.clone(),
            text: self.text.clone(),
            grid: self.grid.clone(),
            font_family: self.font_family.clone(),
            font_size: self.font_size,
            width: self.width,
            height: self.height,
            locale: self.locale.clone(),
        }
    }

    /// A stable text form, for cache keys.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidStyle, message)
}

/// Resolves a style object; `null` or `{}` gives the defaults (professional
/// palette, medium text, 960×640, English).
pub fn resolve(config: &Value) -> Result<ResolvedStyle> {
    let cfg: StyleConfig = match config {
        Value::Null => StyleConfig::default(),
        Value::Object(_) => serde_json::from_value(config.clone())
            .map_err(|e| invalid(format!("style: {e} (accepted fields: {FIELDS})")))?,
        other => {
            return Err(invalid(format!(
                "style must be a JSON object, got {}",
                json_kind(other)
            )));
        }
    };

    if let Some(p) = &cfg.custom_params
        && !p.is_object()
    {
        return Err(invalid(format!(
            "custom_params must be a JSON object, got {}",
            json_kind(p)
        )));
    }
    let chosen = match (cfg.palette, cfg.color_palette) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "palette and color_palette name the same setting; send only one".into(),
            ));
        }
        (p, c) => p.or(c),
    };
    let names = patchart_sdk::palette::NAMES;
    let (palette_name, palette) = match chosen {
        None => (DEFAULT_PALETTE.to_string(), named_palette(DEFAULT_PALETTE)?),
        Some(Value::String(name)) => {
            let key = name.trim().to_ascii_lowercase();
            let colors = patchart_sdk::palette::named(&key).ok_or_else(|| {
                invalid(format!(
                    "unknown palette {name:?}; valid palettes: {}",
                    names.join(", ")
                ))
            })?;
            (key, colors.iter().map(|c| c.to_string()).collect())
        }
        Some(Value::Array(items)) => {
            let mut colors = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let c = item.as_str().ok_or_else(|| {
                    invalid(format!(
                        "palette[{i}] must be a colour string like \"#1f77b4\""
                    ))
                })?;
                colors.push(color(&format!("palette[{i}]"), c)?);
            }
            if colors.is_empty() || colors.len() > 32 {
                return Err(invalid("a custom palette needs 1 to 32 colours".into()));
            }
            ("custom".to_string(), colors)
        }
        Some(other) => {
            return Err(invalid(format!(
                "palette must be a name ({}) or a list of colours, got {}",
                names.join(", "),
                json_kind(&other)
            )));
        }
    };

    let font_size = match cfg.font_size {
        None => FONT_SIZE_PX.default,
        Some(Value::String(s)) => FONT_SIZES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                invalid(format!(
                    "unknown font_size {s:?}; valid sizes: small, medium, large, or a number of px from {} to {}",
                    FONT_SIZE_PX.min, FONT_SIZE_PX.max
                ))
            })?,
        Some(Value::Number(n)) => {
            let v = n.as_f64().unwrap_or(0.0) as f32;
            if !(FONT_SIZE_PX.min..=FONT_SIZE_PX.max).contains(&v) {
                return Err(invalid(format!(
                    "font_size {v} px is outside {} to {}",
                    FONT_SIZE_PX.min, FONT_SIZE_PX.max
                )));
            }
            v
        }
        Some(other) => {
            return Err(invalid(format!(
                "font_size must be small, medium, large or a number, got {}",
                json_kind(&other)
            )));
        }
    };

    let side = |field: &str, v: Option<u32>, b: Bounds<u32>| -> Result<u32> {
        let v = v.unwrap_or(b.default);
        if (b.min..=b.max).contains(&v) {
            Ok(v)
        } else {
            Err(invalid(format!(
                "{field} {v} px is outside {} to {}",
                b.min, b.max
            )))
        }
    };
    let width = side("width", cfg.width, WIDTH_PX)?;
    let height = side("height", cfg.height, HEIGHT_PX)?;

    let locale = match cfg.locale {
        None => LOCALES[0].to_string(),
        Some(l) => {
            let norm = l.trim().to_ascii_lowercase();
            // "es-EC", "en_US" → the language part.
            let lang = norm.split(['-', '_']).next().unwrap_or("").to_string();
            if !LOCALES.contains(&lang.as_str()) {
                return Err(invalid(format!(
                    "unknown locale {l:?}; valid locales: {}",
                    LOCALES.join(", ")
                )));
            }
            lang
        }
    };

    Ok(ResolvedStyle {
        palette_name,
        palette,
        background: color_or("background", cfg.background, "#ffffff")?,
        text: color_or("text_color", cfg.text_color, "#1f2933")?,
        grid: color_or("grid_color", cfg.grid_color, "#d5dbe1")?,
        font_family: BUNDLED_FAMILY.to_string(),
        font_size,
        width,
        height,
        locale,
    })
}

fn named_palette(name: &str) -> Result<Vec<String>> {
    patchart_sdk::palette::named(name)
        .map(|p| p.iter().map(|c| c.to_string()).collect())
        .ok_or_else(|| invalid(format!("palette {name} is missing from the SDK")))
}

fn color_or(field: &str, v: Option<String>, default: &str) -> Result<String> {
    match v {
        None => Ok(default.to_string()),
        Some(c) => color(field, &c),
    }
}

/// Accepts `#rgb` and `#rrggbb`, returned as lower-case `#rrggbb`.
fn color(field: &str, c: &str) -> Result<String> {
    let t = c.trim();
    let hex = t.strip_prefix('#').unwrap_or("");
    let ok = hex.bytes().all(|b| b.is_ascii_hexdigit());
    match (ok, hex.len()) {
        (true, 6) => Ok(format!("#{}", hex.to_ascii_lowercase())),
        (true, 3) => Ok(format!(
            "#{}",
            hex.chars()
                .flat_map(|ch| [ch, ch])
                .collect::<String>()
                .to_ascii_lowercase()
        )),
        _ => Err(invalid(format!(
            "{field} {c:?} is not a colour; use #rrggbb or #rgb"
        ))),
    }
}

fn json_kind(v: &Value) -> &'static str {
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
    use serde_json::json;

    #[test]
    fn defaults_resolve() {
        let s = resolve(&json!({})).expect("defaults");
        assert_eq!((s.width, s.height, s.locale.as_str()), (960, 640, "en"));
        assert_eq!(s.palette_name, "professional");
        assert!(!s.palette.is_empty());
    }

    #[test]
    fn unknown_palette_lists_valid_ones() {
        let e = resolve(&json!({"palette": "neon"})).expect_err("neon is not a palette");
        assert_eq!(e.code, ErrorCode::InvalidStyle);
        for name in patchart_sdk::palette::NAMES {
            assert!(e.message.contains(name), "{} should list {name}", e.message);
        }
    }

    #[test]
    fn unknown_locale_lists_valid_ones() {
        let e = resolve(&json!({"locale": "fr"})).expect_err("fr unsupported");
        assert!(e.message.contains("en, es"), "{}", e.message);
        assert_eq!(
            resolve(&json!({"locale": "es-EC"})).expect("es-EC").locale,
            "es"
        );
    }

    #[test]
    fn the_replaced_apis_palette_name_and_custom_params_are_accepted() {
        let old = resolve(
            &json!({"color_palette": "vibrant", "font_size": "small", "custom_params": {"x": 1}}),
        )
        .expect("old config");
        assert_eq!(
            old,
            resolve(&json!({"palette": "vibrant", "font_size": "small"})).expect("new")
        );
        let both = resolve(&json!({"palette": "vibrant", "color_palette": "earth"}))
            .expect_err("two names for one setting");
        assert!(both.message.contains("only one"), "{}", both.message);
        assert!(resolve(&json!({"custom_params": 3})).is_err());
    }

    #[test]
    fn font_sizes_and_colours() {
        assert_eq!(
            resolve(&json!({"font_size": "large"}))
                .expect("large")
                .font_size,
            16.0
        );
        assert!(resolve(&json!({"font_size": "huge"})).is_err());
        assert_eq!(
            resolve(&json!({"background": "#FFF"}))
                .expect("#FFF")
                .background,
            "#ffffff"
        );
        assert!(resolve(&json!({"background": "white"})).is_err());
        assert!(resolve(&json!({"colour": "x"})).is_err());
        assert!(resolve(&json!({"width": 100})).is_err());
    }
}
