//! `onestop-sim-accuracy`: the wait predictor's accuracy, measured in the simulator
//! (docs/benchmarks.md records the figures and the commands).
//!
//! - `mms`: M/M/s with s windows at several loads: RMSE ÷ mean wait of delayed visitors against
//!   √(1 − ρ), each run doubled until the 95 % confidence half-width (batch means) is under a
//!   quarter of the ±5 % band's width.
//! - `day`: a realistic day of a centre (plan file) with priorities, appointments and visitors
//!   giving up: onestop's error against the naive estimate and ZMS's. The simulated days run in a
//!   row, each service's recent calls carried over as the server's store keeps them, after an
//!   unscored day; `--fresh` starts every day with no history instead. `--score-leavers` also
//!   scores the visitors who left, on the wait they would have had (their ticket's call).
//! - `mmc`: the mean wait of an M/M/c queue over independent replications, for the cross-check
//!   with the ciw simulator (`crates/sim/ciw/crosscheck.py`).

use std::process::ExitCode;

use onestop_domain::staffing::{ErlangC, Load};
use onestop_sim::accuracy::{self, ErrorSums, batch_estimate};
use onestop_sim::engine::{History, run, run_after};
use onestop_sim::model::Scenario;
use onestop_sim::plan::{self, PlanFile};
use onestop_sim::rng::Rng;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a value of the right kind")),
    }
}

fn mms(args: &[String]) -> Result<(), String> {
    let windows: usize = arg(args, "--windows", 100)?;
    let loads: String = arg(args, "--loads", "0.85,0.9,0.95,0.98".to_owned())?;
    let seed: u64 = arg(args, "--seed", 1)?;
    let batches: usize = arg(args, "--batches", 30)?;
    let start: u64 = arg(args, "--arrivals", 1_000_000)?;
    let max: u64 = arg(args, "--max-arrivals", 128_000_000)?;
    println!("M/M/{windows}, exponential service of mean 600 s; the predictor scored over delayed visitors;");
    println!(
        "95 % confidence half-widths by {batches} batch means; runs doubled until the half-width < 2.5 % of √(1−ρ).\n"
    );
    println!(
        "| ρ | arrivals | delayed share (Erlang C) | RMSE ÷ mean wait | √(1−ρ) | ratio | within ±5 % | with the server's estimated mean |"
    );
    println!("|---|---:|---:|---:|---:|---:|:---:|---:|");
    let mut all_within = true;
    for load in loads.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let load: f64 = load.parse().map_err(|_| format!("--loads: {load} is not a number"))?;
        let mut n = start;
        let result = loop {
            let r = accuracy::mms(windows, load, n, n / 50, batches, seed);
            if r.relative_error.half_width < 0.025 * r.theory || n * 2 > max {
                break r;
            }
            n *= 2;
        };
        let erlang =
            ErlangC::new(windows, Load { arrival_rate: load * windows as f64 / 600.0, mean_service: 600.0 });
        let ratio = result.relative_error.value / result.theory;
        let lo = (result.relative_error.value - result.relative_error.half_width) / result.theory;
        let hi = (result.relative_error.value + result.relative_error.half_width) / result.theory;
        let within = (0.95..=1.05).contains(&ratio);
        all_within &= within;
        println!(
            "| {load} | {} | {:.4} ({:.4}) | {:.4} ± {:.4} | {:.4} | {ratio:.3} ({lo:.3}–{hi:.3}) | {} | {:.4} ± {:.4} |",
            result.arrivals,
            result.delayed_share,
            erlang.p_wait(),
            result.relative_error.value,
            result.relative_error.half_width,
            result.theory,
            if within { "yes" } else { "no" },
            result.relative_error_estimated_mean.value,
            result.relative_error_estimated_mean.half_width,
        );
    }
    println!("\nall within ±5 %: {}", if all_within { "yes" } else { "no" });
    Ok(())
}

fn day(args: &[String]) -> Result<(), String> {
    let centre: String = arg(args, "--centre", "BAKU-1".to_owned())?;
    let date: String = arg(args, "--date", "2026-03-02".to_owned())?;
    let days: u64 = arg(args, "--days", 50)?;
    let plan_file: String = arg(args, "--plan", String::new())?;
    let plan = if plan_file.is_empty() {
        PlanFile::default()
    } else {
        let text = std::fs::read_to_string(&plan_file).map_err(|e| format!("{plan_file}: {e}"))?;
        PlanFile::parse(&text).map_err(|e| format!("{plan_file}: {e}"))?
    };
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../catalogue/asan-demo.yaml"))
            .map_err(|e| e.to_string())?;
    let catalogue = onestop_domain::catalogue::parse_catalogue(&text).map_err(|e| e.to_string())?;
    let date = date.parse().map_err(|e| format!("--date: {e}"))?;
    let mut all = accuracy::Comparison::default();
    let mut delayed = accuracy::Comparison::default();
    let mut per_day = Vec::new();
    // The server's store keeps each service's recent calls from one day to the next: the days are
    // run in a row, after an unscored day before the first, unless --fresh.
    let fresh = args.iter().any(|a| a == "--fresh");
    // Visitors who left are scored too, on the wait they would have had (a diagnostic).
    let leavers = args.iter().any(|a| a == "--score-leavers");
    let mut history = History::default();
    if !fresh {
        let seed = plan.seed().wrapping_sub(1);
        let d = plan::day(&catalogue, &centre, date, &plan, seed).map_err(|e| e.to_string())?;
        run_after(&d.scenario, &mut Rng::seeded(seed), &mut history, &mut |_| {});
    }
    let (mut tickets, mut gave_up, mut appointments, mut priority) = (0u64, 0u64, 0u64, 0u64);
    for k in 0..days {
        let seed = plan.seed() + k;
        let d = plan::day(&catalogue, &centre, date, &plan, seed).map_err(|e| e.to_string())?;
        let mut today = accuracy::Comparison::default();
        run_after(&d.scenario, &mut Rng::seeded(seed), &mut history, &mut |v| {
            tickets += 1;
            gave_up += u64::from(v.abandoned);
            appointments +=
                u64::from(matches!(v.origin, onestop_sim::engine::VisitOrigin::Appointment { .. }));
            priority += u64::from(v.priority);
            let wait = if leavers { v.wait_in_line() } else { v.wait() };
            if let Some(wait) = wait {
                all.add_wait(v, wait);
                today.add_wait(v, wait);
                if wait > 0.0 {
                    delayed.add_wait(v, wait);
                }
            }
        });
        per_day.push(today);
        if fresh {
            history = History::default();
        }
    }
    let ratio_ci = |f: fn(&accuracy::Comparison) -> f64, whole: f64| {
        let per: Vec<f64> = per_day.iter().map(f).collect();
        batch_estimate(whole, &per)
    };
    let naive = ratio_ci(|c| c.ratio_to_naive(), all.ratio_to_naive());
    let zms = ratio_ci(|c| c.ratio_to_zms(), all.ratio_to_zms());
    println!(
        "{centre} on {date}, {days} simulated days: {tickets} tickets ({:.1} % appointments, {:.1} % priority, {:.1} % gave up silently)",
        100.0 * appointments as f64 / tickets as f64,
        100.0 * priority as f64 / tickets as f64,
        100.0 * gave_up as f64 / tickets as f64
    );
    if leavers {
        println!("scored: every ticket called, those who had left on the wait they would have had");
    }
    println!(
        "{}\n",
        if fresh {
            "history: every day starts with none (the catalogue's handling times until 10 calls)"
        } else {
            "history: each service's recent calls carried from day to day, after an unscored day before"
        }
    );
    let line = |name: &str, e: &ErrorSums, d: &ErrorSums| {
        println!(
            "| {name} | {:.2} | {:+.2} | {:.2} | {:+.2} |",
            e.rmse() / 60.0,
            e.bias() / 60.0,
            d.rmse() / 60.0,
            d.bias() / 60.0
        );
    };
    println!("| predictor | RMSE, min (all called) | bias, min | RMSE, min (delayed) | bias, min |");
    println!("|---|---:|---:|---:|---:|");
    line("onestop (as the server)", &all.onestop, &delayed.onestop);
    line("onestop, true service time and patience", &all.onestop_true_model, &delayed.onestop_true_model);
    line("naive: ahead × AHT ÷ windows", &all.naive, &delayed.naive);
    line("ZMS estimate: (position + 1) × AHT ÷ workstations", &all.zms, &delayed.zms);
    line("ZMS range middle (0.8×–1.0×)", &all.zms_middle, &delayed.zms_middle);
    println!(
        "\nvisitors scored: {} (mean wait {:.2} min); delayed: {}",
        all.onestop.n,
        all.onestop.mean_wait() / 60.0,
        delayed.onestop.n
    );
    println!("onestop ÷ naive RMSE: {:.3} ± {:.3} (target ≤ 0.8)", naive.value, naive.half_width);
    println!("onestop ÷ ZMS RMSE:   {:.3} ± {:.3}", zms.value, zms.half_width);
    println!(
        "onestop ÷ ZMS range middle: {:.3}; onestop with the true model ÷ naive: {:.3}",
        all.onestop.rmse() / all.zms_middle.rmse(),
        all.onestop_true_model.rmse() / all.naive.rmse()
    );
    Ok(())
}

fn mmc(args: &[String]) -> Result<(), String> {
    let windows: usize = arg(args, "--windows", 3)?;
    let load: f64 = arg(args, "--load", 0.8)?;
    let mean: f64 = arg(args, "--mean-service", 10.0)?;
    let horizon: f64 = arg(args, "--horizon", 20_000.0)?;
    let warmup: f64 = arg(args, "--warmup", 2_000.0)?;
    let reps: u64 = arg(args, "--replications", 30)?;
    let seed: u64 = arg(args, "--seed", 1)?;
    let mut means = Vec::new();
    for r in 0..reps {
        let mut scenario = Scenario::mms(windows, load, mean, u64::MAX);
        scenario.max_arrivals = None;
        scenario.arrivals_until = horizon;
        let mut sum = 0.0;
        let mut n = 0u64;
        run(&scenario, &mut Rng::seeded(seed + r), &mut |v| {
            if v.arrived >= warmup
                && let Some(w) = v.wait()
            {
                sum += w;
                n += 1;
            }
        });
        means.push(sum / n.max(1) as f64);
    }
    let overall = means.iter().sum::<f64>() / means.len() as f64;
    let ci = batch_estimate(overall, &means);
    let erlang =
        ErlangC::new(windows, Load { arrival_rate: load * windows as f64 / mean, mean_service: mean });
    println!(
        "{{\"windows\": {windows}, \"load\": {load}, \"mean_service\": {mean}, \"horizon\": {horizon}, \"warmup\": {warmup}, \"replications\": {reps}, \"mean_wait\": {overall}, \"half_width\": {}, \"erlang_c\": {}}}",
        ci.half_width,
        erlang.average_wait()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("mms") => mms(&args),
        Some("day") => day(&args),
        Some("mmc") => mmc(&args),
        _ => Err("usage: onestop-sim-accuracy mms|day|mmc [options] (see docs/benchmarks.md)".to_owned()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
