"""Bitemporal history: as known at a recorded time, as in force on a business date."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from projections.audit.history import UnknownManager, manager_history
from tests.projections.audit.test_audit_support import ReadModelRows


def handover_story() -> tuple[duckdb.DuckDBPyConnection, ReadModelRows, dict[str, int]]:
    r = ReadModelRows()
    at: dict[str, int] = {}
    r.hire("M1")
    r.hire("M2", grade="senior")
    r.register("C1")
    r.assign("C1", "M1", "2025-01-10")
    at["P1"] = r.book("P1", "C1", "2000.00", "fee_income", "2025-02-10")
    r.grade("M1", "intermediate", "2025-04-01")
    r.open_handover("H1", "M1", "M2", ["C1"], "2025-06-01")
    r.witness("H1", "LEAD1", "sub_branch_lead", "2025-06-02")
    r.witness("H1", "HEAD1", "wealth_centre_head", "2025-06-02")
    r.sign("H1", "2025-06-03")
    at["filed"] = r.file("H1", "M1", "M2", ["C1"], "2025-06-04")
    at["P2"] = r.book(
        "P2", "C1", "700.00", "fee_income", "2025-05-20"
    )  # a late posting for M1's time
    at["P3"] = r.book("P3", "C1", "300.00", "loan_interest", "2025-07-01")  # M2's
    return r.flush(), r, at


def ids(history: dict, section: str, key: str = "source_id") -> list[str]:
    return [x[key] for x in history[section]]


def test_history_now_shows_every_fact_of_the_manager() -> None:
    conn, _, at = handover_story()
    h = manager_history(conn, "M1", effective_on=date(2026, 1, 1))
    kinds = [f["kind"] for f in h["facts"]]
    assert kinds == ["hired", "client_gained", "grade_changed", "client_lost"]
    lost = h["facts"][-1]
    assert (lost["client_id"], lost["change"], lost["handover_id"], lost["position"]) == (
        "C1",
        "handover_out",
        "H1",
        at["filed"],
    )
    assert lost["id_number"] == "****1234"
    assert ids(h, "credits") == ["P1", "P2"]  # P3 is credited to M2
    assert h["book_on"] == [] and h["grade_on"] == "intermediate"
    assert h["handovers"][0]["status"] == "filed" and h["handovers"][0]["direction"] == "out"
    assert [(m["period"], m["profit"]) for m in h["credit_months"]] == [
        ("2025-02", "2000.00"),
        ("2025-05", "700.00"),
    ]
    m2 = manager_history(conn, "M2", effective_on=date(2026, 1, 1))
    assert ids(m2, "credits") == ["P3"] and [b["client_id"] for b in m2["book_on"]] == ["C1"]
    assert m2["book_on"][0]["origin"] == "inherited"


def test_at_an_earlier_known_at_a_posting_recorded_later_is_not_shown() -> None:
    conn, rows, at = handover_story()
    before_p2 = rows.at(at["P2"] - 1)
    h = manager_history(conn, "M1", known_at=before_p2, effective_on=date(2026, 1, 1))
    assert ids(h, "credits") == ["P1"]
    assert h["position"] == at["P2"] - 1
    assert manager_history(conn, "M1", effective_on=date(2026, 1, 1))["position"] == rows.position


def test_at_an_earlier_effective_on_the_client_is_still_with_the_previous_manager() -> None:
    conn, _, _ = handover_story()
    m1 = manager_history(conn, "M1", effective_on=date(2025, 6, 3))
    assert [(b["client_id"], b["role"], b["origin"]) for b in m1["book_on"]] == [
        ("C1", "primary", "acquired")
    ]
    assert "client_lost" not in [f["kind"] for f in m1["facts"]]
    assert m1["handovers"][0]["status"] == "open" and m1["handovers"][0]["record_ref"] == "DOC-H1"
    m2 = manager_history(conn, "M2", effective_on=date(2025, 6, 3))
    assert m2["book_on"] == [] and m2["credits"] == []
    early = manager_history(conn, "M1", effective_on=date(2025, 3, 1))
    assert early["grade_on"] == "junior" and ids(early, "credits") == ["P1"]


def test_the_two_axes_are_independent() -> None:
    conn, rows, at = handover_story()
    # known before the filing was recorded, effective long after: nothing has moved yet
    h = manager_history(
        conn, "M1", known_at=rows.at(at["filed"] - 1), effective_on=date(2026, 1, 1)
    )
    assert [b["client_id"] for b in h["book_on"]] == ["C1"]
    assert h["handovers"][0]["status"] == "open"


def test_an_unknown_manager_is_an_error_naming_it() -> None:
    conn, _, _ = handover_story()
    with pytest.raises(UnknownManager, match="M9"):
        manager_history(conn, "M9")
