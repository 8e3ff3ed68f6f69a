"""The reads of the web application and the HTTP API (scripts/web/reads.py) on a real
store: each answer equals what the command line prints with --json for the same
question, each caller sees only their scope, every refusal raises with its sentence
and is recorded, and every read of another person's pay or of client data is recorded.

The bank: M1, M2 (branch BR01) and M3 (branch BR02), juniors hired 2025-01-01; C1, C2
(BR01) and C3 (BR02), each with one manager from 2025-01-10. February's new fees: C1
20,000, C2 10,000, C3 5,000, so February (closed) pays M1 6,500.00 + 252.00 prepaid =
6,752.00, M2 6,626.00, M3 6,563.00. C1 holds 600,000 in funds (VIP). M2 asks to leave
on 2025-03-01.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from domain.principal import ADMIN, AUDITOR, BRANCH_HEAD, MANAGER, PERFORMANCE_OFFICE, Principal
from scripts.cli.context import Context
from scripts.web import reads, scope
from scripts.web.errors import Forbidden, Invalid, NotFound
from tests import builders as b
from tests.cli_runs import ingest, run
from tests.stores import leaking_settings

ANN = Principal("ann", MANAGER, manager_id="M1")
BEA = Principal("bea", MANAGER, manager_id="M2")
BO = Principal("bo", BRANCH_HEAD, branch_id="BR01")
CY = Principal("cy", BRANCH_HEAD, branch_id="BR02")
PAT = Principal("pat", PERFORMANCE_OFFICE)
AUD = Principal("aud", AUDITOR)
ADM = Principal("adm", ADMIN)

BANK = [
    b.hire("M1"),
    b.hire("M2"),
    b.hire("M3", branch_id="BR02"),
    b.register("C1"),
    b.register("C2"),
    b.register("C3", branch_id="BR02"),
    b.assign("C1", "M1"),
    b.assign("C2", "M2"),
    b.assign("C3", "M3"),
    b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
    b.book("P2", "C2", "10000.00", "fee_income", "2025-02-12"),
    b.book("P3", "C3", "5000.00", "fee_income", "2025-02-15"),
    b.report_balance("C1", product="fund", balance="600000.00", as_of="2025-02-28"),
    b.close("2025-02", "2025-03-01"),
    b.request_departure("M2", requested_on="2025-03-01", last_day="2025-03-31"),
]

Line = tuple[Principal, str, str, str, str]


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        import os

        for name in leaking_settings(os.environ):
            patch.delenv(name)
        directory = tmp_path_factory.mktemp("bank")
        ingest(directory, BANK)
        yield directory


@pytest.fixture
def ctx(bank: Path) -> Context:
    return Context(bank)


@pytest.fixture
def log() -> list[Line]:
    return []


@pytest.fixture
def record(log: list[Line]) -> reads.Record:
    """The access log as a list: what the identity store would append, line by line."""
    return lambda *line: log.append(line)


def cli_json(bank: Path, *args: str) -> Any:
    return json.loads(run(bank, *args))


# -- statements ----------------------------------------------------------------------------


@pytest.mark.parametrize("restated", [False, True])
def test_every_statement_for_the_office_and_auditors_is_what_pay_json_prints(
    ctx: Context, bank: Path, record: reads.Record, restated: bool
) -> None:
    printed = cli_json(
        bank, "pay", "--period", "2025-02", "--json", *(["--restated"] if restated else [])
    )
    assert [(s["manager_id"], s["total"]) for s in printed] == [
        ("M1", "6752.00"),
        ("M2", "6626.00"),
        ("M3", "6563.00"),
    ]
    for who in (PAT, AUD):
        assert reads.statements(ctx, who, "2025-02", restated=restated, record=record) == printed


def test_a_branch_head_sees_the_statements_of_their_branch_and_the_read_is_recorded(
    ctx: Context, bank: Path, record: reads.Record, log: list[Line]
) -> None:
    printed = cli_json(bank, "pay", "--period", "2025-02", "--json")
    assert reads.statements(ctx, BO, "2025-02", record=record) == printed[:2]
    assert reads.statements(ctx, CY, "2025-02", record=record) == printed[2:]
    assert log == [
        (
            BO,
            "statements",
            "period 2025-02",
            "allowed",
            "bo (branch head of BR01) may list pay statements: a branch head reaches the managers and clients "
            "of their branch and the branches below it",
        ),
        (
            CY,
            "statements",
            "period 2025-02",
            "allowed",
            "cy (branch head of BR02) may list pay statements: a branch head reaches the managers and clients "
            "of their branch and the branches below it",
        ),
    ]


def test_a_manager_sees_only_their_own_statement_and_reading_it_is_not_recorded(
    ctx: Context, bank: Path, record: reads.Record, log: list[Line]
) -> None:
    own = cli_json(bank, "pay", "--period", "2025-02", "--manager", "M1", "--json")
    assert reads.statements(ctx, ANN, "2025-02", record=record) == own
    assert reads.statements(ctx, ANN, "2025-02", manager="M1", record=record) == own
    assert own[0]["total"] == "6752.00"
    assert log == []


def test_a_manager_asking_for_another_managers_statement_is_refused_and_recorded(
    ctx: Context, record: reads.Record, log: list[Line]
) -> None:
    reason = (
        "ann (manager M1) may not see the statements of manager M2: a manager sees only their own"
    )
    with pytest.raises(Forbidden) as refused:
        reads.statements(ctx, ANN, "2025-02", manager="M2", record=record)
    assert (refused.value.status, refused.value.body()) == (
        403,
        {"error": "forbidden", "message": reason},
    )
    assert log == [(ANN, "statements", "period 2025-02 manager M2", "forbidden", reason)]


def test_a_branch_head_asking_for_a_manager_of_another_branch_is_refused(
    ctx: Context, record: reads.Record, log: list[Line]
) -> None:
    reason = (
        "bo (branch head of BR01) may not see the statements of manager M3: "
        "manager M3 is not in BR01 or a branch below it"
    )
    with pytest.raises(Forbidden, match=r"^bo \(branch head of BR01\) may not") as refused:
        reads.statements(ctx, BO, "2025-02", manager="M3", restated=True, record=record)
    assert refused.value.message == reason
    assert log == [(BO, "statements", "period 2025-02 manager M3 restated", "forbidden", reason)]


def test_an_admin_sees_no_pay(ctx: Context, record: reads.Record, log: list[Line]) -> None:
    reason = "adm (admin) may not list pay statements: an admin manages users and roles and sees no pay or client data"
    with pytest.raises(Forbidden) as refused:
        reads.statements(ctx, ADM, "2025-02", record=record)
    assert refused.value.message == reason
    assert log == [(ADM, "statements", "period 2025-02", "forbidden", reason)]


def test_an_unknown_manager_is_not_found_for_those_who_could_see_one_and_refused_to_the_rest(
    ctx: Context, record: reads.Record, log: list[Line]
) -> None:
    with pytest.raises(NotFound) as missing:
        reads.statements(ctx, AUD, "2025-02", manager="M404", record=record)
    assert (missing.value.status, missing.value.body()) == (
        404,
        {"error": "not_found", "message": "no such manager: M404"},
    )
    with pytest.raises(Forbidden):  # whether M404 exists is outside bo's branch too
        reads.statements(ctx, BO, "2025-02", manager="M404", record=record)
    assert [(line[0], line[3]) for line in log] == [(AUD, "not_found"), (BO, "forbidden")]


def test_a_month_in_which_a_manager_is_not_paid_is_not_found(
    ctx: Context, record: reads.Record
) -> None:
    with pytest.raises(
        NotFound,
        match=r"^no statement for manager M1 in 2024-12: not employed that month, "
        r"or before the first month a plan covers$",
    ):
        reads.statements(ctx, ANN, "2024-12", manager="M1", record=record)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2025-13", "'2025-13' is not a month like 2026-03"),
        ("February", "'February' is not a month like 2026-03"),
        ("", "'' is not a month like 2026-03"),
    ],
)
def test_a_bad_period_is_invalid_and_not_recorded(
    ctx: Context, record: reads.Record, log: list[Line], period: str, message: str
) -> None:
    with pytest.raises(Invalid) as invalid:
        reads.statements(ctx, AUD, period, record=record)
    assert (invalid.value.status, invalid.value.body()) == (
        422,
        {"error": "invalid", "field": "period", "message": message},
    )
    assert log == []


def test_a_manager_id_with_a_control_character_is_invalid(
    ctx: Context, record: reads.Record
) -> None:
    with pytest.raises(Invalid) as invalid:
        reads.statements(ctx, AUD, "2025-02", manager="M1\n", record=record)
    assert invalid.value.body() == {
        "error": "invalid",
        "field": "manager",
        "message": "'M1\\n' holds a control character",
    }


# -- explanation and history ------------------------------------------------------------------


def test_the_explanation_is_what_pay_explain_json_prints(
    ctx: Context, bank: Path, record: reads.Record, log: list[Line]
) -> None:
    printed = cli_json(bank, "pay", "explain", "--manager", "M1", "--period", "2025-02", "--json")
    assert reads.explanation(ctx, BO, "M1", "2025-02", record=record) == printed
    assert reads.explanation(ctx, ANN, "M1", "2025-02", record=record) == printed
    # the explanation lists the client's postings: client data, so the manager's own read is recorded too
    assert [(line[0], line[1], line[2], line[3]) for line in log] == [
        (BO, "explanation", "manager M1 period 2025-02", "allowed"),
        (ANN, "explanation", "manager M1 period 2025-02", "allowed"),
    ]
    with pytest.raises(
        Forbidden,
        match=r"^cy \(branch head of BR02\) may not see the explanation of manager "
        r"M1's pay: manager M1 is not in BR02 or a branch below it$",
    ):
        reads.explanation(ctx, CY, "M1", "2025-02", record=record)


def test_the_history_is_what_audit_history_json_prints(
    ctx: Context, bank: Path, record: reads.Record
) -> None:
    printed = cli_json(
        bank, "audit", "history", "--manager", "M2", "--effective-on", "2025-03-31", "--json"
    )
    assert reads.history(ctx, BEA, "M2", effective_on="2025-03-31", record=record) == printed
    assert reads.history(ctx, PAT, "M2", effective_on="2025-03-31", record=record) == printed
    at = cli_json(
        bank,
        "audit",
        "history",
        "--manager",
        "M2",
        "--effective-on",
        "2025-03-31",
        "--at-position",
        "5",
        "--json",
    )
    assert (
        reads.history(ctx, AUD, "M2", effective_on="2025-03-31", at_position="5", record=record)
        == at
    )
    with pytest.raises(NotFound, match="M404"):
        reads.history(ctx, AUD, "M404", record=record)


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"effective_on": "2025-02-30"},
            "effective_on",
            "'2025-02-30' is not a date like 2026-03-31",
        ),
        (
            {"known_at": "yesterday"},
            "known_at",
            "'yesterday' is not a timestamp like 2026-03-31T18:00:00+08:00",
        ),
        (
            {"known_at": "2025-03-01T10:00:00"},
            "known_at",
            "'2025-03-01T10:00:00' has no time zone: give one, e.g. 2026-03-31T18:00:00+08:00",
        ),
        (
            {"at_position": "-1"},
            "at_position",
            "'-1' is not an event-log position (a whole number from 0 to 9223372036854775807)",
        ),
        (
            {"known_at": "2025-03-01T10:00:00+08:00", "at_position": 3},
            "at_position",
            "give known_at or at_position, not both",
        ),
    ],
)
def test_bad_history_parameters_are_invalid(
    ctx: Context, record: reads.Record, params: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(Invalid) as invalid:
        reads.history(ctx, AUD, "M1", **params, record=record)
    assert (invalid.value.field, invalid.value.message) == (field, message)


# -- departure audit ---------------------------------------------------------------------------


def test_the_departure_audit_is_what_audit_departure_prints(
    ctx: Context, bank: Path, record: reads.Record
) -> None:
    printed = cli_json(bank, "audit", "departure", "--manager", "M2", "--format", "json")
    markdown = run(bank, "audit", "departure", "--manager", "M2", "--format", "md")
    assert reads.departure_audit(ctx, BEA, "M2", record=record) == printed  # own, once requested
    assert reads.departure_audit(ctx, BO, "M2", "md", record=record) == markdown
    assert reads.departure_audit(ctx, PAT, "M2", record=record) == printed
    assert reads.departure_audit(ctx, AUD, "M2", "html", record=record).startswith(
        "<!DOCTYPE html>"
    )


@pytest.mark.parametrize(
    ("who", "manager", "reason"),
    [
        (
            ANN,
            "M1",
            "ann (manager M1) may not see the departure audit of manager M1: "
            "a manager sees their own departure audit only once a departure is requested",
        ),
        (
            ANN,
            "M2",
            "ann (manager M1) may not see the departure audit of manager M2: a manager sees only their own",
        ),
        (
            CY,
            "M2",
            "cy (branch head of BR02) may not see the departure audit of manager M2: "
            "manager M2 is not in BR02 or a branch below it",
        ),
        (
            ADM,
            "M2",
            "adm (admin) may not see the departure audit of manager M2: "
            "an admin manages users and roles and sees no pay or client data",
        ),
    ],
)
def test_the_departure_audit_is_refused_outside_its_readers(
    ctx: Context, record: reads.Record, log: list[Line], who: Principal, manager: str, reason: str
) -> None:
    with pytest.raises(Forbidden) as refused:
        reads.departure_audit(ctx, who, manager, record=record)
    assert refused.value.message == reason
    assert log == [(who, "departure_audit", f"manager {manager}", "forbidden", reason)]


def test_a_departure_audit_of_a_manager_not_leaving_is_not_found(
    ctx: Context, record: reads.Record
) -> None:
    with pytest.raises(NotFound, match=r"^manager 'M1' has no departure request at position \d+$"):
        reads.departure_audit(ctx, AUD, "M1", record=record)
    with pytest.raises(Invalid) as invalid:
        reads.departure_audit(ctx, AUD, "M2", "pdf", record=record)
    assert invalid.value.body() == {
        "error": "invalid",
        "field": "format",
        "message": "'pdf' is not a format of the departure audit (json, html, md)",
    }


# -- tiers --------------------------------------------------------------------------------------


def test_tiers_are_what_tiers_json_prints_within_each_scope(
    ctx: Context, bank: Path, record: reads.Record, log: list[Line]
) -> None:
    printed = cli_json(bank, "tiers", "--as-of", "2025-02-28", "--json")
    assert [(t["client_id"], t["tier"]) for t in printed] == [
        ("C1", "vip"),
        ("C2", "mass"),
        ("C3", "mass"),
    ]
    assert reads.tiers(ctx, AUD, "2025-02-28", record=record) == printed
    assert reads.tiers(ctx, BO, "2025-02-28", record=record) == printed[:2]
    assert reads.tiers(ctx, ANN, "2025-02-28", record=record) == printed[:1]
    assert reads.tiers(ctx, ANN, "2025-02-28", client="C1", record=record) == printed[:1]
    assert reads.tiers(ctx, ANN, "2025-01-09", record=record) == []  # C1 is ann's from 2025-01-10
    # client data: every read recorded, the manager's own clients' too
    assert [(line[0], line[2], line[3]) for line in log] == [
        (AUD, "as_of 2025-02-28", "allowed"),
        (BO, "as_of 2025-02-28", "allowed"),
        (ANN, "as_of 2025-02-28", "allowed"),
        (ANN, "as_of 2025-02-28 client C1", "allowed"),
        (ANN, "as_of 2025-01-09", "allowed"),
    ]


def test_a_client_outside_the_scope_is_refused_and_an_unknown_one_not_found(
    ctx: Context, record: reads.Record
) -> None:
    with pytest.raises(
        Forbidden,
        match=r"^ann \(manager M1\) may not see the tier of client C2: "
        r"client C2 is not one of their clients$",
    ):
        reads.tiers(ctx, ANN, "2025-02-28", client="C2", record=record)
    with pytest.raises(Forbidden, match=r"client C3 is not in BR01 or a branch below it$"):
        reads.tiers(ctx, BO, "2025-02-28", client="C3", record=record)
    with pytest.raises(NotFound, match=r"^no client C404 registered on or before 2025-02-28$"):
        reads.tiers(ctx, PAT, "2025-02-28", client="C404", record=record)
    with pytest.raises(Invalid, match="'2025-02' is not a date like 2026-03-31"):
        reads.tiers(ctx, PAT, "2025-02", record=record)


# -- SQL console and access log -------------------------------------------------------------------


def test_the_sql_console_answers_the_cells_sql_json_prints(
    ctx: Context, bank: Path, record: reads.Record, log: list[Line]
) -> None:
    query = "SELECT manager_id, total, period FROM statements_issued ORDER BY manager_id"
    printed = cli_json(bank, "sql", query, "--json")
    answer = reads.sql(ctx, AUD, query, record=record)
    assert answer == {
        "columns": ["manager_id", "total", "period"],
        "rows": [
            ["M1", "6752.00", "2025-02"],
            ["M2", "6626.00", "2025-02"],
            ["M3", "6563.00", "2025-02"],
        ],
    }
    assert [dict(zip(answer["columns"], row, strict=True)) for row in answer["rows"]] == printed
    assert log == [
        (
            AUD,
            "sql",
            query,
            "allowed",
            "aud (auditor) may use the SQL console: an auditor reaches everything that can be read",
        )
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "DELETE FROM postings",
            "refused: DELETE is not a read-only statement; rmledger sql runs only queries "
            "(DESCRIBE, EXPLAIN, FROM, SELECT, SHOW, SUMMARIZE, TABLE, VALUES, WITH) and never "
            "writes to the read model",
        ),
        (
            "SELECT 1; SELECT 2",
            "refused: only one statement is allowed, got 2 (rmledger sql is read-only and runs a "
            "single query)",
        ),
    ],
)
def test_anything_but_one_read_only_query_is_invalid(
    ctx: Context, record: reads.Record, query: str, message: str
) -> None:
    with pytest.raises(Invalid) as invalid:
        reads.sql(ctx, AUD, query, record=record)
    assert invalid.value.body() == {"error": "invalid", "field": "query", "message": message}


def test_a_query_duckdb_cannot_run_is_invalid_with_its_error(
    ctx: Context, record: reads.Record
) -> None:
    with pytest.raises(Invalid, match="Table with name payslips does not exist"):
        reads.sql(ctx, AUD, "SELECT * FROM payslips", record=record)


@pytest.mark.parametrize("who", [ANN, BO, PAT, ADM])
def test_only_an_auditor_uses_the_console_or_reads_the_access_log(
    ctx: Context, record: reads.Record, log: list[Line], who: Principal
) -> None:
    with pytest.raises(Forbidden, match=r" may not use the SQL console: only an auditor may$"):
        reads.sql(ctx, who, "DELETE FROM postings", record=record)  # refused before it is looked at
    with pytest.raises(Forbidden, match=r" may not read the access log: only an auditor may$"):
        reads.access_log(ctx, who, record=record, entries=lambda user, since: [])
    assert [(line[1], line[3]) for line in log] == [
        ("sql", "forbidden"),
        ("access_log", "forbidden"),
    ]


def test_an_auditor_reads_the_access_log_and_that_read_is_recorded(
    ctx: Context, record: reads.Record, log: list[Line]
) -> None:
    asked: list[tuple[str | None, datetime | None]] = []

    def entries(user: str | None, since: datetime | None) -> list[dict[str, Any]]:
        asked.append((user, since))
        return [{"username": "ann", "outcome": "forbidden"}]

    answer = reads.access_log(
        ctx, AUD, user="ann", since="2025-03-01T00:00:00+08:00", record=record, entries=entries
    )
    assert answer == [{"username": "ann", "outcome": "forbidden"}]
    assert asked == [("ann", datetime.fromisoformat("2025-03-01T00:00:00+08:00"))]
    assert [line[1:4] for line in log] == [
        ("access_log", "access log user ann since 2025-03-01T00:00:00+08:00", "allowed")
    ]
    with pytest.raises(Invalid, match="'last week' is not a timestamp"):
        reads.access_log(ctx, AUD, since="last week", record=record, entries=entries)


# -- branches ------------------------------------------------------------------------------------


def test_a_branch_reaches_only_itself_until_a_hierarchy_is_recorded(ctx: Context) -> None:
    rm = ctx.read_model()
    try:
        assert scope.branches_reached(rm.conn, "BR01") == {"BR01"}
    finally:
        rm.close()


def test_a_branch_reaches_every_branch_below_it_once_branches_have_parents() -> None:
    conn = duckdb.connect()  # the table ``branch.registered`` messages fill
    conn.execute("CREATE TABLE branches (branch_id VARCHAR, parent_branch_id VARCHAR)")
    conn.execute(
        "INSERT INTO branches VALUES ('BR01', NULL), ('BR01-SB01', 'BR01'), ('BR01-SB01-A', 'BR01-SB01'), "
        "('BR02', NULL), ('BR02-SB01', 'BR02')"
    )
    assert scope.branches_reached(conn, "BR01") == {"BR01", "BR01-SB01", "BR01-SB01-A"}
    assert scope.branches_reached(conn, "BR01-SB01") == {"BR01-SB01", "BR01-SB01-A"}
    assert scope.branches_reached(conn, "BR09") == {"BR09"}


# -- identity numbers ---------------------------------------------------------------------------------


def test_no_answer_shows_an_identity_number(ctx: Context, record: reads.Record) -> None:
    answers = [
        reads.history(ctx, AUD, "M2", effective_on="2025-03-31", record=record),
        reads.departure_audit(ctx, AUD, "M2", record=record),
        reads.departure_audit(ctx, AUD, "M2", "html", record=record),
        reads.explanation(ctx, AUD, "M1", "2025-02", record=record),
        reads.tiers(ctx, AUD, "2025-02-28", record=record),
        reads.sql(ctx, AUD, "SELECT * FROM clients", record=record),
    ]
    text = json.dumps(answers, ensure_ascii=False)
    assert b.ID_NUMBER[:8] not in text and b.ID_NUMBER[-8:] not in text
    assert "****1234" in text  # the masked form the departure audit's book shows


# -- a generated bank ------------------------------------------------------------------------------


def test_on_the_demo_bank_each_branch_head_sees_their_branchs_part_of_pay_json(
    tmp_path: Path, clean_environ: None
) -> None:
    from scripts.bank.generate import write_jsonl

    source = tmp_path / "bank.jsonl"
    write_jsonl(source, 7, "tiny")  # what ``rmledger demo`` ingests
    run(tmp_path, "ingest", str(source))
    [last] = cli_json(tmp_path, "sql", "SELECT max(period) AS period FROM periods_closed", "--json")
    period = last["period"]
    printed = cli_json(tmp_path, "pay", "--period", period, "--json")
    managers = cli_json(tmp_path, "sql", "SELECT manager_id, branch_id FROM managers", "--json")
    branch_of = {m["manager_id"]: m["branch_id"] for m in managers}
    # The bank registers BR01 above its sub-branches BR01-SB01..: a branch's head sees
    # the managers of the branch and of every sub-branch under it.
    parents = {
        b["branch_id"]: b["parent_branch_id"]
        for b in cli_json(
            tmp_path, "sql", "SELECT branch_id, parent_branch_id FROM branches", "--json"
        )
    }

    def under(unit: str | None, branch: str) -> bool:
        while unit is not None:
            if unit == branch:
                return True
            unit = parents.get(unit)
        return False

    ctx = Context(tmp_path)
    seen = []
    for branch in sorted(set(branch_of.values())):
        head = Principal(f"head of {branch}", BRANCH_HEAD, branch_id=branch)
        answer = reads.statements(ctx, head, period, record=lambda *line: None)
        assert answer == [s for s in printed if under(branch_of[s["manager_id"]], branch)]
        if parents.get(branch) is None:
            seen += answer
    assert sorted(seen, key=lambda s: s["manager_id"]) == printed and len(printed) >= 4
    assert any(parents.get(branch) for branch in branch_of.values())  # a sub-branch's own head


def test_a_head_of_br01_sees_the_managers_of_a_sub_branch_registered_under_it(
    tmp_path: Path, record: reads.Record
) -> None:
    # Given BR01, BR11 registered with parent BR01 and BR111 under BR11, a manager in
    # each of BR11 and BR111 and one in BR02
    ingest(
        tmp_path,
        [
            b.register_branch("BR01"),
            b.register_branch("BR11", parent_branch_id="BR01"),
            b.register_branch("BR111", parent_branch_id="BR11"),
            b.register_branch("BR02"),
            b.hire("M1"),
            b.hire("M4", branch_id="BR11"),
            b.hire("M5", branch_id="BR111"),
            b.hire("M3", branch_id="BR02"),
        ],
    )
    ctx = Context(tmp_path)
    # When the head of BR01 and the head of BR11 list January's statements
    bo = reads.statements(ctx, BO, "2025-01", record=record)
    head11 = Principal("eli", BRANCH_HEAD, branch_id="BR11")
    eli = reads.statements(ctx, head11, "2025-01", record=record)
    # Then BR01's head sees the managers of BR01 and every branch below it, not BR02's;
    # BR11's head sees BR11 and BR111 only
    assert [s["manager_id"] for s in bo] == ["M1", "M4", "M5"]
    assert [s["manager_id"] for s in eli] == ["M4", "M5"]
    reached, _ = ctx.query_read_model(lambda conn: scope.branches_reached(conn, "BR01"))
    assert reached == {"BR01", "BR11", "BR111"}
