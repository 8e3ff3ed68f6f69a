"""Explain a pay statement: every line behind it and the arithmetic to each pay line.

Every number shown is rounded ROUND_HALF_UP (docs/rules.md R2.2) through
``projections.rules.rounded``, the same rounding the statements use, so that a
manager who redoes the sums gets the statement's figures to the fen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.money import round_fen
from domain.values import DAYS_PER_YEAR, PROFIT_CLASSES, month_bounds
from projections import rules
from projections.credit import credit_lines_sql
from projections.pay import MonthCalc, _conn, load_pay_data, manager_months, statements, to_json


def _q(value: Decimal, places: int = 2) -> str:
    """``value`` for display, ROUND_HALF_UP to ``places`` decimals."""
    return f"{rules.rounded(Decimal(value), places)}"


def _add(text: str) -> str:
    """A displayed amount as the right-hand side of ``+``: negatives in parentheses."""
    return f"({text})" if text.startswith("-") else text


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
        f"  {r['period']}: E = {r['prepayment']} + {_add(r['settlement'])} + {_add(r['compliance'])} = "
        f"{r['entitlement']}; paid {r['paid']} ({r['paid_basis']})"
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
        f"  Σ E = {_q(entitled)}; Σ paid = {_q(paid)}; prior true-up = {_q(entitled)} − {_q(paid)} "
        f"= {_q(calc.prior_true_up)}"
    )
    return rows, text


def explain(source: Any, manager_id: str, period: str) -> dict[str, Any] | None:
    """The lines (postings, charges, activities) credited to ``manager_id`` in
    ``period`` with class, stock/new, age and weight; per-class figures; the months
    behind the prior true-up; and the steps from there to each pay line, on today's
    data. None when there is no statement."""
    conn = _conn(source)
    months = _months(conn, manager_id, period)
    if not months:
        return None
    calc, earlier = months[-1], months[:-1]
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
            }
        )
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
        }
        if c.p0 or c.p1:
            steps.append(
                f"{name}: P0 = {_q(c.income_stock)} − {_q(c.cost_stock)} − {_q(c.charge_stock)} = {_q(c.p0)}; "
                f"P1 = {_q(c.income_new)} − {_q(c.cost_new)} − {_q(c.charge_new)} = {_q(c.p1)}; "
                f"n = {_q(c.n, 6)}; k0 = max(0.8, 1 − 0.05 × n) = {_q(k, 6)}; "
                f"k0 × P0 + P1 = {_q(k * c.p0 + c.p1)}"
            )
    t = calc.terms
    steps += [
        f"responsibility profit = {_q(calc.responsibility_profit)}",
        f"WP = Σ (k0 × P0 + P1) = {_q(calc.weighted_profit)}",
        f"plan {t.version}, grade {t.grade} on {calc.reference_day}: commission {t.commission_per_10k}/10,000, "
        f"coefficient {t.coefficient}; prepayment ratio {t.prepay_ratio} (plan {t.prepay_version} on {last})",
        f"PP = WP × {t.commission_per_10k} / 10000 × {t.coefficient} = {_q(calc.performance_earned, 6)} "
        f"(shown {_q(calc.performance_earned)})",
        f"prepayment = round({t.prepay_ratio} × max(0, PP)) = {_q(calc.prepayment)}",
    ]
    if calc.settles_half:
        half_start = months[len(months) - len(calc.half_pp)].period
        pp_sum = sum(calc.half_pp, rules.ZERO)
        prepay_sum = sum(calc.half_prepay, rules.ZERO)
        steps.append(
            f"settlement ({half_start} to {period}) = round(max(0, "
            f"{' + '.join(_q(p, 6) for p in calc.half_pp)} = {_q(pp_sum, 6)})) − "
            f"({' + '.join(_q(p) for p in calc.half_prepay)}) = {_q(round_fen(max(rules.ZERO, pp_sum)))} − "
            f"{_q(prepay_sum)} = {_q(calc.settlement)}"
        )
    true_up, true_up_text = _true_up(calc, earlier)
    steps += [
        f"compliance = {_q(calc.compliance)}",
        f"entitlement E = {_q(calc.prepayment)} + {_add(_q(calc.settlement))} + {_add(_q(calc.compliance))} "
        f"= {_q(calc.entitlement)}",
        *true_up_text,
        f"due = E + prior = {_q(calc.entitlement)} + {_add(_q(calc.prior_true_up))} = {_q(calc.performance_due)}; "
        f"paid = max(0, due) = {_q(calc.performance_paid)}"
        + (f"; clawback carried {_q(-calc.performance_due)}" if calc.performance_due < 0 else ""),
    ]
    if calc.final and calc.paid_basis.startswith("issued"):
        steps.append(
            f"final statement (departure month), issued: outstanding = due {_q(calc.performance_due)} − "
            f"issued paid {_q(calc.paid_for_true_up)} = {_q(calc.performance_due - calc.paid_for_true_up)}"
        )
    total = calc.statement()["total"]
    steps += [
        f"salary: base {t.base_salary} × {calc.days_employed}/{calc.days_in_month} = {calc.base_salary}; "
        f"post {t.post_salary} × {calc.days_employed}/{calc.days_in_month} = {calc.post_salary}",
        f"awards = {_q(calc.awards)}",
        f"total = {calc.base_salary} + {calc.post_salary} + {_q(calc.performance_paid)} + "
        f"{_add(_q(calc.awards))} = {total}",
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
        "steps": steps,
    }


def explain_text(result: dict[str, Any]) -> str:
    """The explanation for people."""
    out = [f"Statement of {result['manager_id']} for {result['period']}", "", "Lines:"]
    out.append(
        f"  {'date':10} {'kind':8} {'ref':24} {'client':10} {'category':26} {'class':10} "
        f"{'role':9} {'stock/new':9} {'age':>9} {'weight':>9} {'amount':>14}"
    )
    for ln in result["lines"]:
        out.append(
            f"  {ln['value_date']:10} {ln['kind']:8} {str(ln['ref'])[:24]:24} {str(ln['client_id'] or '-'):10} "
            f"{ln['category']:26} {ln['class']:10} {ln['role']:9} {ln['stock_or_new']:9} "
            f"{ln['age_years'] or '-':>9} {ln['weight']:>9} {ln['amount']:>14}"
        )
    if not result["lines"]:
        out.append("  (none)")
    out += ["", "Arithmetic:"] + [f"  {s}" for s in result["steps"]]
    st = result["statement"]
    if st and st.get("status") == "issued":
        out += [
            "",
            f"Issued at position {st['issued_at_position']}: paid {st['performance_paid']}, "
            f"total {st['total']} (the arithmetic above is on today's data)",
        ]
    return "\n".join(out)
