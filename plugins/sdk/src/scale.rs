//! Scales: functions from data to pixels.
//!
//! [`LinearScale`] maps a numeric domain onto a pixel range and proposes
//! "nice" ticks (1, 2 or 5 × 10^k apart) with the algorithm of d3-scale, so
//! axes look like what readers of charts are used to: the domain 0..192
//! becomes 0..200 after [`LinearScale::nice`], ticked every 50 (about five
//! ticks) or every 20 (about ten).
//!
//! [`BandScale`] splits a pixel range into `n` equal bands with inner and
//! outer padding, for bars.

/// Thresholds between 1, 2, 5 and 10 on a log scale (as in d3-array):
/// a raw step is rounded to the multiplier it is geometrically closest to.
const E10: f64 = 7.071_067_811_865_476; // sqrt(50)
const E5: f64 = 3.162_277_660_168_379_5; // sqrt(10)
const E2: f64 = std::f64::consts::SQRT_2;

/// A linear map from a data domain to a pixel range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearScale {
    domain: (f64, f64),
    range: (f32, f32),
    /// Smallest tick step; 1 for counts, so a domain of 0..3 is ticked
    /// 0, 1, 2, 3 and not 0, 0.5, 1 ….
    min_step: f64,
}

impl LinearScale {
    /// A scale from `domain` to `range`. A non-finite domain bound reads as
    /// 0, so bad data gives an empty-looking chart instead of NaN geometry.
    pub fn new(domain: (f64, f64), range: (f32, f32)) -> LinearScale {
        let finite = |v: f64| if v.is_finite() { v } else { 0.0 };
        LinearScale {
            domain: (finite(domain.0), finite(domain.1)),
            range,
            min_step: 0.0,
        }
    }

    /// Only ticks (and nice bounds) on whole numbers: for counts.
    pub fn integer(mut self) -> LinearScale {
        self.min_step = 1.0;
        self
    }

    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }

    pub fn range(&self) -> (f32, f32) {
        self.range
    }

    /// The same scale onto another pixel range (layouts often know the
    /// domain before they know the plot size).
    pub fn with_range(mut self, range: (f32, f32)) -> LinearScale {
        self.range = range;
        self
    }

    /// The pixel position of `v`. A degenerate domain maps everything to
    /// the middle of the range.
    pub fn map(&self, v: f64) -> f32 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return (r0 + r1) / 2.0;
        }
        let t = (v - d0) / (d1 - d0);
        r0 + (t as f32) * (r1 - r0)
    }

    /// About `count` nice tick values inside the domain, ascending.
    pub fn ticks(&self, count: usize) -> Vec<f64> {
        let (lo, hi) = ordered(self.domain);
        ticks(lo, hi, count, self.min_step)
    }

    /// The distance between the ticks [`LinearScale::ticks`] returns for
    /// `count`, e.g. to choose how many decimals tick labels need.
    pub fn tick_step(&self, count: usize) -> f64 {
        let (lo, hi) = ordered(self.domain);
        tick_increment(lo, hi, count, self.min_step).abs_step()
    }

    /// Extends the domain outwards to multiples of the tick step for
    /// `count` ticks, so the axis starts and ends on a tick: 0..192 becomes
    /// 0..200. A degenerate domain is first widened (0..0 to 0..1, 5..5 to
    /// 4..6) so there is something to tick.
    pub fn nice(mut self, count: usize) -> LinearScale {
        let reversed = self.domain.1 < self.domain.0;
        let (mut start, mut stop) = ordered(self.domain);
        if start == stop {
            if start == 0.0 {
                stop = 1.0;
            } else {
                let magnitude = 10f64.powf(start.abs().log10().floor());
                start -= magnitude;
                stop += magnitude;
            }
        }
        let mut previous: Option<Increment> = None;
        // d3 iterates because widening the domain can change the step;
        // ten rounds is what it allows and always converges well before.
        for _ in 0..10 {
            let inc = tick_increment(start, stop, count, self.min_step);
            if previous == Some(inc) {
                break;
            }
            match inc {
                Increment::Step(step) => {
                    start = (start / step).floor() * step;
                    stop = (stop / step).ceil() * step;
                }
                Increment::Inverse(k) => {
                    start = (start * k).floor() / k;
                    stop = (stop * k).ceil() / k;
                }
                Increment::None => break,
            }
            previous = Some(inc);
        }
        self.domain = if reversed {
            (stop, start)
        } else {
            (start, stop)
        };
        self
    }
}

fn ordered((a, b): (f64, f64)) -> (f64, f64) {
    if b < a { (b, a) } else { (a, b) }
}

/// A tick step. Steps below 1 are kept as their inverse (10 for 0.1), as in
/// d3, because multiplying by the integer 10 is exact where multiplying by
/// 0.1 is not: ticks come out as 0.3 and not 0.30000000000000004.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Increment {
    Step(f64),
    Inverse(f64),
    None,
}

impl Increment {
    fn abs_step(self) -> f64 {
        match self {
            Increment::Step(s) => s,
            Increment::Inverse(k) => 1.0 / k,
            Increment::None => 0.0,
        }
    }
}

fn tick_increment(start: f64, stop: f64, count: usize, min_step: f64) -> Increment {
    if count == 0 || start.is_nan() || stop.is_nan() || stop <= start {
        return Increment::None;
    }
    let raw = (stop - start) / count as f64;
    let power = raw.log10().floor();
    let error = raw / 10f64.powf(power);
    let factor = if error >= E10 {
        10.0
    } else if error >= E5 {
        5.0
    } else if error >= E2 {
        2.0
    } else {
        1.0
    };
    let inc = if power < 0.0 {
        Increment::Inverse(10f64.powf(-power) / factor)
    } else {
        Increment::Step(10f64.powf(power) * factor)
    };
    if min_step > 0.0 && inc.abs_step() < min_step {
        Increment::Step(min_step)
    } else {
        inc
    }
}

/// About `count` nice values between `start` and `stop` (inclusive),
/// ascending; `[start]` when they are equal.
fn ticks(start: f64, stop: f64, count: usize, min_step: f64) -> Vec<f64> {
    if count == 0 || !start.is_finite() || !stop.is_finite() {
        return Vec::new();
    }
    if start == stop {
        return vec![start];
    }
    let (i1, i2, inc) = match tick_increment(start, stop, count, min_step) {
        Increment::Step(s) => ((start / s).ceil(), (stop / s).floor(), Increment::Step(s)),
        Increment::Inverse(k) => (
            (start * k).ceil(),
            (stop * k).floor(),
            Increment::Inverse(k),
        ),
        Increment::None => return Vec::new(),
    };
    if i2 < i1 {
        return Vec::new();
    }
    // Bounded so that an absurd domain cannot make a plugin allocate
    // without limit: no axis shows more than a few hundred ticks.
    let n = ((i2 - i1) as usize + 1).min(1000);
    (0..n)
        .map(|i| {
            let k = i1 + i as f64;
            let v = match inc {
                Increment::Step(s) => k * s,
                Increment::Inverse(inv) => k / inv,
                Increment::None => k,
            };
            // -0.0 would print as "-0" in some formatters.
            if v == 0.0 { 0.0 } else { v }
        })
        .collect()
}

/// `n` equal bands over a pixel range, separated by inner padding and
/// inset by outer padding (both as fractions of the step), as d3's
/// `scaleBand` with centred alignment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandScale {
    n: usize,
    range: (f32, f32),
    padding_inner: f32,
    padding_outer: f32,
}

impl BandScale {
    /// `n` bands over `range`, band 0 at `range.0`.
    pub fn new(n: usize, range: (f32, f32)) -> BandScale {
        BandScale {
            n,
            range,
            padding_inner: 0.0,
            padding_outer: 0.0,
        }
    }

    /// Gap between bands as a fraction of the step, clamped to 0..=1.
    pub fn padding_inner(mut self, p: f32) -> BandScale {
        self.padding_inner = p.clamp(0.0, 1.0);
        self
    }

    /// Space before the first and after the last band, in steps.
    pub fn padding_outer(mut self, p: f32) -> BandScale {
        self.padding_outer = p.max(0.0);
        self
    }

    /// Sets inner and outer padding to the same fraction.
    pub fn padding(self, p: f32) -> BandScale {
        self.padding_inner(p).padding_outer(p)
    }

    pub fn len(&self) -> usize {
        self.n
    }

    pub fn range(&self) -> (f32, f32) {
        self.range
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Distance between the starts of two neighbouring bands.
    pub fn step(&self) -> f32 {
        let extent = (self.range.1 - self.range.0).abs();
        let slots = self.n as f32 - self.padding_inner + 2.0 * self.padding_outer;
        extent / slots.max(1.0)
    }

    /// Thickness of one band.
    pub fn bandwidth(&self) -> f32 {
        self.step() * (1.0 - self.padding_inner)
    }

    /// Start of band `i` (its top for a vertical range, left edge for a
    /// horizontal one).
    pub fn position(&self, i: usize) -> f32 {
        let (lo, hi, forward) = if self.range.0 <= self.range.1 {
            (self.range.0, self.range.1, true)
        } else {
            (self.range.1, self.range.0, false)
        };
        let step = self.step();
        let used = step * (self.n as f32 - self.padding_inner);
        let start = lo + (hi - lo - used) / 2.0;
        let slot = if forward {
            i as f32
        } else {
            // Reversed range: band 0 sits at the high end.
            (self.n.saturating_sub(1).saturating_sub(i)) as f32
        };
        start + step * slot
    }

    /// Middle of band `i`, where its label goes.
    pub fn center(&self, i: usize) -> f32 {
        self.position(i) + self.bandwidth() / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-3
    }

    #[test]
    fn nice_extends_0_192_to_0_200_with_ticks_every_50() {
        let s = LinearScale::new((0.0, 192.0), (0.0, 400.0)).nice(5);
        assert_eq!(s.domain(), (0.0, 200.0));
        assert_eq!(s.ticks(5), vec![0.0, 50.0, 100.0, 150.0, 200.0]);
        assert_eq!(s.tick_step(5), 50.0);
    }

    #[test]
    fn ten_ticks_over_0_200_are_every_20() {
        let s = LinearScale::new((0.0, 192.0), (0.0, 400.0)).nice(10);
        assert_eq!(s.domain(), (0.0, 200.0));
        let t = s.ticks(10);
        assert_eq!(t.len(), 11);
        assert_eq!(t[1], 20.0);
        assert_eq!(*t.last().unwrap_or(&0.0), 200.0);
    }

    #[test]
    fn fractional_ticks_are_exact_decimals() {
        let s = LinearScale::new((0.0, 1.0), (0.0, 100.0));
        assert_eq!(
            s.ticks(10),
            vec![0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
        );
        let s = LinearScale::new((0.13, 0.87), (0.0, 100.0)).nice(5);
        assert_eq!(s.domain(), (0.0, 1.0));
    }

    #[test]
    fn integer_scale_never_ticks_between_whole_numbers() {
        let s = LinearScale::new((0.0, 3.0), (0.0, 100.0)).integer().nice(5);
        assert_eq!(s.domain(), (0.0, 3.0));
        assert_eq!(s.ticks(5), vec![0.0, 1.0, 2.0, 3.0]);
        let plain = LinearScale::new((0.0, 3.0), (0.0, 100.0));
        assert_eq!(plain.ticks(5)[1], 0.5);
    }

    #[test]
    fn all_zero_domain_becomes_zero_to_one() {
        let s = LinearScale::new((0.0, 0.0), (0.0, 100.0)).integer().nice(5);
        assert_eq!(s.domain(), (0.0, 1.0));
        assert_eq!(s.ticks(5), vec![0.0, 1.0]);
    }

    #[test]
    fn single_value_domain_is_widened_around_it() {
        let s = LinearScale::new((5.0, 5.0), (0.0, 100.0)).nice(5);
        assert_eq!(s.domain(), (4.0, 6.0));
        assert!(close(s.map(5.0), 50.0));
        let raw = LinearScale::new((5.0, 5.0), (0.0, 100.0));
        assert_eq!(raw.ticks(5), vec![5.0]);
        assert!(
            close(raw.map(5.0), 50.0),
            "degenerate domain maps to mid range"
        );
    }

    #[test]
    fn empty_or_invalid_input_gives_no_ticks() {
        let s = LinearScale::new((0.0, 10.0), (0.0, 100.0));
        assert!(s.ticks(0).is_empty());
        let nan = LinearScale::new((f64::NAN, f64::INFINITY), (0.0, 100.0));
        assert_eq!(nan.domain(), (0.0, 0.0));
        assert_eq!(nan.ticks(5), vec![0.0]);
        assert!(close(nan.map(1.0), 50.0));
    }

    #[test]
    fn negative_and_reversed_domains() {
        let s = LinearScale::new((-7.0, 13.0), (0.0, 100.0)).nice(5);
        assert_eq!(s.domain(), (-10.0, 15.0));
        assert_eq!(s.ticks(5), vec![-10.0, -5.0, 0.0, 5.0, 10.0, 15.0]);
        let r = LinearScale::new((192.0, 0.0), (0.0, 100.0)).nice(5);
        assert_eq!(r.domain(), (200.0, 0.0));
        assert!(close(r.map(200.0), 0.0));
    }

    #[test]
    fn maps_domain_onto_range_linearly() {
        let s = LinearScale::new((0.0, 200.0), (100.0, 500.0));
        assert!(close(s.map(0.0), 100.0));
        assert!(close(s.map(50.0), 200.0));
        assert!(close(s.map(200.0), 500.0));
        let flipped = s.with_range((500.0, 100.0));
        assert!(close(flipped.map(200.0), 100.0));
    }

    #[test]
    fn huge_domains_are_bounded() {
        let s = LinearScale::new((0.0, 1e300), (0.0, 100.0));
        assert!(s.ticks(1_000_000).len() <= 1000);
    }

    #[test]
    fn bands_split_the_range_with_padding() {
        let b = BandScale::new(4, (0.0, 100.0));
        assert!(close(b.step(), 25.0));
        assert!(close(b.bandwidth(), 25.0));
        assert!(close(b.position(3), 75.0));

        let b = BandScale::new(4, (0.0, 100.0))
            .padding_inner(0.2)
            .padding_outer(0.1);
        // 4 - 0.2 + 0.2 = 4 slots of 25 px.
        assert!(close(b.step(), 25.0));
        assert!(close(b.bandwidth(), 20.0));
        assert!(close(b.position(0), 2.5));
        assert!(close(b.position(3) + b.bandwidth(), 97.5));
        assert!(close(b.center(1), 37.5));
    }

    #[test]
    fn reversed_band_range_starts_at_the_high_end() {
        let b = BandScale::new(2, (100.0, 0.0));
        assert!(close(b.position(0), 50.0));
        assert!(close(b.position(1), 0.0));
    }

    #[test]
    fn no_bands_is_harmless() {
        let b = BandScale::new(0, (0.0, 100.0)).padding(0.2);
        assert!(b.is_empty());
        assert!(b.step().is_finite());
        assert!(b.position(0).is_finite());
    }
}
