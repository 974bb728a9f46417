//! Holt's linear trend method as the state-space model ETS(A,A,N)
//! (Hyndman, Koehler, Ord & Snyder, *Forecasting with Exponential
//! Smoothing*, 2008, ch. 2 and Table 6.1; Hyndman & Athanasopoulos,
//! *Forecasting: Principles and Practice*, 3rd ed., §8.2 and §8.7):
//!
//! ```text
//! ŷ(t)  = ℓ(t−1) + b(t−1)                 one-step forecast
//! e(t)  = y(t) − ŷ(t)
//! ℓ(t)  = ℓ(t−1) + b(t−1) + α·e(t)
//! b(t)  = b(t−1) + β·e(t)                 β = α·β*, 0 < β < α < 1
//! ŷ(n+h|n) = ℓ(n) + h·b(n)
//! Var(n+h) = σ²·[1 + Σ_{j=1}^{h−1} (α + jβ)²]
//!          = σ²·[1 + (h−1)(α² + αβh + β²h(2h−1)/6)]
//! ```
//!
//! α, β*, ℓ(0) and b(0) are estimated by maximum likelihood with Gaussian
//! errors: minimising n·ln(SSE/n), as R's `forecast::ets` does. ℓ(0) and
//! b(0) start from a least-squares line through the first (up to) ten
//! observations. The log-likelihood is −n/2·(ln(2π·SSE/n) + 1); the AIC
//! counts the four parameters and σ. The σ² of the intervals is
//! SSE/(n − 4), again as in `forecast::ets`.

use crate::optim;

/// Below this the smoothing parameters are treated as 0: a level that
/// never moves is a legitimate fit, not a failure.
const PARAM_EPS: f64 = 1e-4;

/// A fitted ETS(A,A,N).
#[derive(Debug, Clone, PartialEq)]
pub struct HoltFit {
    pub alpha: f64,
    /// β of the state-space form (the trend's reaction to an error).
    pub beta: f64,
    pub level0: f64,
    pub trend0: f64,
    /// Level and trend after the last observation.
    pub level: f64,
    pub trend: f64,
    /// One-step-ahead fitted values, aligned with the data.
    pub fitted: Vec<f64>,
    pub sse: f64,
    /// Residual variance used for the intervals.
    pub sigma2: f64,
    pub log_likelihood: f64,
    pub aic: f64,
    pub n: usize,
}

/// Runs the filter with given parameters: (fitted, SSE, final level,
/// final trend).
pub fn filter(y: &[f64], alpha: f64, beta: f64, l0: f64, b0: f64) -> (Vec<f64>, f64, f64, f64) {
    let (mut l, mut b) = (l0, b0);
    let mut fitted = Vec::with_capacity(y.len());
    let mut sse = 0.0;
    for &v in y {
        let yhat = l + b;
        let e = v - yhat;
        fitted.push(yhat);
        sse += e * e;
        l = yhat + alpha * e;
        b += beta * e;
    }
    (fitted, sse, l, b)
}

fn logistic(u: f64) -> f64 {
    1.0 / (1.0 + (-u).exp())
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Maps free optimiser coordinates onto the admissible region
/// PARAM_EPS < α < 1 − PARAM_EPS, 0 < β < α.
fn smoothing(u: &[f64]) -> (f64, f64) {
    let alpha = PARAM_EPS + (1.0 - 2.0 * PARAM_EPS) * logistic(u[0]);
    let beta = alpha * logistic(u[1]);
    (alpha, beta)
}

/// Least-squares line through the first (up to) ten points, as the
/// starting level and trend (at t = 0, one step before the data).
fn initial_states(y: &[f64]) -> (f64, f64) {
    let m = y.len().min(10);
    if m < 2 {
        return (y.first().copied().unwrap_or(0.0), 0.0);
    }
    let ts: Vec<f64> = (1..=m).map(|t| t as f64).collect();
    let tm = ts.iter().sum::<f64>() / m as f64;
    let ym = y[..m].iter().sum::<f64>() / m as f64;
    let sxy: f64 = ts
        .iter()
        .zip(&y[..m])
        .map(|(t, v)| (t - tm) * (v - ym))
        .sum();
    let sxx: f64 = ts.iter().map(|t| (t - tm).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (ym - slope * tm, slope)
}

/// Fits the model to `y` (at least 4 points; `None` otherwise).
pub fn fit(y: &[f64]) -> Option<HoltFit> {
    let n = y.len();
    if n < 4 || y.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let (l0, b0) = initial_states(y);
    let scale = y.iter().map(|v| v.abs()).fold(0.0, f64::max).max(1.0);
    // A floor under SSE keeps the objective finite for a perfect fit.
    let floor = 1e-12 * scale * scale;
    let objective = |u: &[f64]| {
        let (alpha, beta) = smoothing(u);
        let (_, sse, _, _) = filter(y, alpha, beta, u[2], u[3]);
        n as f64 * ((sse + floor) / n as f64).ln()
    };
    let mut best: Option<optim::Minimum> = None;
    // A few deterministic starts guard against the local minima the
    // likelihood of short series has.
    for &(a, bs) in &[(0.5, 0.1), (0.2, 0.2), (0.8, 0.5), (0.1, 0.05)] {
        let start = [logit(a), logit(bs), l0, b0];
        let step = [1.0, 1.0, 0.1 * scale, 0.05 * scale];
        let m = optim::minimize(&objective, &start, &step, 1000, 1e-9);
        if best.as_ref().is_none_or(|b| m.value < b.value) {
            best = Some(m);
        }
    }
    let first = best?;
    // Restarting from the best vertex lets a collapsed simplex recover.
    let step = [0.5, 0.5, 0.05 * scale, 0.02 * scale];
    let m = optim::minimize(&objective, &first.x, &step, 1000, 1e-10);
    let u = if m.value <= first.value { m.x } else { first.x };
    let (alpha, beta) = smoothing(&u);
    let (fitted, sse, level, trend) = filter(y, alpha, beta, u[2], u[3]);
    let nf = n as f64;
    let log_likelihood = -0.5 * nf * ((2.0 * std::f64::consts::PI * (sse + floor) / nf).ln() + 1.0);
    let params = 4.0;
    Some(HoltFit {
        alpha,
        beta,
        level0: u[2],
        trend0: u[3],
        level,
        trend,
        fitted,
        sse,
        sigma2: sse / (nf - params).max(1.0),
        log_likelihood,
        aic: -2.0 * log_likelihood + 2.0 * (params + 1.0),
        n,
    })
}

impl HoltFit {
    /// Point forecasts for 1..=h steps ahead.
    pub fn forecast(&self, h: usize) -> Vec<f64> {
        (1..=h)
            .map(|k| self.level + k as f64 * self.trend)
            .collect()
    }

    /// Forecast variances for 1..=h steps ahead (closed form of
    /// Hyndman et al. 2008, Table 6.1, class 1).
    pub fn variances(&self, h: usize) -> Vec<f64> {
        let (a, b) = (self.alpha, self.beta);
        (1..=h)
            .map(|k| {
                let k = k as f64;
                self.sigma2
                    * (1.0 + (k - 1.0) * (a * a + a * b * k + b * b * k * (2.0 * k - 1.0) / 6.0))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_matches_a_hand_computation() {
        // α = 0.5, β = 0.25, ℓ0 = 0, b0 = 1 on 1, 3, 5:
        // t1: ŷ 1, e 0 → ℓ 1, b 1; t2: ŷ 2, e 1 → ℓ 2.5, b 1.25;
        // t3: ŷ 3.75, e 1.25 → ℓ 4.375, b 1.5625.
        let (fitted, sse, l, b) = filter(&[1.0, 3.0, 5.0], 0.5, 0.25, 0.0, 1.0);
        assert_eq!(fitted, [1.0, 2.0, 3.75]);
        assert!((sse - (0.0 + 1.0 + 1.5625)).abs() < 1e-12);
        assert!((l - 4.375).abs() < 1e-12 && (b - 1.5625).abs() < 1e-12);
    }

    #[test]
    fn a_straight_line_is_continued_exactly() {
        let y: Vec<f64> = (1..=12).map(|t| 2.0 + 3.0 * t as f64).collect();
        let f = fit(&y).unwrap();
        assert!(f.sse < 1e-6, "{f:?}");
        let fc = f.forecast(3);
        for (k, v) in fc.iter().enumerate() {
            let want = 2.0 + 3.0 * (13 + k) as f64;
            assert!((v - want).abs() < 1e-3, "{v} vs {want}");
        }
    }

    #[test]
    fn variance_closed_form_equals_the_psi_weights() {
        let f = HoltFit {
            alpha: 0.6,
            beta: 0.2,
            level0: 0.0,
            trend0: 0.0,
            level: 0.0,
            trend: 0.0,
            fitted: vec![],
            sse: 0.0,
            sigma2: 2.0,
            log_likelihood: 0.0,
            aic: 0.0,
            n: 0,
        };
        let v = f.variances(6);
        for (h, var) in v.iter().enumerate() {
            // ψ_j = α + jβ for ETS(A,A,N).
            let psi: f64 = (1..=h).map(|j| (0.6 + 0.2 * j as f64).powi(2)).sum();
            assert!((var - 2.0 * (1.0 + psi)).abs() < 1e-12, "h={}", h + 1);
        }
        assert_eq!(v[0], 2.0);
    }

    #[test]
    fn the_fit_beats_any_fixed_parameters_and_is_deterministic() {
        let y = [
            2.0, 3.0, 0.0, 1.0, 0.0, 2.0, 5.0, 2.0, 3.0, 8.0, 18.0, 14.0, 21.0, 26.0, 27.0, 31.0,
        ];
        let f = fit(&y).unwrap();
        assert_eq!(Some(f.clone()), fit(&y));
        assert!(f.alpha > 0.0 && f.alpha < 1.0 && f.beta >= 0.0 && f.beta <= f.alpha);
        for (a, b) in [(0.3, 0.1), (0.8, 0.2), (0.5, 0.5)] {
            let (l0, b0) = initial_states(&y);
            let (_, sse, _, _) = filter(&y, a, b, l0, b0);
            assert!(f.sse <= sse + 1e-9, "α={a} β={b}: {sse} < {}", f.sse);
        }
        // The fitted values are the one-step forecasts.
        let (fitted, ..) = filter(&y, f.alpha, f.beta, f.level0, f.trend0);
        assert_eq!(fitted, f.fitted);
    }

    #[test]
    fn too_short_or_broken_input_is_refused() {
        assert!(fit(&[1.0, 2.0, 3.0]).is_none());
        assert!(fit(&[1.0, 2.0, f64::NAN, 3.0, 4.0]).is_none());
        let flat = fit(&[0.0; 8]).unwrap();
        assert!(flat.log_likelihood.is_finite() && flat.aic.is_finite());
        assert!(flat.forecast(2).iter().all(|v| v.abs() < 1e-6));
    }
}
