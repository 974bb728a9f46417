//! `GET /api/styles/`: the choices a job's `visualization_config` takes.
//! Clients (the console among them) draw their style forms from this, so a
//! palette added to the SDK appears in them with no client change.

use axum::Json;

use super::Auth;
use super::views::ErrorBody;
use crate::store::model::OutputFormat;
use crate::style::{self, Bounds};

/// A named palette and its colours, in the order charts use them.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PaletteView {
    pub name: &'static str,
    pub colors: &'static [&'static str],
}

/// A named font size and the px it stands for.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FontSizeName {
    pub name: &'static str,
    pub px: f32,
}

/// What `visualization_config` accepts, with the defaults a job gets.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct StyleOptions {
    /// Named palettes; the first is the default. A list of 1 to 32
    /// `#rrggbb` colours is accepted as well.
    pub palettes: Vec<PaletteView>,
    /// `font_size` in px of the base text.
    pub font_size_px: Bounds<f32>,
    pub font_size_names: Vec<FontSizeName>,
    pub width_px: Bounds<u32>,
    pub height_px: Bounds<u32>,
    /// Languages of the charts' own text; the first is the default.
    pub locales: &'static [&'static str],
    /// An image task's `output_format`; the first is the default.
    pub output_formats: Vec<OutputFormat>,
}

pub fn options() -> StyleOptions {
    let mut palettes: Vec<PaletteView> = patchart_sdk::palette::NAMES
        .iter()
        .filter_map(|&name| {
            patchart_sdk::palette::named(name).map(|colors| PaletteView { name, colors })
        })
        .collect();
    // The default first, whatever order the SDK lists them in.
    palettes.sort_by_key(|p| p.name != style::DEFAULT_PALETTE);
    StyleOptions {
        palettes,
        font_size_px: style::FONT_SIZE_PX,
        font_size_names: style::FONT_SIZES
            .iter()
            .map(|&(name, px)| FontSizeName { name, px })
            .collect(),
        width_px: style::WIDTH_PX,
        height_px: style::HEIGHT_PX,
        locales: style::LOCALES,
        output_formats: OutputFormat::ALL.to_vec(),
    }
}

/// The palettes, sizes, locales and formats a job's style can name.
#[utoipa::path(get, path = "/api/styles/", tag = "algorithms",
    responses((status = 200, body = StyleOptions), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_styles(Auth(_user): Auth) -> Json<StyleOptions> {
    Json(options())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_choice_resolves_and_the_first_are_the_defaults() {
        let o = options();
        let default = style::ResolvedStyle::default();
        assert_eq!(o.palettes[0].name, default.palette_name);
        assert_eq!(o.font_size_px.default, default.font_size);
        assert_eq!(o.width_px.default, default.width);
        assert_eq!(o.height_px.default, default.height);
        assert_eq!(o.locales[0], default.locale);
        assert_eq!(
            o.output_formats[0],
            crate::store::model::OutputFormat::DEFAULT
        );
        assert_eq!(o.palettes.len(), patchart_sdk::palette::NAMES.len());
        for p in &o.palettes {
            let r = style::resolve(&serde_json::json!({ "palette": p.name }))
                .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            assert_eq!(r.palette, p.colors);
        }
        for (field, b) in [("width", o.width_px), ("height", o.height_px)] {
            assert!(style::resolve(&serde_json::json!({ field: b.max })).is_ok());
            assert!(style::resolve(&serde_json::json!({ field: b.max + 1 })).is_err());
            assert!(style::resolve(&serde_json::json!({ field: b.min - 1 })).is_err());
        }
        let f = o.font_size_px;
        assert!(style::resolve(&serde_json::json!({ "font_size": f.max })).is_ok());
        assert!(style::resolve(&serde_json::json!({ "font_size": f.max + 1.0 })).is_err());
        assert!(style::resolve(&serde_json::json!({ "font_size": f.min - 1.0 })).is_err());
        for l in o.locales {
            assert!(style::resolve(&serde_json::json!({ "locale": l })).is_ok());
        }
    }
}
