"""Explain a pay statement: every line behind it and the arithmetic to each pay line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.money import round_fen
from domain.values import PROFIT_CLASSES, month_bounds
from projections import rules
from projections.credit import credit_lines_sql
from projections.pay import _conn, compute, statements, to_json


def _q(value: Decimal, places: str = "0.01") -> str:
    return f"{value.quantize(Decimal(places))}"


def explain(source: Any, manager_id: str, period: str) -> dict[str, Any] | None:
    """The lines (postings, charges, activities) credited to ``manager_id`` in
    ``period`` with class, stock/new, age and weight; per-class figures; and the
    steps from there to each pay line. None when there is no statement."""
    conn = _conn(source)
    calcs = compute(conn, period, manager_id)
    if not calcs:
        return None
    calc = calcs[0]
    first, last = month_bounds(period)
    cur = conn.execute(
        f"SELECT kind, ref, client_id, category, class, sign, value_date, role, origin, first_served_on, "
        f"age_days, is_new, share, amount FROM ({credit_lines_sql(last, first)}) "
        f"WHERE manager_id = ? ORDER BY value_date, kind, ref", [manager_id])
    cols = [d[0] for d in cur.description]
    lines = []
    for row in cur.fetchall():
        line = dict(zip(cols, row, strict=True))
        cls = calc.classes[line["class"]]
        weight = Decimal(1) if line["is_new"] else rules.k0(cls.n)
        age = Decimal(line["age_days"]) / rules.DAYS_PER_YEAR if line["age_days"] is not None else None
        lines.append({
            "kind": line["kind"], "ref": line["ref"], "client_id": line["client_id"],
            "category": line["category"], "class": line["class"], "sign": line["sign"],
            "value_date": line["value_date"].isoformat(), "role": line["role"], "origin": line["origin"],
            "stock_or_new": "new" if line["is_new"] else "stock",
            "age_days": line["age_days"], "age_years": None if age is None else _q(age, "0.000001"),
            "share": str(line["share"]), "amount": _q(line["amount"]), "weight": _q(weight, "0.000001"),
        })
    classes = {}
    steps: list[str] = []
    for name in PROFIT_CLASSES:
        c = calc.classes[name]
        k = rules.k0(c.n)
        classes[name] = {
            "income_stock": _q(c.income_stock), "cost_stock": _q(c.cost_stock),
            "charge_stock": _q(c.charge_stock), "income_new": _q(c.income_new),
            "cost_new": _q(c.cost_new), "charge_new": _q(c.charge_new),
            "P0": _q(c.p0), "P1": _q(c.p1), "n": _q(c.n, "0.000001"), "k0": _q(k, "0.000001"),
            "weighted": _q(k * c.p0 + c.p1),
        }
        if c.p0 or c.p1:
            steps.append(
                f"{name}: P0 = {_q(c.income_stock)} − {_q(c.cost_stock)} − {_q(c.charge_stock)} = {_q(c.p0)}; "
                f"P1 = {_q(c.income_new)} − {_q(c.cost_new)} − {_q(c.charge_new)} = {_q(c.p1)}; "
                f"n = {_q(c.n, '0.000001')}; k0 = max(0.8, 1 − 0.05 × n) = {_q(k, '0.000001')}; "
                f"k0 × P0 + P1 = {_q(k * c.p0 + c.p1)}")
    t = calc.terms
    steps += [
        f"responsibility profit = {_q(calc.responsibility_profit)}",
        f"WP = Σ (k0 × P0 + P1) = {_q(calc.weighted_profit)}",
        f"plan {t.version}, grade {t.grade} on {calc.reference_day}: commission {t.commission_per_10k}/10,000, "
        f"coefficient {t.coefficient}, prepayment ratio {t.prepay_ratio}",
        f"PP = WP × {t.commission_per_10k} / 10000 × {t.coefficient} = {calc.performance_earned:.6f} "
        f"(shown {_q(calc.performance_earned)})",
        f"prepayment = round({t.prepay_ratio} × max(0, PP)) = {calc.prepayment}",
    ]
    if calc.settles_half:
        pps = " + ".join(_q(p) for p in calc.half_pp)
        steps.append(
            f"settlement = round(max(0, {pps})) − ({' + '.join(str(p) for p in calc.half_prepay)}) "
            f"= {_q(calc.settlement)}")
    steps += [
        f"compliance = {_q(calc.compliance)}",
        f"entitlement E = {_q(calc.prepayment)} + {_q(calc.settlement)} + {_q(calc.compliance)} "
        f"= {_q(calc.entitlement)}",
        f"prior true-up (Σ earlier E − Σ earlier paid) = {_q(calc.prior_true_up)}",
        f"due = E + prior = {_q(calc.performance_due)}; paid = max(0, due) = {_q(calc.performance_paid)}"
        + (f"; clawback carried {_q(-calc.performance_due)}" if calc.performance_due < 0 else ""),
        f"salary: base {t.base_salary} × {calc.days_employed}/{calc.days_in_month} = {calc.base_salary}; "
        f"post {t.post_salary} × {calc.days_employed}/{calc.days_in_month} = {calc.post_salary}",
        f"awards = {_q(calc.awards)}",
        f"total = {calc.base_salary} + {calc.post_salary} + {round_fen(calc.performance_paid)} + "
        f"{_q(calc.awards)} = {calc.statement()['total']}",
    ]
    shown = statements(conn, period, manager_id)
    return {
        "manager_id": manager_id, "period": period,
        "statement": to_json(shown[0]) if shown else None,
        "restated": to_json(calc.statement()),
        "lines": lines, "classes": classes, "steps": steps,
    }


def explain_text(result: dict[str, Any]) -> str:
    """The explanation for people."""
    out = [f"Statement of {result['manager_id']} for {result['period']}", "", "Lines:"]
    out.append(f"  {'date':10} {'kind':8} {'ref':24} {'client':10} {'category':26} {'class':10} "
               f"{'role':9} {'stock/new':9} {'age':>9} {'weight':>9} {'amount':>14}")
    for ln in result["lines"]:
        out.append(
            f"  {ln['value_date']:10} {ln['kind']:8} {str(ln['ref'])[:24]:24} {str(ln['client_id'] or '-'):10} "
            f"{ln['category']:26} {ln['class']:10} {ln['role']:9} {ln['stock_or_new']:9} "
            f"{ln['age_years'] or '-':>9} {ln['weight']:>9} {ln['amount']:>14}")
    if not result["lines"]:
        out.append("  (none)")
    out += ["", "Arithmetic:"] + [f"  {s}" for s in result["steps"]]
    st = result["statement"]
    if st and st.get("status") == "issued":
        out += ["", f"Issued at position {st['issued_at_position']}: paid {st['performance_paid']}, "
                    f"total {st['total']} (the arithmetic above is on today's data)"]
    return "\n".join(out)
