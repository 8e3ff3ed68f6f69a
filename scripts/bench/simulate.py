"""Benchmark ``rmledger pay simulate`` beside the restated statements of the same months.

    python -m scripts.bank.generate --seed 7 --size medium --out medium.jsonl
    rmledger --data-dir var-medium ingest medium.jsonl
    python -m scripts.bench.simulate --data-dir var-medium [--runs 3]

The draft is the plan in force on the last closed month's last day with another
prepayment ratio, effective from the first closed month. Prints the median of
``--runs`` runs of the simulation of every closed month (the medium bank's 12), of the
restated statements of the same months (``pay.restated_by_month``), and their ratio.
Target: the simulation under 10 s (docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.messages import PlanPublished
from domain.store import data_dir, ledger_env
from domain.store_settings import open_ledger
from domain.values import month_bounds
from projections.pay.simulate import read_draft, simulate
from projections.pay.statements import restated_by_month
from projections.readmodel.access import ReadModelAccess


def median_s(run: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """The median, every time (seconds) and the last result of ``runs`` runs."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times, result


def bench_draft(conn: Any, first: str, last: str, ratio: Decimal) -> PlanPublished:
    """The plan in force on ``last``'s last day, as a new version with ``ratio``,
    effective from ``first``'s first day."""
    (version,) = conn.execute(
        "SELECT version FROM plans WHERE effective_from <= ? ORDER BY effective_from DESC, position DESC LIMIT 1",
        [month_bounds(last)[1]],
    ).fetchone()
    rows = conn.execute(
        "SELECT grade, base_salary, post_salary, commission_per_10k, coefficient, backup_share FROM plans "
        "WHERE version = ?",
        [version],
    ).fetchall()
    values = conn.execute(
        "SELECT kind, value FROM plan_activity_values WHERE version = ?", [version]
    ).fetchall()
    message = {
        "type": "plan.published", "id": "bench-draft", "version": "bench-draft",
        "effective_from": month_bounds(first)[0].isoformat(),
        "grades": {g: {"base_salary": f"{b}", "post_salary": f"{p}", "commission_per_10k": f"{c}",
                       "coefficient": f"{k.normalize()}"} for g, b, p, c, k, _ in rows},
        "prepay_ratio": f"{ratio}", "backup_share": f"{rows[0][5].normalize()}",
        "activity_values": {kind: f"{value}" for kind, value in values},
    }  # fmt: skip
    return read_draft(json.dumps(message))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--ratio", default="0.60", help="the draft's prepayment ratio (default 0.60)"
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="store the figures in docs/bench-results/simulate.json and render docs/benchmarks.md",
    )
    args = parser.parse_args(argv)
    directory = data_dir(args.data_dir)
    ledger = open_ledger(ledger_env(directory, create=False), create=False)
    access = ReadModelAccess(Path(directory) / "read_model.duckdb", ledger)
    start = time.perf_counter()
    rm = access.read()
    print(f"read model caught up in {time.perf_counter() - start:.2f} s, position {rm.position()}")
    try:
        row = rm.conn.execute("SELECT min(period), max(period) FROM periods_closed").fetchone()
        if row is None or row[0] is None:
            raise SystemExit("no month is closed in this store")
        first, last = row
        draft = bench_draft(rm.conn, first, last, Decimal(args.ratio))
        sim_s, sim_times, result = median_s(lambda: simulate(rm, draft, first, last), args.runs)
        restated_s, restated_times, _ = median_s(
            lambda: list(restated_by_month(rm, first, last)), args.runs
        )
    finally:
        rm.close()
    changed = sum(1 for c in result if c.difference)
    print(f"months {first} to {last}: {len(result)} manager-months, {changed} with a difference")
    print(
        f"pay simulate:        median {sim_s:.2f} s  ({', '.join(f'{t:.2f}' for t in sim_times)})"
    )
    print(
        f"restated statements: median {restated_s:.2f} s  ({', '.join(f'{t:.2f}' for t in restated_times)})"
    )
    print(f"ratio simulate / restated: {sim_s / restated_s:.1f}")
    if args.record:
        runs = (
            ", ".join(f"{t:.2f}" for t in sim_times),
            ", ".join(f"{t:.2f}" for t in restated_times),
        )
        record(
            args,
            first,
            last,
            [
                [
                    f"simulation of {first}..{last} ({len(result)} manager-months, {changed} with a difference)",
                    f"{sim_s:.2f} s",
                    runs[0],
                ],
                ["restated statements of the same months", f"{restated_s:.2f} s", runs[1]],
                ["ratio", f"{sim_s / restated_s:.1f}", ""],
            ],
        )


def record(args: argparse.Namespace, first: str, last: str, rows: list[list[str]]) -> None:
    """Store this run's figures for docs/benchmarks.md (``scripts/bench/report.py``)."""
    from datetime import UTC, datetime

    from scripts.bench.report import save_result

    command = (
        f"python -m scripts.bench.simulate --data-dir DIR --runs {args.runs} --ratio {args.ratio}"
    )
    path = save_result("simulate", {
        "order": 50, "title": "Simulations", "script": "scripts/bench/simulate.py",
        "recorded": "by the script", "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commands": [command],
        "text": [f"`rmledger pay simulate` of every closed month ({first} to {last}) beside the restated "
                 "statements of the same months (`pay.restated_by_month`) in the same run; the draft is the "
                 "plan in force on the last closed month's last day as a new version effective from the "
                 f"first, with prepayment ratio {args.ratio}. Aim: under 10 s."],
        "tables": [{"headers": ["measured", "median", "runs"], "align": "lll", "rows": rows}],
    })  # fmt: skip
    print(f"stored in {path}")


if __name__ == "__main__":
    main()
