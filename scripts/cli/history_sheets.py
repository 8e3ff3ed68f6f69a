"""A manager's history (``rmledger audit history``) as sheets for CSV or Excel.

The first sheet, the statements issued and restated month by month, is the CSV; a
workbook adds the credits by month, each credit, the facts, the book and the
handovers. Every statement row names the manager, the branch and the event-log
position the history was read at, so that the CSV stands alone."""

from __future__ import annotations

from typing import Any

from projections.audit.common import plain
from projections.audit.history import STATEMENT_FIELDS, fact_detail
from scripts.cli.tabular import Column, Sheet

_WHO = (
    Column("manager", "manager_id"),
    Column("name", "name"),
    Column("branch", "branch_id"),
    Column("known at position", "known_at_position", "int"),
)
STATEMENTS = (
    *_WHO,
    Column("period", "period"),
    Column("as", "as"),
    Column("grade", "grade"),
    *(Column(field.replace("_", " "), field, "money") for field in STATEMENT_FIELDS),
    Column("status", "status"),
    Column("issued at position", "issued_at_position", "int"),
)
MONTHS = (
    Column("period", "period"),
    *(
        Column(heading, key, "money")
        for heading, key in (
            ("income", "income"),
            ("cost", "cost"),
            ("loss charge", "loss_charge"),
            ("profit", "profit"),
            ("new", "new"),
            ("stock", "stock"),
        )
    ),
)
CREDITS = (
    Column("on", "on", "date"),
    Column("kind", "kind"),
    Column("source", "source_id"),
    Column("client", "client_id"),
    Column("category", "category"),
    Column("class", "class"),
    Column("sign", "sign"),
    Column("amount", "amount", "money"),
    Column("share", "share"),
    Column("credited", "credited", "money"),
    Column("business", "business"),
    Column("role", "role"),
    Column("origin", "origin"),
    Column("position", "position", "int"),
    Column("reversed at position", "reversed_at_position", "int"),
)
FACTS = (
    Column("on", "on", "date"),
    Column("position", "position", "int"),
    Column("kind", "kind"),
    Column("detail", "detail"),
)
BOOK = (
    Column("client", "client_id"),
    Column("client name", "client_name"),
    Column("id no.", "id_number"),
    Column("role", "role"),
    Column("origin", "origin"),
    Column("since", "since", "date"),
    Column("position", "position", "int"),
)
HANDOVERS = (
    Column("handover", "handover_id"),
    Column("direction", "direction"),
    Column("from", "from_manager_id"),
    Column("to", "to_manager_id"),
    Column("reason", "reason"),
    Column("opened on", "opened_on", "date"),
    Column("clients", "client_ids"),
    Column("status", "status"),
    Column("filed on", "filed_on", "date"),
)


def history_sheets(history: dict[str, Any]) -> list[Sheet]:
    """The history's sheets, the statements first."""
    h = plain(history)
    who = {
        "manager_id": h["manager_id"],
        "name": h["name"],
        "branch_id": h["branch_id"],
        "known_at_position": h["position"],
    }
    statements = [
        {**who, **s, "as": "issued", "status": "issued"} for s in h["statements"]["issued"]
    ]
    # The restated statements are recomputed by the pay rules, which know nothing of
    # the close: a month is issued when its statement was issued at the cut. Issued
    # and restated rows of one month sit together.
    issued_at = {s["period"]: s["issued_at_position"] for s in h["statements"]["issued"]}
    statements += [
        {
            **who,
            **s,
            "as": "restated",
            "status": "issued" if s["period"] in issued_at else "open",
            "issued_at_position": issued_at.get(s["period"]),
        }
        for s in h["statements"]["restated"] or []
    ]
    statements.sort(key=lambda s: (s["period"], s["as"]))
    return [
        Sheet("Statements", STATEMENTS, statements),
        Sheet("Credits by month", MONTHS, h["credit_months"]),
        Sheet("Credits", CREDITS, h["credits"]),
        Sheet("Facts", FACTS, [{**f, "detail": fact_detail(f)} for f in h["facts"]]),
        Sheet(f"Book on {h['effective_on']}", BOOK, h["book_on"]),
        Sheet("Handovers", HANDOVERS, h["handovers"]),
    ]
