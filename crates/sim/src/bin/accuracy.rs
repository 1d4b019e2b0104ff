//! `onestop-sim-accuracy`: the wait predictor's accuracy benchmark (see docs/benchmarks.md).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rho: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(0.9);
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let t = std::time::Instant::now();
    let r = onestop_sim::accuracy::mms(100, rho, n, n / 50, 30, 1);
    println!("{r:?} in {:?}", t.elapsed());
}
