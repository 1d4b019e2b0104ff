#!/usr/bin/env python3
"""Cross-checks onestop's simulator against ciw (https://pypi.org/project/Ciw/) on one M/M/c queue.

Both simulate the same queue: c windows, Poisson arrivals at load rho, exponential service of mean
`mean` minutes, first come first served, for `horizon` minutes, discarding visitors who arrived
before `warmup`, over `reps` independent replications. ciw's replications give a mean wait with a
95 % confidence interval (Student's t over replications); onestop's mean wait (from
`onestop-sim-accuracy mmc`, the same engine and calling rules as `onestop simulate`) must lie in it.

    python3 -m pip install ciw
    cargo build --release -p onestop-sim
    python3 crates/sim/ciw/crosscheck.py [--bin target/release/onestop-sim-accuracy]

Exit status 0 when onestop's mean lies in ciw's interval, 1 otherwise.
"""

import argparse
import json
import math
import statistics
import subprocess
import sys

import ciw


def t975(df):
    """The 97.5 % quantile of Student's t (Cornish-Fisher expansion, as the Rust side)."""
    z = 1.959963984540054
    n = float(max(df, 1))
    return (z + (z**3 + z) / (4 * n) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * n * n)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * n**3))


def ciw_mean_waits(c, rho, mean, horizon, warmup, reps, seed):
    rate = rho * c / mean
    waits = []
    for r in range(reps):
        network = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=rate)],
            service_distributions=[ciw.dists.Exponential(rate=1.0 / mean)],
            number_of_servers=[c],
        )
        ciw.seed(seed + r)
        sim = ciw.Simulation(network)
        sim.simulate_until_max_time(horizon)
        recs = [rec.waiting_time for rec in sim.get_all_records() if rec.arrival_date >= warmup]
        waits.append(statistics.fmean(recs))
    return waits


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default="target/release/onestop-sim-accuracy")
    p.add_argument("--windows", type=int, default=3)
    p.add_argument("--load", type=float, default=0.8)
    p.add_argument("--mean", type=float, default=10.0, help="mean service time, minutes")
    p.add_argument("--horizon", type=float, default=20000.0, help="minutes simulated per replication")
    p.add_argument("--warmup", type=float, default=2000.0, help="minutes discarded at the start")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()

    waits = ciw_mean_waits(a.windows, a.load, a.mean, a.horizon, a.warmup, a.reps, a.seed)
    ciw_mean = statistics.fmean(waits)
    half = t975(len(waits) - 1) * statistics.stdev(waits) / math.sqrt(len(waits))

    # The onestop simulator works in seconds; the scenario is the same in minutes × 60.
    out = subprocess.run(
        [a.bin, "mmc", "--windows", str(a.windows), "--load", str(a.load),
         "--mean-service", str(a.mean * 60), "--horizon", str(a.horizon * 60),
         "--warmup", str(a.warmup * 60), "--replications", str(a.reps), "--seed", str(a.seed)],
        check=True, capture_output=True, text=True,
    ).stdout
    onestop = json.loads(out)
    ours = onestop["mean_wait"] / 60
    ours_half = onestop["half_width"] / 60
    erlang = onestop["erlang_c"] / 60

    inside = ciw_mean - half <= ours <= ciw_mean + half
    print(f"M/M/{a.windows}, load {a.load}, mean service {a.mean} min, {a.reps} replications of "
          f"{a.horizon:g} min (warm-up {a.warmup:g} min), ciw {ciw.__version__}")
    print(f"| simulator | mean wait, min | 95 % CI |")
    print(f"|---|---:|---:|")
    print(f"| ciw | {ciw_mean:.3f} | {ciw_mean - half:.3f} – {ciw_mean + half:.3f} |")
    print(f"| onestop | {ours:.3f} | {ours - ours_half:.3f} – {ours + ours_half:.3f} |")
    print(f"| Erlang C (exact) | {erlang:.3f} | |")
    print(f"onestop's mean within ciw's 95 % CI: {'yes' if inside else 'no'}")
    return 0 if inside else 1


if __name__ == "__main__":
    sys.exit(main())
