//! Named colour palettes and colour helpers.
//!
//! The six palettes of the replaced system keep their names (users have
//! saved configurations that use them); `colorblind` adds the Okabe–Ito
//! palette, distinguishable with every common colour-vision deficiency.
//! Each palette lists its most prominent colour first, and every colour is
//! dark enough to read as a bar or a line on a white page.
//!
//! The host resolves a palette name to its colours before calling a plugin
//! (see `style.palette`), so plugins use [`crate::Style::color`]; the
//! helpers here pick the colours a palette does not define: the neutral
//! for aggregates such as "Others", an accent for highlighted items and a
//! readable text colour on a filled shape.

/// Palette names, in the order a UI should offer them.
pub const NAMES: &[&str] = &[
    "professional",
    "vibrant",
    "earth",
    "ocean",
    "sunset",
    "monochrome",
    "colorblind",
];

const PROFESSIONAL: &[&str] = &[
    "#1f3c88", "#4aa3d8", "#2c7bb6", "#0f5e7a", "#7fb8e0", "#5b6f9e", "#163060", "#3d8fb0",
];
const VIBRANT: &[&str] = &[
    "#e63946", "#1d7fd6", "#f4a100", "#2a9d8f", "#8338ec", "#ff5d8f", "#3a5a40", "#fb8500",
];
const EARTH: &[&str] = &[
    "#8c5a3c", "#588157", "#c08a3e", "#6b705c", "#a44a3f", "#3a5a40", "#b08968", "#7f5539",
];
const OCEAN: &[&str] = &[
    "#023e8a", "#0096c7", "#028090", "#48a9c5", "#03045e", "#00a896", "#2a6f97", "#5e9fc2",
];
const SUNSET: &[&str] = &[
    "#d1495b", "#f28f3b", "#8f2d56", "#e0a030", "#c8553d", "#6a0572", "#f06543", "#9e2a2b",
];
const MONOCHROME: &[&str] = &[
    "#252525", "#636363", "#969696", "#4a4a4a", "#7f7f7f", "#3b3b3b", "#aaaaaa", "#555555",
];
/// Okabe & Ito (2008), starting from blue; yellow is last because it is
/// the one colour of the set that is hard to see on white.
const COLORBLIND: &[&str] = &[
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#000000", "#f0e442",
];

/// The colours of the palette called `name` (case-insensitive), most
/// prominent first.
pub fn named(name: &str) -> Option<&'static [&'static str]> {
    let name = name.trim().to_ascii_lowercase();
    Some(match name.as_str() {
        "professional" => PROFESSIONAL,
        "vibrant" => VIBRANT,
        "earth" => EARTH,
        "ocean" => OCEAN,
        "sunset" => SUNSET,
        "monochrome" => MONOCHROME,
        "colorblind" => COLORBLIND,
        _ => return None,
    })
}

/// A neutral grey for aggregates ("Others", "Rest") that must not compete
/// with the ranked items.
pub fn others_color() -> &'static str {
    "#9aa5b1"
}

/// Accent candidates for highlighted items, each far from at least some
/// palettes; [`highlight`] takes the one farthest from the palette in use.
const ACCENTS: &[&str] = &[
    "#e8590c", "#d6336c", "#2b8a3e", "#f59f00", "#1c7ed6", "#7048e8",
];

/// An accent colour for highlighted items that stands out against the
/// first colours of `palette` (the ones ordinary items are drawn in) and
/// against [`others_color`].
pub fn highlight<S: AsRef<str>>(palette: &[S]) -> &'static str {
    let mut against: Vec<Rgb> = palette
        .iter()
        .take(2)
        .filter_map(|c| Rgb::parse(c.as_ref()))
        .collect();
    if let Some(grey) = Rgb::parse(others_color()) {
        against.push(grey);
    }
    let mut best = (ACCENTS[0], f32::MIN);
    for accent in ACCENTS {
        let Some(rgb) = Rgb::parse(accent) else {
            continue;
        };
        let nearest = against
            .iter()
            .map(|c| c.distance(&rgb))
            .fold(f32::MAX, f32::min);
        // Strictly greater keeps the first of equals: deterministic.
        if nearest > best.1 {
            best = (accent, nearest);
        }
    }
    best.0
}

/// Black or white, whichever reads better on `background` (for labels
/// drawn inside bars). Unparseable colours get black.
pub fn text_on(background: &str) -> &'static str {
    match Rgb::parse(background) {
        // WCAG: white text wins below a relative luminance of about 0.18.
        Some(c) if c.luminance() < 0.179 => "#ffffff",
        _ => "#000000",
    }
}

/// `color` mixed with white by `amount` (0 = unchanged, 1 = white), for
/// lighter variants such as bands or secondary bars. Unparseable colours
/// come back unchanged.
pub fn lighten(color: &str, amount: f32) -> String {
    let Some(c) = Rgb::parse(color) else {
        return color.to_owned();
    };
    let t = amount.clamp(0.0, 1.0);
    let mix = |v: u8| (f32::from(v) + (255.0 - f32::from(v)) * t).round() as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2)).to_hex()
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Reads `#rrggbb` or `#rgb`.
    pub fn parse(s: &str) -> Option<Rgb> {
        let hex = s.trim().strip_prefix('#')?;
        if !hex.is_ascii() {
            return None;
        }
        let channel = |h: &str| u8::from_str_radix(h, 16).ok();
        match hex.len() {
            6 => Some(Rgb(
                channel(&hex[0..2])?,
                channel(&hex[2..4])?,
                channel(&hex[4..6])?,
            )),
            3 => {
                let short = |h: &str| channel(h).map(|v| v * 17);
                Some(Rgb(
                    short(&hex[0..1])?,
                    short(&hex[1..2])?,
                    short(&hex[2..3])?,
                ))
            }
            _ => None,
        }
    }

    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// WCAG relative luminance, 0 (black) to 1 (white).
    pub fn luminance(self) -> f32 {
        let lin = |v: u8| {
            let c = f32::from(v) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// A perceptual distance ("redmean" weighting): cheap, and good enough
    /// to tell an orange from a blue.
    fn distance(&self, other: &Rgb) -> f32 {
        let rmean = (f32::from(self.0) + f32::from(other.0)) / 2.0;
        let dr = f32::from(self.0) - f32::from(other.0);
        let dg = f32::from(self.1) - f32::from(other.1);
        let db = f32::from(self.2) - f32::from(other.2);
        ((2.0 + rmean / 256.0) * dr * dr
            + 4.0 * dg * dg
            + (2.0 + (255.0 - rmean) / 256.0) * db * db)
            .sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves_to_valid_distinct_colours() {
        for name in NAMES {
            let colours = named(name).unwrap_or_else(|| panic!("palette {name} missing"));
            assert!(colours.len() >= 6, "{name} is too short");
            for c in colours {
                assert!(Rgb::parse(c).is_some(), "{name}: bad colour {c}");
                assert_eq!(c.len(), 7, "{name}: {c} is not #rrggbb");
            }
            let mut unique = colours.to_vec();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), colours.len(), "{name} repeats a colour");
        }
    }

    #[test]
    fn names_are_case_insensitive_and_unknown_is_none() {
        assert_eq!(named("Ocean"), Some(OCEAN));
        assert_eq!(named("rainbow"), None);
    }

    #[test]
    fn professional_leads_with_blues_and_colorblind_is_okabe_ito() {
        assert_eq!(named("professional").map(|p| p[0]), Some("#1f3c88"));
        let cb = named("colorblind").unwrap_or_default();
        for c in [
            "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
        ] {
            assert!(cb.contains(&c), "Okabe-Ito colour {c} missing");
        }
    }

    #[test]
    fn highlight_stands_out_from_the_palette() {
        // Against blues, the accent is a warm colour.
        assert_eq!(highlight(PROFESSIONAL), "#e8590c");
        // Against a palette that starts with orange, it is not orange.
        assert_ne!(highlight(&["#e8590c", "#f59f00"]), "#e8590c");
        // Unparseable palettes still give an accent.
        assert!(ACCENTS.contains(&highlight(&["nope"])));
    }

    #[test]
    fn text_on_picks_a_readable_colour() {
        assert_eq!(text_on("#1f3c88"), "#ffffff");
        assert_eq!(text_on("#f0e442"), "#000000");
        assert_eq!(text_on("garbage"), "#000000");
    }

    #[test]
    fn parses_short_and_long_hex_and_lightens() {
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse("#1F3C88"), Some(Rgb(0x1f, 0x3c, 0x88)));
        assert_eq!(Rgb::parse("1f3c88"), None);
        assert_eq!(Rgb::parse("#1f3c8"), None);
        assert_eq!(Rgb::parse("#ééé"), None);
        assert_eq!(lighten("#000000", 0.5), "#808080");
        assert_eq!(lighten("#1f3c88", 0.0), "#1f3c88");
        assert_eq!(lighten("red", 0.5), "red");
    }
}
