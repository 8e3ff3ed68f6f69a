"""Contract version 2 through ``rmledger ingest`` (docs/contract.md C2.1): a month
signed off and closed, and the refusals of the new rules in the summary, each with its
line, id, field, rule and sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts.cli.main import cli
from tests import builders as b

pytestmark = pytest.mark.usefixtures("clean_environ")


def test_ingest_applies_sign_offs_and_reports_each_refused_one(tmp_path: Path) -> None:
    messages = [
        b.plan("2025", "2025-01-01", close_approvals=["branch_head", "finance"]),
        *b.bank(),
        b.sign_off("2025-01", "finance"),  # line 8: out of order
        b.close("2025-01", "2025-02-02"),  # line 9: nobody has signed
        b.sign_off("2025-01", "branch_head", "BH1"),
        b.sign_off("2025-01", "finance", "BH1"),  # line 11: the same person again
        b.sign_off("2025-01", "finance", "FIN1"),
        b.close("2025-01", "2025-02-02", id="close:2025-01:signed"),
    ]
    source = tmp_path / "v2.jsonl"
    source.write_text("".join(json.dumps(m) + "\n" for m in messages))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "ingest", "--json", str(source)])
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert (summary["applied"], summary["duplicates"]) == (10, 0)
    assert {r.pop("file") for r in summary["rejected"]} == {str(source)}
    assert summary["rejected"] == [
        {
            "line": 8,
            "id": "signoff:2025-01:finance:FINANCE-1",
            "field": "role",
            "rule": "sign_off_out_of_order",
            "message": "role: sign_off_out_of_order: branch_head must sign 2025-01 off before finance "
            "(order: branch_head, finance)",
        },
        {
            "line": 9,
            "id": "close:2025-01",
            "field": "period",
            "rule": "close_not_signed_off",
            "message": "period: close_not_signed_off: 2025-01 cannot be closed before branch_head signs it off "
            "(plan 2025 asks, in order: branch_head, finance)",
        },
        {
            "line": 11,
            "id": "signoff:2025-01:finance:BH1",
            "field": "approver_id",
            "rule": "same_approver",
            "message": "approver_id: same_approver: BH1 already signed 2025-01 off as branch_head; "
            "each role signs by a different person",
        },
    ]
