"""Apply JSON Lines files of messages in order, in batches, with a summary.

Decoding errors and rule errors are collected with their line numbers; every valid
line is still applied, and a rejected line leaves no trace in the store.

Lines are read in bounded pieces: a line over one message's limit (64 KiB) is never
held whole; its rest is skipped to the next line end and it is rejected as
``message_too_large`` with its line number. A line with no line end in its first
``MAX_SCAN_BYTES`` (``/dev/zero``, a binary file) ends the reading of its file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from consumers.decoder import decode_object, message_id_of, parse_json
from domain.errors import DecodeError, RuleBroken
from domain.ledger import APPLIED, DUPLICATE, Ledger
from domain.limits import MAX_MESSAGE_BYTES, message_too_large
from domain.messages import Message

# Messages per transaction; each commit is an fsync, and a batch is held in memory
# whole, a few MB. why: docs/decisions.md#ingest-batch
DEFAULT_BATCH_SIZE = 5000


@attrs.define
class Rejection:
    """One rejected line, as printed and as ``rejected`` in ``ingest --json``."""

    file: str
    line: int
    id: str | None
    field: str | None
    rule: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "id": self.id,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
        }


@attrs.define
class IngestSummary:
    """Counts of applied and duplicate messages, and every rejection."""

    applied: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = attrs.Factory(list)

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "duplicates": self.duplicates,
            "rejected": [r.as_json() for r in self.rejected],
        }


def rejection(file: str, line: int, message_id: str | None, error: RuleBroken) -> Rejection:
    """A rejection record for an error, with the sentence people read."""
    return Rejection(file, line, message_id, error.field, error.rule, error.describe())


# How far a line too long is read to find its end before the rest of its file is given
# up (an endless or binary input must end with a rejection too).
MAX_SCAN_BYTES = 64 * 1024 * 1024
_PIECE = MAX_MESSAGE_BYTES + 2  # a whole message, its "\r\n", or the proof it is longer


@attrs.frozen
class LongLine:
    """A line over the message limit, not kept: its size in bytes (without the line
    end) and whether its end was found (``False``: the rest of the file is not read)."""

    size: int
    ended: bool

    def error(self) -> DecodeError:
        error = message_too_large(self.size)
        if not self.ended:
            error = DecodeError(
                None,
                error.rule,
                f"the line has no line end in its first {MAX_SCAN_BYTES:,} bytes; one message is at "
                f"most {MAX_MESSAGE_BYTES:,} bytes (64 KiB); the rest of the file is not read",
            )
        return error


def read_lines(path: Path) -> Iterator[tuple[int, bytes | LongLine]]:
    """Numbered lines of a file (1-based), blank ones included, streamed; a line over
    ``MAX_MESSAGE_BYTES`` comes as a ``LongLine``, read and dropped in bounded pieces."""
    with path.open("rb") as handle:
        readline, number = handle.readline, 0
        while line := readline(_PIECE):
            number += 1
            if len(line) <= MAX_MESSAGE_BYTES or len(_body(line)) <= MAX_MESSAGE_BYTES:
                yield number, line
                continue
            size, piece, before = len(line), line, b""
            while not piece.endswith(b"\n") and size < MAX_SCAN_BYTES:
                before, piece = piece, handle.readline(min(_PIECE, MAX_SCAN_BYTES - size))
                if not piece:
                    break
                size += len(piece)
            if not piece.endswith(b"\n") and size >= MAX_SCAN_BYTES:
                yield number, LongLine(size, False)
                return
            # without the line end, also a "\r\n" split between two pieces
            ending = len(piece) - len(_body(piece)) + (piece == b"\n" and before.endswith(b"\r"))
            yield number, LongLine(size - ending, True)


def _body(line: bytes) -> bytes:
    """A line without its line end (``\n`` or ``\r\n``)."""
    if line.endswith(b"\n"):
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]
    return line


def ingest_files(
    ledger: Ledger,
    paths: Iterable[Path],
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Apply every line of every file in order. ``on_progress`` gets bytes read.

    Rejections are listed in the order the files were given (as on the command
    line, not by name), and by line number within each file."""
    summary = IngestSummary()
    for path in paths:
        # A decoding error is known when its line is read, a rule error only when
        # its batch is applied, so one file's rejections are put in line order at
        # its end; never across files, which keep the order they were given in.
        rejected: list[Rejection] = []
        batch: list[tuple[int, Message]] = []
        for number, raw in read_lines(path):
            if isinstance(raw, LongLine):
                if on_progress:
                    on_progress(raw.size)
                rejected.append(rejection(str(path), number, None, raw.error()))
                continue
            if on_progress:
                on_progress(len(raw))  # blank lines too, so the bar ends at the files' size
            if not raw.strip():
                continue
            obj: Any = None
            try:
                obj = parse_json(raw)
                batch.append((number, decode_object(obj)))
            except RuleBroken as error:
                rejected.append(rejection(str(path), number, message_id_of(obj), error))
            if len(batch) >= batch_size:
                _apply(ledger, str(path), batch, summary, rejected)
                batch = []
        if batch:
            _apply(ledger, str(path), batch, summary, rejected)
        rejected.sort(key=lambda r: r.line)
        summary.rejected += rejected
    return summary


def _apply(
    ledger: Ledger,
    file: str,
    batch: list[tuple[int, Message]],
    summary: IngestSummary,
    rejected: list[Rejection],
) -> None:
    outcomes = ledger.apply_batch([message for _, message in batch])
    for (number, message), outcome in zip(batch, outcomes, strict=True):
        if outcome.status == APPLIED:
            summary.applied += 1
        elif outcome.status == DUPLICATE:
            summary.duplicates += 1
        else:
            assert outcome.error is not None
            rejected.append(rejection(file, number, message.id, outcome.error))
