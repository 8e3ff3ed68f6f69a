"""Explain a pay statement: every line behind it and the arithmetic to each pay line.

Every number shown is rounded ROUND_HALF_UP (docs/rules.md R2.2) through
``projections.pay.rules.rounded``, the same rounding the statements use, so that a
manager who redoes the sums gets the statement's figures to the fen.
"""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import Any

from domain.money import round_fen
from domain.values import DAYS_PER_YEAR, PROFIT_CLASSES, month_bounds
from projections.display import MINUS, difference, ratio, terms
from projections.display import amount as show
from projections.pay import rules
from projections.pay.attribution import credit_lines_sql
from projections.pay.statements import (
    MonthCalc,
    _conn,
    load_pay_data,
    manager_months,
    statements,
    to_json,
)

WIDTH = 120  # columns of the text for people


def _q(value: Decimal, places: int = 2) -> str:
    """``value`` for display, ROUND_HALF_UP to ``places`` decimals."""
    return f"{rules.rounded(Decimal(value), places)}"


def _months(conn: Any, manager_id: str, period: str) -> list[MonthCalc]:
    """The manager's months from the hire month to ``period`` on today's data
    (empty when there is no statement for ``period``)."""
    data = load_pay_data(conn, period, manager_id)
    info = data.managers.get(manager_id)
    if info is None or not info.employed_in(period):
        return []
    months = manager_months(data, info, period)
    return months if months and months[-1].period == period else []


def _true_up(calc: MonthCalc, earlier: list[MonthCalc]) -> tuple[list[dict[str, str]], list[str]]:
    """The months behind the prior true-up: each earlier month's restated E_k and the
    paid_k the running sum counts (its issued figure when closed), as rows and text."""
    rows = [
        {
            "period": m.period,
            "prepayment": _q(m.prepayment),
            "settlement": _q(m.settlement),
            "compliance": _q(m.compliance),
            "corrections": _q(m.corrections),
            "entitlement": _q(m.entitlement),
            "paid": _q(m.paid_for_true_up),
            "paid_basis": m.paid_basis,
        }
        for m in earlier
    ]
    rows += [
        {
            "period": p,
            "prepayment": "0.00",
            "settlement": "0.00",
            "compliance": "0.00",
            "corrections": "0.00",
            "entitlement": "0.00",
            "paid": _q(amount),
            "paid_basis": "issued; after the departure day, so no entitlement on today's data",
        }
        for p, amount in calc.paid_after_departure
    ]
    text = [
        "prior true-up = Σ earlier E − Σ earlier paid, month by month (E restated, paid as issued):"
    ]
    shown = [r for r in rows if r["entitlement"] != "0.00" or r["paid"] != "0.00"]
    text += [
        f"  {r['period']}: E = {terms(_e_terms(r))} = "
        f"{show(r['entitlement'])}; paid {show(r['paid'])} ({r['paid_basis']})"
        for r in shown
    ]
    if len(shown) < len(rows):
        text.append(
            f"  ({len(rows) - len(shown)} other month(s) since the hire month: E = 0.00, paid 0.00)"
        )
    entitled = sum((m.entitlement for m in earlier), rules.ZERO)
    paid = sum((m.paid_for_true_up for m in earlier), rules.ZERO) + sum(
        (amount for _, amount in calc.paid_after_departure), rules.ZERO
    )
    text.append(
        f"  Σ E = {show(entitled)}; Σ paid = {show(paid)}; prior true-up = {difference(entitled, paid)} "
        f"= {show(calc.prior_true_up)}"
    )
    return rows, text


def _e_terms(row: dict[str, str]) -> list[str]:
    """The terms of E_k: prepayment, settlement, compliance and, when there are any,
    the upheld disputes (so that a month without disputes reads as it always has)."""
    parts = [row["prepayment"], row["settlement"], row["compliance"]]
    return parts + [row["corrections"]] if row["corrections"] != "0.00" else parts


def _disputes(conn: Any, calc: MonthCalc) -> list[dict[str, str]]:
    """The upheld disputes in the month's ``corrections`` (docs/rules.md R7.6): those
    resolved in the month and, in a final statement, those resolved after it."""
    after = "OR strftime(resolved_on, '%Y-%m') > ?" if calc.final else "AND ? IS NULL"
    rows = conn.execute(
        "SELECT dispute_id, period, posting_id, amount, reason, resolved_by, resolved_on FROM disputes "
        "WHERE manager_id = ? AND outcome = 'upheld' "
        f"AND (strftime(resolved_on, '%Y-%m') = ? {after}) ORDER BY resolved_on, resolved_position",
        [calc.manager_id, calc.period, calc.period if calc.final else None],
    ).fetchall()
    return [
        {
            "dispute_id": dispute_id,
            "period": period,
            "posting_id": posting_id,
            "amount": _q(amount),
            "reason": reason,
            "resolved_by": resolved_by,
            "resolved_on": resolved_on.isoformat(),
        }
        for dispute_id, period, posting_id, amount, reason, resolved_by, resolved_on in rows
    ]


def _corrections(total: Decimal, disputes: list[dict[str, str]]) -> list[str]:
    """``corrections = …``, then each upheld dispute with the month it disputed and
    the reason of its resolution."""
    head = (
        f"corrections = {show(total)}"
        if len(disputes) < 2
        else f"corrections = {terms([d['amount'] for d in disputes])} = {show(total)}"
    )
    return [head] + [
        f"  {show(d['amount'])}: dispute {d['dispute_id']} of {d['period']}"
        + (f" (posting {d['posting_id']})" if d["posting_id"] else "")
        + f", upheld on {d['resolved_on']} by {d['resolved_by']}: {d['reason']}"
        for d in disputes
    ]


def _lines(conn: Any, calc: MonthCalc, manager_id: str, period: str) -> list[dict[str, Any]]:
    """Every line credited to the manager in the month, with its class's weight."""
    first, last = month_bounds(period)
    cur = conn.execute(
        f"SELECT kind, ref, client_id, category, class, sign, value_date, role, origin, first_served_on, "
        f"age_days, is_new, share, amount FROM ({credit_lines_sql(last, first, manager_id)}) "
        f"WHERE manager_id = ? ORDER BY value_date, kind, ref",
        [manager_id],
    )
    cols = [d[0] for d in cur.description]
    lines = []
    for row in cur.fetchall():
        line = dict(zip(cols, row, strict=True))
        cls = calc.classes[line["class"]]
        weight = Decimal(1) if line["is_new"] else rules.k0(cls.n)
        age = Decimal(line["age_days"]) / DAYS_PER_YEAR if line["age_days"] is not None else None
        share = Decimal(line["share"])
        # Costs and loss charges lower profit: signed here, as they enter P0 and P1.
        credited = Decimal(line["amount"]) * (1 if line["sign"] == "income" else -1)
        # amount = posting × share exactly (2 + 6 places in 8), so this division is exact.
        posting = credited / share if share else credited
        lines.append(
            {
                "kind": line["kind"],
                "ref": line["ref"],
                "client_id": line["client_id"],
                "category": line["category"],
                "class": line["class"],
                "sign": line["sign"],
                "value_date": line["value_date"].isoformat(),
                "role": line["role"],
                "origin": line["origin"],
                "stock_or_new": "new" if line["is_new"] else "stock",
                "age_days": line["age_days"],
                "age_years": None if age is None else _q(age, 6),
                "share": str(line["share"]),
                "amount": _q(line["amount"]),
                "weight": _q(weight, 6),
                "posting_amount": _q(posting),
                "credited": _q(credited),
                "weighted": _q(credited * weight),
            }
        )
    return lines


def _class_steps(name: str, c: rules.ClassFigures) -> list[str]:
    """One class's n, k0, P0, P1 and weighted profit, each with its formula."""
    k = rules.k0(c.n)
    if c.income_stock > 0:
        aged = c.stock_income_age_days / DAYS_PER_YEAR
        n = (
            f"n = Σ(stock income × age) / Σ stock income = {show(aged)} / {show(c.income_stock)} "
            f"= {_q(c.n, 6)} years"
        )
    else:
        n = "n = 0 (no stock income)"
    p0 = "(" + show(c.p0) + ")" if c.p0 < 0 else show(c.p0)
    p1 = f" {MINUS} {show(-c.p1)}" if c.p1 < 0 else f" + {show(c.p1)}"
    return [
        f"{name}:",
        f"  {n}",
        f"  k0 = max(0.8, 1 − 0.05 × n) = max(0.8, 1 − 0.05 × {_q(c.n, 6)}) = {_q(k, 6)}",
        f"  P0 = stock income − cost − loss charge = "
        f"{difference(c.income_stock, c.cost_stock, c.charge_stock)} = {show(c.p0)}",
        f"  P1 = new income − cost − loss charge = "
        f"{difference(c.income_new, c.cost_new, c.charge_new)} = {show(c.p1)}",
        f"  k0 × P0 + P1 = {_q(k, 6)} × {p0}{p1} = {show(k * c.p0 + c.p1)}",
    ]


def _adjustments(conn: Any, manager_id: str, period: str) -> list[dict[str, str]]:
    """The month's compliance adjustments and awards, each with its reason."""
    rows = conn.execute(
        "SELECT kind, amount, reason, message_id FROM adjustments WHERE manager_id = ? AND period = ? "
        "ORDER BY position",
        [manager_id, period],
    ).fetchall()
    return [
        {"kind": kind, "amount": _q(amount), "reason": reason, "message_id": message_id}
        for kind, amount, reason, message_id in rows
    ]


def _adjusted(label: str, total: Decimal, rows: list[dict[str, str]]) -> list[str]:
    """``compliance = …`` or ``awards = …``, then each adjustment with its reason."""
    head = (
        f"{label} = {show(total)}"
        if len(rows) < 2
        else f"{label} = {terms([r['amount'] for r in rows])} = {show(total)}"
    )
    return [head] + [f"  {show(r['amount'])}: {r['reason']} ({r['message_id']})" for r in rows]


def explain(source: Any, manager_id: str, period: str) -> dict[str, Any] | None:
    """The lines (postings, charges, activities) credited to ``manager_id`` in
    ``period`` with class, stock/new, age, share and weight; per-class figures; the
    months behind the prior true-up; compliance, upheld disputes and awards with their
    reasons; and the
    steps from there to each pay line, on today's data. None when there is no statement."""
    conn = _conn(source)
    months = _months(conn, manager_id, period)
    if not months:
        return None
    calc, earlier = months[-1], months[:-1]
    _, last = month_bounds(period)
    lines = _lines(conn, calc, manager_id, period)
    classes = {}
    steps: list[str] = []
    for name in PROFIT_CLASSES:
        c = calc.classes[name]
        k = rules.k0(c.n)
        classes[name] = {
            "income_stock": _q(c.income_stock),
            "cost_stock": _q(c.cost_stock),
            "charge_stock": _q(c.charge_stock),
            "income_new": _q(c.income_new),
            "cost_new": _q(c.cost_new),
            "charge_new": _q(c.charge_new),
            "P0": _q(c.p0),
            "P1": _q(c.p1),
            "n": _q(c.n, 6),
            "k0": _q(k, 6),
            "weighted": _q(k * c.p0 + c.p1),
            "stock_income_age_years": _q(c.stock_income_age_days / DAYS_PER_YEAR),
        }
        if c.p0 or c.p1:
            steps += _class_steps(name, c)
    adjustments = _adjustments(conn, manager_id, period)
    t = calc.terms
    steps += [
        f"responsibility profit = {show(calc.responsibility_profit)}",
        f"WP = Σ over the classes (k0 × P0 + P1) = {show(calc.weighted_profit)}",
        f"plan {t.version}, grade {t.grade} on {calc.reference_day}: commission {t.commission_per_10k} per 10,000, "
        f"coefficient {t.coefficient}",
        f"prepayment ratio {t.prepay_ratio} (plan {t.prepay_version} on {last})",
        f"PP = WP × {t.commission_per_10k} / 10,000 × {t.coefficient} = {show(calc.performance_earned, 6)} "
        f"(shown {show(calc.performance_earned)})",
        f"prepayment = round({t.prepay_ratio} × max(0, PP)) = {show(calc.prepayment)}",
    ]
    if calc.settles_half:
        half_start = months[len(months) - len(calc.half_pp)].period
        pp_sum = sum(calc.half_pp, rules.ZERO)
        prepay_sum = sum(calc.half_prepay, rules.ZERO)
        steps += [
            f"settlement ({half_start} to {period}) = round(max(0, Σ PP)) − Σ prepayment:",
            f"  Σ PP = {terms(calc.half_pp, 6)} = {show(pp_sum, 6)}",
            f"  Σ prepayment = {terms(calc.half_prepay)} = {show(prepay_sum)}",
            f"  settlement = {difference(round_fen(max(rules.ZERO, pp_sum)), prepay_sum)} = {show(calc.settlement)}",
        ]
    true_up, true_up_text = _true_up(calc, earlier)
    disputes = _disputes(conn, calc)
    e_parts = [calc.prepayment, calc.settlement, calc.compliance]
    e_names = "prepayment + settlement + compliance"
    if disputes:
        e_parts.append(calc.corrections)
        e_names += " + corrections"
    steps += [
        *_adjusted(
            "compliance", calc.compliance, [a for a in adjustments if a["kind"] == "compliance"]
        ),
        *(_corrections(calc.corrections, disputes) if disputes else []),
        f"entitlement E = {e_names} = {terms(e_parts)} = {show(calc.entitlement)}",
        *true_up_text,
        f"due = E + prior true-up = {terms([calc.entitlement, calc.prior_true_up])} = {show(calc.performance_due)}; "
        f"paid = max(0, due) = {show(calc.performance_paid)}"
        + (f"; clawback carried {show(-calc.performance_due)}" if calc.performance_due < 0 else ""),
    ]
    if calc.final and calc.paid_basis.startswith("issued"):
        steps.append(
            f"final statement (departure month), issued: outstanding = due − issued paid = "
            f"{difference(calc.performance_due, calc.paid_for_true_up)} = "
            f"{show(calc.performance_due - calc.paid_for_true_up)}"
        )
    total = calc.statement()["total"]
    steps += [
        f"salary: base {show(t.base_salary)} × {calc.days_employed}/{calc.days_in_month} = "
        f"{show(calc.base_salary)}; post {show(t.post_salary)} × {calc.days_employed}/{calc.days_in_month} = "
        f"{show(calc.post_salary)}",
        *_adjusted("awards", calc.awards, [a for a in adjustments if a["kind"] == "award"]),
        f"total = base + post + paid performance + awards = "
        f"{terms([calc.base_salary, calc.post_salary, round_fen(calc.performance_paid), calc.awards])} = "
        f"{show(total)}",
    ]
    shown = statements(conn, period, manager_id)
    return {
        "manager_id": manager_id,
        "period": period,
        "statement": to_json(shown[0]) if shown else None,
        "restated": to_json(calc.statement()),
        "lines": lines,
        "classes": classes,
        "true_up": true_up,
        "adjustments": adjustments,
        "disputes": disputes,
        "steps": steps,
    }


def _line_text(ln: dict[str, Any]) -> list[str]:
    """One credited line in two rows: what it is, then its arithmetic."""
    who = f"client {ln['client_id']}" if ln["client_id"] else "own activity"
    age = "" if ln["age_years"] is None else f", age {ln['age_years']} years"
    return [
        f"  {ln['value_date']}  {ln['kind']} {ln['ref']}  {who}  {ln['category']}  {ln['role']}",
        f"      {ln['stock_or_new']}{age}: {show(ln['posting_amount'])} × share {ratio(ln['share'])} = "
        f"{show(ln['credited'])}; × weight {ln['weight']} = {show(ln['weighted'])}",
    ]


def _wrapped(line: str) -> list[str]:
    """``line`` broken at spaces to at most WIDTH columns, continuations indented."""
    if len(line) <= WIDTH:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 4)
    return textwrap.wrap(
        line, WIDTH, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False
    )


def explain_text(result: dict[str, Any]) -> str:
    """The explanation for people, at most 120 columns (a single id longer than that
    is never cut)."""
    out = [
        f"Statement of {result['manager_id']} for {result['period']}, worked out on today's data",
        "",
        "Lines credited (income +, costs and loss charges −; weight 1 for new business, k0 of the class "
        "for stock):",
    ]
    for name in PROFIT_CLASSES:
        of_class = [ln for ln in result["lines"] if ln["class"] == name]
        if of_class:
            out.append(f"{name} (k0 {result['classes'][name]['k0']}):")
            for ln in of_class:
                out += _line_text(ln)
    if not result["lines"]:
        out.append("  (none)")
    out += ["", "Arithmetic:"] + [f"  {s}" for s in result["steps"]]
    st = result["statement"]
    if st and st.get("status") == "issued":
        out += [
            "",
            f"Issued at position {st['issued_at_position']}: paid {show(st['performance_paid'])}, "
            f"total {show(st['total'])} (the arithmetic above is on today's data)",
        ]
    return "\n".join(w for line in out for w in _wrapped(line))
