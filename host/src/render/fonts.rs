//! The fonts compiled into the binary. Nothing is read from the machine:
//! two hosts with different installed fonts draw identical pixels.

use resvg::usvg::fontdb;

/// The family every chart is drawn in; it is also what `sans-serif`,
/// `serif` and any unknown family resolve to.
pub const BUNDLED_FAMILY: &str = "DejaVu Sans";

pub(crate) fn regular() -> &'static [u8] {
    dejavu::sans::regular()
}

pub(crate) fn bold() -> &'static [u8] {
    dejavu::sans::bold()
}

/// A font database holding only the bundled faces.
pub fn font_database() -> fontdb::Database {
    let mut db = fontdb::Database::new();
    db.load_font_data(regular().to_vec());
    db.load_font_data(bold().to_vec());
    db.load_font_data(dejavu::sans::oblique().to_vec());
    db.load_font_data(dejavu::sans::bold_oblique().to_vec());
    db.set_sans_serif_family(BUNDLED_FAMILY);
    db.set_serif_family(BUNDLED_FAMILY);
    db.set_monospace_family(BUNDLED_FAMILY);
    db.set_cursive_family(BUNDLED_FAMILY);
    db.set_fantasy_family(BUNDLED_FAMILY);
    db
}
