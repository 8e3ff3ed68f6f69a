"""End to end: messages ingested through the command line, the read model loaded by the
real loader and pay projection, the audits read through ``rmledger audit``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from domain.ledger import Ledger
from domain.store import ledger_env
from projections import pay
from projections.loader import ReadModel
from scripts.cli import cli
from tests import builders as b

pytest.importorskip("projections.pay")


def departure_messages() -> list[dict[str, Any]]:
    return [
        *b.bank(),
        b.assign("C1", "M1"), b.assign("C2", "M1"),
        b.book("P1", "C1", "20000.00", "fee_income", "2025-02-10"),
        b.close("2025-02", "2025-03-01"),
        b.book("P2", "C1", "5000.00", "fee_income", "2025-03-10"),
        b.close("2025-03", "2025-04-01"),
        b.reverse("P2"),  # after March was closed: March's pay is clawed back
        b.classify("L1", "C2", "normal", "100000.00", "2025-03-31"),
        b.classify("L1", "C2", "substandard", "100000.00", "2025-04-30"),
        b.request_departure("M1", "2025-09-01", "2025-09-30"),
        *[b.approve("M1", role, "2025-09-05") for role in ("department_head", "rm_office", "hr")],
        b.open_handover("H1", "M1", "M2", ["C1"], "2025-09-02"),
        b.witness("H1", "LEAD1", "sub_branch_lead", "2025-09-03"),
        b.witness("H1", "HEAD1", "wealth_centre_head", "2025-09-03"),
        b.sign("H1", "2025-09-04"),
        b.file_handover("H1", "2025-09-10"),
        b.open_handover("H2", "M1", "M3", ["C2"], "2025-09-02"),
        b.witness("H2", "LEAD1", "sub_branch_lead", "2025-09-03"),  # no wealth-centre head: unwitnessed
    ]


def run(tmp_path: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    source = tmp_path / "bank.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in departure_messages()))
    run(tmp_path, "ingest", str(source))
    return tmp_path


def test_departure_audit_through_the_command_line_agrees_with_the_pay_statements(data_dir: Path) -> None:
    audit = json.loads(run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json"))
    with ReadModel(data_dir / "read_model.duckdb") as model:
        [september] = pay.statements(model, "2025-09", "M1", restated=True)
        [march_issued] = pay.statements(model, "2025-03", "M1")
    assert audit["pay"]["clawback_owed"] == f"{september['clawback_carried']:.2f}"
    assert audit["pay"]["clawback_owed"] == audit["pay"]["statement_clawback_carried"]
    assert Decimal_(audit["pay"]["clawback_owed"]) > 0
    months = {m["period"]: m for m in audit["months"]}
    assert months["2025-03"]["status"] == "issued"
    assert months["2025-03"]["performance_paid"] == f"{march_issued['performance_paid']:.2f}"
    assert months["2025-02"]["profit"] == "20000.00" and months["2025-03"]["profit"] == "0.00"
    assert months["2025-04"]["loss_charge"] == "30000.00"
    kinds = {f["kind"] for f in audit["findings"]}
    assert {"handover_unwitnessed", "handover_unfiled", "reversal_after_close"} <= kinds
    [unwitnessed] = [f for f in audit["findings"] if f["kind"] == "handover_unwitnessed"]
    assert unwitnessed["subject"] == "H2" and unwitnessed["missing"] == ["wealth_centre_head"]
    assert audit["loans"]["non_performing_ratio"] == "1.000000"


def Decimal_(text: str) -> Any:  # noqa: N802 - a tiny local alias for readability
    from decimal import Decimal

    return Decimal(text)


def test_the_report_hash_is_stable_across_runs_rebuilds_and_later_events(data_dir: Path) -> None:
    first = run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json")
    assert run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json") == first
    report = json.loads(first)
    ledger = Ledger(ledger_env(data_dir))
    with ReadModel(data_dir / "read_model.duckdb") as model:
        model.rebuild(ledger)
    assert run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json") == first
    later = data_dir / "later.jsonl"
    later.write_text(json.dumps(b.witness("H2", "HEAD1", "wealth_centre_head", "2025-09-11")) + "\n")
    run(data_dir, "ingest", str(later))
    now = json.loads(run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json"))
    assert now["sha256"] != report["sha256"] and now["position"] > report["position"]
    again = run(data_dir, "audit", "departure", "--manager", "M1", "--format", "json",
                "--at-position", str(report["position"]))
    assert again == first


def test_markdown_and_html_reports_are_written_to_a_file(data_dir: Path) -> None:
    out = data_dir / "audit.html"
    run(data_dir, "audit", "departure", "--manager", "M1", "--format", "html", "--out", str(out))
    page = out.read_text()
    assert "<svg" in page and "Manager M1" in page
    md = run(data_dir, "audit", "departure", "--manager", "M1")
    assert md.startswith("# Departure audit: Manager M1 (M1)") and "sha256" not in md.split("\n")[0]


def test_history_through_the_command_line(data_dir: Path) -> None:
    now = json.loads(run(data_dir, "audit", "history", "--manager", "M1", "--effective-on", "2026-01-01",
                         "--json"))
    assert [c["source_id"] for c in now["credits"] if c["kind"] == "posting"] == ["P1", "P2"]
    assert [c["reversed_at_position"] is not None for c in now["credits"] if c["kind"] == "posting"] == \
        [False, True]
    before = json.loads(run(data_dir, "audit", "history", "--manager", "M1", "--effective-on", "2025-09-09",
                            "--json"))
    assert sorted(x["client_id"] for x in before["book_on"]) == ["C1", "C2"]
    m2 = json.loads(run(data_dir, "audit", "history", "--manager", "M2", "--effective-on", "2025-09-09",
                        "--json"))
    assert m2["book_on"] == []
    text = run(data_dir, "audit", "history", "--manager", "M1")
    assert "History of Manager M1 (M1)" in text and "110101199003071234" not in text


def test_a_write_through_rmledger_sql_is_refused(data_dir: Path) -> None:
    run(data_dir, "audit", "history", "--manager", "M1")  # catches up and creates the audit views
    for query in ("DELETE FROM postings", "DROP TABLE events", "INSERT INTO periods_closed SELECT * FROM periods_closed"):
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "sql", query])
        assert result.exit_code != 0, query
        assert "refused" in result.output or "read-only" in result.output.lower(), result.output
    counted = run(data_dir, "sql", "--json", "SELECT count(*) AS n FROM postings")
    assert json.loads(counted) == [{"n": 2}]
    status = json.loads(run(data_dir, "sql", "--json",
                            "SELECT handover_id, status, missing FROM handover_status ORDER BY handover_id"))
    assert [(s["handover_id"], s["status"]) for s in status] == [("H1", "filed"), ("H2", "open")]
