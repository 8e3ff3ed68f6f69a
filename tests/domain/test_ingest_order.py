"""`rmledger ingest FILE...` lists rejections in the order the files were given (as on
the command line, not sorted by name), and by line within each file, whether the
line failed in the decoder (known when read) or on a rule (known when its batch is
applied). Both stores."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from consumers.jsonl import ingest_files
from domain.ledger import Ledger
from tests import builders as b
from tests.stores import PostgresStore, SqliteStore, run_rmledger


def _write(path: Path, *lines: b.Wire | str) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    return path


def _files(directory: Path) -> list[Path]:
    """``zeta.jsonl`` then ``alpha.jsonl``: given in the opposite of name order. In
    each, a rule error on an early line is found after a decoding error on a later
    line (the rule is checked only when the batch is applied). C1 is registered by
    zeta, the first."""
    zeta = _write(
        directory / "zeta.jsonl",
        b.register("C1"),
        b.book("P1", "C9"),  # line 2: unknown client (a rule)
        "not json",  # line 3: malformed
        b.book("P2", "C1", "25.00"),
    )
    alpha = _write(
        directory / "alpha.jsonl",
        b.reverse("P7"),  # line 1: unknown posting (a rule)
        b.book("P3", "C1", "1.50"),
        b.hire("M1", hired_on="2025-02-30"),  # line 3: malformed date
        b.book("P4", "C1", "75.00"),
    )
    return [zeta, alpha]


def test_rejections_are_listed_file_by_file_as_given_then_by_line(
    ledger: Ledger, tmp_path: Path
) -> None:
    zeta, alpha = _files(tmp_path)
    summary = ingest_files(ledger, [zeta, alpha], batch_size=2000)
    assert [(Path(r.file).name, r.line, r.rule) for r in summary.rejected] == [
        ("zeta.jsonl", 2, "unknown_client"),
        ("zeta.jsonl", 3, "invalid_json"),
        ("alpha.jsonl", 1, "unknown_posting"),
        ("alpha.jsonl", 3, "invalid_date"),
    ]
    assert (summary.applied, summary.duplicates) == (4, 0)
    assert [b.state(ledger, "posting", p).amount for p in ("P2", "P3", "P4")] == [
        Decimal("25.00"),
        Decimal("1.50"),
        Decimal("75.00"),
    ]


def test_the_same_file_given_twice_is_listed_twice_in_that_order(
    ledger: Ledger, tmp_path: Path
) -> None:
    zeta, alpha = _files(tmp_path)
    summary = ingest_files(ledger, [alpha, zeta, alpha], batch_size=1)
    # alpha's postings need C1, which only zeta registers: rejected the first time,
    # applied the second.
    assert [(Path(r.file).name, r.line, r.rule) for r in summary.rejected] == [
        ("alpha.jsonl", 1, "unknown_posting"),
        ("alpha.jsonl", 2, "unknown_client"),
        ("alpha.jsonl", 3, "invalid_date"),
        ("alpha.jsonl", 4, "unknown_client"),
        ("zeta.jsonl", 2, "unknown_client"),
        ("zeta.jsonl", 3, "invalid_json"),
        ("alpha.jsonl", 1, "unknown_posting"),
        ("alpha.jsonl", 3, "invalid_date"),
    ]
    assert (summary.applied, summary.duplicates) == (4, 0)


def test_the_command_prints_rejections_in_the_order_of_its_arguments(
    store: SqliteStore | PostgresStore, tmp_path: Path
) -> None:
    zeta, alpha = _files(tmp_path)
    result = run_rmledger(store, "ingest", str(zeta), str(alpha))
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "applied: 4  duplicates: 0  rejected: 4",
        f"  {zeta}:2 [P1] client_id: unknown_client: no client 'C9' is known",
        f"  {zeta}:3 [-] invalid_json: not valid JSON (Expecting value: line 1 column 1 (char 0))",
        f"  {alpha}:1 [rev:P7] posting_id: unknown_posting: no posting 'P7' is known",
        f"  {alpha}:3 [hire:M1] hired_on: invalid_date: '2025-02-30' is not a day of the calendar",
    ]
