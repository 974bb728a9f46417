//! Nelder–Mead simplex minimisation (Nelder & Mead 1965, with the
//! standard coefficients of Lagarias et al. 1998: reflection 1, expansion
//! 2, contraction ½, shrink ½). Derivative-free, so the likelihoods of
//! both models can be minimised without gradients; deterministic (no
//! random restarts), so identical input gives identical fits.

/// The minimum found: the point and the objective there.
#[derive(Debug, Clone, PartialEq)]
pub struct Minimum {
    pub x: Vec<f64>,
    pub value: f64,
}

/// Minimises `f` from `start`, the initial simplex spanning `step[i]`
/// along each axis. Stops after `max_iter` iterations or when the values
/// at the simplex vertices differ by less than `tol` (relative).
/// Non-finite objective values count as +∞, so a penalty region is never
/// entered.
pub fn minimize(
    f: &dyn Fn(&[f64]) -> f64,
    start: &[f64],
    step: &[f64],
    max_iter: usize,
    tol: f64,
) -> Minimum {
    let n = start.len();
    let eval = |x: &[f64]| {
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    simplex.push((start.to_vec(), eval(start)));
    for i in 0..n {
        let mut x = start.to_vec();
        x[i] += step.get(i).copied().unwrap_or(0.1);
        let v = eval(&x);
        simplex.push((x, v));
    }
    for _ in 0..max_iter {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        if worst.is_finite() && (worst - best).abs() <= tol * (best.abs() + tol) {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(x, _)| x[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(&xr);
        if fr < simplex[0].1 {
            let xe = along(-2.0);
            let fe = eval(&xe);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let (xc, fc) = if fr < simplex[n].1 {
                let x = along(-0.5);
                let v = eval(&x);
                (x, v)
            } else {
                let x = along(0.5);
                let v = eval(&x);
                (x, v)
            };
            if fc < fr.min(simplex[n].1) {
                simplex[n] = (xc, fc);
            } else {
                let b = simplex[0].0.clone();
                for v in simplex.iter_mut().skip(1) {
                    let x: Vec<f64> = (0..n).map(|j| b[j] + 0.5 * (v.0[j] - b[j])).collect();
                    let fx = eval(&x);
                    *v = (x, fx);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, value) = simplex.swap_remove(0);
    Minimum { x, value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let m = minimize(&f, &[-1.2, 1.0], &[0.5, 0.5], 5000, 1e-14);
        assert!(
            (m.x[0] - 1.0).abs() < 1e-3 && (m.x[1] - 1.0).abs() < 1e-3,
            "{m:?}"
        );
    }

    #[test]
    fn never_steps_into_a_penalty() {
        // Minimum at 0.5 inside 0 < x < 1; outside is NaN.
        let f = |x: &[f64]| {
            if x[0] <= 0.0 || x[0] >= 1.0 {
                f64::NAN
            } else {
                (x[0] - 0.5).powi(2)
            }
        };
        let m = minimize(&f, &[0.9], &[0.05], 500, 1e-12);
        assert!((m.x[0] - 0.5).abs() < 1e-4, "{m:?}");
    }
}
