"""One message at most 64 KiB, through ``rmledger ingest``: a longer line is rejected
with its line number without ever being held whole, and the lines after it are
applied; an input with no line end at all (``/dev/zero``) ends with a rejection."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from consumers import jsonl
from consumers.jsonl import LongLine, read_lines
from domain.ledger import Ledger
from tests import builders as b
from tests.stores import run_rmledger

TOO_LARGE = (
    "message_too_large: the message has {:,} bytes; one message is at most 65,536 bytes (64 KiB)"
)


def _write(path: Path, *parts: bytes) -> Path:
    path.write_bytes(b"".join(parts))
    return path


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode() + b"\n"


def test_a_5_mb_line_of_zero_bytes_is_rejected_with_its_number_and_the_next_lines_are_applied(
    tmp_path: Path, clean_environ: None, make_ledger: Any, store: Any
) -> None:
    # given a good line, 5 MB of zero bytes with no line end, then, after a line end, two good lines
    path = _write(
        tmp_path / "zeros.jsonl",
        _line(b.register("C1")),
        b"\0" * 5_000_000,
        b"\n",
        _line(b.book("P1", "C1", "10.00")),
        _line(b.book("P2", "C1", "20.00")),
    )
    # when it is ingested
    result = run_rmledger(store, "ingest", str(path))
    # then line 2 is rejected as too large and the others are applied
    assert result.stdout == (
        f"applied: 3  duplicates: 0  rejected: 1\n  {path}:2 [-] {TOO_LARGE.format(5_000_000)}\n"
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr  # stderr: the progress bar
    assert b.topics_since(make_ledger(), 0) == [
        "Client.Registered",
        "Receipt.Applied",
        "Posting.Booked",
        "Posting.Booked",
    ]


def test_a_line_of_exactly_64_kib_is_read_and_one_byte_more_is_rejected(tmp_path: Path) -> None:
    message = json.dumps(b.book("P1", "C1"))
    exact = (message[:-1] + " " * (65_536 - len(message)) + "}").encode()
    over = exact[:-1] + b" }"
    path = _write(
        tmp_path / "edge.jsonl", exact + b"\n", over + b"\n", exact + b"\r\n", over + b"\r\n", exact
    )
    lines = list(read_lines(path))
    assert [(n, raw if isinstance(raw, LongLine) else len(raw)) for n, raw in lines] == [
        (1, 65_537),
        (2, LongLine(65_537, True)),
        (3, 65_538),
        (4, LongLine(65_537, True)),
        (5, 65_536),
    ]


def test_a_long_line_is_never_held_whole(tmp_path: Path) -> None:
    path = _write(tmp_path / "long.jsonl", b"x" * 20_000_000, b"\n", _line(b.register("C1")))
    tracemalloc.start()
    try:
        lines = [
            (n, raw if isinstance(raw, LongLine) else json.loads(raw)["id"])
            for n, raw in read_lines(path)
        ]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == [(1, LongLine(20_000_000, True)), (2, "reg:C1")]
    assert peak < 1_000_000, f"reading a 20 MB line held {peak:,} bytes at once"


def test_ingest_of_dev_zero_ends_with_a_rejection(
    tmp_path: Path, clean_environ: None, store: Any, make_ledger: Any
) -> None:
    # /dev/zero never ends: the reader gives up on it after 64 MiB without a line end
    result = run_rmledger(store, "ingest", "/dev/zero")
    assert result.stdout == (
        "applied: 0  duplicates: 0  rejected: 1\n"
        "  /dev/zero:1 [-] message_too_large: the line has no line end in its first 67,108,864 bytes; "
        "one message is at most 65,536 bytes (64 KiB); the rest of the file is not read\n"
    )
    assert (result.returncode, result.stderr) == (1, "")


def test_a_file_given_up_on_does_not_stop_the_next_file(
    tmp_path: Path, make_ledger: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(jsonl, "MAX_SCAN_BYTES", 1_000_000)  # the same rule, found sooner
    endless = _write(
        tmp_path / "endless.jsonl",
        _line(b.register("C1")),
        b"\0" * 3_000_000,
        b"\n",
        _line(b.book("P9", "C1")),
    )
    good = _write(tmp_path / "good.jsonl", _line(b.book("P1", "C1", "10.00")))
    ledger: Ledger = make_ledger()
    summary = jsonl.ingest_files(ledger, [endless, good])
    assert (summary.applied, summary.duplicates) == (2, 0)
    assert [(r.file, r.line, r.rule, r.message) for r in summary.rejected] == [
        (
            str(endless),
            2,
            "message_too_large",
            "message_too_large: the line has no line end in its first 1,000,000 bytes; one message is at "
            "most 65,536 bytes (64 KiB); the rest of the file is not read",
        )
    ]


def test_progress_counts_the_bytes_of_a_skipped_line(tmp_path: Path, make_ledger: Any) -> None:
    path = _write(tmp_path / "p.jsonl", b"y" * 100_000, b"\n", _line(b.register("C1")))
    seen: list[int] = []
    jsonl.ingest_files(make_ledger(), [path], on_progress=seen.append)
    assert sum(seen) == path.stat().st_size - 1  # every byte but the long line's own line end
