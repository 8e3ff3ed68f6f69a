"""The HTTP API's writes over real HTTP on a real ``rmledger serve``: disputes opened by
a manager and resolved by the performance office, a month signed off in the order its
plan names, a plan acknowledged, a simulation; each refused outside its role (403,
recorded in the access log) and each broken rule answered 422 with its field and rule.

The bank is tests/web/pages_bank.py's (February 2025 closed: M1 is paid 6,752.00) with
plan 2025-03, in force from March, asking the branch head then the performance office
to sign each month off."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from projections.audit.history import bank_today
from tests import builders as b
from tests.stores import run_rmledger
from tests.web.pages_bank import bank_server
from tests.web.served import Served
from tests.web.test_web_reads import BANK

SIGNED_PLAN = b.plan("2025-03", "2025-03-01", close_approvals=["branch_head", "performance_office"])
WORKFLOW_BANK = [*BANK, SIGNED_PLAN]
TODAY = bank_today().isoformat()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with bank_server(tmp_path_factory.mktemp("writes"), WORKFLOW_BANK) as running:
        yield running


def post(served: Served, user: str, path: str, body: Any = None) -> tuple[int, Any]:
    with served.client(served.token(user)) as http:
        answer = http.post(f"/api/v1{path}", json=body)
    return answer.status_code, answer.json()


def get(served: Served, user: str, path: str) -> tuple[int, Any]:
    with served.client(served.token(user)) as http:
        answer = http.get(f"/api/v1{path}")
    return answer.status_code, answer.json()


def open_one(served: Served, claim: str, posting_id: str | None = None) -> dict[str, Any]:
    body = {"period": "2025-02", "claim": claim}
    if posting_id is not None:
        body["posting_id"] = posting_id
    status, opened = post(served, "ann", "/disputes", body)
    assert status == 201, opened
    return opened  # type: ignore[no-any-return]


def test_a_manager_opens_a_dispute_on_their_issued_statement(served: Served) -> None:
    status, opened = post(
        served, "ann", "/disputes", {"period": "2025-02", "posting_id": "P1", "claim": "P1 is 2x"}
    )
    assert status == 201
    assert re.fullmatch(r"D-[0-9A-F]{12}", opened["dispute_id"])
    assert opened == {
        "dispute_id": opened["dispute_id"],
        "manager_id": "M1",
        "period": "2025-02",
        "posting_id": "P1",
        "claim": "P1 is 2x",
        "opened_on": TODAY,
        "status": "open",
    }
    status, mine = get(served, "ann", "/disputes?status=open")
    assert status == 200
    assert opened["dispute_id"] in [d["dispute_id"] for d in mine]
    assert {d["manager_id"] for d in mine} == {"M1"}


def test_a_dispute_of_a_month_not_closed_names_the_rule(served: Served) -> None:
    status, body = post(served, "ann", "/disputes", {"period": "2025-03", "claim": "too low"})
    assert (status, body) == (
        422,
        {
            "error": "invalid",
            "field": "period",
            "rule": "statement_not_issued",
            "message": "statement_not_issued: manager M1 has no issued statement of 2025-03 to "
            "dispute (2025-03 is not closed)",
        },
    )
    status, body = post(
        served, "ann", "/disputes", {"period": "2025-02", "posting_id": "PX", "claim": "x"}
    )
    assert (status, body["field"], body["rule"]) == (422, "posting_id", "unknown_posting")


def test_only_a_manager_opens_a_dispute_and_the_refusal_is_recorded(served: Served) -> None:
    before = served.head()
    status, body = post(served, "pat", "/disputes", {"period": "2025-02", "claim": "x"})
    reason = (
        "pat (performance office) may not open a dispute: only a manager may, on their own "
        "issued statements"
    )
    assert (status, body) == (403, {"error": "forbidden", "message": reason})
    assert served.access_lines(before) == [
        ("pat", "open_dispute", "period 2025-02", "forbidden", reason)
    ]


def test_the_office_upholds_a_dispute_once(served: Served) -> None:
    opened = open_one(served, "my February fee was missed")
    dispute_id = opened["dispute_id"]
    path = f"/disputes/{dispute_id}/resolution"
    status, body = post(served, "pat", path, {"outcome": "upheld", "reason": "no amount"})
    assert (status, body["field"], body["rule"]) == (422, "amount", "amount_required_when_upheld")
    status, resolved = post(
        served, "pat", path, {"outcome": "upheld", "amount": "150.00", "reason": "fee missed"}
    )
    assert status == 200
    assert resolved == {
        **opened,
        "status": "resolved",
        "outcome": "upheld",
        "amount": "150.00",
        "reason": "fee missed",
        "resolved_by": "pat",
        "resolved_on": TODAY,
    }
    status, body = post(served, "pat", path, {"outcome": "rejected", "reason": "again"})
    assert (status, body["field"], body["rule"]) == (422, "dispute_id", "already_resolved")
    assert body["message"].startswith(
        f"already_resolved: dispute {dispute_id} was already resolved (upheld) on {TODAY}"
    )
    # the dispute row as the read model holds it, through the auditor's SQL console
    status, rows = post(
        served,
        "aud",
        "/sql",
        {
            "query": f"SELECT outcome, amount, resolved_by FROM disputes WHERE dispute_id = '{dispute_id}'"
        },
    )
    assert (status, rows["rows"]) == (200, [["upheld", "150.00", "pat"]])
    status, resolved_list = get(served, "bo", "/disputes?status=resolved")
    assert resolved in resolved_list
    assert get(served, "bea", "/disputes") == (200, [])


def test_resolving_is_the_offices_and_an_unknown_dispute_is_404(served: Served) -> None:
    opened = open_one(served, "wrong grade")
    before = served.head()
    path = f"/disputes/{opened['dispute_id']}/resolution"
    status, body = post(served, "ann", path, {"outcome": "rejected", "reason": "mine"})
    reason = "ann (manager M1) may not resolve a dispute: only the performance office may"
    assert (status, body) == (403, {"error": "forbidden", "message": reason})
    assert served.access_lines(before) == [
        ("ann", "resolve_dispute", f"dispute {opened['dispute_id']}", "forbidden", reason)
    ]
    status, body = post(
        served, "pat", "/disputes/D-NOPE/resolution", {"outcome": "rejected", "reason": "?"}
    )
    assert (status, body) == (
        404,
        {"error": "not_found", "message": "unknown_dispute: no dispute 'D-NOPE' is known"},
    )
    assert get(served, "ann", "/disputes?status=lost")[0] == 422


def test_a_month_is_signed_off_in_the_plans_order(served: Served) -> None:
    status, body = post(served, "pat", "/periods/2025-03/approvals")
    assert (status, body) == (
        422,
        {
            "error": "invalid",
            "field": "role",
            "rule": "sign_off_out_of_order",
            "message": "sign_off_out_of_order: branch_head must sign 2025-03 off before "
            "performance_office (order: branch_head, performance_office)",
        },
    )
    before = served.head()
    status, body = post(served, "ann", "/periods/2025-03/approvals")
    reason = (
        "ann (manager M1) may not sign off a month: only a branch head or the performance "
        "office may"
    )
    assert (status, body) == (403, {"error": "forbidden", "message": reason})
    assert served.access_lines(before) == [
        ("ann", "sign_off", "period 2025-03", "forbidden", reason)
    ]
    assert post(served, "bo", "/periods/2025-03/approvals") == (
        201,
        {"period": "2025-03", "role": "branch_head", "approver_id": "bo", "approved_on": TODAY},
    )
    status, body = post(served, "bo", "/periods/2025-03/approvals")
    assert (status, body["rule"]) == (422, "already_signed")
    assert post(served, "pat", "/periods/2025-03/approvals")[0] == 201
    status, body = post(served, "pat", "/periods/2025-02/approvals")
    assert (status, body["field"], body["rule"]) == (422, "period", "period_already_closed")
    assert post(served, "pat", "/periods/March/approvals")[1] == {
        "error": "invalid",
        "field": "period",
        "message": "'March' is not a month like 2026-03",
    }


def test_a_manager_acknowledges_a_plan_once(served: Served) -> None:
    assert post(served, "bea", "/plans/2025-03/acknowledgement") == (
        201,
        {"manager_id": "M2", "version": "2025-03", "acknowledged_on": TODAY},
    )
    status, body = post(served, "bea", "/plans/2025-03/acknowledgement")
    assert (status, body["field"], body["rule"]) == (422, "version", "already_acknowledged")
    status, body = post(served, "bea", "/plans/NOPE/acknowledgement")
    assert (status, body) == (
        404,
        {"error": "not_found", "message": "unknown_plan_version: no plan 'NOPE' is published"},
    )
    before = served.head()
    reason = "pat (performance office) may not acknowledge a plan: only a manager may"
    assert post(served, "pat", "/plans/2025-03/acknowledgement") == (
        403,
        {"error": "forbidden", "message": reason},
    )
    assert served.access_lines(before) == [
        ("pat", "acknowledge_plan", "plan 2025-03", "forbidden", reason)
    ]


def test_a_simulation_is_what_pay_simulate_prints(served: Served) -> None:
    grades = {
        g: b.grade_terms(base="6000.00")
        for g in ("assistant", "junior", "intermediate", "senior", "principal")
    }
    draft = b.plan("DRAFT", "2025-02-01", grades=grades)
    plan_file = served.store.data_dir / "draft.json"
    plan_file.write_text(json.dumps(draft))
    printed = run_rmledger(
        served.store, "pay", "simulate", "--plan", str(plan_file), "--from", "2025-02",
        "--to", "2025-02", "--json",
    )  # fmt: skip
    assert printed.returncode == 0, printed.stderr
    expected = json.loads(printed.stdout)
    assert [c["difference"]["base_salary"] for c in expected] == ["1000.00"] * 3
    body = {"plan": draft, "from": "2025-02", "to": "2025-02"}
    assert post(served, "pat", "/simulations", body) == (200, expected)
    before = served.head()
    reason = (
        "bo (branch head of BR01) may not run a pay simulation: only the performance office may"
    )
    assert post(served, "bo", "/simulations", body) == (
        403,
        {"error": "forbidden", "message": reason},
    )
    assert served.access_lines(before) == [
        ("bo", "simulation", "simulation 2025-02..2025-02", "forbidden", reason)
    ]
    status, refused = post(served, "pat", "/simulations", {**body, "plan": {"type": "x"}})
    assert (status, refused["field"]) == (422, "plan")
