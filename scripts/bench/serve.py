"""The HTTP API under load: 50 clients against a real ``rmledger serve`` while an ingest runs.

    python -m scripts.bench.serve [--size medium|small] [--clients 50] [--postings 100000]
                                  [--seconds 20] [--runs 1] [--record]

The bank (``scripts/bank/generate.py``, seed 7) is ingested once into
``var/bench-serve/SIZE/store`` with one performance-office account and ten manager
accounts (``rmledger users add``); each run serves a copy of that store. The clients
(asyncio + aiohttp: an httpx client of 20 connections could not ask for more than
about 290 trivial answers a second on this machine, while the server gave wrk and
aiohttp 1,900 to 2,300: the clients measured themselves) ask in turn for *my pay* (``GET /api/v1/statements?period=P&manager=own
id``), the explanation and the history of their own manager, and all statements of the
month as the performance office, on the last closed month. Three phases per run:

1. ``http``: the clients over HTTP for ``--seconds``, the server otherwise idle;
2. ``in-process``: the same reads, the same mix and as many concurrent callers (threads),
   called as ``scripts/web/reads.py`` functions with a ``Principal`` on the server's own
   ``ServerState`` (scope and access log included), timed the same way;
3. ``http + ingest``: the clients over HTTP while ``rmledger ingest`` books ``--postings``
   postings for existing clients (January after the bank's last closed month) in a
   subprocess, until the pages are current: an answer (the history of the first
   manager, asked every 0.1 s as the performance office on a connection of its own)
   that says the log position of the ingest's last posting or a later one.

Prints requests/s, p50/p95/p99 latency and errors of each phase, the ratio of the HTTP
medians to the in-process ones (the cost of HTTP, tokens and the server's thread pool),
and how long after the ingest ended the server was current. Aims: p95 under 150 ms, no
errors, current within 2 s. ``--record`` stores the medians of the runs in
docs/bench-results/serve.json and renders docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from domain.principal import MANAGER, PERFORMANCE_OFFICE, Principal
from domain.store import ledger_env
from domain.store_settings import open_ledger
from projections.readmodel.access import ReadModelAccess
from scripts.web import reads

ROOT = Path(__file__).resolve().parents[2]
RMLEDGER = str(Path(sys.executable).with_name("rmledger"))
OFFICE = "bench-office"
MANAGER_ACCOUNTS = 10
OPS = ("my pay", "explanation", "history", "month (office)")
AIM_P95_S, AIM_CURRENT_S = 0.150, 2.0


def run_cli(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """``rmledger --data-dir DIR ARGS``' output; a failure stops the benchmark."""
    done = subprocess.run(
        [RMLEDGER, "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise SystemExit(f"rmledger {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@dataclass
class Bank:
    """The prepared store: the month asked for, and the managers bound to the accounts."""

    store: Path
    period: str
    managers: list[str]
    clients: list[str]


def prepare(size: str, work: Path) -> Bank:
    """The bank generated and ingested once, with its accounts (kept in ``work``)."""
    from scripts.bank.generate import write_jsonl

    folder = work / size
    store, bank = folder / "store", folder / "bank.jsonl"
    ready = folder / "ready.json"
    if not ready.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if not bank.exists():
            write_jsonl(str(bank), 7, size)
        if not (store / "ingested").exists():
            shutil.rmtree(store, ignore_errors=True)
            run_cli(store, "ingest", str(bank))
            (store / "ingested").touch()
        clients = []
        with bank.open(encoding="utf-8") as lines:
            for line in lines:
                if '"client.registered"' in line:
                    clients.append(json.loads(line)["client_id"])
        period, managers = month_and_managers(store)
        run_cli(store, "users", "add", OFFICE, "--role", PERFORMANCE_OFFICE)
        for n, manager in enumerate(managers):
            run_cli(store, "users", "add", f"bench-m{n}", "--role", MANAGER, "--manager", manager)
        ReadModelAccess(store / "read_model.duckdb", _ledger(store)).catch_up()
        ready.write_text(json.dumps({"period": period, "managers": managers, "clients": clients}))
    facts = json.loads(ready.read_text())
    return Bank(store, facts["period"], facts["managers"], facts["clients"])


def _ledger(store: Path) -> Any:
    return open_ledger(ledger_env(store, create=False), create=False)


def month_and_managers(store: Path) -> tuple[str, list[str]]:
    """The last closed month, and the first managers with a statement in it."""
    access = ReadModelAccess(store / "read_model.duckdb", _ledger(store))
    access.catch_up()
    rm = access.read(catch_up=False)
    try:
        row = rm.conn.execute("SELECT max(period) FROM periods_closed").fetchone()
        if row is None or row[0] is None:
            raise SystemExit(f"no month is closed in {store}")
        period = row[0]
        office = Principal(OFFICE, PERFORMANCE_OFFICE)
        source = _Source(access, store / "read_model.duckdb")
        rows = reads.statements(source, office, period, record=lambda *_: None)
    finally:
        rm.close()
    return str(period), sorted({r["manager_id"] for r in rows})[:MANAGER_ACCOUNTS]


@dataclass
class _Source:
    """The read model for ``reads`` before any server runs."""

    access: ReadModelAccess
    read_model_path: Path

    def read_model(self) -> Any:
        return self.access.read(catch_up=False)

    def file_read_model(self) -> Any:
        return self.access.read(catch_up=False)


def write_postings(path: Path, clients: list[str], count: int, run: int) -> None:
    """``count`` postings for the bank's clients, dated in the month after its last."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            posting = {
                "type": "posting.booked",
                "id": f"bench-serve-{run}-{i}",
                "client_id": clients[i % len(clients)],
                "category": "loan_interest",
                "amount": f"{100 + i % 900}.{i % 100:02d}",
                "value_date": f"2026-01-{1 + i % 28:02d}",
            }
            out.write(json.dumps(posting) + "\n")


@dataclass
class Phase:
    """One phase's samples: (operation, seconds, ok) per request, and its wall time."""

    name: str
    samples: list[tuple[str, float, bool]] = field(default_factory=list)
    wall_s: float = 0.0
    advances: list[float] = field(default_factory=list)  # when the read model moved

    def quantiles(self, op: str | None = None) -> tuple[float, float, float]:
        """p50, p95, p99 in seconds (of one operation when given)."""
        times = [s for o, s, ok in self.samples if ok and (op is None or o == op)]
        if len(times) < 2:
            return (float("nan"),) * 3
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        return cuts[49], cuts[94], cuts[98]

    @property
    def errors(self) -> int:
        return sum(1 for _, _, ok in self.samples if not ok)

    @property
    def rate(self) -> float:
        return len(self.samples) / self.wall_s if self.wall_s else 0.0


Call = Callable[[int, str], Awaitable[bool]]


async def drive(phase: Phase, clients: int, call: Call, stop: asyncio.Event) -> None:
    """``clients`` callers, each asking the operations in turn until ``stop``."""

    async def caller(i: int) -> None:
        n = i
        while not stop.is_set():
            op = OPS[n % len(OPS)]
            n += 1
            start = time.perf_counter()
            try:
                ok = await call(i, op)
            except Exception:  # an error is a sample too: counted, not fatal
                ok = False
            phase.samples.append((op, time.perf_counter() - start, ok))

    start = time.perf_counter()
    await asyncio.gather(*(caller(i) for i in range(clients)))
    phase.wall_s = time.perf_counter() - start


def http_call(http: aiohttp.ClientSession, bank: Bank, tokens: dict[str, str]) -> Call:
    """One request of an operation, as client ``i`` (bound to manager ``i mod 10``),
    its answer read whole."""

    async def call(i: int, op: str) -> bool:
        n = i % len(bank.managers)
        m, p = bank.managers[n], bank.period
        who = OFFICE if op == "month (office)" else f"bench-m{n}"
        url = {
            "my pay": f"/api/v1/statements?period={p}&manager={m}",
            "explanation": f"/api/v1/statements/{m}/{p}/explain",
            "history": f"/api/v1/managers/{m}/history",
            "month (office)": f"/api/v1/statements?period={p}",
        }[op]
        async with http.get(url, headers={"Authorization": f"Bearer {tokens[who]}"}) as r:
            await r.read()
            return r.status == 200

    return call


def session(port: int, connections: int) -> aiohttp.ClientSession:
    """A client of the server on ``port`` with up to ``connections`` kept connections."""
    return aiohttp.ClientSession(
        f"http://127.0.0.1:{port}",
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=120),
    )


async def health_position(http: aiohttp.ClientSession) -> int:
    """``/healthz``'s position: the log position the server's read model has loaded."""
    async with http.get("/healthz") as r:
        return int((await r.json())["position"])


def in_process_call(state: Any, bank: Bank) -> Call:
    """The same operation called as ``scripts/web/reads.py`` does for the route, in a thread."""

    def read(i: int, op: str) -> bool:
        n = i % len(bank.managers)
        m, p = bank.managers[n], bank.period
        own = Principal(f"bench-m{n}", MANAGER, m)
        if op == "my pay":
            reads.statements(state, own, p, m, record=state.record)
        elif op == "explanation":
            reads.explanation(state, own, m, p, record=state.record)
        elif op == "history":
            reads.history(state, own, m, record=state.record)
        else:
            reads.statements(state, Principal(OFFICE, PERFORMANCE_OFFICE), p, record=state.record)
        return True

    async def call(i: int, op: str) -> bool:
        return await asyncio.to_thread(read, i, op)

    call.read = read  # type: ignore[attr-defined]  # for ``alone``
    return call


@dataclass
class _Computing:
    """The server's state without its kept answers: every read computes."""

    state: Any

    def read_model(self) -> Any:
        return self.state.read_model()

    def file_read_model(self) -> Any:
        return self.state.file_read_model()

    def record(self, *line: Any) -> None:
        self.state.record(*line)


def alone(state: Any, call: Any, bank: Bank, repeat: int = 7) -> dict[str, float]:
    """What one read costs with nobody else asking: the median seconds of each
    operation in-process, one call at a time, as kept and as computed, and of opening
    and closing a snapshot of the read model."""
    costs = {}
    computing = in_process_call(_Computing(state), bank)
    for op in OPS:
        for label, how in (("kept", call), ("computed", computing)):
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                how.read(0, op)  # type: ignore[union-attr]
                times.append(time.perf_counter() - start)
            costs[f"{op}, {label}"] = statistics.median(times)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        snapshot = state.read_model()
        snapshot.conn.execute("SELECT 1").fetchall()  # a snapshot begins at its first use
        snapshot.close()
        times.append(time.perf_counter() - start)
    costs["beginning and ending a snapshot"] = statistics.median(times)
    return costs


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_healthy(http: aiohttp.ClientSession, server: subprocess.Popen[bytes]) -> None:
    """Until ``/healthz`` answers (the server has caught up once and listens)."""
    end = time.monotonic() + 600
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"rmledger serve exited with {server.returncode}")
        try:
            await health_position(http)
            return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)  # polling for a condition
    raise SystemExit("rmledger serve did not answer within 600 s")


@dataclass
class Run:
    """One run's three phases, and the ingest's figures."""

    http: Phase
    in_process: Phase
    loaded: Phase
    ingest_s: float = 0.0
    current_after_s: float = 0.0
    load: tuple[float, float] = (0.0, 0.0)
    alone: dict[str, float] = field(default_factory=dict)


async def ingest_under_load(
    health: aiohttp.ClientSession,
    call: Call,
    args: argparse.Namespace,
    store: Path,
    postings: Path,
    page: Callable[[], Awaitable[int]],
) -> tuple[Phase, float, float]:
    """Phase 3: the clients while ``rmledger ingest`` runs, until the pages are current.
    Returns the phase, the ingest's seconds and the seconds from its end to current:
    until ``page()`` (the log position an answer says it was read at) reaches the
    position of the ingest's last posting. ``health`` and ``page`` use connections of
    their own: in the clients' pool they would wait behind their requests, and measure
    that wait."""
    phase, stop = Phase("http + ingest"), asyncio.Event()
    clients = asyncio.create_task(drive(phase, args.clients, call, stop))
    started = time.perf_counter()
    watching = asyncio.create_task(watch(health, stop))
    ingest = await asyncio.create_subprocess_exec(
        RMLEDGER, "--data-dir", str(store), "ingest", str(postings),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await ingest.communicate()
    ended = time.perf_counter()
    if ingest.returncode != 0:
        stop.set()
        raise SystemExit(f"the ingest failed:\n{output.decode()}")
    head = last_posting_position(store)
    while await page() < head:
        await asyncio.sleep(0.1)  # polling for a condition
    current = time.perf_counter()
    stop.set()
    await clients
    phase.advances = await watching
    return phase, ended - started, current - ended


def last_posting_position(store: Path) -> int:
    """The log position of the last posting booked in ``store`` (the ingest's last).
    The access log goes on growing behind it while the clients read."""
    ledger = _ledger(store)
    try:
        head = int(ledger.recorder.max_notification_id() or 0)
        for notification in ledger.recorder.select_notifications(
            max(head - 10_000, 1), 10_000, stop=head
        )[::-1]:
            if notification.topic.endswith("Posting.Booked"):
                return int(notification.id)
    finally:
        ledger.close()
    raise SystemExit("no posting among the log's last 10,000 events")


def page_position(
    http: aiohttp.ClientSession, bank: Bank, token: str
) -> Callable[[], Awaitable[int]]:
    """The position the first manager's history says it was read at, as the office."""

    async def position() -> int:
        url = f"/api/v1/managers/{bank.managers[0]}/history"
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as r:
            return int((await r.json())["position"])

    return position


async def watch(http: aiohttp.ClientSession, stop: asyncio.Event) -> list[float]:
    """When ``/healthz``'s position moved (seconds from the start), polled until ``stop``:
    how often the follower got to load while the clients read."""
    start, moves, last = time.perf_counter(), [], None
    while not stop.is_set():
        position = await health_position(http)
        if last is not None and position != last:
            moves.append(time.perf_counter() - start)
        last = position
        await asyncio.sleep(0.2)  # sampling
    return moves


async def one_run(args: argparse.Namespace, bank: Bank, run: int) -> Run:
    """A copy of the prepared store served, and the three phases against it."""
    from scripts.web.settings import Settings
    from scripts.web.state import ServerState

    # the in-process callers are threads, as many as the clients
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(args.clients))
    store = bank.store.parent / "run"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(bank.store, store)
    postings = bank.store.parent / "postings.jsonl"
    write_postings(postings, bank.clients, args.postings, run)
    key = secrets.token_bytes(32)
    env = {"RMLEDGER_TOKEN_KEY": key.hex()}
    names = [OFFICE, *(f"bench-m{n}" for n in range(len(bank.managers)))]
    tokens = {n: run_cli(store, "users", "token", n, "--ttl", "4h", env=env).strip() for n in names}
    port = free_port()
    with (store / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [RMLEDGER, "--data-dir", str(store), "serve", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env},
        )  # fmt: skip
    load_before = os.getloadavg()[0]
    try:
        async with session(port, args.clients) as http:
            await wait_healthy(http, server)
            call = http_call(http, bank, tokens)
            quiet = Phase("http")
            await timed(quiet, args, call)
            state = ServerState(Settings(data_dir=store, token_keys=(key,)))
            try:
                inproc, direct = Phase("in-process"), in_process_call(state, bank)
                await timed(inproc, args, direct)
                costs = await asyncio.to_thread(alone, state, direct, bank)
            finally:
                state.close()
            async with session(port, 2) as health:
                page = page_position(health, bank, tokens[OFFICE])
                loaded, ingest_s, current_s = await ingest_under_load(
                    health, call, args, store, postings, page
                )
    finally:
        server.terminate()
        server.wait(timeout=120)
    load = (load_before, os.getloadavg()[0])
    return Run(quiet, inproc, loaded, ingest_s, current_s, load, costs)


async def timed(phase: Phase, args: argparse.Namespace, call: Call) -> None:
    """``drive`` for ``--seconds``."""
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(args.seconds, stop.set)
    await drive(phase, args.clients, call, stop)


def ms(seconds: float) -> str:
    """Milliseconds, with a tenth below ten."""
    return f"{seconds * 1000:,.1f} ms" if seconds < 0.01 else f"{seconds * 1000:,.0f} ms"


def phase_line(phase: Phase) -> str:
    p50, p95, p99 = phase.quantiles()
    per_op = ", ".join(
        f"{op} {ms(phase.quantiles(op)[0])}/{ms(phase.quantiles(op)[1])}" for op in OPS
    )
    return (
        f"{phase.name:14} {len(phase.samples):6} requests  {phase.rate:6.1f}/s  p50 {ms(p50)}  "
        f"p95 {ms(p95)}  p99 {ms(p99)}  errors {phase.errors}  (p50/p95 by read: {per_op})"
    )


def summary_rows(runs: list[Run]) -> list[list[str]]:
    """The table's rows: each phase's medians over the runs."""
    med = statistics.median
    rows = []
    for pick in (lambda r: r.http, lambda r: r.in_process, lambda r: r.loaded):
        phases = [pick(r) for r in runs]
        q = [p.quantiles() for p in phases]
        rows.append(
            [
                phases[0].name,
                f"{med(p.rate for p in phases):,.1f}",
                ms(med(x[0] for x in q)),
                ms(med(x[1] for x in q)),
                ms(med(x[2] for x in q)),
                str(sum(p.errors for p in phases)),
                " · ".join(f"{op} {ms(med(p.quantiles(op)[0] for p in phases))}" for op in OPS),
            ]
        )
    return rows


def verdicts(runs: list[Run], clients: int) -> list[str]:
    """The aims, met or not, on the loaded phase's medians, and what dominates."""
    med = statistics.median
    p95 = med(r.loaded.quantiles()[1] for r in runs)
    errors = sum(r.loaded.errors for r in runs)
    current = med(r.current_after_s for r in runs)
    mix = med(statistics.mean(r.alone[f"{op}, computed"] for op in OPS) for r in runs)
    kept = med(statistics.mean(r.alone[f"{op}, kept"] for op in OPS) for r in runs)
    rate = med(r.loaded.rate for r in runs)
    return [
        f"p95 under load {ms(p95)}: aim under {ms(AIM_P95_S)} "
        + ("met" if p95 < AIM_P95_S else "NOT met"),
        f"errors under load {errors}: aim none " + ("met" if errors == 0 else "NOT met"),
        f"current {current:.2f} s after the ingest ended: aim within {AIM_CURRENT_S:.0f} s "
        + ("met" if current <= AIM_CURRENT_S else "NOT met"),
        f"What dominates: a read of the mix costs {ms(mix)} to compute and {ms(kept)} when kept "
        f"(alone, in-process, mean of the four reads); the server answers about {rate:.0f} "
        f"requests/s under load and {clients} clients "
        f"wait in line: {ms(clients / rate if rate else float('nan'))} is the wait Little's law "
        "predicts (clients / requests/s).",
    ]


def main(argv: list[str] | None = None) -> int:
    """Prepare the bank, run, print the figures (and store them with ``--record``)."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.serve", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--size", default="medium", choices=("small", "medium"))
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--postings", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="of each quiet phase")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench-serve")
    parser.add_argument("--record", action="store_true", help="store in docs/bench-results")
    args = parser.parse_args(argv)
    bank = prepare(args.size, args.work)
    print(f"bank {args.size}: month {bank.period}, managers {', '.join(bank.managers)}")
    runs = []
    for n in range(args.runs):
        run = asyncio.run(one_run(args, bank, n))
        runs.append(run)
        print(f"run {n + 1}/{args.runs} (load average {run.load[0]:.1f} -> {run.load[1]:.1f})")
        for phase in (run.http, run.in_process, run.loaded):
            print("  " + phase_line(phase))
        print(f"  ingest of {args.postings:,} postings {run.ingest_s:.1f} s; "
              f"current {run.current_after_s:.2f} s after it ended")  # fmt: skip
        moves = ", ".join(f"{t:.1f}" for t in run.loaded.advances)
        print(f"  the read model moved at {moves} s from the ingest's start")
        print(
            "  one at a time, in-process: "
            + ", ".join(f"{k} {ms(v)}" for k, v in run.alone.items())
        )
    med = statistics.median
    ratio = med(r.http.quantiles()[0] / r.in_process.quantiles()[0] for r in runs)
    print(f"HTTP p50 / in-process p50 (quiet): {ratio:.2f}")
    for line in verdicts(runs, args.clients):
        print(line)
    if args.record:
        record(args, bank, runs, ratio)
    return 0


def record(args: argparse.Namespace, bank: Bank, runs: list[Run], ratio: float) -> None:
    """Store the medians for docs/benchmarks.md (``scripts/bench/report.py``)."""
    from datetime import UTC, datetime

    from scripts.bench.report import save_result

    med = statistics.median
    loads = [x for r in runs for x in r.load]
    command = (
        f"python -m scripts.bench.serve --size {args.size} --clients {args.clients} "
        f"--postings {args.postings} --seconds {args.seconds:g} --runs {args.runs} --record"
    )
    path = save_result("serve", {
        "order": 60, "title": "The HTTP API under load", "script": "scripts/bench/serve.py",
        "recorded": "by the script", "measured": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "commands": [command],
        "text": [
            f"A real `rmledger serve` on the `{args.size}` bank (seed 7), {args.clients} concurrent "
            f"clients (asyncio + aiohttp) asking in turn for *my pay*, the explanation and the history "
            f"of their own manager (ten manager accounts) and all statements of {bank.period} as the "
            f"performance office. Phases: `http` for {args.seconds:g} s on an otherwise idle server; "
            "`in-process`, the same reads and mix as `scripts/web/reads.py` calls with a `Principal` "
            "on the server's own `ServerState` (scope and access log included), as many threads; "
            f"`http + ingest`, while `rmledger ingest` books {args.postings:,} postings for existing "
            "clients in a subprocess, until the pages are current: the history of the first manager "
            "(asked every 0.1 s as the performance office) says the position of the ingest's last "
            f"posting or a later one. Medians of {args.runs} run(s); errors summed. Aims: p95 under 150 ms, no "
            "errors, current within 2 s.",
        ],
        "tables": [
            {"headers": ["phase", "requests/s", "p50", "p95", "p99", "errors", "p50 by read"],
             "align": "lrrrrrl", "rows": summary_rows(runs)},
            {"headers": ["measured", "median"], "align": "lr", "rows": [
                ["HTTP p50 / in-process p50 (quiet phases)", f"{ratio:.2f}"],
                [f"ingest of {args.postings:,} postings under load", f"{med(r.ingest_s for r in runs):.1f} s"],
                ["current after the ingest ended", f"{med(r.current_after_s for r in runs):.2f} s"],
            ]},
            {"headers": ["one read at a time, in-process, idle server", "median"], "align": "lr",
             "rows": [[k, ms(med(r.alone[k] for r in runs))] for k in runs[0].alone]},
        ],
        "notes": [
            *verdicts(runs, args.clients),
            "The read model the server reads moved "
            f"{med(len(r.loaded.advances) for r in runs):g} times (median) between the ingest's "
            "start and current, in `/healthz` polled every 0.2 s. The server reads its own read "
            "model through DuckDB snapshots while its follower loads (`projections/readmodel/live.py`), "
            "and keeps each answer per position of the log (`scripts/web/answers.py`).",
            f"Load average (1 min) {min(loads):.1f} to {max(loads):.1f} during the runs, "
            f"{os.cpu_count()} cores; the clients run on the same machine as the server.",
        ],
    })  # fmt: skip
    print(f"stored in {path}")


if __name__ == "__main__":
    sys.exit(main())
