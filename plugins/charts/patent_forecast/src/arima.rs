//! A non-seasonal ARIMA(p, d, q) chosen by AICc (AIC with the
//! small-sample correction, the criterion of R's `auto.arima`), in the
//! manner of
//! Hyndman & Khandakar (2008, "Automatic time series forecasting: the
//! forecast package for R", §3.2):
//!
//! 1. d ∈ {0, 1, 2} by repeated KPSS tests (Kwiatkowski et al. 1992; level
//!    stationarity, Newey–West variance with ⌊4·(n/100)^¼⌋ lags, 5% critical
//!    value 0.463): difference while the test rejects stationarity.
//! 2. On w = Δ^d y, every p ≤ 2, q ≤ 2, with and without a constant (the
//!    mean for d = 0, the drift for d = 1; none for d = 2):
//!    ```text
//!    w(t) − μ = Σ φ_i·(w(t−i) − μ) + e(t) + Σ θ_j·e(t−j)
//!    ```
//!    estimated by conditional sum of squares (CSS, Box & Jenkins): the
//!    first P = 2 values of w are conditioned on in every model, so all
//!    AICs of one d use the same observations, and pre-sample errors are 0.
//!    σ² = SSE/m (m = n_w − P), log L = −m/2·(ln(2πσ²) + 1),
//!    AIC = −2 log L + 2k with k = p + q + [μ] + 1, and the model with the
//!    lowest AICc = AIC + 2k(k+1)/(m − k − 1) is chosen: with the 10 to 20
//!    yearly points of an export, plain AIC favours the largest models.
//!    Only stationary and invertible coefficients are admitted, with a
//!    margin (roots at least 1.05 from the origin; see [`ROOT_MARGIN`]).
//! 3. Forecasts run the recursion of φ(B)(1−B)^d y = c + θ(B)e with
//!    future errors 0; the variance h steps ahead is σ²·Σ_{j<h} ψ_j², with
//!    ψ the MA(∞) weights of θ(B) / (φ(B)(1−B)^d) (Brockwell & Davis,
//!    §5.3).
//!
//! Models with more coefficients than the data can support (fewer than
//! k + 2 conditioned observations for k coefficients) are skipped.

use crate::optim;

pub const MAX_P: usize = 2;
pub const MAX_Q: usize = 2;
pub const MAX_D: usize = 2;
/// 5% critical value of the KPSS level-stationarity test.
const KPSS_CRITICAL: f64 = 0.463;

/// One candidate of the search, for chart_data.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub p: usize,
    pub d: usize,
    pub q: usize,
    pub constant: bool,
    pub aic: f64,
    pub aicc: f64,
}

/// The chosen model.
#[derive(Debug, Clone, PartialEq)]
pub struct ArimaFit {
    pub p: usize,
    pub d: usize,
    pub q: usize,
    pub ar: Vec<f64>,
    pub ma: Vec<f64>,
    /// μ: the mean of w (the drift of y when d = 1); `None` without one.
    pub constant: Option<f64>,
    pub sigma2: f64,
    pub log_likelihood: f64,
    pub aic: f64,
    pub aicc: f64,
    /// KPSS statistics of y, Δy … as tested.
    pub kpss: Vec<f64>,
    /// In-sample one-step fitted values of y (None where conditioned on).
    pub fitted: Vec<Option<f64>>,
    /// Every model tried, best first.
    pub candidates: Vec<Candidate>,
    y: Vec<f64>,
    /// Residuals aligned with y (0 where conditioned on).
    residuals: Vec<f64>,
}

/// The KPSS level-stationarity statistic of `x`.
pub fn kpss(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 3 {
        return 0.0;
    }
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let e: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let mut s = 0.0;
    let mut eta = 0.0;
    for v in &e {
        s += v;
        eta += s * s;
    }
    let lags = (4.0 * (nf / 100.0).powf(0.25)).floor() as usize;
    let mut lr = e.iter().map(|v| v * v).sum::<f64>() / nf;
    for l in 1..=lags.min(n - 1) {
        let w = 1.0 - l as f64 / (lags as f64 + 1.0);
        let cov: f64 = (l..n).map(|t| e[t] * e[t - l]).sum::<f64>() / nf;
        lr += 2.0 * w * cov;
    }
    if lr <= 0.0 {
        // A constant series is as stationary as it gets.
        return 0.0;
    }
    eta / (nf * nf * lr)
}

fn difference(x: &[f64]) -> Vec<f64> {
    x.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Every root of an admitted AR or MA polynomial lies at least this far
/// from the origin. Conditional sum of squares does not penalise
/// non-invertible moving averages (exact likelihood does), so without a
/// margin its optimum runs onto the unit circle, where the model
/// "explains" noise by cancelling a difference and its intervals collapse.
const ROOT_MARGIN: f64 = 1.05;

/// Whether 1 − c₁z − c₂z² (order ≤ 2) has all roots outside the circle of
/// radius [`ROOT_MARGIN`]: the triangle conditions of stationarity applied
/// to the polynomial in u = z / ROOT_MARGIN. For φ this is stationarity,
/// for −θ invertibility.
fn admissible(c: &[f64]) -> bool {
    let r = ROOT_MARGIN;
    match c {
        [] => true,
        [a] => (a * r).abs() < 1.0,
        [a, b] => {
            let (a, b) = (a * r, b * r * r);
            a + b < 1.0 && b - a < 1.0 && b.abs() < 1.0
        }
        _ => false,
    }
}

/// CSS residuals of w for the given coefficients, from index `start`.
fn residuals(w: &[f64], ar: &[f64], ma: &[f64], mu: f64, start: usize) -> Vec<f64> {
    let mut e = vec![0.0; w.len()];
    for t in start..w.len() {
        let mut pred = mu;
        for (i, phi) in ar.iter().enumerate() {
            pred += phi * (w[t - i - 1] - mu);
        }
        for (j, theta) in ma.iter().enumerate() {
            if let Some(k) = t.checked_sub(j + 1) {
                pred += theta * e[k];
            }
        }
        e[t] = w[t] - pred;
    }
    e
}

struct Estimate {
    ar: Vec<f64>,
    ma: Vec<f64>,
    mu: Option<f64>,
    sse: f64,
}

fn estimate(w: &[f64], p: usize, q: usize, constant: bool) -> Option<Estimate> {
    let start = MAX_P;
    let m = w.len().checked_sub(start)?;
    let k = p + q + usize::from(constant);
    if m < k + 2 {
        return None;
    }
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let sd = (w.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
    let split = |x: &[f64]| -> (Vec<f64>, Vec<f64>, f64) {
        let ar = x[..p].to_vec();
        let ma = x[p..p + q].to_vec();
        let mu = if constant { x[p + q] } else { 0.0 };
        (ar, ma, mu)
    };
    let sse_of = |x: &[f64]| -> f64 {
        let (ar, ma, mu) = split(x);
        let neg_ma: Vec<f64> = ma.iter().map(|v| -v).collect();
        if !admissible(&ar) || !admissible(&neg_ma) {
            return f64::INFINITY;
        }
        residuals(w, &ar, &ma, mu, start)[start..]
            .iter()
            .map(|v| v * v)
            .sum()
    };
    let mut x0 = vec![0.0; k];
    let mut step = vec![0.1; k];
    if constant {
        x0[k - 1] = mean;
        step[k - 1] = (0.1 * sd).max(0.1);
    }
    let best = if k == 0 {
        optim::Minimum {
            value: sse_of(&x0),
            x: x0,
        }
    } else {
        let m1 = optim::minimize(&sse_of, &x0, &step, 1000, 1e-9);
        let restart: Vec<f64> = step.iter().map(|s| s * 0.5).collect();
        let m2 = optim::minimize(&sse_of, &m1.x, &restart, 1000, 1e-10);
        if m2.value <= m1.value { m2 } else { m1 }
    };
    if !best.value.is_finite() {
        return None;
    }
    let (ar, ma, mu) = split(&best.x);
    Some(Estimate {
        ar,
        ma,
        mu: constant.then_some(mu),
        sse: best.value,
    })
}

/// Chooses and fits the model; `None` when `y` is too short for any
/// (fewer than 6 points) or not finite.
pub fn fit(y: &[f64]) -> Option<ArimaFit> {
    if y.len() < 6 || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut kpss_stats = Vec::new();
    let mut w = y.to_vec();
    let mut d = 0;
    loop {
        let stat = kpss(&w);
        kpss_stats.push(stat);
        if stat <= KPSS_CRITICAL || d == MAX_D || w.len() < MAX_P + 5 {
            break;
        }
        w = difference(&w);
        d += 1;
    }
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    let floor = 1e-12 * scale * scale;
    let mut candidates: Vec<(Candidate, Estimate)> = Vec::new();
    for p in 0..=MAX_P {
        for q in 0..=MAX_Q {
            for constant in [true, false] {
                if constant && d >= 2 {
                    continue;
                }
                let Some(est) = estimate(&w, p, q, constant) else {
                    continue;
                };
                let m = (w.len() - MAX_P) as f64;
                let sigma2 = (est.sse + floor) / m;
                let ll = -0.5 * m * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0);
                let k = (p + q + usize::from(constant) + 1) as f64;
                let aic = -2.0 * ll + 2.0 * k;
                // `estimate` guarantees m ≥ k + 1, so the correction is finite.
                let aicc = aic + 2.0 * k * (k + 1.0) / (m - k - 1.0).max(1.0);
                candidates.push((
                    Candidate {
                        p,
                        d,
                        q,
                        constant,
                        aic,
                        aicc,
                    },
                    est,
                ));
            }
        }
    }
    // Best AICc first; ties go to the simpler model, then the order in
    // which they were tried, so the choice is deterministic.
    candidates.sort_by(|a, b| {
        a.0.aicc
            .total_cmp(&b.0.aicc)
            .then((a.0.p + a.0.q).cmp(&(b.0.p + b.0.q)))
    });
    let list: Vec<Candidate> = candidates.iter().map(|(c, _)| c.clone()).collect();
    let (best, est) = candidates.into_iter().next()?;
    let m = (w.len() - MAX_P) as f64;
    let sigma2 = (est.sse + floor) / m;
    let mu = est.mu.unwrap_or(0.0);
    let e_w = residuals(&w, &est.ar, &est.ma, mu, MAX_P);
    let mut resid = vec![0.0; y.len()];
    let mut fitted = vec![None; y.len()];
    for (t, e) in e_w.iter().enumerate().skip(MAX_P) {
        resid[t + d] = *e;
        fitted[t + d] = Some(y[t + d] - e);
    }
    Some(ArimaFit {
        p: best.p,
        d,
        q: best.q,
        ar: est.ar,
        ma: est.ma,
        constant: est.mu,
        sigma2,
        log_likelihood: -0.5 * m * ((2.0 * std::f64::consts::PI * sigma2).ln() + 1.0),
        aic: best.aic,
        aicc: best.aicc,
        kpss: kpss_stats,
        fitted,
        candidates: list,
        y: y.to_vec(),
        residuals: resid,
    })
}

impl ArimaFit {
    /// Coefficients of φ(B)(1−B)^d as y(t) = Σ c_i·y(t−i) + …, i ≥ 1.
    fn expanded_ar(&self) -> Vec<f64> {
        // Polynomial in B with constant term 1: 1 − φ1 B − φ2 B² …
        let mut poly: Vec<f64> = std::iter::once(1.0)
            .chain(self.ar.iter().map(|v| -v))
            .collect();
        for _ in 0..self.d {
            let mut next = vec![0.0; poly.len() + 1];
            for (i, c) in poly.iter().enumerate() {
                next[i] += c;
                next[i + 1] -= c;
            }
            poly = next;
        }
        poly[1..].iter().map(|c| -c).collect()
    }

    /// Point forecasts for 1..=h steps ahead.
    pub fn forecast(&self, h: usize) -> Vec<f64> {
        let phi = self.expanded_ar();
        let c = self
            .constant
            .map_or(0.0, |mu| mu * (1.0 - self.ar.iter().sum::<f64>()));
        let mut y = self.y.clone();
        let n = y.len();
        let mut e = self.residuals.clone();
        for step in 0..h {
            let t = n + step;
            let mut v = c;
            for (i, a) in phi.iter().enumerate() {
                v += a * y.get(t.wrapping_sub(i + 1)).copied().unwrap_or(0.0);
            }
            for (j, theta) in self.ma.iter().enumerate() {
                if let Some(k) = t.checked_sub(j + 1) {
                    v += theta * e.get(k).copied().unwrap_or(0.0);
                }
            }
            y.push(v);
            e.push(0.0);
        }
        y.split_off(n)
    }

    /// ψ weights ψ_0..ψ_{h−1} of θ(B) / (φ(B)(1−B)^d).
    pub fn psi(&self, h: usize) -> Vec<f64> {
        let phi = self.expanded_ar();
        let mut psi = vec![0.0; h];
        for j in 0..h {
            let mut v = if j == 0 {
                1.0
            } else {
                self.ma.get(j - 1).copied().unwrap_or(0.0)
            };
            for (i, a) in phi.iter().enumerate() {
                if i < j {
                    v += a * psi[j - i - 1];
                }
            }
            psi[j] = v;
        }
        psi
    }

    /// Forecast variances for 1..=h steps ahead.
    pub fn variances(&self, h: usize) -> Vec<f64> {
        let psi = self.psi(h);
        let mut acc = 0.0;
        psi.iter()
            .map(|p| {
                acc += p * p;
                self.sigma2 * acc
            })
            .collect()
    }

    /// "ARIMA(1,1,0) with drift" style name.
    pub fn order(&self) -> String {
        format!("({},{},{})", self.p, self.d, self.q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(p: usize, d: usize, q: usize, ar: &[f64], ma: &[f64], mu: Option<f64>) -> ArimaFit {
        ArimaFit {
            p,
            d,
            q,
            ar: ar.to_vec(),
            ma: ma.to_vec(),
            constant: mu,
            sigma2: 1.0,
            log_likelihood: 0.0,
            aic: 0.0,
            aicc: 0.0,
            kpss: vec![],
            fitted: vec![],
            candidates: vec![],
            y: vec![1.0, 2.0, 4.0],
            residuals: vec![0.0, 0.0, 0.5],
        }
    }

    #[test]
    fn expanded_polynomials_and_psi_weights() {
        // (1 − 0.5B)(1 − B) = 1 − 1.5B + 0.5B²  →  y = 1.5y(t−1) − 0.5y(t−2).
        let m = model(1, 1, 0, &[0.5], &[], None);
        assert_eq!(m.expanded_ar(), [1.5, -0.5]);
        // ψ of ARIMA(1,1,0): 1, 1.5, 1.75, 1.875.
        assert_eq!(m.psi(4), [1.0, 1.5, 1.75, 1.875]);
        // Random walk: ψ all 1, variance grows linearly.
        let rw = model(0, 1, 0, &[], &[], None);
        assert_eq!(rw.variances(3), [1.0, 2.0, 3.0]);
        // MA(1): ψ = 1, θ, 0 ….
        let ma = model(0, 0, 1, &[], &[0.4], Some(0.0));
        assert_eq!(ma.psi(3), [1.0, 0.4, 0.0]);
    }

    #[test]
    fn forecasts_follow_the_recursion() {
        // Random walk with drift 2 from y = 4: 6, 8, 10.
        let m = model(0, 1, 0, &[], &[], Some(2.0));
        assert_eq!(m.forecast(3), [6.0, 8.0, 10.0]);
        // MA(1) around mean 1 with θ 0.4 and last error 0.5: 1.2, then 1.
        let m = model(0, 0, 1, &[], &[0.4], Some(1.0));
        let f = m.forecast(2);
        assert!(
            (f[0] - 1.2).abs() < 1e-12 && (f[1] - 1.0).abs() < 1e-12,
            "{f:?}"
        );
    }

    #[test]
    fn kpss_tells_a_trend_from_noise() {
        let trend: Vec<f64> = (0..30).map(|t| t as f64).collect();
        assert!(kpss(&trend) > KPSS_CRITICAL);
        let noise: Vec<f64> = (0..30)
            .map(|t| if t % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        assert!(kpss(&noise) < KPSS_CRITICAL);
        assert_eq!(kpss(&[3.0; 10]), 0.0);
    }

    #[test]
    fn a_noisy_linear_trend_is_differenced_once_with_drift() {
        let y: Vec<f64> = (0..20)
            .map(|t| 5.0 + 2.0 * t as f64 + [0.3, -0.2, 0.1, -0.4, 0.2][t % 5])
            .collect();
        let f = fit(&y).unwrap();
        assert_eq!(f.d, 1, "{f:?}");
        // With d = 1 the constant is the mean of Δy: the drift.
        let drift = f.constant.unwrap_or(0.0);
        assert!((drift - 2.0).abs() < 0.2, "{f:?}");
        let fc = f.forecast(2);
        assert!((fc[1] - (5.0 + 2.0 * 21.0)).abs() < 1.5, "{fc:?}");
        assert!(f.candidates.windows(2).all(|w| w[0].aicc <= w[1].aicc));
        assert_eq!(Some(f.clone()), fit(&y), "deterministic");
    }

    #[test]
    fn short_flat_or_broken_input() {
        assert!(fit(&[1.0; 5]).is_none());
        assert!(fit(&[1.0, f64::INFINITY, 2.0, 3.0, 4.0, 5.0]).is_none());
        let flat = fit(&[2.0; 8]).unwrap();
        assert!(
            flat.forecast(3).iter().all(|v| (v - 2.0).abs() < 1e-6),
            "{flat:?}"
        );
    }
}
