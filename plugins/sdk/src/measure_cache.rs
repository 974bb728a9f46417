//! A memo in front of a [`Measure`].
//!
//! In a plugin every measurement is a call into the host, which shapes the
//! text with the real font; a layout measures the same strings many times
//! (a footnote when reserving its room and again when drawing it, tick
//! labels for the axis thickness, its overhang, the grid and the axis).
//! Wrapping the host's measure in a [`MeasureCache`] for one render makes
//! every repeat free. The answers are the inner measure's, so the drawing
//! is byte-identical with or without the cache.
//!
//! ```
//! use patchart_sdk::measure_cache::MeasureCache;
//! use patchart_sdk::text::UniformMeasure;
//! use patchart_sdk::Measure;
//!
//! let host = UniformMeasure::default();
//! let m = MeasureCache::new(&host);
//! assert_eq!(m.width("CN", 10.0, false), host.width("CN", 10.0, false));
//! assert_eq!(m.width("CN", 10.0, false), 12.0); // answered from the memo
//! ```

use std::cell::RefCell;
use std::collections::HashMap;

use crate::Measure;

/// Memoizes `inner` by (text, size, weight). Meant to live for one render:
/// it never evicts.
pub struct MeasureCache<'a> {
    inner: &'a dyn Measure,
    // RefCell because `Measure::width` takes `&self`; a render is single
    // threaded, so there is no contention to worry about.
    memo: RefCell<HashMap<(String, u32, bool), f32>>,
}

impl<'a> MeasureCache<'a> {
    pub fn new(inner: &'a dyn Measure) -> MeasureCache<'a> {
        MeasureCache {
            inner,
            memo: RefCell::new(HashMap::new()),
        }
    }

    /// Number of distinct measurements made so far (calls to the inner
    /// measure).
    pub fn misses(&self) -> usize {
        self.memo.borrow().len()
    }
}

impl Measure for MeasureCache<'_> {
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        // The exact bits of the size: 11.7 and 11.700001 may shape
        // differently, so they must not share an answer.
        let key = (text.to_owned(), size.to_bits(), bold);
        if let Some(w) = self.memo.borrow().get(&key) {
            return *w;
        }
        let w = self.inner.width(text, size, bold);
        self.memo.borrow_mut().insert(key, w);
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counting(Cell<usize>);

    impl Measure for Counting {
        fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
            self.0.set(self.0.get() + 1);
            text.chars().count() as f32 * size * if bold { 0.5 } else { 0.6 }
        }
    }

    #[test]
    fn repeats_are_answered_without_the_inner_measure() {
        let inner = Counting(Cell::new(0));
        let m = MeasureCache::new(&inner);
        assert_eq!(m.width("abc", 10.0, false), 18.0);
        assert_eq!(m.width("abc", 10.0, false), 18.0);
        assert_eq!(inner.0.get(), 1);
        // Size and weight are part of the key.
        assert_eq!(m.width("abc", 10.0, true), 15.0);
        assert_eq!(m.width("abc", 20.0, false), 36.0);
        assert_eq!(inner.0.get(), 3);
        assert_eq!(m.misses(), 3);
    }
}
