"""The departure audit: every section and figure, findings with their events, hash."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pytest

from projections.audit import pay as audit_pay
from projections.audit.departure import DepartureAuditError, departure_audit, verify_hash
from projections.audit.report import render_html, render_json, render_markdown
from tests.projections.audit.test_audit_support import ReadModelRows

MONTHS = [f"2025-{m:02d}" for m in range(1, 10)]


def restated(manager_id: str) -> list[dict[str, Any]]:
    """Restated statements of M1 (as the pay projection would give them): a half whose
    settlement claws back what March prepaid, carried to September."""
    rows = []
    entitlement = {
        "2025-02": ("700.00", "0.00"),
        "2025-03": ("350.00", "0.00"),
        "2025-06": ("0.00", "-1050.00"),
    }
    paid = {"2025-02": "700.00", "2025-03": "350.00"}
    carried = "0.00"
    for period in MONTHS:
        prepay, settle = entitlement.get(period, ("0.00", "0.00"))
        if period >= "2025-06":
            carried = "1050.00"
        rows.append(
            {
                "manager_id": manager_id,
                "period": period,
                "performance_earned": "1000.00" if period == "2025-02" else "0.00",
                "prepayment": prepay,
                "settlement": settle,
                "compliance": "0.00",
                "performance_paid": paid.get(period, "0.00"),
                "performance_due": f"-{carried}" if carried != "0.00" else paid.get(period, "0.00"),
                "responsibility_profit": "0.00",
                "clawback_carried": carried,
                "total": "6500.00",
            }
        )
    return rows


@pytest.fixture(autouse=True)
def pay_projection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        audit_pay,
        "restated_statements",
        lambda conn, m, pos, up_to=None, **_: [
            r for r in restated(m) if r["period"] <= (up_to or "9999")
        ],
    )


def departure_story(
    rows: ReadModelRows | None = None,
) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    r = rows or ReadModelRows()
    at: dict[str, int] = {}
    at["M1_hired"] = r.hire("M1")
    # M1 acknowledged the plan that pays them (docs/rules.md R7.7): no unacknowledged month.
    r.add(
        "plan_acknowledgements",
        manager_id="M1",
        version="default",
        acknowledged_on=date(2025, 1, 1),
        message_id="ack:M1:default",
    )
    r.hire("M2", grade="senior")
    for c in ("C1", "C2", "C3"):
        r.register(c)
    at["C1_in"] = r.assign("C1", "M1", "2025-01-10")
    at["C2_in"] = r.assign("C2", "M1", "2025-01-10")
    at["C3_in"] = r.assign("C3", "M1", "2025-03-28")
    at["C3_out"] = r.release("C3", "M1", "2025-04-20")
    r.book("P1", "C1", "2000.00", "fee_income", "2025-02-10")
    r.book("P2", "C2", "1000.00", "loan_interest", "2025-03-05")
    at["P3"] = r.book("P3", "C1", "500.00", "fee_income", "2025-03-15")
    r.book("P5", "C2", "400.00", "deposit_interest_expense", "2025-03-20")
    at["L1_normal"] = r.classify("L1", "C2", "normal", "100000.00", "2025-03-31")
    r.classify("L2", "C1", "normal", "300000.00", "2025-03-31")
    r.statement(
        "M1",
        "2025-02",
        prepayment="700.00",
        performance_paid="700.00",
        performance_earned="1000.00",
        total="7200.00",
    )
    r.close("2025-02", "2025-03-02")
    r.statement("M1", "2025-03", prepayment="350.00", performance_paid="350.00", total="6850.00")
    at["close_03"] = r.close("2025-03", "2025-04-02")
    at["rev_P3"] = r.reverse("P3")
    at["L1_sub"] = r.classify("L1", "C2", "substandard", "100000.00", "2025-06-30")
    at["P4"] = r.book("P4", "C3", "300.00", "fee_income", "2025-05-01")
    r.activity("M1", "merchant", 2, "2025-05-03")
    at["request"] = r.request_departure("M1", "2025-09-01", "2025-09-30")
    for role in ("department_head", "rm_office", "hr"):
        at[role] = r.approve("M1", role, "2025-09-05")
    at["H1"] = r.open_handover("H1", "M1", "M2", ["C1"], "2025-09-02")
    r.witness("H1", "LEAD1", "sub_branch_lead", "2025-09-03")
    r.witness("H1", "HEAD1", "wealth_centre_head", "2025-09-03")
    r.sign("H1", "2025-09-04")
    at["H1_filed"] = r.file("H1", "M1", "M2", ["C1"], "2025-09-10")
    at["H2"] = r.open_handover("H2", "M1", "M2", ["C2"], "2025-09-02")
    at["H2_w"] = r.witness("H2", "LEAD1", "sub_branch_lead", "2025-09-03")
    return r.flush(), at


def test_the_departure_audit_states_every_section_and_figure() -> None:
    conn, at = departure_story()
    a = departure_audit(conn, "M1")
    assert a["position"] == at["H2_w"]
    assert (
        a["manager"]["grade_at_request"] == "junior"
        and str(a["departure"]["audit_date"]) == "2025-09-30"
    )
    assert a["departure"]["status"] == "requested" and a["departure"]["positions"] == [
        at["request"]
    ]
    ap = a["approvals"]
    assert ap["in_order"] and ap["complete"] and ap["missing"] == []
    assert [(x["role"], x["position"]) for x in ap["approvals"]] == [
        ("department_head", at["department_head"]),
        ("rm_office", at["rm_office"]),
        ("hr", at["hr"]),
    ]
    # the book at the request date: C1 handed over (witnessed, signed, filed), C2 in an open handover
    book = {b["client_id"]: b for b in a["book"]}
    assert sorted(book) == ["C1", "C2"]
    c1 = book["C1"]["left"]
    assert c1["how"] == "handover" and str(c1["on"]) == "2025-09-10"
    assert c1["handover"]["witnesses"]["sub_branch_lead"]["witness_id"] == "LEAD1"
    assert c1["handover"]["witnesses"]["wealth_centre_head"]["witness_id"] == "HEAD1"
    assert (
        c1["handover"]["record_ref"] == "DOC-H1" and str(c1["handover"]["filed_on"]) == "2025-09-10"
    )
    assert book["C1"]["positions"] == [at["C1_in"], at["H1_filed"]]
    assert book["C2"]["left"]["how"] == "open_handover" and book["C2"]["id_number"] == "****1234"
    # loans: L1 substandard at departure (downgraded in tenure), L2 normal
    loans = a["loans"]
    by_loan = {x["loan_id"]: x for x in loans["loans"]}
    assert by_loan["L1"]["category_at_departure"] == "substandard"
    assert [(g["from"], g["to"], g["positions"]) for g in by_loan["L1"]["downgrades"]] == [
        ("normal", "substandard", [at["L1_normal"], at["L1_sub"]])
    ]
    assert by_loan["L2"]["downgrades"] == []
    assert (
        loans["total_balance"],
        loans["non_performing_balance"],
        loans["non_performing_ratio"],
    ) == ("400000.00", "100000.00", "0.250000")
    # month by month: profit, income, cost, loss charge, new/stock
    months = {m["period"]: m for m in a["months"]}
    assert list(months) == MONTHS
    assert (months["2025-02"]["income"], months["2025-02"]["profit"], months["2025-02"]["new"]) == (
        "2000.00",
        "2000.00",
        "2000.00",
    )
    # March: 1000 interest, the reversed 500 fee is gone, 400 deposit expense
    assert (
        months["2025-03"]["income"],
        months["2025-03"]["cost"],
        months["2025-03"]["profit"],
    ) == ("1000.00", "400.00", "600.00")
    assert months["2025-05"]["income"] == "600.00"  # 2 merchants at 300.00; P4 is unattributed
    assert (months["2025-06"]["loss_charge"], months["2025-06"]["profit"]) == (
        "30000.00",
        "-30000.00",
    )
    assert all(
        m["stock"] == "0.00" for m in a["months"]
    )  # all within a year of first service, acquired
    # pay: paid as issued versus restated, clawback still owed
    assert (months["2025-02"]["status"], months["2025-02"]["performance_paid"]) == (
        "issued",
        "700.00",
    )
    assert months["2025-06"]["entitlement_restated"] == "-1050.00"
    assert months["2025-09"]["status"] == "open"
    pay = a["pay"]
    assert (
        pay["performance_paid_total"],
        pay["entitlement_restated_total"],
        pay["clawback_owed"],
    ) == ("1050.00", "0.00", "1050.00")
    assert pay["clawback_owed"] == pay["statement_clawback_carried"] == "1050.00"
    assert verify_hash(a)


def finding(a: dict, kind: str) -> list[dict]:
    return [f for f in a["findings"] if f["kind"] == kind]


def test_findings_name_the_events_behind_them() -> None:
    conn, at = departure_story()
    a = departure_audit(conn, "M1")
    [unwitnessed] = finding(a, "handover_unwitnessed")
    assert unwitnessed["subject"] == "H2" and unwitnessed["missing"] == ["wealth_centre_head"]
    assert unwitnessed["positions"] == [at["H2"], at["H2_w"]]
    [unfiled] = finding(a, "handover_unfiled")
    assert unfiled["subject"] == "H2"
    [reversal] = finding(a, "reversal_after_close")
    assert reversal["subject"] == "P3" and reversal["positions"] == [
        at["P3"],
        at["close_03"],
        at["rev_P3"],
    ]
    [dressing] = finding(a, "moved_in_near_month_end")
    assert dressing["subject"] == "C3" and dressing["positions"] == [at["C3_in"], at["C3_out"]]
    [unattributed] = finding(a, "unattributed_postings")
    assert unattributed["subject"] == "C3" and unattributed["positions"] == [at["P4"]]
    [held] = finding(a, "client_still_held")
    assert held["subject"] == "C2/primary"
    assert a["finding_counts"]["handover_unwitnessed"] == 1


def test_a_complete_handover_is_no_finding() -> None:
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    rows.witness("H2", "HEAD1", "wealth_centre_head", "2025-09-11")
    rows.sign("H2", "2025-09-11")
    rows.file("H2", "M1", "M2", ["C2"], "2025-09-12")
    rows.flush()
    a = departure_audit(conn, "M1")
    assert not finding(a, "handover_unwitnessed") and not finding(a, "handover_unfiled")
    assert not finding(a, "client_still_held")


def test_the_hash_is_stable_across_runs_rebuilds_and_later_events() -> None:
    conn, at = departure_story()
    first = departure_audit(conn, "M1")
    assert render_json(departure_audit(conn, "M1")) == render_json(first)
    rebuilt, _ = departure_story()  # the same events loaded into a fresh read model
    assert departure_audit(rebuilt, "M1")["sha256"] == first["sha256"]
    # later events change the audit now, but not the audit at the earlier position
    rows = ReadModelRows(rebuilt)
    rows.position = at["H2_w"]
    rows.witness("H2", "HEAD1", "wealth_centre_head", "2025-09-11")
    rows.flush()
    assert departure_audit(rebuilt, "M1")["sha256"] != first["sha256"]
    again = departure_audit(rebuilt, "M1", at_position=first["position"])
    assert render_json(again) == render_json(first)
    assert render_markdown(again) == render_markdown(first)


def test_an_audit_before_the_departure_request_is_an_error() -> None:
    conn, at = departure_story()
    with pytest.raises(DepartureAuditError, match="no departure request"):
        departure_audit(conn, "M1", at_position=at["request"] - 1)


def test_the_renderings_show_the_figures_and_never_a_full_id_number() -> None:
    conn, _ = departure_story()
    a = departure_audit(conn, "M1")
    md, page = render_markdown(a), render_html(a)
    for text in (md, page):
        assert a["sha256"] in text and str(a["position"]) in text
        assert "1050.00" in text and "25.00%" in text and "H2" in text
        assert "110101199003071234" not in text
    assert "<svg" in page and "@media print" in page and "<script" not in page
    assert render_html(a) == page  # charts render deterministically


def test_grade_fit_and_large_outflows_come_from_the_tiers() -> None:
    rows = ReadModelRows()
    conn, at = departure_story(rows)
    rich = rows.balance("C2", "6000000.00", "2025-07-01")
    fall = rows.balance("C2", "1000000.00", "2025-08-20")
    rows.flush()
    a = departure_audit(conn, "M1")
    assert a["checks"] == {"grade_fit": "checked", "large_outflows": "checked"}
    [outflow] = finding(a, "large_outflow")
    # the events behind the fall: the report it fell from and the report it fell to
    assert (
        outflow["subject"] == "C2"
        and outflow["positions"] == [rich, fall]
        and outflow["drop"] == "5000000.00"
    )
    assert outflow["from_position"] == rich
    # on the request date C2 holds 1,000,000: sub-branch level, beyond a junior
    [misfit] = finding(a, "grade_fit_mismatch")
    assert (misfit["subject"], misfit["tier"], misfit["maintenance_level"]) == (
        "C2",
        "vip",
        "sub_branch",
    )
    # the assignment of C2, the hire that set the grade, and both deposit reports of the window
    assert misfit["positions"] == [at["M1_hired"], at["C2_in"], rich, fall]
    assert (misfit["grade_position"], misfit["balance_positions"]) == (at["M1_hired"], [rich, fall])
    assert rich < fall


def test_a_grade_fit_mismatch_names_the_grade_change_and_only_the_reports_behind_the_tier() -> None:
    rows = ReadModelRows()
    conn, at = departure_story(rows)
    superseded = rows.balance(
        "C2", "5.00", "2024-10-01"
    )  # replaced before the half-year window opens
    old = rows.balance("C2", "10.00", "2024-12-01")  # holds into the window (from 2025-03-04)
    deposit = rows.balance("C2", "600000.00", "2025-08-01")
    fund = rows.balance("C2", "500000.00", "2025-06-15", product="fund")  # vip: fund >= 500,000
    later = rows.balance("C2", "900000.00", "2025-09-15")  # after the request date
    demoted = rows.grade("M1", "assistant", "2025-08-01")  # serves up to potential clients
    rows.grade("M1", "junior", "2025-09-20")  # after the request: not the grade at the request
    rows.flush()
    a = departure_audit(conn, "M1")
    [misfit] = finding(a, "grade_fit_mismatch")
    assert (misfit["subject"], misfit["tier"], misfit["maintenance_level"]) == (
        "C2",
        "vip",
        "sub_branch",
    )
    assert misfit["grade_position"] == demoted
    assert misfit["balance_positions"] == [old, deposit, fund]
    assert misfit["positions"] == [at["C2_in"], old, deposit, fund, demoted]
    assert superseded not in misfit["positions"] and later not in misfit["positions"]
    assert not finding(a, "large_outflow")


# -- the bounds of the window-dressing and large-outflow findings ---------------------------
# docs/audit.md: moved_in_near_month_end when a primary role starts 0-5 days before a month
# end and ends at most 60 days after it started (valid_to - valid_from, the release being the
# first day no longer held); large_outflow when a deposit report dated in the 90 days up to
# the audit date (2025-09-30 here: 2025-07-02 is 90 days before, 2025-07-01 is 91) brings the
# balance down by >= 500,000 and >= 30% of the highest balance held in the 30 days before it.


@pytest.mark.parametrize(
    ("role", "moved_in", "moved_out", "found"),
    [
        ("primary", "2025-05-31", "2025-06-10", True),  # on the month end itself: 0 days before
        ("primary", "2025-05-26", "2025-06-20", True),  # 31 - 26 = 5 days before the end of May
        ("primary", "2025-05-25", "2025-06-20", False),  # 6 days before
        (
            "primary",
            "2025-02-23",
            "2025-03-20",
            True,
        ),  # 28 - 23 = 5 days before the end of February
        ("primary", "2025-02-22", "2025-03-20", False),  # 6 days before
        (
            "primary",
            "2025-05-26",
            "2025-07-25",
            True,
        ),  # out 60 days later: 5 (May) + 30 (June) + 25
        ("primary", "2025-05-26", "2025-07-26", False),  # out 61 days later
        ("backup", "2025-05-31", "2025-06-10", False),  # a backup role is not window dressing
    ],
)
def test_moved_in_near_a_month_end_at_and_just_past_its_bounds(
    role: str, moved_in: str, moved_out: str, found: bool
) -> None:
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    rows.register("C4")
    start = rows.assign("C4", "M1", moved_in, role=role)
    end = rows.release("C4", "M1", moved_out, role=role)
    rows.flush()
    a = departure_audit(conn, "M1")
    c4 = [f for f in finding(a, "moved_in_near_month_end") if f["subject"] == "C4"]
    assert [(f["positions"], str(f["moved_in"]), str(f["moved_out"])) for f in c4] == (
        [([start, end], moved_in, moved_out)] if found else []
    )


@pytest.mark.parametrize(
    ("high", "low", "drop"),
    [
        ("2000000.00", "1400000.00", "600000.00"),  # exactly 30% of 2,000,000 (and >= 500,000)
        ("2000000.00", "1400000.01", None),  # 599,999.99: just under 30%
        ("1000000.00", "500000.00", "500000.00"),  # exactly 500,000.00 (50%)
        ("1000000.00", "500000.01", None),  # 499,999.99: just under 500,000
        # both at once: 500,000 >= 0.30 x 1,666,666.66 = 499,999.998 ...
        ("1666666.66", "1166666.66", "500000.00"),
        # ... but 0.30 x 1,666,666.67 = 500,000.001 > 500,000: no alert, although the ratio
        # 0.2999999994 shows as 0.300000 to 6 places (the test is exact, not on the rounded ratio)
        ("1666666.67", "1166666.67", None),
    ],
)
def test_a_large_outflow_at_and_just_under_its_thresholds(
    high: str, low: str, drop: str | None
) -> None:
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    rich = rows.balance("C2", high, "2025-08-01")
    fall = rows.balance("C2", low, "2025-08-20")
    rows.flush()
    a = departure_audit(conn, "M1")
    assert a["checks"]["large_outflows"] == "checked"
    outflows = [
        (f["subject"], f["positions"], f["drop"], str(f["as_of"]))
        for f in finding(a, "large_outflow")
    ]
    assert outflows == ([("C2", [rich, fall], drop, "2025-08-20")] if drop else [])


@pytest.mark.parametrize(
    ("fell_on", "found"),
    [
        ("2025-09-30", True),  # on the audit date
        ("2025-07-02", True),  # 90 days before
        ("2025-07-01", False),  # 91 days before
    ],
)
def test_a_large_outflow_counts_only_in_the_90_days_before_the_audit_date(
    fell_on: str, found: bool
) -> None:
    # 2025-07-02 -> 2025-09-30: 29 days left in July + 31 (August) + 30 (September) = 90.
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    rich = rows.balance("C2", "2000000.00", "2025-06-20")
    fall = rows.balance("C2", "1000000.00", fell_on)
    rows.flush()
    a = departure_audit(conn, "M1")
    outflows = [
        (f["subject"], f["positions"], str(f["as_of"])) for f in finding(a, "large_outflow")
    ]
    assert outflows == ([("C2", [rich, fall], fell_on)] if found else [])


@pytest.mark.parametrize(
    ("high_until", "found"),
    [
        ("2025-07-21", True),  # 2,000,000 last held on 07-21 = 30 days before the fall on 08-20
        ("2025-07-20", False),  # last held 31 days before: the 30 days hold at most 1,600,000
    ],
)
def test_a_large_outflow_is_a_fall_within_30_days(high_until: str, found: bool) -> None:
    # 2,000,000 -> 1,200,000 is a fall of 800,000 (40%); from 1,600,000 only 400,000.
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    rich = rows.balance("C2", "2000000.00", "2025-06-01")
    rows.balance("C2", "1600000.00", f"{date.fromisoformat(high_until) + timedelta(days=1)}")
    fall = rows.balance("C2", "1200000.00", "2025-08-20")
    rows.flush()
    a = departure_audit(conn, "M1")
    outflows = [(f["subject"], f["positions"], f["drop"]) for f in finding(a, "large_outflow")]
    assert outflows == ([("C2", [rich, fall], "800000.00")] if found else [])


def test_the_markdown_puts_the_findings_first_and_names_every_handover_step() -> None:
    conn, at = departure_story()
    a = departure_audit(conn, "M1")
    md = render_markdown(a).splitlines()
    # the summary comes before every other section: 7 findings, counted by kind, then listed
    assert md.index("## Findings: 7") < md.index("## Approvals")
    i = md.index("## Findings: 7")
    assert md[i + 2 : i + 11] == [
        "| finding | kind | count |",
        "|---|---|---|",
        "| Client still held | client_still_held | 1 |",
        "| Handover not filed with the RM office | handover_unfiled | 1 |",
        "| Handover without both witnesses | handover_unwitnessed | 1 |",
        "| Money still owed to or by the leaver after the last statement | money_owed_after_last_statement | 1 |",
        "| Client moved in near a month end and out again within 60 days | moved_in_near_month_end | 1 |",
        "| Reversal after the month was closed | reversal_after_close | 1 |",
        "| Postings with no primary manager | unattributed_postings | 1 |",
    ]
    assert md[i + 12].startswith("- **Client still held** (C2/primary): ")
    # the book names each client; the identity number stays masked
    assert (
        f"| C1 | Client C1 | ****1234 | primary | acquired | 2025-01-10 | handover | 2025-09-10 | H1 | M2 | "
        f"{at['C1_in']}, {at['H1_filed']} |"
    ) in md
    # each handover: the incoming manager, both witnesses with their dates, the record and
    # its signing date, the filing date and the reason
    h1 = md.index("### Handover H1")
    assert md[h1 + 2 : h1 + 13] == [
        "- outgoing manager: Manager M1 (M1)",
        "- incoming manager: Manager M2 (M2)",
        "- reason: departure",
        "- opened: 2025-09-02",
        "- clients: C1 Client C1 (****1234)",
        "- sub-branch RM lead: LEAD1, witnessed 2025-09-03",
        "- wealth-centre head: HEAD1, witnessed 2025-09-03",
        "- handover record: DOC-H1, signed 2025-09-04",
        "- filed with the RM office: 2025-09-10",
        "- status: filed",
        f"- events: {', '.join(str(p) for p in range(at['H1'], at['H1_filed'] + 1))}",
    ]
    h2 = md.index("### Handover H2")
    assert md[h2 + 7 : h2 + 12] == [
        "- sub-branch RM lead: LEAD1, witnessed 2025-09-03",
        "- wealth-centre head: none",
        "- handover record: none",
        "- filed with the RM office: not filed",
        "- status: open (missing: witness wealth_centre_head, signed record, filing)",
    ]
    # the loan ratio as a percentage: 100,000 of 400,000
    assert "Total balance 400000.00; non-performing 100000.00; non-performing ratio 25.00%." in md
    # September is open and pays nothing; its restated due is -1,050.00 (the clawback carried)
    o = md.index("## Money still owed after the last statement")
    assert md[o + 2] == (
        "Last statement 2025-09 (open, paying 0.00 now); restated performance due -1050.00. After it, owed to "
        "the leaver 0.00, owed by the leaver 1050.00 (restated due − paid; settled off-cycle by HR/payroll, "
        "never from salary)."
    )
    [owed] = finding(a, "money_owed_after_last_statement")
    assert (owed["subject"], owed["amount"], owed["direction"], owed["positions"]) == (
        "2025-09",
        "1050.00",
        "by_leaver",
        [at["request"]],
    )


def test_the_json_keeps_its_fields_and_adds_the_new_ones() -> None:
    conn, _ = departure_story()
    a = departure_audit(conn, "M1")
    h1 = a["handovers"][0]
    assert (h1["to_manager_id"], h1["to_manager_name"], h1["client_ids"], h1["clients"]) == (
        "M2",
        "Manager M2",
        ["C1"],
        [{"client_id": "C1", "name": "Client C1", "id_number": "****1234"}],
    )
    assert (a["loans"]["non_performing_ratio"], a["loans"]["non_performing_percent"]) == (
        "0.250000",
        "25.00%",
    )
    assert a["pay"]["owed_after_last_statement"] == {
        "period": "2025-09",
        "status": "open",
        "issued_at_position": None,
        "performance_due_restated": "-1050.00",
        "performance_paid": "0.00",
        "paid_after_departure": "0.00",
        "balance": "-1050.00",
        "owed_to_leaver": "0.00",
        "owed_by_leaver": "1050.00",
    }
    assert a["pay"]["clawback_owed"] == "1050.00" and a["version"] == 2


def test_an_issued_last_statement_owes_the_restated_due_less_what_it_paid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # September issued paying 100.00; restated (a late posting) its due is 136.00: 36.00
    # is still owed to the leaver, and no later statement will pay it.
    def later(manager_id: str) -> list[dict[str, Any]]:
        rows = [dict(r, clawback_carried="0.00") for r in restated(manager_id)]
        rows[-1].update(performance_due="136.00", performance_paid="136.00")
        return rows

    monkeypatch.setattr(
        audit_pay, "restated_statements", lambda conn, m, pos, up_to=None, **_: later(m)
    )
    rows = ReadModelRows()
    conn, _ = departure_story(rows)
    close = rows.statement(
        "M1", "2025-09", prepayment="100.00", performance_paid="100.00", total="6600.00"
    )
    rows.close("2025-09", "2025-10-01")
    rows.flush()
    a = departure_audit(conn, "M1")
    owed = a["pay"]["owed_after_last_statement"]
    assert (
        owed["status"],
        owed["issued_at_position"],
        owed["balance"],
        owed["owed_to_leaver"],
        owed["owed_by_leaver"],
    ) == ("issued", close, "36.00", "36.00", "0.00")
    md = render_markdown(a).splitlines()
    o = md.index("## Money still owed after the last statement")
    assert md[o + 2] == (
        f"Last statement 2025-09 (issued at position {close}, paid 100.00); restated performance due 136.00. "
        "After it, owed to the leaver 36.00, owed by the leaver 0.00 (restated due − paid; settled off-cycle by "
        "HR/payroll, never from salary)."
    )
    [f] = finding(a, "money_owed_after_last_statement")
    assert f["detail"] == (
        "after the last statement (2025-09, issued at position "
        f"{close} and paid 100.00) 36.00 of performance pay is still owed to the leaver "
        "(restated due 136.00)"
    )
