"""Pay statements (docs/rules.md R7.3–R7.4, docs/contract.md C2.2) from the read model.

SQL aggregates credited amounts per manager, month, class and stock/new; the rules
in ``projections.pay.rules`` turn them into statements. Closing a month stores every
statement of that month, computed at the closing event, in ``statements_issued``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from domain.money import round_fen
from domain.values import PROFIT_CLASSES, half_of, month_bounds, month_of, next_month
from projections.escape import terminal
from projections.pay import rules
from projections.pay.attribution import monthly_aggregates_sql
from projections.pay.kept import KeptClose, Resume, resume_at_close
from projections.pay.rules import ZERO, ClassFigures, RunningState
from projections.readmodel.kept_aggregates import AggregateRow, monthly_aggregates

MONEY_FIELDS = (
    "base_salary",
    "post_salary",
    "responsibility_profit",
    "weighted_profit",
    "performance_earned",
    "prepayment",
    "settlement",
    "compliance",
    "corrections",
    "prior_true_up",
    "performance_due",
    "performance_paid",
    "clawback_carried",
    "awards",
    "total",
)


def _conn(source: Any) -> duckdb.DuckDBPyConnection:
    return source.conn if hasattr(source, "conn") else source  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Terms:
    """Plan and grade in force on a month's reference day.

    ``prepay_ratio`` is the exception: docs/rules.md R7.3.3 takes it from the plan in force
    on the month's last day even in a departure month, so it may come from another
    plan (``prepay_version``) than the rest (``version``).
    """

    version: str
    grade: str
    base_salary: Decimal
    post_salary: Decimal
    commission_per_10k: Decimal
    coefficient: Decimal
    prepay_ratio: Decimal
    prepay_version: str = ""


@dataclass
class ManagerInfo:
    manager_id: str
    hired_on: date
    grade: str
    departed_on: date | None = None
    grades: list[tuple[date, int, str]] = field(
        default_factory=list
    )  # (effective_on, position, grade)

    def grade_on(self, day: date) -> str:
        grade = self.grade
        for effective_on, _, g in sorted(self.grades):
            if effective_on <= day:
                grade = g
        return grade

    def employed_in(self, period: str) -> bool:
        first, last = month_bounds(period)
        return self.hired_on <= last and (self.departed_on is None or self.departed_on >= first)


@dataclass
class MonthCalc:
    """Every figure of one manager's month, unrounded where the rules say so."""

    manager_id: str
    period: str
    terms: Terms
    reference_day: date
    days_employed: int
    days_in_month: int
    classes: dict[str, ClassFigures]
    responsibility_profit: Decimal
    weighted_profit: Decimal
    performance_earned: Decimal
    base_salary: Decimal
    post_salary: Decimal
    prepayment: Decimal
    settlement: Decimal
    settles_half: bool
    half_pp: list[Decimal]
    half_prepay: list[Decimal]
    compliance: Decimal
    awards: Decimal
    entitlement: Decimal
    prior_true_up: Decimal
    performance_due: Decimal
    performance_paid: Decimal
    paid_for_true_up: Decimal
    # Upheld disputes resolved in the month (docs/rules.md R7.6), in entitlement beside
    # compliance; for a final statement also those resolved after the departure month.
    corrections: Decimal = ZERO
    # What the true-up counted as paid for this month, in words: "issued at position
    # N", "closed, no statement issued" or "not closed: paid as computed now".
    paid_basis: str = "not closed: paid as computed now"
    # The departure month: the manager's final statement.
    final: bool = False
    # Final month only: (period, paid) of statements issued for months after the
    # departure day (a departure recorded back-dated, after those months closed).
    paid_after_departure: list[tuple[str, Decimal]] = field(default_factory=list)

    def statement(self) -> dict[str, Any]:
        """The docs/contract.md C2.2 statement (open), money rounded to the fen."""
        return {
            "manager_id": self.manager_id,
            "period": self.period,
            "grade": self.terms.grade,
            "base_salary": self.base_salary,
            "post_salary": self.post_salary,
            "responsibility_profit": round_fen(self.responsibility_profit),
            "weighted_profit": round_fen(self.weighted_profit),
            "k0": {c: rules.rounded(rules.k0(self.classes[c].n), 6) for c in PROFIT_CLASSES},
            "performance_earned": round_fen(self.performance_earned),
            "prepayment": self.prepayment,
            "settlement": self.settlement,
            "compliance": self.compliance,
            "corrections": self.corrections,
            "prior_true_up": round_fen(self.prior_true_up),
            "performance_due": round_fen(self.performance_due),
            "performance_paid": round_fen(self.performance_paid),
            "clawback_carried": round_fen(max(ZERO, -self.performance_due)),
            "awards": self.awards,
            "total": self.base_salary
            + self.post_salary
            + round_fen(self.performance_paid)
            + self.awards,
            "status": "open",
        }


@dataclass
class PayData:
    """Everything the rules need, read from the read model in a few queries."""

    managers: dict[str, ManagerInfo]
    plans: list[tuple[date, int, str]]  # (effective_from, position, version)
    plan_terms: dict[tuple[str, str], tuple[Decimal, Decimal, Decimal, Decimal, Decimal]]
    figures: dict[tuple[str, str], dict[str, ClassFigures]]  # (manager, month) -> class -> figures
    adjustments: dict[tuple[str, str, str], Decimal]  # (manager, period, kind) -> amount
    closed: dict[str, int]  # period -> position of its closing event
    issued_paid: dict[tuple[str, str], Decimal]  # (manager, period) -> issued performance_paid
    issued_position: dict[tuple[str, str], int] = field(default_factory=dict)
    # (manager, month resolved in) -> Σ amounts of the disputes upheld then (R7.6).
    corrections: dict[tuple[str, str], Decimal] = field(default_factory=dict)

    def corrections_of(self, info: ManagerInfo, period: str, final: bool) -> Decimal:
        """The upheld disputes of ``period`` (the month they were resolved in) and, for
        the final statement, of every later month: a leaver has no later statement, so
        the final one's entitlement takes them (docs/pay.md, "Disputes")."""
        mid = info.manager_id
        return sum(
            (
                amount
                for (m, p), amount in self.corrections.items()
                if m == mid and (p == period or (final and p > period))
            ),
            ZERO,
        )

    def first_plan_day(self) -> date | None:
        """The first day any plan is in force (the earliest ``effective_from``)."""
        return min(p[0] for p in self.plans) if self.plans else None

    def first_paid_month(self, info: ManagerInfo) -> str:
        """The month a manager's statements and running sums start (docs/rules.md R3.5): the
        later of the hire month and the first month whose last day has a plan in force
        (the month of the earliest ``effective_from``)."""
        first_day = self.first_plan_day()
        hired = month_of(info.hired_on)
        return hired if first_day is None else max(hired, month_of(first_day))

    def plan_on(self, day: date) -> str:
        """The version in force on ``day``: latest effective_from, then published last."""
        in_force = [p for p in self.plans if p[0] <= day]
        if not in_force:
            raise LookupError(f"no compensation plan in force on {day}")
        return max(in_force)[2]

    def terms_on(self, info: ManagerInfo, day: date, ratio_day: date | None = None) -> Terms:
        """Grade and plan in force on ``day``; the prepayment ratio of the plan in
        force on ``ratio_day`` (default ``day``)."""
        first_day = self.first_plan_day()
        # A departure day before the first plan's first day, in that plan's first month:
        # the month is paid under the plan in force on its last day (docs/pay.md).
        plan_day = (
            ratio_day
            if ratio_day is not None and first_day is not None and day < first_day
            else day
        )
        version = self.plan_on(plan_day)
        grade = info.grade_on(day)
        base, post, commission, coefficient, ratio = self.plan_terms[(version, grade)]
        prepay_version = version
        if ratio_day is not None and ratio_day != day:
            prepay_version = self.plan_on(ratio_day)
            ratio = self.plan_terms[(prepay_version, grade)][4]
        return Terms(version, grade, base, post, commission, coefficient, ratio, prepay_version)


def load_pay_data(
    conn: duckdb.DuckDBPyConnection,
    through: str,
    manager_id: str | None = None,
    aggregates: list[AggregateRow] | None = None,
) -> PayData:
    """Read what statements up to month ``through`` need (for one manager or all).
    ``aggregates``: the rows of ``monthly_aggregates_sql`` up to ``through``'s end when
    the caller has them already (the loader, ``projections.readmodel.kept_aggregates``)."""
    mfilter, params = ("WHERE m.manager_id = ?", [manager_id]) if manager_id else ("", [])
    managers: dict[str, ManagerInfo] = {}
    for mid, hired_on, grade, departed_on in conn.execute(
        f"""SELECT m.manager_id, m.hired_on, m.grade, d.departed_on FROM managers m
            LEFT JOIN departures d USING (manager_id) {mfilter}""",
        params,
    ).fetchall():
        managers[mid] = ManagerInfo(mid, hired_on, grade, departed_on)
    gfilter = "WHERE manager_id = ?" if manager_id else ""
    for mid, grade, effective_on, position in conn.execute(
        f"SELECT manager_id, grade, effective_on, position FROM grade_changes {gfilter}", params
    ).fetchall():
        if mid in managers:
            managers[mid].grades.append((effective_on, position, grade))
    plans: dict[str, tuple[date, int, str]] = {}
    plan_terms: dict[tuple[str, str], tuple[Decimal, Decimal, Decimal, Decimal, Decimal]] = {}
    for version, eff, pos, grade, base, post, comm, coef, ratio in conn.execute(
        """SELECT version, effective_from, position, grade, base_salary, post_salary,
                  commission_per_10k, coefficient, prepay_ratio FROM plans"""
    ).fetchall():
        plans[version] = (eff, pos, version)
        plan_terms[(version, grade)] = (base, post, comm, coef, ratio)
    figures = aggregate_figures(conn, through, manager_id, aggregates)
    afilter = "WHERE manager_id = ?" if manager_id else ""
    adjustments = {
        (mid, period, kind): amount
        for mid, period, kind, amount in conn.execute(
            f"SELECT manager_id, period, kind, sum(amount) FROM adjustments {afilter} GROUP BY ALL",
            params,
        ).fetchall()
    }
    closed = dict(conn.execute("SELECT period, position FROM periods_closed").fetchall())
    issued_paid: dict[tuple[str, str], Decimal] = {}
    issued_position: dict[tuple[str, str], int] = {}
    for mid, period, paid, position in conn.execute(
        f"SELECT manager_id, period, performance_paid, position FROM statements_issued {afilter}",
        params,
    ).fetchall():
        issued_paid[(mid, period)] = paid
        issued_position[(mid, period)] = position
    corrections = {
        (mid, period): amount
        for mid, period, amount in conn.execute(
            "SELECT manager_id, strftime(resolved_on, '%Y-%m'), sum(amount) FROM disputes "
            f"WHERE outcome = 'upheld' {'AND manager_id = ?' if manager_id else ''} GROUP BY ALL",
            params,
        ).fetchall()
    }
    return PayData(
        managers,
        sorted(plans.values()),
        plan_terms,
        figures,
        adjustments,
        closed,
        issued_paid,
        issued_position,
        corrections,
    )


def aggregate_figures(
    conn: duckdb.DuckDBPyConnection,
    through: str,
    manager_id: str | None = None,
    aggregates: list[AggregateRow] | None = None,
) -> dict[tuple[str, str], dict[str, ClassFigures]]:
    """Per (manager, month) and class, the credited figures up to month ``through``'s
    end: from ``aggregates`` (rows of ``monthly_aggregates_sql``) when given, else
    attributed by SQL now (for one manager or all)."""
    if aggregates is None:
        sql, params = monthly_aggregates_sql(month_bounds(through)[1], manager_id)
        aggregates = conn.execute(sql, params).fetchall()
    figures: dict[tuple[str, str], dict[str, ClassFigures]] = defaultdict(
        lambda: {c: ClassFigures() for c in PROFIT_CLASSES}
    )
    for mid, month, cls, is_new, income, cost, charge, age in aggregates:
        figures[(mid, month)][cls].add(bool(is_new), income, cost, charge, age)
    return figures


def manager_months(
    data: PayData,
    info: ManagerInfo,
    through: str,
    start: tuple[str, RunningState] | None = None,
    starts: dict[str, RunningState] | None = None,
) -> list[MonthCalc]:
    """Every month of a manager from the first paid month (``PayData.first_paid_month``:
    the hire month, or the first planned month if later) to ``through`` (or departure).

    ``start``: begin at that month instead, from the running state the months before
    it left (``projections.pay.kept``); ``starts``: filled with the running state at
    the start of every month computed."""
    out: list[MonthCalc] = []
    running = rules.TrueUp()
    half_pp: list[Decimal] = []
    half_prepay: list[Decimal] = []
    period = data.first_paid_month(info)
    if start is not None:
        period, state = start
        running = rules.TrueUp(state.entitled, state.paid)
        half_pp, half_prepay = list(state.half_pp), list(state.half_prepay)
    while period <= through and info.employed_in(period):
        if starts is not None:
            starts[period] = RunningState(
                running.entitled, running.paid, tuple(half_pp), tuple(half_prepay)
            )
        first, last = month_bounds(period)
        departs_now = info.departed_on is not None and info.departed_on <= last
        ref = min(last, info.departed_on) if info.departed_on else last
        # Grade and plan on the reference day; the prepayment ratio on the month's
        # last day, departure or not (docs/rules.md R7.3.3 makes no departure exception).
        terms = data.terms_on(info, ref, ratio_day=last)
        classes = data.figures.get((info.manager_id, period)) or {
            c: ClassFigures() for c in PROFIT_CLASSES
        }
        wp = rules.weighted_profit(classes)
        pp = rules.performance_earned(wp, terms.commission_per_10k, terms.coefficient)
        prepay = rules.prepayment(pp, terms.prepay_ratio)
        if period[5:7] in ("01", "07") or not half_pp:
            half_pp, half_prepay = [], []
        half_pp.append(pp)
        half_prepay.append(prepay)
        settles = period[5:7] in ("06", "12") or departs_now
        settle = rules.settlement(half_pp, half_prepay) if settles else ZERO
        compliance = data.adjustments.get((info.manager_id, period, "compliance"), ZERO)
        awards = data.adjustments.get((info.manager_id, period, "award"), ZERO)
        corrections = data.corrections_of(info, period, departs_now)
        entitlement = prepay + settle + compliance + corrections
        paid_after: list[tuple[str, Decimal]] = []
        if departs_now:
            # Statements issued for months after the departure day (the departure was
            # recorded back-dated, after they closed) paid money that today's data
            # does not entitle: the final statement counts it as already paid, so
            # that nothing is paid twice (docs/pay.md, "Departure").
            paid_after = sorted(
                (p, amount)
                for (mid, p), amount in data.issued_paid.items()
                if mid == info.manager_id and p > period
            )
            running.record_paid(sum((amount for _, amount in paid_after), ZERO))
        prior, due, paid = running.month(entitlement)
        key = (info.manager_id, period)
        if key in data.issued_paid:
            paid_for_true_up = data.issued_paid[key]
            basis = f"issued at position {data.issued_position.get(key, data.closed.get(period))}"
        elif period in data.closed:
            paid_for_true_up = ZERO  # closed with no statement issued: nothing was paid
            basis = "closed, no statement issued"
        else:
            paid_for_true_up = paid
            basis = "not closed: paid as computed now"
        running.record_paid(paid_for_true_up)
        days = rules.days_employed(first.year, first.month, info.hired_on, info.departed_on)
        dim = last.day
        out.append(
            MonthCalc(
                manager_id=info.manager_id,
                period=period,
                terms=terms,
                reference_day=ref,
                days_employed=days,
                days_in_month=dim,
                classes=classes,
                responsibility_profit=sum((c.profit for c in classes.values()), ZERO),
                weighted_profit=wp,
                performance_earned=pp,
                base_salary=rules.prorated(terms.base_salary, days, dim),
                post_salary=rules.prorated(terms.post_salary, days, dim),
                prepayment=prepay,
                settlement=settle,
                settles_half=settles,
                half_pp=list(half_pp),
                half_prepay=list(half_prepay),
                compliance=compliance,
                corrections=corrections,
                awards=awards,
                entitlement=entitlement,
                prior_true_up=prior,
                performance_due=due,
                performance_paid=paid,
                paid_for_true_up=paid_for_true_up,
                paid_basis=basis,
                final=departs_now,
                paid_after_departure=paid_after,
            )
        )
        if departs_now:
            break
        period = next_month(period)
    return out


def compute(
    conn: duckdb.DuckDBPyConnection,
    period: str,
    manager_id: str | None = None,
    aggregates: list[AggregateRow] | None = None,
) -> list[MonthCalc]:
    """The restated month ``period`` of every manager employed in it (or one)."""
    return _compute(load_pay_data(conn, period, manager_id, aggregates), period)


def _compute(data: PayData, period: str, resume: Resume | None = None) -> list[MonthCalc]:
    out = []
    for mid in sorted(data.managers):
        info = data.managers[mid]
        if not info.employed_in(period):
            continue
        if resume is None:
            months = manager_months(data, info, period)
        else:
            months = manager_months(data, info, period, resume.start_of(mid), resume.starts_of(mid))
        if months and months[-1].period == period:
            out.append(months[-1])
    return out


def issue_statements(
    conn: duckdb.DuckDBPyConnection, period: str, position: int, kept: KeptClose | None = None
) -> KeptClose:
    """Freeze the statements of ``period`` as they stand now (at closing ``position``).
    ``kept``: what the loader kept from its last close, if any; returns what this
    close leaves for the next (``projections.readmodel.kept_aggregates``, ``projections.pay.kept``)."""
    aggregates = monthly_aggregates(
        conn, month_bounds(period)[1], position, kept.aggregates if kept else None
    )
    resume = resume_at_close(conn, kept, period, aggregates)
    # The months a manager resumes after are not computed again: their aggregates
    # are not needed either (a manager with nothing kept starts from the hire).
    resumed = resume.resumed_managers()
    needed = [
        row for row in aggregates.rows if row[0] not in resumed or row[1] >= str(resume.month)
    ]
    calcs = _compute(load_pay_data(conn, period, aggregates=needed), period, resume)
    kept_now = KeptClose(aggregates, period, resume.starts)
    rows: dict[str, list[Any]] = defaultdict(list)
    for calc in calcs:
        st = calc.statement()
        st["status"] = "issued"
        st["issued_at_position"] = position
        rows["position"].append(position)
        rows["period"].append(period)
        rows["manager_id"].append(calc.manager_id)
        rows["grade"].append(st["grade"])
        for name in MONEY_FIELDS:
            rows[name].append(st[name])
        rows["statement"].append(json.dumps(to_json(st)))
    if not rows:
        return kept_now
    money = pa.decimal128(38, 2)  # schema.WIDE_MONEY
    columns = ["position", "period", "manager_id", "grade", *MONEY_FIELDS, "statement"]
    types = {
        "position": pa.int64(),
        "period": pa.string(),
        "manager_id": pa.string(),
        "grade": pa.string(),
        "statement": pa.string(),
    }
    table = pa.table({c: pa.array(rows[c], types.get(c, money)) for c in columns})
    conn.register("issued_page", table)
    try:
        conn.execute(
            f"INSERT INTO statements_issued (recorded_at, {', '.join(columns)}) "
            # The closing event's time, from periods_closed (a row per close) rather
            # than events. why: docs/decisions.md#closing-time
            "SELECT (SELECT recorded_at FROM periods_closed c WHERE c.position = i.position), i.* "
            "FROM issued_page i"
        )
    finally:
        conn.unregister("issued_page")
    return kept_now


def statements(
    source: Any, period: str, manager_id: str | None = None, restated: bool = False
) -> list[dict[str, Any]]:
    """Pay statements of ``period`` (docs/contract.md C2.2; money as Decimal).

    Issued statements are returned as issued, unless ``restated``: then they are
    recomputed on the data as it stands now (``status`` stays ``issued``, with
    ``restated: true``). Months with no statement issued are computed now (``open``).
    In the restated view, an issued departure-month statement also carries
    ``outstanding`` (restated due − issued paid: still owed to (+) or by (−) the
    departed manager), and an issued statement of a month in which the manager is no
    longer employed shows nil figures with a ``note`` (docs/pay.md, "Departure").
    """
    conn = _conn(source)
    issued = {
        mid: (json.loads(text), pos)
        for mid, text, pos in conn.execute(
            "SELECT manager_id, statement, position FROM statements_issued WHERE period = ?"
            + (" AND manager_id = ?" if manager_id else ""),
            [period, manager_id] if manager_id else [period],
        ).fetchall()
    }
    # Without ``restated``, a month whose every statement was issued needs no
    # attribution at all: the managers (and who was employed) are read first, and
    # the figures computed only when somebody employed in it has none issued.
    data = load_pay_data(conn, period, manager_id, aggregates=[])
    employed = {mid for mid, info in data.managers.items() if info.employed_in(period)}
    computed: dict[str, MonthCalc] = {}
    if restated or not employed <= set(issued):
        data.figures = aggregate_figures(conn, period, manager_id)
        computed = {c.manager_id: c for c in _compute(data, period)}
    return _assemble(data, period, computed, issued, restated)


def restated_by_month(
    source: Any, first: str, through: str
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(period, statements(source, period, restated=True))`` for every month from
    ``first`` to ``through``, the same statements, with each manager's months computed
    once (month by month, every month would be computed again from the first paid
    month: 80 years of months took minutes)."""
    return by_month(source, first, through, restated=True)


def by_month(
    source: Any, first: str, through: str, manager_id: str | None = None, restated: bool = False
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``(period, statements(source, period, manager_id, restated))`` for every month
    from ``first`` to ``through``, each manager's months computed once."""
    conn = _conn(source)
    data = load_pay_data(conn, through, manager_id)
    months = {
        mid: {c.period: c for c in manager_months(data, info, through)}
        for mid, info in data.managers.items()
    }
    issued: dict[str, dict[str, tuple[dict[str, Any], int]]] = defaultdict(dict)
    mfilter, params = (" AND manager_id = ?", [manager_id]) if manager_id else ("", [])
    for mid, period, text, pos in conn.execute(
        "SELECT manager_id, period, statement, position FROM statements_issued WHERE period BETWEEN ? AND ?"
        + mfilter,
        [first, through, *params],
    ).fetchall():
        issued[period][mid] = (json.loads(text), pos)
    period = first
    while period <= through:
        computed = {mid: calcs[period] for mid, calcs in months.items() if period in calcs}
        yield period, _assemble(data, period, computed, issued.get(period, {}), restated)
        period = next_month(period)


def _assemble(
    data: PayData,
    period: str,
    computed: dict[str, MonthCalc],
    issued: dict[str, tuple[dict[str, Any], int]],
    restated: bool,
) -> list[dict[str, Any]]:
    """The statements of ``period`` from those computed now and those issued."""
    out = []
    for mid in sorted(set(computed) | set(issued)):
        if mid in issued and not restated:
            out.append(from_json(issued[mid][0]))
            continue
        calc = computed.get(mid)
        if calc is not None:
            st = calc.statement()
        else:
            # Issued, but on today's data the manager was not employed in the month
            # (a departure recorded back-dated): nil figures and the reason.
            st = _not_employed(issued[mid][0], data.managers.get(mid), period)
        if mid in issued:
            st["status"] = "issued"
            st["issued_at_position"] = issued[mid][1]
            st["restated"] = True
            if calc is not None and calc.final:
                # The departure month's statement is the last one: what today's data
                # would pay beyond what the issued statement paid has no later
                # statement to flow into, so it is shown as outstanding.
                st["outstanding"] = round_fen(calc.performance_due) - Decimal(
                    issued[mid][0]["performance_paid"]
                )
        out.append(st)
    return out


def _not_employed(issued: dict[str, Any], info: ManagerInfo | None, period: str) -> dict[str, Any]:
    """The restated view of an issued statement for a month in which, on today's
    data, the manager was not employed: every figure nil, and a note saying why and
    where the money the issued statement paid is accounted for."""
    st: dict[str, Any] = {
        "manager_id": issued["manager_id"],
        "period": period,
        "grade": issued["grade"],
    }
    st.update({name: ZERO for name in MONEY_FIELDS})
    st["k0"] = {c: rules.rounded(rules.k0(ZERO), 6) for c in PROFIT_CLASSES}
    st["status"] = "open"
    paid = issued["performance_paid"]
    kept = (
        f"the issued statement stays as issued (total {issued['total']}, performance paid {paid})"
    )
    first, _ = month_bounds(period)
    if info is not None and info.departed_on is not None and info.departed_on < first:
        st["note"] = (
            f"not employed in {period} on today's data: departed on {info.departed_on}, so nothing is due "
            f"for this month; {kept}; the final statement ({month_of(info.departed_on)}) counts the "
            f"performance pay {paid} as already paid; the salary paid is not performance pay and is left "
            f"to payroll"
        )
    else:
        st["note"] = (
            f"not employed in {period} on today's data, so nothing is due for this month; {kept}"
        )
    return st


def to_json(statement: dict[str, Any]) -> dict[str, Any]:
    """Money as strings of 2 decimals, k0 as strings of 6."""
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "k0":
            out[key] = {c: f"{rules.rounded(Decimal(v), 6)}" for c, v in value.items()}
        elif key in MONEY_FIELDS or key == "outstanding":
            out[key] = f"{round_fen(Decimal(value))}"
        else:
            out[key] = value
    return out


def from_json(obj: dict[str, Any]) -> dict[str, Any]:
    """The inverse of ``to_json``: strings back to Decimal."""
    out = dict(obj)
    # A statement issued before disputes existed has no ``corrections``: it had none.
    out.setdefault("corrections", "0.00")
    for key in MONEY_FIELDS:
        out[key] = Decimal(out[key])
    if "outstanding" in obj:
        out["outstanding"] = Decimal(obj["outstanding"])
    out["k0"] = {c: Decimal(v) for c, v in obj["k0"].items()}
    return out


def unattributed(source: Any, period: str | None = None) -> list[dict[str, Any]]:
    """Postings and charges on dates with no primary: listed, never paid."""
    from projections.pay.attribution import credit_lines_sql

    conn = _conn(source)
    where = "role = 'unattributed'" + (" AND month = ?" if period else "")
    cur = conn.execute(
        f"SELECT kind, ref, client_id, category, value_date, amount FROM ({credit_lines_sql()}) "
        f"WHERE {where} ORDER BY value_date, ref",
        [period] if period else [],
    )
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


__all__ = [
    "statements",
    "restated_by_month",
    "by_month",
    "issue_statements",
    "compute",
    "to_json",
    "from_json",
    "unattributed",
    "half_of",
]


def no_statement(rm: Any, manager_id: str, period: str) -> str:
    """Why ``manager_id`` has no statement for ``period``: no such manager at all, or a
    month in which the ledger pays them nothing (not employed, or before the first
    month a plan covers)."""
    known = rm.conn.execute("SELECT 1 FROM managers WHERE manager_id = ?", [manager_id]).fetchone()
    if known is None:
        return f"no such manager: {terminal(manager_id)}"
    return (
        f"no statement for manager {terminal(manager_id)} in {period}: not employed that month, "
        "or before the first month a plan covers"
    )
