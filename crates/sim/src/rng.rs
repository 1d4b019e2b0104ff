//! The simulator's random numbers: a seeded PCG generator (`rand_pcg::Pcg64Mcg`, the same stream
//! on every platform) and the few distributions the models need, written out here.

use rand_core::RngCore;
use rand_pcg::Pcg64Mcg;

/// A seeded random number generator.
#[derive(Debug, Clone)]
pub struct Rng(Pcg64Mcg);

impl Rng {
    /// A generator whose stream is fixed by `seed`.
    pub fn seeded(seed: u64) -> Rng {
        // Spread the seed over 128 bits (splitmix64), so nearby seeds give unrelated streams.
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            x ^ (x >> 31)
        };
        let state = (u128::from(next()) << 64) | u128::from(next());
        Rng(Pcg64Mcg::new(state | 1))
    }

    /// A uniform number in the open interval (0, 1).
    pub fn uniform(&mut self) -> f64 {
        // 53 random bits, shifted off zero.
        ((self.0.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Whether an event of probability `p` happens.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A uniform index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        ((self.uniform() * n as f64) as usize).min(n - 1)
    }

    /// An exponential variate of mean `mean`.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }

    /// A standard normal variate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    /// A Poisson variate of mean `mean` (by multiplying uniforms below 30, else from the normal
    /// approximation, rounded, at least 0).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean < 30.0 {
            let limit = (-mean).exp();
            let mut product = self.uniform();
            let mut count = 0;
            while product > limit {
                product *= self.uniform();
                count += 1;
            }
            return count;
        }
        (mean + mean.sqrt() * self.normal()).round().max(0.0) as u64
    }

    /// A log-normal variate of mean `mean` and coefficient of variation `cv`.
    pub fn log_normal(&mut self, mean: f64, cv: f64) -> f64 {
        let sigma2 = (1.0 + cv * cv).ln();
        let mu = mean.ln() - sigma2 / 2.0;
        (mu + sigma2.sqrt() * self.normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_and_cv(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let a: Vec<f64> = (0..5)
            .map({
                let mut r = Rng::seeded(7);
                move |_| r.uniform()
            })
            .collect();
        let mut r = Rng::seeded(7);
        assert!(a.iter().all(|x| *x == r.uniform()));
        assert_ne!(Rng::seeded(8).uniform(), a[0]);
    }

    #[test]
    fn distributions_have_their_moments() {
        let mut r = Rng::seeded(1);
        let exp: Vec<f64> = (0..200_000).map(|_| r.exponential(3.0)).collect();
        let (m, cv) = mean_and_cv(&exp);
        assert!((m - 3.0).abs() < 0.03 && (cv - 1.0).abs() < 0.01, "{m} {cv}");
        let ln: Vec<f64> = (0..200_000).map(|_| r.log_normal(600.0, 0.5)).collect();
        let (m, cv) = mean_and_cv(&ln);
        assert!((m - 600.0).abs() < 3.0 && (cv - 0.5).abs() < 0.01, "{m} {cv}");
        let u: Vec<f64> = (0..100_000).map(|_| r.uniform()).collect();
        assert!(u.iter().all(|x| *x > 0.0 && *x < 1.0));
        assert!(u.iter().filter(|x| **x < 0.25).count().abs_diff(25_000) < 600);
        assert!((0..1000).all(|_| r.below(3) < 3));
        for mean in [2.5, 80.0] {
            let total: u64 = (0..20_000).map(|_| r.poisson(mean)).sum();
            assert!((total as f64 / 20_000.0 - mean).abs() < 0.03 * mean, "{mean}");
        }
    }
}
