"""The departure audit (离任审计) of docs/rules.md R9.2, computed at an event-log position.

``departure_audit(conn, manager_id, at_position)`` reads only rows at or before the
position, so recomputing it there gives the same content and the same SHA-256
(``sha256`` is the hash of the canonical JSON of every other field).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from domain.values import APPROVAL_ROLES, LOAN_CATEGORIES, NON_PERFORMING, month_bounds
from projections.audit import disputes as audit_disputes
from projections.audit import pay as audit_pay
from projections.audit import tiers as audit_tiers
from projections.audit.common import (
    head_position,
    mask_id,
    money_text,
    query,
    ratio_text,
    sha256_of,
    sql_in,
)
from projections.audit.views import AT, assignment_intervals_sql, credits_sql, handover_status_sql
from projections.display import percent

REPORT_VERSION = 2  # 2: handover names, percentages, money owed after the last statement
NEAR_MONTH_END_DAYS = 5  # moved in at most this many days before a month end ...
QUICK_EXIT_DAYS = 60  # ... and out again within this many days: window dressing
OUTFLOW_WINDOW_DAYS = 90


class DepartureAuditError(LookupError):
    """The manager is unknown, or has no departure request, at the position."""


def departure_audit(
    conn: duckdb.DuckDBPyConnection, manager_id: str, at_position: int | None = None
) -> dict[str, Any]:
    """The departure audit as a JSON-ready dict, with ``position`` and ``sha256``."""
    head = head_position(conn)
    pos = head if at_position is None else min(int(at_position), head)
    p: dict[str, Any] = {"pos": pos, "m": manager_id}
    hired = query(
        conn, f"SELECT * FROM managers WHERE {AT} AND manager_id = $m ORDER BY position LIMIT 1", p
    )
    if not hired:
        raise DepartureAuditError(f"no manager {manager_id!r} is known at position {pos}")
    hire = hired[0]
    requests = query(
        conn,
        f"SELECT * FROM departure_requests WHERE {AT} AND manager_id = $m "
        "ORDER BY position LIMIT 1",
        p,
    )
    if not requests:
        raise DepartureAuditError(
            f"manager {manager_id!r} has no departure request at position {pos}"
        )
    req = requests[0]
    departed = query(
        conn,
        f"SELECT * FROM departures WHERE {AT} AND manager_id = $m ORDER BY position LIMIT 1",
        p,
    )
    end_day: date = departed[0]["departed_on"] if departed else req["last_day"]
    p.update(requested_on=req["requested_on"], end_day=end_day, hired_on=hire["hired_on"])

    grades = query(
        conn,
        f"SELECT grade, effective_on, position FROM grade_changes WHERE {AT} AND manager_id = $m "
        "ORDER BY effective_on, position",
        p,
    )

    def grade_on(day: date) -> str:
        grade = str(hire["grade"])
        for g in grades:
            if g["effective_on"] <= day:
                grade = str(g["grade"])
        return grade

    content: dict[str, Any] = {
        "report": "departure_audit",
        "version": REPORT_VERSION,
        "position": pos,
        "manager": {
            "manager_id": manager_id,
            "name": hire["name"],
            "branch_id": hire["branch_id"],
            "hired_on": hire["hired_on"],
            "grade_at_request": grade_on(req["requested_on"]),
            "grade_at_departure": grade_on(end_day),
            "position": hire["position"],
            "grade_changes": [
                {"grade": g["grade"], "effective_on": g["effective_on"], "position": g["position"]}
                for g in grades
            ],
        },
        "departure": {
            "kind": req["kind"],
            "requested_on": req["requested_on"],
            "last_day": req["last_day"],
            "departed_on": departed[0]["departed_on"] if departed else None,
            "status": "departed" if departed else "requested",
            "audit_date": end_day,
            "positions": [req["position"]] + ([departed[0]["position"]] if departed else []),
        },
    }
    content["approvals"] = _approvals(conn, p)
    intervals = query(
        conn,
        f"SELECT * FROM ({assignment_intervals_sql(AT)}) WHERE manager_id = $m "
        "ORDER BY valid_from, start_position, role",
        p,
    )
    client_ids = {i["client_id"] for i in intervals}
    handovers = query(
        conn,
        f"SELECT * FROM ({handover_status_sql(AT)}) "
        "WHERE from_manager_id = $m OR to_manager_id = $m ORDER BY opened_on, opened_position",
        p,
    )
    # Names of every client and manager a handover names, as known at the position.
    named = client_ids | {c for h in handovers for c in (h["client_ids"] or [])}
    clients = {
        c["client_id"]: c
        for c in query(
            conn,
            f"SELECT client_id, name, kind, id_last4 FROM clients WHERE {AT} "
            f"AND client_id IN {sql_in(named)} QUALIFY row_number() OVER (PARTITION BY client_id "
            "ORDER BY position) = 1",
            p,
        )
    }
    people = {h[k] for h in handovers for k in ("from_manager_id", "to_manager_id")}
    managers = {
        r["manager_id"]: r["name"]
        for r in query(
            conn,
            f"SELECT manager_id, name FROM managers WHERE {AT} AND manager_id IN {sql_in(people)} "
            "QUALIFY row_number() OVER (PARTITION BY manager_id ORDER BY position) = 1",
            p,
        )
    }
    for h in handovers:
        h["_clients"], h["_managers"] = clients, managers
    book = _book(intervals, clients, handovers, req["requested_on"], manager_id)
    content["book"] = book
    content["handovers"] = [_handover_json(h) for h in handovers]
    book_ids = {b["client_id"] for b in book}
    content["loans"] = _loans(conn, p, book_ids, hire["hired_on"], end_day)
    credit_rows = query(
        conn,
        f"""
        SELECT * FROM ({credits_sql(AT, f"client_id IN {sql_in(client_ids)}", "manager_id = $m")})
        ORDER BY on_date, position, kind, source_id""",
        p,
    )
    months = _months(credit_rows, manager_id, hire["hired_on"], end_day)
    findings: list[dict[str, Any]] = []
    content["months"], content["pay"] = _pay(
        conn, manager_id, pos, months, f"{end_day:%Y-%m}", credit_rows
    )
    findings += _owed_after_last_statement(
        content["pay"]["owed_after_last_statement"], req["position"]
    )
    findings += _reversals_after_close(conn, p, credit_rows, manager_id)
    findings += _window_dressing(intervals)
    findings += _handover_findings(handovers, book, manager_id)
    findings += _unattributed(credit_rows, hire["hired_on"], end_day)
    findings += audit_disputes.overdue_findings(conn, manager_id, end_day, pos)
    findings += audit_disputes.unacknowledged_months(
        conn, manager_id, [m["period"] for m in content["months"]], pos, end_day
    )
    tiers = audit_tiers.tier_findings(
        conn,
        pos,
        [b for b in book if b["role"] == "primary"],
        content["manager"]["grade_at_request"],
        req["requested_on"],
        end_day - timedelta(days=OUTFLOW_WINDOW_DAYS),
        end_day,
    )
    findings += _with_tier_evidence(
        conn,
        pos,
        tiers.findings,
        _grade_event(hire, grades, req["requested_on"]),
        req["requested_on"],
    )
    content["checks"] = {
        "grade_fit": tiers.grade_fit_status,
        "large_outflows": tiers.outflow_status,
    }
    findings.sort(key=lambda f: (f["kind"], f["subject"], f["positions"]))
    content["findings"] = findings
    content["finding_counts"] = _counts(findings)
    content["sha256"] = sha256_of(content)
    return content


def verify_hash(report: dict[str, Any]) -> bool:
    """Whether a report's ``sha256`` matches its content."""
    body = {k: v for k, v in report.items() if k != "sha256"}
    return sha256_of(body) == report.get("sha256")


# -- sections -------------------------------------------------------------------------


def _approvals(conn: duckdb.DuckDBPyConnection, p: dict[str, Any]) -> dict[str, Any]:
    rows = query(
        conn,
        f"SELECT * FROM departure_approvals WHERE {AT} AND manager_id = $m ORDER BY position",
        p,
    )
    roles = [r["role"] for r in rows]
    return {
        "required_order": list(APPROVAL_ROLES),
        "in_order": roles == list(APPROVAL_ROLES[: len(roles)]),
        "complete": roles == list(APPROVAL_ROLES),
        "missing": [r for r in APPROVAL_ROLES if r not in roles],
        "approvals": [
            {
                "role": r["role"],
                "approver_id": r["approver_id"],
                "approved_on": r["approved_on"],
                "position": r["position"],
            }
            for r in rows
        ],
    }


def _witnesses(h: dict[str, Any]) -> dict[str, Any]:
    return {
        "sub_branch_lead": None
        if h["sub_branch_lead_id"] is None
        else {"witness_id": h["sub_branch_lead_id"], "witnessed_on": h["sub_branch_lead_on"]},
        "wealth_centre_head": None
        if h["wealth_centre_head_id"] is None
        else {"witness_id": h["wealth_centre_head_id"], "witnessed_on": h["wealth_centre_head_on"]},
    }


def _handover_json(h: dict[str, Any]) -> dict[str, Any]:
    clients, managers = h["_clients"], h["_managers"]
    return {
        "handover_id": h["handover_id"],
        "from_manager_id": h["from_manager_id"],
        "from_manager_name": managers.get(h["from_manager_id"]),
        "to_manager_id": h["to_manager_id"],
        "to_manager_name": managers.get(h["to_manager_id"]),
        "reason": h["reason"],
        "opened_on": h["opened_on"],
        "client_ids": list(h["client_ids"] or []),
        "clients": [
            {
                "client_id": c,
                "name": clients.get(c, {}).get("name"),
                "id_number": mask_id(clients.get(c, {}).get("id_last4")),
            }
            for c in h["client_ids"] or []
        ],
        "witnesses": _witnesses(h),
        "record_ref": h["record_ref"],
        "signed_on": h["signed_on"],
        "filed_on": h["filed_on"],
        "status": h["status"],
        "missing": list(h["missing"]),
        "positions": sorted([h["opened_position"], *h["progress_positions"]]),
    }


def _book(
    intervals: list[dict[str, Any]],
    clients: dict[str, dict[str, Any]],
    handovers: list[dict[str, Any]],
    requested_on: date,
    manager_id: str,
) -> list[dict[str, Any]]:
    """The roles held on the request date and how each ended."""
    open_by_client = {
        c: h
        for h in handovers
        if h["from_manager_id"] == manager_id and h["status"] == "open"
        for c in (h["client_ids"] or [])
    }
    by_id = {h["handover_id"]: h for h in handovers}
    book = []
    for i in intervals:
        if not (
            i["valid_from"] <= requested_on
            and (i["valid_to"] is None or i["valid_to"] > requested_on)
        ):
            continue
        c = clients.get(i["client_id"], {})
        left: dict[str, Any]
        if i["end_change"] is None:
            pending = open_by_client.get(i["client_id"]) if i["role"] == "primary" else None
            left = {
                "how": "open_handover" if pending else "still_held",
                "on": None,
                "handover": _handover_json(pending) if pending else None,
            }
        elif i["end_change"] == "handover_out":
            h = by_id.get(i["end_handover_id"])
            left = {
                "how": "handover",
                "on": i["valid_to"],
                "handover": _handover_json(h) if h else None,
            }
        else:
            left = {
                "how": i["end_change"],
                "on": i["valid_to"],
                "handover": _handover_json(by_id[i["end_handover_id"]])
                if i["end_handover_id"] in by_id
                else None,
            }
        book.append(
            {
                "client_id": i["client_id"],
                "client_name": c.get("name"),
                "client_kind": c.get("kind"),
                "id_number": mask_id(c.get("id_last4")),
                "role": i["role"],
                "origin": i["origin"],
                "since": i["valid_from"],
                "left": left,
                "positions": [x for x in (i["start_position"], i["end_position"]) if x is not None],
            }
        )
    book.sort(key=lambda b: (b["client_id"], b["role"]))
    return book


def _loans(
    conn: duckdb.DuckDBPyConnection,
    p: dict[str, Any],
    book_ids: set[str],
    hired_on: date,
    end_day: date,
) -> dict[str, Any]:
    rows = query(
        conn,
        f"SELECT loan_id, client_id, category, balance, as_of, position FROM loan_classifications "
        f"WHERE {AT} AND client_id IN {sql_in(book_ids)} ORDER BY loan_id, as_of, position",
        p,
    )
    rank = {c: i for i, c in enumerate(LOAN_CATEGORIES)}
    loans: dict[str, dict[str, Any]] = {}
    for r in rows:
        loan = loans.setdefault(
            r["loan_id"],
            {
                "loan_id": r["loan_id"],
                "client_id": r["client_id"],
                "at_departure": None,
                "downgrades": [],
                "_prev": None,
            },
        )
        prev = loan["_prev"]
        if (
            prev is not None
            and rank[r["category"]] > rank[prev["category"]]
            and hired_on <= r["as_of"] <= end_day
        ):
            loan["downgrades"].append(
                {
                    "from": prev["category"],
                    "to": r["category"],
                    "as_of": r["as_of"],
                    "balance": money_text(r["balance"]),
                    "positions": [prev["position"], r["position"]],
                }
            )
        if r["as_of"] <= end_day:
            loan["at_departure"] = r
        loan["_prev"] = r
    total = npl = Decimal(0)
    out = []
    for loan in loans.values():
        at = loan.pop("at_departure")
        loan.pop("_prev")
        if at is not None:
            total += at["balance"]
            if at["category"] in NON_PERFORMING:
                npl += at["balance"]
        out.append(
            {
                **loan,
                "category_at_departure": at["category"] if at else None,
                "balance_at_departure": money_text(at["balance"]) if at else None,
                "classified_as_of": at["as_of"] if at else None,
                "position": at["position"] if at else None,
            }
        )
    return {
        "loans": out,
        "total_balance": money_text(total),
        "non_performing_balance": money_text(npl),
        "non_performing_ratio": ratio_text(npl / total) if total else None,
        "non_performing_percent": percent(npl, total),
    }


def _month_list(first: date, last: date) -> list[str]:
    months = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _months(
    credit_rows: list[dict[str, Any]], manager_id: str, hired_on: date, end_day: date
) -> dict[str, dict[str, Decimal]]:
    zero = Decimal(0)
    months = {
        k: {
            "income": zero,
            "cost": zero,
            "loss_charge": zero,
            "profit": zero,
            "new": zero,
            "stock": zero,
        }
        for k in _month_list(hired_on, end_day)
    }
    for r in credit_rows:
        if r["manager_id"] != manager_id:
            continue
        m = months.get(f"{r['on_date']:%Y-%m}")
        if m is None:
            continue
        amount = Decimal(r["credited"])
        bucket = {"income": "income", "cost": "cost", "charge": "loss_charge"}[r["sign"]]
        m[bucket] += amount if bucket == "income" else -amount
        m["profit"] += amount
        m["new" if r["is_new"] else "stock"] += amount
    return months


def _pay(
    conn: duckdb.DuckDBPyConnection,
    manager_id: str,
    pos: int,
    months: dict[str, dict[str, Decimal]],
    last_month: str,
    credit_rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    issued = {
        r["period"]: r
        for r in query(
            conn,
            f"SELECT * FROM statements_issued WHERE {AT} AND manager_id = $m",
            {"pos": pos, "m": manager_id},
        )
    }
    # The restated pay is computed from the credits already attributed for the months.
    restated_rows = audit_pay.restated_statements(
        conn, manager_id, pos, up_to=last_month, credit_rows=credit_rows
    )
    restated = {r["period"]: r for r in restated_rows or []}
    zero = Decimal(0)
    paid_sum = entitled_sum = zero
    rows = []
    for period, m in months.items():
        i, r = issued.get(period), restated.get(period)
        entitled = _entitlement(r) if r else None
        paid = (
            Decimal(i["performance_paid"]) if i else (Decimal(r["performance_paid"]) if r else None)
        )
        paid_sum += paid or zero
        entitled_sum += entitled or zero
        rows.append(
            {
                "period": period,
                **{k: money_text(v) for k, v in m.items()},
                "status": "issued" if i else ("open" if r else "none"),
                "issued_at_position": i["position"] if i else None,
                "performance_earned": _m(r, "performance_earned"),
                "entitlement_restated": money_text(entitled),
                "entitlement_issued": money_text(_entitlement(i)) if i else None,
                "performance_paid": money_text(paid),
                "performance_paid_restated": _m(r, "performance_paid"),
                "responsibility_profit_issued": _m(i, "responsibility_profit"),
                "responsibility_profit_restated": _m(r, "responsibility_profit"),
                "clawback_carried_issued": _m(i, "clawback_carried"),
                "clawback_carried_restated": _m(r, "clawback_carried"),
                "total_issued": _m(i, "total"),
                "total_restated": _m(r, "total"),
            }
        )
    last = restated[max(restated)] if restated else None
    # Issued statements of months after the departure day (a back-dated departure)
    # were paid too (docs/pay.md, "Departure"): counted in what the leaver was paid.
    paid_after = sum(
        (Decimal(i["performance_paid"]) for p, i in issued.items() if p > last_month), zero
    )
    pay = {
        "restated_available": restated_rows is not None,
        "performance_paid_total": money_text(paid_sum),
        "entitlement_restated_total": money_text(entitled_sum),
        "clawback_owed": money_text(max(zero, paid_sum - entitled_sum)),
        "statement_clawback_carried": _m(last, "clawback_carried"),
        "last_statement_period": last["period"] if last else None,
        "owed_after_last_statement": _owed(
            last, issued.get(last["period"]) if last else None, paid_after
        ),
    }
    return rows, pay


def _owed(
    last: dict[str, Any] | None, issued: dict[str, Any] | None, paid_after: Decimal
) -> dict[str, Any] | None:
    """Performance pay still owed to (+) or by (−) the leaver once the last statement
    (the departure month's) is paid; docs/audit.md states the rule. None without pay."""
    if last is None:
        return None
    # The final statement's restated due already counts every earlier month's E and
    # paid; its own payment is what was issued, or, while open, what it pays now.
    due = Decimal(str(last["performance_due"]))
    paid = (
        Decimal(str(issued["performance_paid"]))
        if issued
        else Decimal(str(last["performance_paid"]))
    )
    balance = due - paid
    return {
        "period": last["period"],
        "status": "issued" if issued else "open",
        "issued_at_position": issued["position"] if issued else None,
        "performance_due_restated": money_text(due),
        "performance_paid": money_text(paid),
        "paid_after_departure": money_text(paid_after),
        "balance": money_text(balance),
        "owed_to_leaver": money_text(max(Decimal(0), balance)),
        "owed_by_leaver": money_text(max(Decimal(0), -balance)),
    }


def _m(row: dict[str, Any] | None, field: str) -> str | None:
    if row is None or row.get(field) is None:
        return None
    return money_text(Decimal(str(row[field])))


def _entitlement(row: dict[str, Any]) -> Decimal:
    return sum(
        (
            Decimal(str(row.get(f, 0)))
            for f in ("prepayment", "settlement", "compliance", "corrections")
        ),
        Decimal(0),
    )


# -- findings -------------------------------------------------------------------------


def _finding(
    kind: str, subject: str, detail: str, positions: list[int], **extra: Any
) -> dict[str, Any]:
    return {
        "kind": kind,
        "subject": subject,
        "detail": detail,
        "positions": sorted(set(positions)),
        **extra,
    }


def _owed_after_last_statement(
    owed: dict[str, Any] | None, request_position: int
) -> list[dict[str, Any]]:
    """A finding when the last statement leaves money owed either way. Events: the
    departure request (it makes that statement the last) and the statement's close."""
    if owed is None or Decimal(owed["balance"]) == 0:
        return []
    to_leaver = Decimal(owed["balance"]) > 0
    figure = owed["owed_to_leaver"] if to_leaver else owed["owed_by_leaver"]
    paid = (
        f"issued at position {owed['issued_at_position']} and paid {owed['performance_paid']}"
        if owed["status"] == "issued"
        else f"open, paying {owed['performance_paid']}"
    )
    return [
        _finding(
            "money_owed_after_last_statement",
            owed["period"],
            f"after the last statement ({owed['period']}, {paid}) {figure} of performance pay is still owed "
            f"{'to' if to_leaver else 'by'} the leaver (restated due {owed['performance_due_restated']})",
            [request_position]
            + ([owed["issued_at_position"]] if owed["issued_at_position"] is not None else []),
            amount=figure,
            direction="to_leaver" if to_leaver else "by_leaver",
        )
    ]


def _reversals_after_close(
    conn: duckdb.DuckDBPyConnection,
    p: dict[str, Any],
    credit_rows: list[dict[str, Any]],
    manager_id: str,
) -> list[dict[str, Any]]:
    closes = {
        r["period"]: r
        for r in query(
            conn,
            f"SELECT period, min(position) AS position, "
            f"min(closed_on) AS closed_on FROM periods_closed "
            f"WHERE {AT} GROUP BY period",
            p,
        )
    }
    out = []
    for r in credit_rows:
        if (
            r["kind"] != "posting"
            or r["manager_id"] != manager_id
            or r["reversed_position"] is None
        ):
            continue
        close = closes.get(f"{r['on_date']:%Y-%m}")
        if close is not None and close["position"] < r["reversed_position"]:
            out.append(
                _finding(
                    "reversal_after_close",
                    r["source_id"],
                    f"posting {r['source_id']} ({r['category']} {money_text(r['amount'])}, value date {r['on_date']}) "
                    f"of client {r['client_id']} was reversed after {close['period']} was closed on {close['closed_on']}",
                    [r["position"], close["position"], r["reversed_position"]],
                    client_id=r["client_id"],
                    amount=money_text(r["amount"]),
                    period=close["period"],
                )
            )
    return out


def _window_dressing(intervals: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i in intervals:
        if i["role"] != "primary" or i["valid_to"] is None:
            continue
        _, month_end = month_bounds(f"{i['valid_from']:%Y-%m}")
        before_end = (month_end - i["valid_from"]).days
        held = (i["valid_to"] - i["valid_from"]).days
        if before_end <= NEAR_MONTH_END_DAYS and held <= QUICK_EXIT_DAYS:
            out.append(
                _finding(
                    "moved_in_near_month_end",
                    i["client_id"],
                    f"client {i['client_id']} was moved in on {i['valid_from']} ({before_end} day(s) before the "
                    f"month end {month_end}) and out again on {i['valid_to']} ({held} days later, "
                    f"{i['end_change']})",
                    [i["start_position"], i["end_position"]],
                    moved_in=i["valid_from"],
                    moved_out=i["valid_to"],
                )
            )
    return out


def _handover_findings(
    handovers: list[dict[str, Any]], book: list[dict[str, Any]], manager_id: str
) -> list[dict[str, Any]]:
    out = []
    for h in handovers:
        if h["from_manager_id"] != manager_id:
            continue
        positions = [h["opened_position"], *h["progress_positions"]]
        missing_witnesses = [
            m.removeprefix("witness ") for m in h["missing"] if m.startswith("witness ")
        ]
        if missing_witnesses:
            out.append(
                _finding(
                    "handover_unwitnessed",
                    h["handover_id"],
                    f"handover {h['handover_id']} to {h['to_manager_id']} (opened {h['opened_on']}) has no witness "
                    f"by {' and '.join(missing_witnesses)}",
                    positions,
                    missing=missing_witnesses,
                )
            )
        if h["status"] != "filed":
            out.append(
                _finding(
                    "handover_unfiled",
                    h["handover_id"],
                    f"handover {h['handover_id']} to {h['to_manager_id']} (opened {h['opened_on']}) is not filed "
                    f"with the RM office; missing: {', '.join(h['missing'])}",
                    positions,
                    missing=list(h["missing"]),
                )
            )
    for b in book:
        how = b["left"]["how"]
        if how == "released" and b["role"] == "primary":
            out.append(
                _finding(
                    "released_without_handover",
                    b["client_id"],
                    f"client {b['client_id']} was released on {b['left']['on']} instead of being handed over",
                    b["positions"],
                )
            )
        elif how in ("still_held", "open_handover"):
            out.append(
                _finding(
                    "client_still_held",
                    f"{b['client_id']}/{b['role']}",
                    f"client {b['client_id']} is still held as {b['role']}"
                    + (" (in an open handover)" if how == "open_handover" else ""),
                    b["positions"],
                )
            )
    return out


def _unattributed(
    credit_rows: list[dict[str, Any]], hired_on: date, end_day: date
) -> list[dict[str, Any]]:
    by_client: dict[str, list[dict[str, Any]]] = {}
    for r in credit_rows:
        if (
            r["kind"] == "posting"
            and r["manager_id"] is None
            and r["reversed_position"] is None
            and hired_on <= r["on_date"] <= end_day
        ):
            by_client.setdefault(r["client_id"], []).append(r)
    out = []
    for client, rows in sorted(by_client.items()):
        total = sum((Decimal(r["amount"]) for r in rows), Decimal(0))
        out.append(
            _finding(
                "unattributed_postings",
                client,
                f"{len(rows)} posting(s) of client {client} totalling {money_text(total)} fall on dates with no "
                f"primary manager ({rows[0]['on_date']} to {rows[-1]['on_date']}): nobody is credited",
                [r["position"] for r in rows],
                count=len(rows),
                amount=money_text(total),
                posting_ids=sorted(r["source_id"] for r in rows),
            )
        )
    return out


def _grade_event(hire: dict[str, Any], grades: list[dict[str, Any]], day: date) -> int:
    """The position of the event that set the manager's grade in force on ``day``: the
    last grade change effective on or before it, else the hire."""
    position = int(hire["position"])
    for g in grades:  # ordered by effective_on, position
        if g["effective_on"] <= day:
            position = int(g["position"])
    return position


def _with_tier_evidence(
    conn: duckdb.DuckDBPyConnection,
    pos: int,
    findings: list[dict[str, Any]],
    grade_position: int,
    requested_on: date,
) -> list[dict[str, Any]]:
    """The tier findings with every event behind them in ``positions``.

    ``grade_fit_mismatch``: the client's assignment start (already there), the event
    that set the manager's grade on the request date, and the balance reports the tier
    and maintenance level were computed from (the reports of each product in force on
    that date, and the deposit reports in force on some day of the half-year
    average's window). ``large_outflow``: the report of the lower balance (already
    there) and the report of the starting balance it is measured from (the deposit
    report in force on ``from_date``; ``from_position``)."""
    out = []
    for f in findings:
        f = dict(f)
        if f["kind"] == "grade_fit_mismatch":
            reports = _tier_reports(conn, pos, f["subject"], requested_on)
            f["positions"] = sorted({*f["positions"], grade_position, *reports})
            f["grade_position"] = grade_position
            f["balance_positions"] = reports
        elif f["kind"] == "large_outflow":
            start = _outflow_start(conn, pos, f["subject"], f["as_of"], f["positions"][-1])
            if start is not None:
                f["positions"] = sorted({*f["positions"], start})
            f["from_position"] = start
        out.append(f)
    return out


def _tier_reports(conn: duckdb.DuckDBPyConnection, pos: int, client_id: str, on: date) -> list[int]:
    """Positions of the balance reports behind a client's tier on ``on`` (the tier
    macro's own intervals: deposits over the 182-day window, other products on the day)."""
    from projections.tiers import classify as tiers

    tiers.install(conn)
    window_from = on - timedelta(days=tiers.WINDOW_DAYS - 1)
    rows = conn.execute(
        "SELECT DISTINCT position FROM tier_balance_intervals(?, ?, ?, ?, ?) ORDER BY position",
        [client_id, window_from, on, on, pos],
    ).fetchall()
    return [int(r[0]) for r in rows]


def _outflow_start(
    conn: duckdb.DuckDBPyConnection, pos: int, client_id: str, as_of: date, to_position: int
) -> int | None:
    """The position of the deposit report an outflow is measured from: the report in
    force on the alert's ``from_date`` (the latest as_of on or before it; for one date
    the latest position), at the cut. The alert is asked again of the tiers for its
    ``from_date`` (the finding carries only the lower report's position)."""
    from projections.tiers import classify as tiers

    alerts = [
        a
        for a in tiers.large_outflows(conn, as_of, as_of, client_id, at_position=pos)
        if int(a["position"]) == int(to_position)
    ]
    if not alerts:
        return None
    row = conn.execute(
        "SELECT position FROM balances WHERE position <= ? AND client_id = ? AND product = 'deposit' "
        "AND as_of <= ? ORDER BY as_of DESC, position DESC LIMIT 1",
        [pos, client_id, alerts[0]["from_date"]],
    ).fetchone()
    return None if row is None else int(row[0])


def _counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    return dict(sorted(counts.items()))
