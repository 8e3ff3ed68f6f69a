"""Rendering of the departure audit and the manager history: JSON, Markdown, HTML.

Every rendering is a pure function of the report dict, so the same report gives the
same bytes (the HTML's SVG charts are rendered with a fixed hash salt and no date).
"""

from __future__ import annotations

import html
import io
import json
from decimal import Decimal
from typing import Any

from projections.audit.common import plain
from projections.escape import json_text, markdown, terminal, tree

FINDING_TITLES = {
    "reversal_after_close": "Reversal after the month was closed",
    "moved_in_near_month_end": "Client moved in near a month end and out again within 60 days",
    "grade_fit_mismatch": "Client beyond the manager's grade",
    "large_outflow": "Large deposit outflow in the last 90 days",
    "handover_unwitnessed": "Handover without both witnesses",
    "handover_unfiled": "Handover not filed with the RM office",
    "released_without_handover": "Client released instead of handed over",
    "client_still_held": "Client still held",
    "unattributed_postings": "Postings with no primary manager",
    "money_owed_after_last_statement": "Money still owed to or by the leaver after the last statement",
}


def render_json(report: dict[str, Any]) -> str:
    """Sorted keys, 2-space indent, one trailing newline."""
    return json_text(json.dumps(plain(report), sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


def _v(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_v(x) for x in value) if value else "—"
    return str(plain(value))


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    # Cells arrive escaped (render_markdown escapes the whole report: ``|`` included).
    out += ["| " + " | ".join(_v(c) for c in row) + " |" for row in rows]
    return out + [""]


def _book_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for b in report["book"]:
        left, h = b["left"], b["left"]["handover"]
        rows.append(
            [
                b["client_id"],
                b["client_name"],
                b["id_number"],
                b["role"],
                b["origin"],
                b["since"],
                left["how"],
                left["on"],
                h["handover_id"] if h else None,
                h["to_manager_id"] if h else None,
                b["positions"],
            ]
        )
    return rows


BOOK_HEADERS = [
    "client",
    "name",
    "id no.",
    "role",
    "origin",
    "since",
    "left by",
    "on",
    "handover",
    "to",
    "positions",
]


def _witnessed(w: dict[str, Any] | None) -> str:
    return "none" if w is None else f"{w['witness_id']}, witnessed {_v(w['witnessed_on'])}"


def handover_facts(h: dict[str, Any]) -> list[tuple[str, str]]:
    """A handover as (label, text) pairs: who to whom, why, the clients, both witnesses
    with their dates, the record and its signing date, the filing date."""

    def who(manager_id: str, name: str | None) -> str:
        return f"{name} ({manager_id})" if name else manager_id

    w = h["witnesses"]
    record = (
        "none" if h["record_ref"] is None else f"{h['record_ref']}, signed {_v(h['signed_on'])}"
    )
    return [
        ("outgoing manager", who(h["from_manager_id"], h["from_manager_name"])),
        ("incoming manager", who(h["to_manager_id"], h["to_manager_name"])),
        ("reason", _v(h["reason"])),
        ("opened", _v(h["opened_on"])),
        (
            "clients",
            "; ".join(f"{c['client_id']} {_v(c['name'])} ({c['id_number']})" for c in h["clients"])
            or "none",
        ),
        ("sub-branch RM lead", _witnessed(w["sub_branch_lead"])),
        ("wealth-centre head", _witnessed(w["wealth_centre_head"])),
        ("handover record", record),
        ("filed with the RM office", "not filed" if h["filed_on"] is None else _v(h["filed_on"])),
        (
            "status",
            h["status"] + (f" (missing: {', '.join(h['missing'])})" if h["missing"] else ""),
        ),
        ("events", ", ".join(str(p) for p in h["positions"])),
    ]


def finding_summary(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(title, kind, count) of each kind of finding, in the report's order."""
    return [
        (FINDING_TITLES.get(kind, kind), kind, count)
        for kind, count in report["finding_counts"].items()
    ]


def owed_text(pay: dict[str, Any]) -> str:
    """The sentence on money still owed to or by the leaver after the last statement."""
    owed = pay.get("owed_after_last_statement")
    if owed is None:
        return "Pay could not be restated, so what is owed after the last statement is not known."
    paid = (
        f"issued at position {owed['issued_at_position']}, paid {owed['performance_paid']}"
        if owed["status"] == "issued"
        else f"open, paying {owed['performance_paid']} now"
    )
    return (
        f"Last statement {owed['period']} ({paid}); restated performance due {owed['performance_due_restated']}. "
        f"After it, owed to the leaver {owed['owed_to_leaver']}, owed by the leaver {owed['owed_by_leaver']} "
        "(restated due − paid; settled off-cycle by HR/payroll, never from salary)."
    )


MONTH_HEADERS = [
    "month",
    "income",
    "cost",
    "loss charge",
    "profit",
    "new",
    "stock",
    "status",
    "earned (PP)",
    "entitled (restated)",
    "paid",
    "clawback carried",
]


def _month_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            m["period"],
            m["income"],
            m["cost"],
            m["loss_charge"],
            m["profit"],
            m["new"],
            m["stock"],
            m["status"],
            m["performance_earned"],
            m["entitlement_restated"],
            m["performance_paid"],
            m["clawback_carried_restated"],
        ]
        for m in report["months"]
    ]


LOAN_HEADERS = [
    "loan",
    "client",
    "class at departure",
    "balance",
    "as of",
    "downgrades in tenure",
    "position",
]


def _loan_rows(report: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            x["loan_id"],
            x["client_id"],
            x["category_at_departure"],
            x["balance_at_departure"],
            x["classified_as_of"],
            "; ".join(f"{g['from']}→{g['to']} {g['as_of']}" for g in x["downgrades"]) or None,
            x["position"],
        ]
        for x in report["loans"]["loans"]
    ]


def render_markdown(report: dict[str, Any]) -> str:
    """The audit as Markdown; every text from the store escaped (projections/escape.py)."""
    report = tree(report, markdown)
    m, dep, ap, pay = report["manager"], report["departure"], report["approvals"], report["pay"]
    lines = [
        f"# Departure audit: {m['name']} ({m['manager_id']})",
        "",
        f"Computed at event-log position **{report['position']}**; SHA-256 of the canonical content "
        f"`{report['sha256']}`.",
        "",
        f"Branch {m['branch_id']}, hired {m['hired_on']}, grade {m['grade_at_request']} at the request and "
        f"{m['grade_at_departure']} at departure. Departure: {dep['kind']}, requested {dep['requested_on']}, "
        f"last day {dep['last_day']}, departed {_v(dep['departed_on'])} (status {dep['status']}).",
        "",
        f"## Findings: {len(report['findings'])}",
        "",
    ]
    lines += (
        _md_table(["finding", "kind", "count"], [list(row) for row in finding_summary(report)])
        if report["findings"]
        else ["None.", ""]
    )
    for f in report["findings"]:
        lines.append(
            f"- **{FINDING_TITLES.get(f['kind'], f['kind'])}** ({f['subject']}): {f['detail']}. "
            f"Events: {', '.join(str(p) for p in f['positions'])}."
        )
    lines += ([""] if report["findings"] else []) + [
        f"Checks: grade fit {report['checks']['grade_fit']}, large outflows {report['checks']['large_outflows']}.",
        "",
        "## Approvals",
        "",
        f"Required order: {', '.join(ap['required_order'])}. In order: {'yes' if ap['in_order'] else 'NO'}; "
        f"complete: {'yes' if ap['complete'] else 'NO (missing ' + ', '.join(ap['missing']) + ')'}.",
        "",
    ]
    lines += _md_table(
        ["role", "approver", "approved on", "position"],
        [[a["role"], a["approver_id"], a["approved_on"], a["position"]] for a in ap["approvals"]],
    )
    lines += ["## Book at the request date and how each client left", ""]
    lines += _md_table(BOOK_HEADERS, _book_rows(report))
    lines += ["## Handovers", ""]
    if not report["handovers"]:
        lines += ["None.", ""]
    for h in report["handovers"]:
        lines += [f"### Handover {h['handover_id']}", ""]
        lines += [f"- {label}: {text}" for label, text in handover_facts(h)] + [""]
    loans = report["loans"]
    lines += [
        "## Loans of those clients",
        "",
        f"Total balance {loans['total_balance']}; non-performing {loans['non_performing_balance']}; "
        f"non-performing ratio {_v(loans['non_performing_percent'])}.",
        "",
    ]
    lines += _md_table(LOAN_HEADERS, _loan_rows(report))
    lines += ["## Responsibility profit and pay by month", ""]
    lines += _md_table(MONTH_HEADERS, _month_rows(report))
    lines += [
        f"Performance paid in total {pay['performance_paid_total']}; restated entitlement "
        f"{pay['entitlement_restated_total']}; **clawback still owed {pay['clawback_owed']}** "
        f"(last statement {_v(pay['last_statement_period'])} carries {_v(pay['statement_clawback_carried'])}).",
        "",
        "## Money still owed after the last statement",
        "",
        owed_text(pay),
        "",
    ]
    return "\n".join(lines)


# -- HTML -------------------------------------------------------------------------------

CSS = """
body{font-family:"Noto Sans","Helvetica Neue",Arial,sans-serif;margin:2em;color:#111;max-width:1200px}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.85em}
th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.meta{font-family:monospace;font-size:.85em;word-break:break-all}
.finding{margin:.3em 0}.charts{display:flex;flex-wrap:wrap;gap:1em}.charts figure{margin:0}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
table,figure,.finding{page-break-inside:avoid}a{color:inherit;text-decoration:none}}
"""


def _is_money(text: Any) -> bool:
    if not isinstance(text, str):
        return False
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return "." in text


def _html_table(headers: list[str], rows: list[list[Any]], table_id: str) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html.escape(_v(c))}</td>'
            if _is_money(c)
            else f"<td>{html.escape(_v(c))}</td>"
            for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def charts_svg(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, inline SVG) of profit by month, stock versus new, paid versus restated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.hashsalt"] = "rmledger-audit"
    matplotlib.rcParams["svg.fonttype"] = "none"
    months = [m["period"] for m in report["months"]]

    # Floats only here, for plotting: the figures in the tables stay exact Decimal text.
    def f(text: str | None) -> float:
        return float(Decimal(text)) if text is not None else 0.0

    x = list(range(len(months)))
    out = []
    specs = [
        ("Responsibility profit by month", [("profit", "profit", "#2b6cb0")]),
        ("Stock versus new business", [("stock", "stock", "#718096"), ("new", "new", "#38a169")]),
        (
            "Performance pay: paid versus restated entitlement",
            [
                ("paid", "performance_paid", "#dd6b20"),
                ("restated", "entitlement_restated", "#805ad5"),
            ],
        ),
    ]
    for title, series in specs:
        fig, ax = plt.subplots(figsize=(6.4, 2.8), dpi=96)
        width = 0.8 / len(series)
        for k, (label, field, colour) in enumerate(series):
            ax.bar(
                [i + (k - (len(series) - 1) / 2) * width for i in x],
                [f(m[field]) for m in report["months"]],
                width=width,
                label=label,
                color=colour,
            )
        ax.set_xticks(x)
        ax.set_xticklabels(months, rotation=60, fontsize=7)
        ax.axhline(0, color="#333", linewidth=0.6)
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="y", labelsize=7)
        if len(series) > 1:
            ax.legend(fontsize=7)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(fig)
        svg = buffer.getvalue()
        svg = svg[svg.index("<svg") :]
        out.append((title, svg))
    return out


def render_html(report: dict[str, Any]) -> str:
    """One self-contained HTML page (inline CSS and SVG charts; no scripts, no links)."""
    # Control characters escaped in the whole report first; html.escape then at each use.
    report = tree(report, terminal)
    m, dep, ap, pay, loans = (
        report["manager"],
        report["departure"],
        report["approvals"],
        report["pay"],
        report["loans"],
    )
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Departure audit {e(m['manager_id'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Departure audit: {e(m['name'])} ({e(m['manager_id'])})</h1>",
        f'<p class="meta">position <span id="position">{report["position"]}</span> · sha256 '
        f'<span id="sha256">{e(report["sha256"])}</span></p>',
        f"<p>Branch {e(m['branch_id'])}, hired {e(_v(m['hired_on']))}, grade {e(m['grade_at_request'])} at the "
        f"request and {e(m['grade_at_departure'])} at departure. Departure: {e(dep['kind'])}, requested "
        f"{e(_v(dep['requested_on']))}, last day {e(_v(dep['last_day']))}, departed {e(_v(dep['departed_on']))} "
        f"(status {e(dep['status'])}).</p>",
        f"<h2>Findings: {len(report['findings'])}</h2>",
    ]
    if report["findings"]:
        parts.append(
            _html_table(
                ["finding", "kind", "count"],
                [list(r) for r in finding_summary(report)],
                "finding-counts",
            )
        )
    else:
        parts.append("<p>None.</p>")
    for f in report["findings"]:
        parts.append(
            f'<p class="finding"><b>{e(FINDING_TITLES.get(f["kind"], f["kind"]))}</b> '
            f"({e(f['subject'])}): {e(f['detail'])}. Events: "
            f"{e(', '.join(str(p) for p in f['positions']))}.</p>"
        )
    parts += [
        f"<p>Checks: grade fit {e(report['checks']['grade_fit'])}, large outflows "
        f"{e(report['checks']['large_outflows'])}.</p>",
        "<h2>Approvals</h2>",
        f"<p>In order: {'yes' if ap['in_order'] else 'NO'}; complete: "
        f"{'yes' if ap['complete'] else 'NO (missing ' + e(', '.join(ap['missing'])) + ')'}.</p>",
        _html_table(
            ["role", "approver", "approved on", "position"],
            [
                [a["role"], a["approver_id"], a["approved_on"], a["position"]]
                for a in ap["approvals"]
            ],
            "approvals",
        ),
        "<h2>Book at the request date and how each client left</h2>",
        _html_table(BOOK_HEADERS, _book_rows(report), "book"),
        "<h2>Handovers</h2>",
    ]
    if not report["handovers"]:
        parts.append("<p>None.</p>")
    for n, h in enumerate(report["handovers"], 1):
        parts += [
            f"<h3>Handover {e(h['handover_id'])}</h3>",
            _html_table(["", ""], [list(fact) for fact in handover_facts(h)], f"handover-{n}"),
        ]
    parts += [
        "<h2>Loans of those clients</h2>",
        f"<p>Total balance <b>{e(loans['total_balance'])}</b>; non-performing "
        f'<b id="npl">{e(loans["non_performing_balance"])}</b>; non-performing ratio '
        f'<b id="npl-ratio">{e(_v(loans["non_performing_percent"]))}</b>.</p>',
        _html_table(LOAN_HEADERS, _loan_rows(report), "loans"),
        "<h2>Responsibility profit and pay by month</h2>",
        '<div class="charts">',
    ]
    for title, svg in charts_svg(report):
        parts.append(f"<figure><figcaption>{e(title)}</figcaption>{svg}</figure>")
    parts += [
        "</div>",
        _html_table(MONTH_HEADERS, _month_rows(report), "months"),
        f"<p>Performance paid in total {e(pay['performance_paid_total'])}; restated entitlement "
        f"{e(pay['entitlement_restated_total'])}; <b>clawback still owed "
        f'<span id="clawback">{e(pay["clawback_owed"])}</span></b>.</p>',
        "<h2>Money still owed after the last statement</h2>",
        f'<p id="owed">{e(owed_text(pay))}</p>',
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


def render(report: dict[str, Any], fmt: str) -> str:
    return {"json": render_json, "md": render_markdown, "html": render_html}[fmt](report)


def render_history_text(history: dict[str, Any]) -> str:
    """The manager's history for people."""
    h = tree(history, terminal)
    lines = [
        f"History of {h['name']} ({h['manager_id']}) known at {h['known_at'] or 'now'} "
        f"(position {h['position']}), in force on {h['effective_on']}",
        f"status: {h['status_on']}; grade: {_v(h['grade_on'])}",
        "",
        "Facts:",
    ]
    for f in h["facts"]:
        detail = ", ".join(
            f"{k}={_v(v)}"
            for k, v in f.items()
            if k not in ("kind", "on", "position", "recorded_at") and v is not None
        )
        lines.append(f"  {_v(f['on'])}  #{f['position']:<8} {f['kind']:<20} {detail}")
    lines += ["", f"Book on {h['effective_on']}:"]
    lines += [
        f"  {b['client_id']} ({b['id_number']}) {b['role']} {b['origin']} since {_v(b['since'])}"
        for b in h["book_on"]
    ] or ["  (none)"]
    lines += ["", "Handovers:"]
    lines += [
        f"  {x['handover_id']} {x['direction']} {x['from_manager_id']}->{x['to_manager_id']} opened "
        f"{_v(x['opened_on'])} status {x['status']} witnesses {_v(x['sub_branch_lead'])}/"
        f"{_v(x['wealth_centre_head'])} record {_v(x['record_ref'])} filed {_v(x['filed_on'])}"
        for x in h["handovers"]
    ] or ["  (none)"]
    lines += ["", f"Credits ({len(h['credits'])}) by month:"]
    lines += [
        f"  {c['period']}  income {c['income']}  cost {c['cost']}  loss {c['loss_charge']}  "
        f"profit {c['profit']}  new {c['new']}  stock {c['stock']}"
        for c in h["credit_months"]
    ] or ["  (none)"]
    lines += ["", "Statements issued:"]
    lines += [
        f"  {s['period']} at #{s['issued_at_position']}: earned {s['performance_earned']} paid "
        f"{s['performance_paid']} total {s['total']}"
        for s in h["statements"]["issued"]
    ] or ["  (none)"]
    restated = h["statements"]["restated"]
    if restated is not None:
        lines += ["", "Statements restated:"]
        lines += [
            f"  {s['period']}: earned {s.get('performance_earned')} paid {s.get('performance_paid')} "
            f"total {s.get('total')}"
            for s in restated
        ] or ["  (none)"]
    return "\n".join(lines) + "\n"
