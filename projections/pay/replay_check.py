"""Replay checks (docs/rules.md R7.8, docs/replay-checks.md): a scenario of contract
messages run through a scratch ledger, its statements compared with expected ones.

The scratch ledger is an SQLite event store and a DuckDB read model in a directory
the caller gives (and discards); the bank's own store is never touched. The
statements compared are those ``rmledger pay --period`` shows: issued ones as issued
at their close, the others as they stand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from consumers.jsonl import IngestSummary, ingest_files
from domain.ledger import Ledger
from domain.store import ledger_env
from projections.pay.statements import MONEY_FIELDS, statements, to_json
from projections.readmodel.loader import ReadModel

KEYS = ("manager_id", "period")
# Fields compared as amounts: "700" expects the same as "700.00".
AMOUNTS = frozenset({*MONEY_FIELDS, "outstanding"})


class ExpectedUnreadable(ValueError):
    """The expected statements file is not a list of objects with manager_id and period."""


@dataclass(frozen=True)
class Difference:
    """One expected field that the replay did not give (``actual`` None: absent)."""

    manager_id: str
    period: str
    field: str
    expected: Any
    actual: Any

    def as_json(self) -> dict[str, Any]:
        return {
            "manager_id": self.manager_id,
            "period": self.period,
            "field": self.field,
            "expected": self.expected,
            "actual": self.actual,
        }

    def describe(self) -> str:
        """The line for people: manager, month, field, expected and actual."""
        actual = "none" if self.actual is None else json.dumps(self.actual)
        return f"{self.manager_id} {self.period} {self.field}: expected {json.dumps(self.expected)}, actual {actual}"


def read_expected(text: str) -> list[dict[str, Any]]:
    """The expected statements: a JSON list of objects, each with ``manager_id``,
    ``period`` and any subset of the statement's fields (money as strings)."""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ExpectedUnreadable(f"not valid JSON: {error}") from None
    if not isinstance(value, list):
        raise ExpectedUnreadable("expected a JSON list of statements")
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in KEYS):
            raise ExpectedUnreadable(
                f"item {index}: expected an object with manager_id and period (strings)"
            )
    return value


def replay(scenario: Path, directory: Path) -> tuple[ReadModel, IngestSummary]:
    """The scenario applied to a new SQLite ledger in ``directory``, and its read model
    caught up (read-write, in ``directory`` too): the caller closes it."""
    ledger = Ledger(ledger_env(directory, {}))  # {}: never the PostgreSQL of the environment
    summary = ingest_files(ledger, [scenario])
    rm = ReadModel(directory / "read_model.duckdb")
    rm.catch_up(ledger)
    return rm, summary


def check(rm: ReadModel, expected: list[dict[str, Any]]) -> list[Difference]:
    """Every expected field the read model's statements do not match, in the order
    given; a statement that does not exist is one difference (field ``statement``)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for item in expected:
        wanted[item["period"]].add(item["manager_id"])
    actual = {
        (st["manager_id"], period): to_json(st)
        for period, managers in wanted.items()
        for st in statements(rm, period)
        if st["manager_id"] in managers
    }
    out: list[Difference] = []
    for item in expected:
        mid, period = item["manager_id"], item["period"]
        got = actual.get((mid, period))
        if got is None:
            out.append(Difference(mid, period, "statement", "a statement", None))
            continue
        for name, value in item.items():
            if name not in KEYS:
                out.extend(_field(mid, period, name, value, got.get(name)))
    return out


def _field(mid: str, period: str, name: str, expected: Any, actual: Any) -> list[Difference]:
    if name == "k0" and isinstance(expected, dict) and isinstance(actual, dict):
        return [
            d
            for cls, value in expected.items()
            for d in _field(mid, period, f"k0.{cls}", value, actual.get(cls))
        ]
    if name in AMOUNTS or name.startswith("k0."):
        same = _amount(expected) is not None and _amount(expected) == _amount(actual)
    else:
        same = expected == actual
    return [] if same else [Difference(mid, period, name, expected, actual)]


def _amount(value: Any) -> Decimal | None:
    if not isinstance(value, str):
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None
