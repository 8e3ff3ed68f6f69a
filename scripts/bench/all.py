"""Every benchmark of the project at one size, each beside its baseline in the same run.

    python -m scripts.bench.all --size small|medium|large [--runs 3] [--seed 7]
                                [--work var/bench-SIZE] [--results docs/bench-results]

The synthetic bank of ``scripts.bank.generate`` is written once (cached in the work
directory), then each measurement runs in its own child process, ``--runs`` times,
and its median is reported:

========  ===============================================  ==============================================
name      measured                                         baseline
========  ===============================================  ==============================================
ingest    ``rmledger ingest``'s path on the bank file       the same lines inserted raw into SQLite, in
          (decode, rules, events, SQLite event store)       transactions of the same size, no rules
consume   ``scripts/bench/consume.py`` when present: a     the same process merely reading and decoding
          ``LedgerConsumer`` applying postings from Kafka   the topic (no ledger); it starts its own
          to a fresh SQLite store                           broker unless ``--bootstrap`` is given
rebuild   ``rmledger rebuild``: drop the DuckDB read model  merely reading every notification from the
          and replay the whole log into it                  event store, in the loader's pages
pay       every statement of the last closed month,         the SQL attribution and aggregation alone
          restated (SQL + the pay rules in Python)          (``projections.pay.attribution.monthly_aggregates_sql``)
audit     ``audit history`` and the departure audit of the  replaying that manager's aggregates (manager,
          busiest (departing) manager, on the read model    clients, handovers) through eventsourcing
========  ===============================================  ==============================================

The peak memory of each child is its ``ru_maxrss`` from ``os.wait4``. The result is
stored as ``RESULTS/all-SIZE.json`` and docs/benchmarks.md rendered again from every
stored result (``scripts/bench/report.py``), so the sizes measured at different times
sit side by side.

Each child's result is saved in ``WORK/results-SEED.json`` as soon as it is in;
``--resume`` keeps the saved ones and runs only the others (a long ``large`` run that
stopped half way need not start again).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.bench.report import RESULTS, Row, mib, render_all, save_result

ROOT = Path(__file__).resolve().parents[2]
RESULT = "BENCH-RESULT "
MEMORY_BOUND = 1.5 * 1024**3  # bytes: what the issue allows at 10,000,000 events
BATCH = 2000  # messages per transaction, as ``rmledger ingest``
# Postings produced to Kafka for the consume benchmark (the broker keeps them in memory).
CONSUME_POSTINGS = {"tiny": 2_000, "small": 50_000, "medium": 200_000, "large": 1_000_000}


# ---------------------------------------------------------------------------------
# The measurements, each run in a child process
# ---------------------------------------------------------------------------------


def _timed(run: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return times, result


def _store(work: Path) -> Path:
    return work / "store"


def _ledger(directory: Path) -> Any:
    from domain.ledger import Ledger
    from domain.store import ledger_env

    return Ledger(ledger_env(directory, {}))  # SQLite, whatever the shell's settings


def child_ingest(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    """Ingest the bank into a fresh store each run; the first run's store is kept."""
    from consumers.jsonl import ingest_files

    times, messages, events = [], 0, 0
    for run in range(runs):
        directory = work / f"store-run{run}"
        shutil.rmtree(directory, ignore_errors=True)
        ledger = _ledger(directory)
        started = time.perf_counter()
        summary = ingest_files(ledger, [bank], BATCH)
        times.append(time.perf_counter() - started)
        assert not summary.rejected, summary.as_json()["rejected"][:3]
        messages, events = summary.applied, ledger.recorder.max_notification_id() or 0
        ledger.close()
        print(f"  ingest run {run + 1}/{runs}: {times[-1]:.1f} s", file=sys.stderr)
        if run == 0:
            shutil.rmtree(_store(work), ignore_errors=True)
            directory.rename(_store(work))
        else:
            shutil.rmtree(directory)
    size = (_store(work) / "events.sqlite").stat().st_size
    return {"seconds": times, "messages": messages, "events": events, "store_bytes": size}


def child_ingest_baseline(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    """The bank's lines as rows of a table shaped like the event store's, no rules."""
    times, count = [], 0
    for run in range(runs):
        path = work / f"raw-run{run}.sqlite"
        for stale in work.glob(f"raw-run{run}.sqlite*"):
            stale.unlink()
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(
            "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, topic TEXT, "
            "state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )
        started = time.perf_counter()
        count = 0
        with bank.open("rb") as lines:
            batch: list[tuple[str, int, str, bytes]] = []
            for line in lines:
                batch.append((str(uuid.uuid4()), 1, "raw", line))
                if len(batch) >= BATCH:
                    with connection:
                        connection.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", batch)
                    count += len(batch)
                    batch = []
            if batch:
                with connection:
                    connection.executemany("INSERT INTO raw VALUES (?, ?, ?, ?)", batch)
                count += len(batch)
        times.append(time.perf_counter() - started)
        connection.close()
        for done in work.glob(f"raw-run{run}.sqlite*"):
            done.unlink()
    return {"seconds": times, "messages": count}


def child_rebuild(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from projections.readmodel.loader import ReadModel

    ledger = _ledger(_store(work))
    path = _store(work) / "read_model.duckdb"

    def first_build() -> int:
        with ReadModel(path) as model:
            return model.catch_up(ledger)

    def rebuild() -> int:
        with ReadModel(path) as model:
            return model.rebuild(ledger)

    # `rmledger rebuild` is run on a read model that exists, and keeps its hash chain
    # (log_chain); the first build also computes the chain. Timing that as a rebuild
    # made the single run of `--runs 1` a first build, so it is made (and reported)
    # apart, before the timed rebuilds.
    first_build_seconds = _timed(first_build, 1)[0][0] if not path.exists() else None
    times, position = _timed(rebuild, runs)
    with ReadModel(path) as model:
        row = model.conn.execute("SELECT count(*) FROM events").fetchone()
    ledger.close()
    return {
        "seconds": times,
        "events": row[0] if row else 0,
        "position": position,
        "read_model_bytes": path.stat().st_size,
        "first_build_seconds": first_build_seconds,
    }


def child_rebuild_baseline(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from scripts.bench.projections import raw_read

    ledger = _ledger(_store(work))
    times, count = _timed(lambda: raw_read(ledger), runs)
    ledger.close()
    return {"seconds": times, "events": count}


def _caught_up(work: Path) -> tuple[Any, Any]:
    from projections.readmodel.loader import ReadModel

    ledger = _ledger(_store(work))
    model = ReadModel(_store(work) / "read_model.duckdb")
    model.catch_up(ledger)
    return ledger, model


def _last_closed(model: Any) -> str:
    row = model.conn.execute("SELECT max(period) FROM periods_closed").fetchone()
    assert row is not None and row[0] is not None, "no month was closed"
    return str(row[0])


def child_pay(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from projections.pay.statements import statements

    ledger, model = _caught_up(work)
    period = _last_closed(model)
    times, rows = _timed(lambda: statements(model, period, restated=True), runs)
    model.close()
    ledger.close()
    return {"seconds": times, "period": period, "statements": len(rows)}


def child_pay_baseline(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from domain.values import month_bounds
    from projections.pay.attribution import monthly_aggregates_sql

    ledger, model = _caught_up(work)
    period = _last_closed(model)
    sql, params = monthly_aggregates_sql(month_bounds(period)[1])
    times, rows = _timed(lambda: model.conn.execute(sql, params).fetchall(), runs)
    model.close()
    ledger.close()
    return {"seconds": times, "period": period, "rows": len(rows)}


def _audit_managers(model: Any, ledger: Any) -> tuple[str, str]:
    from projections.audit.views import create_audit_views
    from projections.readmodel.chain import catch_up_chain
    from scripts.bench.audit import pick_managers

    catch_up_chain(model.conn, ledger.recorder)
    create_audit_views(model.conn)
    return pick_managers(model.conn)


def child_audit(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from projections.audit.departure import departure_audit
    from projections.audit.history import manager_history

    ledger, model = _caught_up(work)
    busiest, leaving = _audit_managers(model, ledger)
    history, facts = _timed(lambda: manager_history(model.conn, busiest), runs)
    departure, report = _timed(lambda: departure_audit(model.conn, leaving), runs)
    model.close()
    ledger.close()
    return {
        "seconds": history,
        "departure_seconds": departure,
        "manager": busiest,
        "departing": leaving,
        "facts": len(facts["facts"]),
        "credits": len(facts["credits"]),
        "book": len(report["book"]),
        "findings": len(report["findings"]),
    }


def child_audit_baseline(work: Path, bank: Path, runs: int) -> dict[str, Any]:
    from scripts.bench.audit import replay

    ledger, model = _caught_up(work)
    busiest, _ = _audit_managers(model, ledger)
    model.close()
    times, replayed = _timed(lambda: replay(ledger, busiest), runs)
    ledger.close()
    return {
        "seconds": times,
        "manager": busiest,
        "clients": len(replayed["clients"]),
        "handovers": len(replayed["handovers"]),
    }


CHILDREN: dict[str, Callable[[Path, Path, int], dict[str, Any]]] = {
    "ingest": child_ingest,
    "ingest-baseline": child_ingest_baseline,
    "rebuild": child_rebuild,
    "rebuild-baseline": child_rebuild_baseline,
    "pay": child_pay,
    "pay-baseline": child_pay_baseline,
    "audit": child_audit,
    "audit-baseline": child_audit_baseline,
}


# ---------------------------------------------------------------------------------
# The parent: children, their peak memory, the table
# ---------------------------------------------------------------------------------


@dataclass
class Child:
    """What one child process reported, and its peak resident memory."""

    name: str
    result: dict[str, Any]
    peak_bytes: int
    wall: float

    def median(self, key: str = "seconds") -> float:
        return statistics.median(self.result[key])


def run_child(args: list[str], name: str, fatal: bool = True) -> Child:
    """Run ``python -m scripts.bench.all --child NAME ...`` (or another command) and
    collect its result line and its own ``ru_maxrss`` (kilobytes on Linux, and the
    largest of its own waited-for children included). A failure stops the run, or
    with ``fatal=False`` is returned as ``{"failed": status, "output": ...}``."""
    command = (
        [sys.executable, "-m", "scripts.bench.all", "--child", name, *args]
        if args[:1] != ["-m"]
        else [sys.executable, *args]
    )
    print(f"- {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        if fatal:
            raise SystemExit(f"{name} failed with exit status {process.returncode}:\n{output}")
        return Child(
            name, {"failed": process.returncode, "output": output}, usage.ru_maxrss * 1024, wall
        )
    lines = [line for line in output.splitlines() if line.startswith(RESULT)]
    result = json.loads(lines[-1][len(RESULT) :]) if lines else {"output": output}
    peak = usage.ru_maxrss * 1024
    print(f"  {name}: {wall:.1f} s, peak memory {mib(peak)}", file=sys.stderr, flush=True)
    return Child(name, result, peak, wall)


def per_second(count: int, seconds: float, unit: str) -> str:
    return f"{count / seconds:,.0f} {unit}/s" if seconds else "-"


def machine() -> str:
    import duckdb

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return (
        f"{os.cpu_count()} × {cpu}, {memory / 1024**3:.0f} GiB RAM; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, DuckDB {duckdb.__version__}, {platform.system()} "
        f"{platform.release()}"
    )


def consume_line(child: Child | None, postings: int, command: str) -> tuple[Row | None, str | None]:
    """The consume row, from what ``scripts/bench/consume.py`` prints (its medians of
    "read + decode only" and "consume to stored events", in messages/s)."""
    if child is None:
        return None, None
    output = str(child.result.get("output", ""))
    rates = {
        label: float(value.replace(",", ""))
        for label, value in re.findall(
            r"^\s*(read \+ decode only|consume to stored events):\s*([\d,.]+) messages/s",
            output,
            re.MULTILINE,
        )
    }
    if "failed" in child.result or len(rates) != 2:
        tail = "\n".join(output.strip().splitlines()[-15:])
        return None, (
            f"consume (Kafka): `python {command}` failed or printed no medians "
            f"(exit status {child.result.get('failed', 0)}):\n\n```\n{tail}\n```"
        )
    consume, read = rates["consume to stored events"], rates["read + decode only"]
    row = Row(
        "consume",
        f"`rmledger consume`'s `LedgerConsumer`: {postings:,} postings from Kafka to a "
        "fresh SQLite store",
        postings / consume,
        f"{consume:,.0f} messages/s",
        "reading and decoding the same records, no ledger",
        postings / read,
        f"{read:,.0f} messages/s",
        child.peak_bytes,
        child.peak_bytes,
    )
    note = (
        f"consume: `python {command}` (a Tansu broker in memory, started by the script; the clock "
        "starts once the group has its partitions). It measures both sides in one process, so both "
        "memory columns show that process's peak (its broker included)."
    )
    return row, note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.all",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--size", default="small", help="tiny, small, medium, large, or a message count"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each measurement (median reported)"
    )
    parser.add_argument(
        "--work", type=Path, default=None, help="work directory (default var/bench-SIZE)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=RESULTS,
        help="where the result is stored; docs/benchmarks.md is rendered from it",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the results saved in the work directory by an earlier run of this size",
    )
    parser.add_argument(
        "--bootstrap",
        default=None,
        help="Kafka HOST:PORT for the consume benchmark (default: it starts a Tansu broker)",
    )
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--bank", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    work = (args.work or ROOT / "var" / f"bench-{args.size}").resolve()

    if args.child:
        result = CHILDREN[args.child](work, args.bank, args.runs)
        print(RESULT + json.dumps(result), flush=True)
        return 0

    from scripts.bank.generate import size_spec, write_jsonl

    size_spec(args.size)  # fail now on an unknown size
    work.mkdir(parents=True, exist_ok=True)
    bank = work / f"bank-{args.seed}-{args.size}.jsonl"
    if not bank.exists():
        print(f"generating the {args.size} bank into {bank} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        partial = bank.with_suffix(".partial")
        write_jsonl(partial, args.seed, args.size)
        partial.rename(bank)
        print(f"  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    common = ["--work", str(work), "--bank", str(bank), "--runs", str(args.runs)]
    saved_path = work / f"results-{args.seed}.json"
    saved: dict[str, Any] = (
        json.loads(saved_path.read_text()) if args.resume and saved_path.exists() else {}
    )
    if saved.get("runs") != args.runs:
        saved = {
            "runs": args.runs,
            "children": {},
            "measured_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M}",
        }
    children: dict[str, Child] = {}
    names = [
        "ingest",
        "ingest-baseline",
        "rebuild",
        "rebuild-baseline",
        "pay",
        "pay-baseline",
        "audit",
        "audit-baseline",
    ]
    postings = CONSUME_POSTINGS.get(args.size) or min(int(args.size), 1_000_000)
    consume_args = [
        "-m",
        "scripts.bench.consume",
        "--postings",
        str(postings),
        "--runs",
        str(args.runs),
    ]
    if args.bootstrap:
        consume_args += ["--bootstrap", args.bootstrap]
    has_consume = (ROOT / "scripts" / "bench" / "consume.py").exists()
    for name in names + (["consume"] if has_consume else []):
        if name in saved["children"]:
            children[name] = Child(**saved["children"][name])
            print(f"- {name}: kept from {saved_path}", file=sys.stderr)
            continue
        children[name] = (
            run_child(consume_args, name, fatal=False)
            if name == "consume"
            else run_child(common, name)
        )
        saved["children"][name] = children[name].__dict__
        saved_path.write_text(json.dumps(saved, indent=1))
    notes: list[str] = []
    if not has_consume:
        notes.append(
            "consume (Kafka): skipped, `scripts/bench/consume.py` is not in this tree yet."
        )

    c = children
    ingest, raw = c["ingest"].result, c["ingest-baseline"].result
    rebuild, read = c["rebuild"].result, c["rebuild-baseline"].result
    pay, agg = c["pay"].result, c["pay-baseline"].result
    audit, replayed = c["audit"].result, c["audit-baseline"].result
    rows = [
        Row(
            "ingest",
            "`rmledger ingest` (decode, rules, events, SQLite store)",
            c["ingest"].median(),
            per_second(ingest["messages"], c["ingest"].median(), "messages"),
            "the same lines inserted raw into SQLite",
            c["ingest-baseline"].median(),
            per_second(raw["messages"], c["ingest-baseline"].median(), "rows"),
            c["ingest"].peak_bytes,
            c["ingest-baseline"].peak_bytes,
        ),
        Row(
            "rebuild",
            "`rmledger rebuild` (drop the DuckDB read model, replay the log)",
            c["rebuild"].median(),
            per_second(rebuild["events"], c["rebuild"].median(), "events"),
            "reading every notification of the store",
            c["rebuild-baseline"].median(),
            per_second(read["events"], c["rebuild-baseline"].median(), "events"),
            c["rebuild"].peak_bytes,
            c["rebuild-baseline"].peak_bytes,
        ),
        Row(
            "pay",
            f"{pay['statements']} statements of {pay['period']}, restated (SQL + pay rules)",
            c["pay"].median(),
            "",
            f"the SQL attribution and aggregation alone ({agg['rows']:,} rows)",
            c["pay-baseline"].median(),
            "",
            c["pay"].peak_bytes,
            c["pay-baseline"].peak_bytes,
        ),
        Row(
            "audit history",
            f"`audit history --manager {audit['manager']}` ({audit['facts']} facts, "
            f"{audit['credits']:,} credits)",
            c["audit"].median(),
            "",
            f"replaying {audit['manager']}'s aggregates ({replayed['clients']} clients, "
            f"{replayed['handovers']} handovers, no postings)",
            c["audit-baseline"].median(),
            "",
            c["audit"].peak_bytes,
            c["audit-baseline"].peak_bytes,
        ),
        Row(
            "departure audit",
            f"`audit departure --manager {audit['departing']}` ({audit['book']} roles, "
            f"{audit['findings']} findings)",
            c["audit"].median("departure_seconds"),
            "",
            "the same replay",
            c["audit-baseline"].median(),
            "",
            c["audit"].peak_bytes,
            c["audit-baseline"].peak_bytes,
        ),
    ]
    consume_row, consume_note = consume_line(
        children.get("consume"), postings, " ".join(consume_args)
    )
    if consume_row is not None:
        rows.insert(1, consume_row)
    if consume_note:
        notes.append(consume_note)
    peak = max(child.peak_bytes for child in children.values())
    notes.append(
        f"Store sizes: event store (SQLite) {mib(ingest['store_bytes'])}, read model (DuckDB) "
        f"{mib(rebuild['read_model_bytes'])}."
    )
    if rebuild.get("first_build_seconds"):
        notes.append(
            f"rebuild: the read model's first build, before the timed rebuilds (it also computes "
            f"the log's hash chain, which a rebuild keeps), took {rebuild['first_build_seconds']:.2f} s; "
            "the rebuild's peak memory includes it."
        )
    notes.append(
        f"Largest peak memory of any process: {mib(peak)} "
        f"({'within' if peak < MEMORY_BOUND else 'OVER'} the 1.5 GiB bound)."
    )
    notes.append(
        "The ingest baseline writes one row per message; the ledger writes "
        f"{ingest['events'] / ingest['messages']:.2f} events per message (receipts for "
        "idempotence) plus its aggregates' checks."
    )
    bank_info = {"messages": ingest["messages"], "events": ingest["events"]}
    command = f"python -m scripts.bench.all --size {args.size}" + (
        f" --runs {args.runs}" if args.runs != 3 else ""
    )
    measured_at = saved.get("measured_at") or f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
    for row in rows:  # the ratio from the unrounded medians, stored as measured
        row.ratio = row.measured_s / row.baseline_s if row.baseline_s else None
    result = {
        "size": args.size,
        "seed": args.seed,
        "runs": args.runs,
        "command": command,
        "measured_at": measured_at,
        "machine": machine(),
        "bank": bank_info,
        "rows": [asdict(row) for row in rows],
        "notes": notes,
    }
    path = save_result(f"all-{args.size}", result, args.results)
    print(render_all(result))
    print(f"stored in {path}; docs/benchmarks.md rendered again", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
