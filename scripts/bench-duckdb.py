#!/usr/bin/env python3
"""The DuckDB side of `onestop-bench monitoring`: loads the gzipped CSV files the benchmark exported from
the SQLite database into Parquet, then computes the monthly network report's figures and one
centre's dashboard with SQL equivalent to onestop's definitions (waits from issue to first call of
visits, service time over every spell of service, nearest-rank percentiles of durations rounded
down to onestop's histogram buckets), timing each query. Prints one JSON object: the timings and
the figures, which the benchmark compares with onestop's.

Usage: python3 scripts/bench-duckdb.py DIR FIRST_DAY LAST_DAY CENTRE RUNS
(Without the CSV files in DIR, the Parquet files an earlier run left there are queried again.)
All demo centres are in Asia/Baku (UTC+4, no daylight saving time since 2016): local times are UTC
plus four hours.
"""
import json
import os
import statistics
import sys
import time

import duckdb

folder, first, last, centre, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
con = duckdb.connect()
con.execute("SET threads TO 2")

# The CSV files are loaded into Parquet; without them (a re-run on the Parquet files an earlier
# run left), the Parquet files are used as they are and the load is not timed.
reuse = not os.path.exists(f"{folder}/tickets.csv.gz") and os.path.exists(f"{folder}/tickets.parquet")
started = time.perf_counter()
for name, select in ({} if reuse else {
    "tickets": "SELECT id, centre, service, CAST(day AS DATE) AS day, origin, CAST(issued_at AS TIMESTAMP) AS issued_at, follows, outcome FROM read_csv('{f}/tickets.csv.gz', header=true, all_varchar=true, nullstr='')",
    "steps": "SELECT CAST(ticket_id AS BIGINT) AS ticket_id, CAST(seq AS INTEGER) AS seq, CAST(\"at\" AS TIMESTAMP) AS ts, action, to_state FROM read_csv('{f}/steps.csv.gz', header=true, all_varchar=true, nullstr='')",
    "ratings": "SELECT centre, service, provider, CAST(\"at\" AS TIMESTAMP) AS ts, CAST(score AS INTEGER) AS score FROM read_csv('{f}/ratings.csv.gz', header=true, all_varchar=true, nullstr='')",
    "providers": "SELECT service, provider FROM read_csv('{f}/providers.csv', header=true, all_varchar=true)",
}).items():
    con.execute(f"COPY ({select.format(f=folder)}) TO '{folder}/{name}.parquet' (FORMAT parquet)")
load_secs = None if reuse else time.perf_counter() - started
for name in ["tickets", "steps", "ratings", "providers"]:
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder}/{name}.parquet')")

# One row per ticket of the period with onestop's facts, then the figures grouped.
FACTS = """
WITH t AS (
  SELECT CAST(id AS BIGINT) AS id, centre, service, day, origin, issued_at, follows, outcome
  FROM tickets WHERE day BETWEEN DATE '{first}' AND DATE '{last}' {only}
), s AS (
  SELECT ticket_id, action, to_state, ts, LEAD(ts) OVER (PARTITION BY ticket_id ORDER BY seq) AS next_ts
  FROM steps WHERE ticket_id IN (SELECT id FROM t)
), a AS (
  SELECT ticket_id,
    min(ts) FILTER (WHERE action = 'call') AS first_call,
    sum(epoch(next_ts) - epoch(ts)) FILTER (WHERE to_state = 'serving') AS serving
  FROM s GROUP BY ticket_id
), f AS (
  SELECT t.*, a.first_call, a.serving FROM t LEFT JOIN a ON a.ticket_id = t.id
)
SELECT *,
  CASE WHEN follows IS NULL AND first_call IS NOT NULL THEN floor(epoch(first_call) - epoch(issued_at)) END AS wait,
  CASE WHEN outcome IN ('served', 'not_served') THEN floor(serving) END AS service_secs
FROM f
"""

BUCKET = """CASE WHEN {x} IS NULL THEN NULL WHEN {x} < 600 THEN floor({x} / 10) * 10
  WHEN {x} < 3600 THEN 600 + floor(({x} - 600) / 60) * 60
  WHEN {x} < 14400 THEN 3600 + floor(({x} - 3600) / 300) * 300 ELSE 14400 END"""


def pct(column, p):
    # The nearest rank ceil(p·n/100) of the bucketed durations.
    b = BUCKET.format(x=column)
    return (f"list_sort(list({b}) FILTER (WHERE {column} IS NOT NULL))"
            f"[greatest(1, ({p} * count({column}) + 99) // 100)::INTEGER]")


FIGURES = f"""
  count(*) FILTER (WHERE follows IS NULL) AS visits,
  count(*) FILTER (WHERE outcome = 'served') AS served,
  count(*) FILTER (WHERE outcome = 'no_show') AS no_show,
  count(*) FILTER (WHERE outcome = 'centre_closed' AND first_call IS NULL) AS abandoned,
  {pct('wait', 50)} AS wait_p50, {pct('wait', 90)} AS wait_p90,
  {pct('service_secs', 50)} AS service_p50, {pct('service_secs', 90)} AS service_p90
"""

RATINGS = """SELECT {key} AS key, count(*) AS ratings, count(*) FILTER (WHERE score >= 4) AS satisfied
FROM ratings WHERE CAST(ts + INTERVAL 4 HOUR AS DATE) BETWEEN DATE '{first}' AND DATE '{last}' {only}
GROUP BY ALL ORDER BY 1"""


def network():
    facts = FACTS.format(first=first, last=last, only="")
    con.execute(f"CREATE OR REPLACE TEMP TABLE facts AS {facts}")
    out = {}
    for key, group in [("centre", "centre"), ("service", "service"), ("provider", "p.provider"), ("total", "''")]:
        join = "JOIN providers p USING (service)" if key == "provider" else ""
        rows = con.execute(f"SELECT {group} AS key, {FIGURES} FROM facts {join} GROUP BY ALL ORDER BY 1").fetchall()
        out[key] = rows
    out["ratings"] = con.execute(RATINGS.format(key="centre", first=first, last=last, only="")).fetchall()
    return out


def dashboard():
    only = f"AND centre = '{centre}'"
    facts = FACTS.format(first=first, last=last, only=only)
    con.execute(f"CREATE OR REPLACE TEMP TABLE cfacts AS {facts}")
    out = {}
    for key, group in [("total", "''"), ("service", "service"), ("day", "CAST(day AS VARCHAR)"), ("origin", "origin")]:
        out[key] = con.execute(f"SELECT {group} AS key, {FIGURES} FROM cfacts GROUP BY ALL ORDER BY 1").fetchall()
    out["heat"] = con.execute(
        "SELECT isodow(day) || '-' || lpad(CAST(hour(issued_at + INTERVAL 4 HOUR) AS VARCHAR), 2, '0') AS key, "
        "count(*) FILTER (WHERE follows IS NULL) AS visits FROM cfacts GROUP BY ALL ORDER BY 1").fetchall()
    out["ratings"] = con.execute(RATINGS.format(key="''", first=first, last=last, only=only)).fetchall()
    return out


def timed(fn):
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


network_secs, network_rows = timed(network)
dashboard_secs, dashboard_rows = timed(dashboard)


def clean(rows):
    return [[int(v) if isinstance(v, float) and v == int(v) else v for v in row] for row in rows]


print(json.dumps({
    "duckdb": duckdb.__version__,
    "load_secs": load_secs,
    "network_secs": network_secs,
    "dashboard_secs": dashboard_secs,
    "network": {k: clean(v) for k, v in network_rows.items()},
    "dashboard": {k: clean(v) for k, v in dashboard_rows.items()},
}))
