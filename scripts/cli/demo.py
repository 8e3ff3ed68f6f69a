"""rmledger subcommands: demo and generate. Each module lists its click commands in COMMANDS.

``rmledger demo`` builds a synthetic bank from scratch and shows what the ledger does
with it; ``rmledger generate`` writes the same synthetic bank as JSON Lines, or
produces it to Kafka.

Where the demo writes: always ``<data-dir>/demo-<seed>``, wiped first. It never
touches anything else in the data directory, and it refuses to wipe a
``demo-<seed>`` directory that it did not make itself (no marker file) and that is not
empty. The demo always uses an SQLite event store in that directory, whatever
``PERSISTENCE_MODULE`` says, so it can never write into a production PostgreSQL store.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from projections.audit.common import counted
from projections.escape import terminal
from scripts.bank.generate import SIZES, generate, size_spec, write_jsonl
from scripts.cli.context import Context
from scripts.cli.demo_users import DemoUser, add_demo_users, first_manager
from scripts.cli.options import HOST_PORT, IDENT, SafePath
from scripts.cli.output import check_target, current_data_dir, force_option, replacing

MARKER = ".rmledger-demo"
"""The file that says a directory was made by ``rmledger demo`` (and may be wiped)."""

TOP_FINDINGS = 6
TOP_UNATTRIBUTED = 5

# The order in which the demo shows a departure audit's findings: what an internal
# auditor would raise first (broken handover controls) before what only needs a look.
SEVERITY = (
    "client_still_held",
    "handover_unwitnessed",
    "handover_unfiled",
    "released_without_handover",
    "reversal_after_close",
    "large_outflow",
    "moved_in_near_month_end",
    "grade_fit_mismatch",
    "unattributed_postings",
)


MAX_TARGET = 100_000_000
"""The largest target message count a size may name (ten times the large size)."""


def _size(_: click.Context, __: click.Parameter, value: str) -> str:
    try:
        size_spec(value)
    except ValueError as error:
        raise click.BadParameter(terminal(str(error))) from None
    if value.isdigit() and int(value) > MAX_TARGET:
        raise click.BadParameter(f"a target message count is at most {MAX_TARGET:,}")
    return value


# ---------------------------------------------------------------------------------
# rmledger generate
# ---------------------------------------------------------------------------------


@click.command("generate")
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Random seed: same seed, same bytes."
)
@click.option(
    "--size",
    default="small",
    show_default=True,
    callback=_size,
    help=f"{', '.join(SIZES)}, or a target message count.",
)
@click.option(
    "--out",
    type=SafePath(dir_okay=False, path_type=Path),
    default=None,
    help="JSON Lines file to write (default bank.jsonl when --bootstrap is not given).",
)
@force_option
@click.option(
    "--bootstrap",
    type=HOST_PORT,
    default=None,
    help="Produce to Kafka at HOST:PORT instead of writing a file.",
)
@click.option(
    "--prefix",
    type=IDENT,
    default=None,
    help="Topic prefix with --bootstrap (default rmledger: rmledger.postings, ...).",
)
def generate_command(
    seed: int, size: str, out: Path | None, force: bool, bootstrap: str | None, prefix: str | None
) -> None:
    """Write a deterministic synthetic bank as JSON Lines, or produce it to Kafka."""
    started = time.perf_counter()
    if bootstrap is not None:
        if out is not None:
            raise click.UsageError("give --out or --bootstrap, not both")
        from consumers.producer import produce_messages
        from consumers.topics import DEFAULT_PREFIX

        count = produce_messages(bootstrap, generate(seed, size), prefix or DEFAULT_PREFIX)
        click.echo(
            f"produced {count} messages to {bootstrap} (topics {prefix or DEFAULT_PREFIX}.*) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        return
    if prefix is not None:
        raise click.UsageError("--prefix goes with --bootstrap")
    path = out or Path("bank.jsonl")
    check_target(path, current_data_dir(), force)
    with replacing(path, force) as temp:
        count = write_jsonl(temp, seed, size)
    click.echo(
        f"wrote {count} messages to {terminal(str(path))} in {time.perf_counter() - started:.1f} s"
    )


# ---------------------------------------------------------------------------------
# rmledger demo
# ---------------------------------------------------------------------------------


def prepare_directory(directory: Path) -> None:
    """Wipe a previous demo's directory and make a new one with the marker file."""
    if directory.exists():
        if not directory.is_dir():
            raise click.ClickException(f"{directory} exists and is not a directory")
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise click.ClickException(
                f"{directory} is not empty and was not made by `rmledger demo`: "
                "the demo will not wipe it; move it away or give another --data-dir"
            )
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    (directory / MARKER).write_text(
        "made by `rmledger demo`; the next demo with this seed wipes it\n"
    )


@dataclass
class Audited:
    """The departure audit chosen for the demo, and the HTML file written from it."""

    manager_id: str
    report: dict[str, Any]
    html: Path


@dataclass
class Shown:
    """What the demo found, for the commands it suggests next."""

    period: str | None = None
    as_of: date | None = None
    top_manager: str | None = None
    client: str | None = None
    audited: Audited | None = None
    timings: list[tuple[str, float]] = field(default_factory=list)


class Stopwatch:
    """Times the demo's steps for the closing summary."""

    def __init__(self, shown: Shown) -> None:
        self.shown = shown
        self.started = time.perf_counter()

    def lap(self, step: str) -> float:
        now = time.perf_counter()
        elapsed = now - self.started
        self.shown.timings.append((step, elapsed))
        self.started = now
        return elapsed


def heading(text: str) -> None:
    click.echo("")
    click.secho(text, bold=True)


def last_closed_month(conn: Any) -> str | None:
    row = conn.execute("SELECT max(period) FROM periods_closed").fetchone()
    return str(row[0]) if row and row[0] is not None else None


def month_last_day(period: str) -> date:
    from domain.values import month_bounds

    return month_bounds(period)[1]


def show_pay(conn: Any, period: str, directory: Path, shown: Shown) -> None:
    """The month's statements as issued, their sum, and a chart of them."""
    from projections.pay.statements import statements
    from scripts.cli.pay import print_table
    from scripts.cli.pay_table import people

    rows = statements(conn, period)
    heading(f"Pay statements {period} (the last closed month), as issued")
    print_table(rows, people(conn.conn if hasattr(conn, "conn") else conn))
    total = sum((r["total"] for r in rows), Decimal("0"))
    performance = sum((r["performance_paid"] for r in rows), Decimal("0"))
    clawbacks = [r for r in rows if r["clawback_carried"] > 0]
    click.echo(
        f"{len(rows)} statements; total pay {total}, of which performance pay {performance}; "
        f"{len(clawbacks)} manager(s) carry a clawback into the next month"
    )
    if rows:
        shown.top_manager = max(rows, key=lambda r: (r["performance_paid"], r["manager_id"]))[
            "manager_id"
        ]
        chart = directory / f"pay-{period}.png"
        pay_chart(rows, period, chart)
        click.echo(f"chart: {chart.resolve()}")


def show_sign_offs_and_disputes(conn: Any, as_of: date) -> None:
    """Two lines on the workflows of contract version 2: which roles signed the closed
    months off, and how the disputes of issued statements stand on ``as_of``."""
    from projections.audit.disputes import disputes_on

    closed = conn.execute("SELECT count(*) FROM periods_closed").fetchone()[0]
    orders = Counter(
        " > ".join(roles)
        for (roles,) in conn.execute(
            "SELECT list(role ORDER BY position) FROM period_approvals GROUP BY period"
        ).fetchall()
    )
    signed = sum(orders.values())
    how = "; ".join(f"{n} by {order}" for order, n in sorted(orders.items()))
    acknowledged = conn.execute(
        "SELECT count(*), count(DISTINCT manager_id) FROM plan_acknowledgements"
    ).fetchone()
    click.echo(
        f"months signed off before their close: {signed} of {closed}"
        + (f" ({how})" if how else "")
        + f"; plan versions acknowledged {acknowledged[0]} time(s) by {acknowledged[1]} manager(s)"
    )
    disputes = disputes_on(conn, as_of)
    outcomes = Counter(d["outcome"] for d in disputes)
    upheld = sum((d["amount"] for d in disputes if d["amount"] is not None), Decimal("0"))
    overdue = sum(1 for d in disputes if d["overdue"])
    click.echo(
        f"{counted(len(disputes), 'dispute')} of issued statements by {as_of.isoformat()}: "
        f"{outcomes['upheld']} upheld (for {upheld:.2f} in all), {outcomes['rejected']} rejected, "
        f"{outcomes['open']} open, {overdue} of them overdue"
    )


def pay_chart(rows: list[dict[str, Any]], period: str, path: Path) -> None:
    """A stacked bar per manager: base, post, performance paid, awards (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Floats only here, for drawing: the statements themselves stay Decimal.
    def yuan(row: dict[str, Any], key: str) -> float:
        return float(row[key])

    parts = (
        ("base salary", "base_salary", "#4a5568"),
        ("post salary", "post_salary", "#a0aec0"),
        ("performance pay paid", "performance_paid", "#dd6b20"),
        ("awards", "awards", "#38a169"),
    )
    managers = [r["manager_id"] for r in rows]
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    bottom = [0.0] * len(rows)
    for label, key, colour in parts:
        heights = [yuan(r, key) for r in rows]
        ax.bar(managers, heights, bottom=bottom, label=label, color=colour, width=0.7)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    clawed = [i for i, r in enumerate(rows) if r["clawback_carried"] > 0]
    for i in clawed:
        ax.annotate(
            "clawback\ncarried",
            (i, bottom[i]),
            ha="center",
            va="bottom",
            fontsize=7,
            color="#c53030",
        )
    ax.set_title(
        f"Pay statements {period} by manager (as issued at the month's close)", fontsize=11
    )
    ax.set_ylabel("CNY")
    ax.tick_params(axis="x", rotation=60, labelsize=8)
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(min(0.0, min(bottom)), max(bottom, default=1.0) * 1.25)  # room for the legend
    ax.legend(fontsize=8, ncols=4, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, format="png", metadata={"Software": None})
    plt.close(fig)


def show_tiers(conn: Any, as_of: date, shown: Shown) -> None:
    from projections.tiers import classify as tier_rules

    rows = tier_rules.tiers(conn, as_of)
    tiers = Counter(r["tier"] for r in rows)
    levels = Counter(r["maintenance_level"] for r in rows)
    heading(f"Client tiers on {as_of.isoformat()}")
    click.echo(
        f"{counted(len(rows), 'client')}: "
        + ", ".join(f"{t} {tiers[t]}" for t in tier_rules.TIERS)
        + "; maintained at: "
        + ", ".join(f"{m} {levels[m]}" for m in tier_rules.MAINTENANCE_LEVELS)
    )
    vips = [r for r in rows if r["tier"] == "vip"]
    if vips:
        top = max(vips, key=lambda r: (r["aum"], r["client_id"]))
        shown.client = top["client_id"]
        click.echo(
            f"largest VIP by assets: {top['client_id']} (AUM {top['aum']:.2f}, "
            f"criteria {', '.join(top['criteria_met'])})"
        )
    elif rows:
        shown.client = rows[0]["client_id"]


def choose_departure(conn: Any) -> tuple[str, dict[str, Any]] | None:
    """The departed manager whose audit has the most findings (then the biggest book);
    a manager with only a departure request when nobody has left yet."""
    from projections.audit.departure import departure_audit

    ids = [
        r[0]
        for r in conn.execute("SELECT manager_id FROM departures ORDER BY manager_id").fetchall()
    ]
    if not ids:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT manager_id FROM departure_requests ORDER BY manager_id"
            ).fetchall()
        ]
    best: tuple[str, dict[str, Any]] | None = None
    for manager_id in ids:
        report = departure_audit(conn, manager_id)
        if best is None or (len(report["findings"]), len(report["book"])) > (
            len(best[1]["findings"]),
            len(best[1]["book"]),
        ):
            best = (manager_id, report)
    return best


def _severity(finding: dict[str, Any]) -> tuple[int, Decimal, str]:
    """Sort key: by kind (SEVERITY), then the largest amount first, then the subject."""
    kind = finding["kind"]
    rank = SEVERITY.index(kind) if kind in SEVERITY else len(SEVERITY)
    text = finding.get("amount")
    amount = Decimal(text) if isinstance(text, str) else Decimal("0")
    return rank, -amount, str(finding["subject"])


def show_findings(conn: Any, directory: Path, shown: Shown) -> None:
    """The departure audit of one leaver (findings, HTML file) and the bank's
    unattributed postings."""
    from domain.money import round_fen
    from projections.audit.report import FINDING_TITLES, render
    from projections.pay.statements import unattributed

    chosen = choose_departure(conn)
    if chosen is None:
        heading("Departure audit")
        click.echo("no manager has asked to leave in this bank: no departure audit")
    else:
        manager_id, report = chosen
        m, dep = report["manager"], report["departure"]
        heading(
            f"Departure audit of {manager_id} ({m['name']}, {m['grade_at_departure']}, "
            f"{dep['kind']}, last day {dep['last_day']})"
        )
        handed = sum(1 for b in report["book"] if b["left"]["how"] == "handover")
        loans = report["loans"]
        click.echo(
            f"book at the request: {len(report['book'])} role(s), {handed} handed over; "
            f"approvals complete: {'yes' if report['approvals']['complete'] else 'NO'}; "
            f"loans {loans['total_balance']} (non-performing {loans['non_performing_balance']}); "
            f"clawback still owed {report['pay']['clawback_owed']}"
        )
        findings = sorted(report["findings"], key=_severity)
        counts = ", ".join(f"{kind} {n}" for kind, n in report["finding_counts"].items()) or "none"
        click.echo(f"findings: {counts}")
        for f in findings[:TOP_FINDINGS]:
            click.echo(f"  - {FINDING_TITLES.get(f['kind'], f['kind'])}: {f['detail']}")
        if len(findings) > TOP_FINDINGS:
            click.echo(f"  ... and {len(findings) - TOP_FINDINGS} more in the report")
        html = directory / f"departure-audit-{manager_id}.html"
        html.write_text(render(report, "html"), encoding="utf-8")
        shown.audited = Audited(manager_id, report, html)
        click.echo(f"departure audit (HTML): {html.resolve()}")
        click.echo(
            f"  computed at event-log position {report['position']}, sha256 {report['sha256']}"
        )

    lines = unattributed(conn)
    heading("Postings nobody is paid for (dates with no primary manager)")
    if not lines:
        click.echo("none")
        return
    by_client: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_client.setdefault(line["client_id"], []).append(line)
    total = round_fen(sum((line["amount"] for line in lines), Decimal("0")))
    click.echo(f"{len(lines)} line(s) of {len(by_client)} client(s), {total} in all; the largest:")
    ranked = sorted(by_client.items(), key=lambda kv: (-sum(x["amount"] for x in kv[1]), kv[0]))
    for client_id, items in ranked[:TOP_UNATTRIBUTED]:
        amount = round_fen(sum((x["amount"] for x in items), Decimal("0")))
        first, last = items[0]["value_date"], items[-1]["value_date"]
        click.echo(f"  - {client_id}: {len(items)} line(s), {amount}, {first} to {last}")


def program_name() -> str:
    """How to type ``rmledger`` in this shell: the bare name when the shell's PATH finds
    this very installation, otherwise its path (``.venv/bin/rmledger`` when the
    virtualenv lies below the working directory: the README's set-up never activates
    it), so that the printed commands run exactly as printed."""
    installed = Path(sys.executable).parent / "rmledger"
    found = shutil.which("rmledger")
    if not installed.exists() or (
        found is not None and Path(found).resolve() == installed.resolve()
    ):
        return "rmledger"
    try:
        return shlex.quote(str(installed.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(installed))


def show_users(directory: Path, users: list[DemoUser]) -> None:
    """The demo's accounts, their passwords (shown once), and how to serve the demo."""
    base = f"{program_name()} --data-dir {shlex.quote(str(directory))}"
    heading("Users of the web application (passwords shown once)")
    for user in users:
        click.echo(
            f"  {user.username:<17} {user.role:<19} {terminal(user.bound):<16} {user.password}"
        )
    click.echo(f"a bearer token for one of them: {base} users token {users[0].username}")
    click.echo(f"serve the demo: {base} serve --port 8000   (then http://127.0.0.1:8000/api/v1/me)")


def next_commands(directory: Path, shown: Shown) -> list[str]:
    """The commands to try next, with this demo's data directory and ids."""
    base = f"{program_name()} --data-dir {shlex.quote(str(directory))}"
    out = []
    if shown.period:
        out.append(f"{base} pay --period {shown.period}")
        if shown.top_manager:
            out.append(f"{base} pay explain --manager {shown.top_manager} --period {shown.period}")
            out.append(
                f"{base} pay --period {shown.period} --manager {shown.top_manager} --restated --json"
            )
    if shown.as_of:
        out.append(
            f"{base} tiers --as-of {shown.as_of.isoformat()}"
            + (f" --client {shown.client}" if shown.client else "")
        )
    if shown.audited:
        mid = shown.audited.manager_id
        out.append(f"{base} audit history --manager {mid}")
        out.append(f"{base} audit departure --manager {mid} --format md")
    out.append(
        f"{base} sql "
        + shlex.quote(
            "SELECT period, count(*) AS statements, sum(total) AS paid FROM statements_issued "
            "GROUP BY period ORDER BY period"
        )
    )
    out.append(f"{base} periods   # each month's sign-offs")
    out.append(
        f"{base} sql "
        + shlex.quote(
            "SELECT dispute_id, manager_id, period, opened_on, outcome, amount, resolved_on FROM disputes "
            "ORDER BY opened_on"
        )
    )
    out.append(f"{base} verify")
    out.append(
        f"{base} ingest {shlex.quote(str(directory / 'bank.jsonl'))}   # again: every line a duplicate"
    )
    out.append(f"{base} rebuild")
    return out


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of the synthetic bank.")
@click.option(
    "--size",
    default="small",
    show_default=True,
    callback=_size,
    help=f"{', '.join(SIZES)}, or a target message count (tiny is for tests).",
)
@click.pass_obj
def demo(ctx: Context, seed: int, size: str) -> None:
    """Build a synthetic bank in <data-dir>/demo-<seed> (wiped first) and show its pay and audits.

    Generates the bank (bank.jsonl), ingests it into an SQLite store in that
    directory (whatever PERSISTENCE_MODULE says), brings the read model up, and prints
    the last closed month's pay, the months' sign-offs and the disputes, the tier counts, a departure audit's findings (also
    written as HTML) and the postings nobody is paid for; then the commands to try
    next. A demo-<seed> directory that the demo did not make is never wiped.
    """
    from domain.store import ledger_env
    from domain.store_settings import open_ledger
    from scripts.cli.audit import caught_up_connection
    from scripts.cli.main import print_summary, run_ingest
    from scripts.cli.seal_key import sealer_for

    began = time.perf_counter()
    shown = Shown()
    watch = Stopwatch(shown)
    directory = ctx.data_dir / f"demo-{seed}"
    prepare_directory(directory)
    source = directory / "bank.jsonl"
    spec = size_spec(size)
    click.echo(
        f"rmledger demo: a synthetic bank (seed {seed}, size {size}: {spec.branches} branch(es), "
        f"{spec.managers} managers and {spec.clients} clients at the start, {spec.months} months "
        f"from {spec.start.isoformat()}) in {directory}"
    )
    count = write_jsonl(source, seed, size)
    click.echo(f"generated {count:,} messages into {source} ({watch.lap('generate'):.1f} s)")

    # SQLite in the demo directory, whatever PERSISTENCE_MODULE says (see the docstring);
    # encrypted when the shell sets CIPHER_KEY (the library reads it from the process
    # environment anyway), with the key checked like every command's.
    cipher = {name: os.environ[name] for name in ("CIPHER_KEY",) if os.environ.get(name)}
    demo_ctx = Context(
        directory,
        ledger=open_ledger(
            ledger_env(directory, cipher), create=True, sealer=sealer_for(directory)
        ),
    )
    try:
        summary = run_ingest(demo_ctx, (source,), 2000, show_progress=True)
        print_summary(summary)
        click.echo(f"ingested in {watch.lap('ingest'):.1f} s")
        if summary.rejected:
            raise click.ClickException(
                "the generator's messages should all be accepted: see the rejections above"
            )
        users = add_demo_users(demo_ctx.ledger, *first_manager(source))
        watch.lap("users")

        conn = caught_up_connection(demo_ctx)
        try:
            events = conn.execute("SELECT count(*), max(position) FROM events").fetchone()
            assert events is not None
            click.echo(
                f"read model (DuckDB) caught up: {events[0]:,} events to position {events[1]:,} "
                f"({watch.lap('read model'):.1f} s)"
            )
            shown.period = last_closed_month(conn)
            if shown.period is None:
                click.echo("no month was closed in this bank: no issued pay statements to show")
            else:
                show_pay(conn, shown.period, directory, shown)
                shown.as_of = month_last_day(shown.period)
                show_sign_offs_and_disputes(conn, shown.as_of)
                watch.lap("pay")
                show_tiers(conn, shown.as_of, shown)
                watch.lap("tiers")
            show_findings(conn, directory, shown)
            watch.lap("audits")
        finally:
            conn.close()
    finally:
        demo_ctx.ledger.close()

    show_users(directory, users)

    heading("Try next")
    for command in next_commands(directory, shown):
        click.echo(f"  {command}")
    steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in shown.timings)
    click.echo(f"\ndemo finished in {time.perf_counter() - began:.1f} s ({steps})")
    sys.stdout.flush()


COMMANDS: list[click.Command] = [demo, generate_command]
