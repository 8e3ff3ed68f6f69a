"""Output that cannot hurt: ``--out`` never writes the store's own files and replaces
only with ``--force``; stored text is escaped in every terminal, Markdown, HTML, CSV
and JSON output; an identity number is never shown whole.

Old stores may hold ids with control characters or markup (the door refuses them
now), so the stored events here are made by the domain directly, past the decoder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner, Result

from consumers.decoder import decode
from domain.errors import mask
from domain.ledger import APPLIED, Ledger
from domain.store import ledger_env
from projections.escape import csv_cell, html_text, json_text, markdown, terminal
from scripts.cli.main import cli
from tests import builders as b
from tests.paths import SCENARIOS
from tests.stores import SqliteStore, run_rmledger

SCENARIO = SCENARIOS / "example_a.jsonl"
EVIL_MANAGER = "M<script>alert(1)</script>|`x`&"
EVIL_CLIENT = "C\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"
EVIL_NAME = "Name\x1b[31m<b>red</b>\n| forged | row |"
SHORT_ID = "1234"


def rmledger(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


# -- the escaping functions -----------------------------------------------------------


def test_terminal_escaping_shows_every_control_character_as_an_escape() -> None:
    assert (
        terminal("a\x1b[31mb\x07\x00\x7f\x9b\u202e\n\tc")
        == "a\\x1b[31mb\\x07\\x00\\x7f\\x9b\\u202e\\x0a\\x09c"
    )
    assert terminal("Zhang Wei 张伟 1234.50") == "Zhang Wei 张伟 1234.50"


def test_markdown_escaping_leaves_no_raw_html_table_bar_or_code_span() -> None:
    assert markdown("<script>|`x`&\x1b") == "&lt;script&gt;\\|\\`x\\`&amp;\\x1b"


def test_html_escaping_turns_markup_into_entities() -> None:
    assert html_text("<a href='x'>\x07") == "&lt;a href=&#x27;x&#x27;&gt;\\x07"


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("-12.50", "-12.50"),
        ("+7", "+7"),
        ("M1", "M1"),
        ("a\x1bb", "a\\x1bb"),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_get_an_apostrophe_numbers_do_not(
    cell: str, shown: str
) -> None:
    assert csv_cell(cell) == shown


def test_json_text_escapes_del_c1_and_format_characters_and_stays_the_same_json() -> None:
    dumped = json.dumps({"id": "a\x7f\x9b\u202e"}, ensure_ascii=False)
    safe = json_text(dumped)
    assert safe == '{"id": "a\\u007f\\u009b\\u202e"}' and json.loads(safe) == {
        "id": "a\x7f\x9b\u202e"
    }


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("110101199003071234", "****1234"),
        ("123456789", "****6789"),
        ("12345678", "****"),
        ("1234", "****"),
        ("", "****"),
    ],
)
def test_an_identity_number_shows_its_last_4_only_when_longer_than_8(
    number: str, shown: str
) -> None:
    assert mask(number) == shown


# -- stored text with control characters and markup, through every output ------------


# What the decoder accepts, replaced by the hostile values once decoded.
NAME_PLACEHOLDER = "PlaceholderName"
ID_PLACEHOLDER = "PLACEHOLDER0ID"


def _evil(message: Any) -> Any:
    """The decoded message with its placeholder ids replaced past the decoder."""
    changes = {}
    for field in attrs.fields(type(message)):
        value = getattr(message, field.name)
        if isinstance(value, str):
            changes[field.name] = (
                value.replace("MX", EVIL_MANAGER)
                .replace("CX", EVIL_CLIENT)
                .replace(NAME_PLACEHOLDER, EVIL_NAME)
                .replace(ID_PLACEHOLDER, SHORT_ID)
            )
    return attrs.evolve(message, **changes)


@pytest.fixture
def evil_store(tmp_path: Path, clean_environ: None) -> Path:
    data_dir = tmp_path / "var"
    ledger = Ledger(ledger_env(data_dir))
    try:
        wires = [
            b.hire("MX"),
            b.register("CX", id_number=ID_PLACEHOLDER, name=NAME_PLACEHOLDER),
            b.assign("CX", "MX"),
            b.request_departure("MX"),
        ]
        outcomes = ledger.apply_batch([_evil(decode(json.dumps(w))) for w in wires])
        assert [o.status for o in outcomes] == [APPLIED] * 4
    finally:
        ledger.close()
    return data_dir


RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _no_raw_controls(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text)


def test_the_departure_audit_in_markdown_has_no_raw_markup_or_controls(evil_store: Path) -> None:
    result = rmledger(evil_store, "audit", "departure", "--manager", EVIL_MANAGER, "--format", "md")
    assert result.exit_code == 0, result.output
    _no_raw_controls(result.output)
    assert "<script>" not in result.output and "<b>" not in result.output
    assert "M&lt;script&gt;alert(1)&lt;/script&gt;\\|\\`x\\`&amp;" in result.output
    book = next(line for line in result.output.splitlines() if line.startswith("| C\\x1b"))
    # the client's id, its name (escaped, never raw), the masked identity number
    assert book.startswith("| C\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e | ")
    assert " | **** | primary |" in book


def test_the_departure_audit_in_html_has_no_raw_markup_or_controls(evil_store: Path) -> None:
    result = rmledger(
        evil_store, "audit", "departure", "--manager", EVIL_MANAGER, "--format", "html"
    )
    assert result.exit_code == 0, result.output
    _no_raw_controls(result.output)
    assert "<script>" not in result.output
    assert "(M&lt;script&gt;alert(1)&lt;/script&gt;|`x`&amp;)</h1>" in result.output


def test_the_departure_audit_in_json_keeps_the_values_and_escapes_c1(evil_store: Path) -> None:
    result = rmledger(
        evil_store, "audit", "departure", "--manager", EVIL_MANAGER, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    _no_raw_controls(result.output)
    report = json.loads(result.output)
    assert report["manager"]["manager_id"] == EVIL_MANAGER
    assert [(c["client_id"], c["id_number"]) for c in report["book"]] == [(EVIL_CLIENT, "****")]


def test_the_history_text_and_the_tiers_table_escape_stored_controls(evil_store: Path) -> None:
    history = rmledger(
        evil_store, "audit", "history", "--manager", EVIL_MANAGER, "--effective-on", "2025-06-30"
    )
    assert history.exit_code == 0, history.output
    _no_raw_controls(history.output)
    assert "C\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e (****) primary" in history.output
    tiers = rmledger(evil_store, "tiers", "--as-of", "2025-06-30")
    assert tiers.exit_code == 0, tiers.output
    _no_raw_controls(tiers.output)
    assert "C\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202e" in tiers.output


def test_sql_output_and_its_errors_escape_controls(evil_store: Path) -> None:
    rows = rmledger(evil_store, "sql", "SELECT client_id, name FROM clients")
    assert rows.exit_code == 0, rows.output
    _no_raw_controls(rows.output)
    assert "Name\\x1b[31m<b>red</b>\\x0a| forged | row |" in rows.output
    error = rmledger(evil_store, "sql", "SELECT '\x1b[2J' FROM nowhere")
    assert error.exit_code == 1
    _no_raw_controls(error.output)


# -- --out ------------------------------------------------------------------------------


@pytest.fixture
def ingested(tmp_path: Path, clean_environ: None) -> Path:
    # As processes, so that every file is closed (and checkpointed) before a test looks at it.
    store = SqliteStore(tmp_path / "var")
    assert run_rmledger(store, "ingest", str(SCENARIO)).returncode == 0
    assert (
        run_rmledger(store, "pay", "--period", "2025-03").returncode == 0
    )  # the read model exists too
    return store.data_dir


def _store_files(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    "target",
    [
        "events.sqlite",
        "events.sqlite-wal",
        "events.sqlite-shm",
        "read_model.duckdb",
        "read_model.duckdb.wal",
        "store.lock",
        "seal.key",
        ".",
    ],
)
def test_out_never_writes_the_data_directory_s_own_files(ingested: Path, target: str) -> None:
    before = _store_files(ingested)
    for args in (["audit", "departure", "--manager", "M1"], ["generate", "--size", "tiny"]):
        result = rmledger(ingested, *args, "--out", str(ingested / target), "--force")
        assert result.exit_code == 2, result.output
        assert "Error: Invalid value for '--out'" in result.output
        assert (
            "is one of the data directory's own files" in result.output
            or "is a directory" in result.output
        ), result.output
    assert _store_files(ingested) == before


def test_out_through_a_link_to_the_event_store_is_refused(ingested: Path, tmp_path: Path) -> None:
    link = tmp_path / "innocent.jsonl"
    link.symlink_to(ingested / "events.sqlite")
    hard = tmp_path / "hard.jsonl"
    hard.hardlink_to(ingested / "events.sqlite")
    before = (ingested / "events.sqlite").read_bytes()
    for target in (link, hard):
        result = rmledger(ingested, "generate", "--size", "tiny", "--out", str(target), "--force")
        assert result.exit_code == 2 and "own files" in result.output, result.output
    assert (ingested / "events.sqlite").read_bytes() == before


def test_an_existing_file_is_replaced_only_with_force_and_never_half_written(
    ingested: Path, tmp_path: Path
) -> None:
    out = tmp_path / "bank.jsonl"
    out.write_text("keep me\n")
    refused = rmledger(ingested, "generate", "--size", "tiny", "--out", str(out))
    assert refused.exit_code == 2
    assert (
        f"Error: Invalid value for '--out': '{out}' exists: give --force to replace it"
        in refused.output
    )
    assert out.read_text() == "keep me\n"
    replaced = rmledger(ingested, "generate", "--size", "tiny", "--out", str(out), "--force")
    assert replaced.exit_code == 0, replaced.output
    assert out.read_text().startswith('{"type":"branch.registered"')  # the bank's first message
    assert (
        sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    )  # no temporary left


def test_export_refuses_the_data_directory_and_a_non_empty_directory_without_force(
    ingested: Path, tmp_path: Path
) -> None:
    inside = rmledger(ingested, "export", "--out", str(ingested / "parquet"))
    assert inside.exit_code == 2 and "is in the data directory" in inside.output
    out = tmp_path / "export"
    assert rmledger(ingested, "export", "--out", str(out)).exit_code == 0
    again = rmledger(ingested, "export", "--out", str(out))
    assert again.exit_code == 2 and "is not empty: give --force" in again.output
    forced = rmledger(ingested, "export", "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert (out / "manifest.json").is_file()
