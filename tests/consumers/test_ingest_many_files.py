"""Statements are the same whether messages arrive in one file or many (issue 3).

The tiny generated bank (seed 7) is split into several files at arbitrary line
boundaries; each file is ingested by its own ``rmledger ingest`` run into one data
directory, and a reading command (``rmledger pay --json``) after each run brings the
read model up to date incrementally, file by file. The issued and restated statements
of every closed month (and of the open month after them) must then equal those of a
single-file ingest into a fresh directory; and a month's issued statements, once
issued, read the same after every later file."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from projections.readmodel.loader import ReadModel
from scripts.bank.generate import write_jsonl
from scripts.cli.main import cli
from tests.stores import leaking_settings

pytestmark = pytest.mark.usefixtures("clean_environ")


class Bank:
    """The tiny bank's lines and the statements of its single-file ingest."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "tiny.jsonl"
        write_jsonl(self.path, seed=7, size="tiny")
        self.lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        types = [json.loads(line)["type"] for line in self.lines]
        self.closes = [i for i, t in enumerate(types) if t == "period.closed"]
        self.closed = [json.loads(self.lines[i])["period"] for i in self.closes]
        year, month = map(int, self.closed[-1].split("-"))
        self.periods = [
            *self.closed,
            f"{year + month // 12:04d}-{month % 12 + 1:02d}",
        ]  # and the open month
        single = directory / "single"
        self.applied = ingest(single, self.path)
        self.expected = {
            (p, restated): pay(single, p, restated)
            for p in self.periods
            for restated in (False, True)
        }
        self.position = read_position(single)


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    with pytest.MonkeyPatch.context() as mp:  # no store settings from the shell
        for setting in leaking_settings(os.environ):
            mp.delenv(setting)
        return Bank(tmp_path_factory.mktemp("single"))


def run(data_dir: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.output


def ingest(data_dir: Path, path: Path) -> int:
    summary = json.loads(run(data_dir, "ingest", "--json", str(path)))
    assert (summary["duplicates"], summary["rejected"]) == (0, [])
    return int(summary["applied"])


def pay(data_dir: Path, period: str, restated: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        run(data_dir, "pay", "--period", period, "--json", *(["--restated"] if restated else []))
    )
    return rows


def read_position(data_dir: Path) -> int:
    with ReadModel(data_dir / "read_model.duckdb", read_only=True) as rm:
        return rm.position()


def split(lines: list[str], cuts: list[int], directory: Path) -> list[Path]:
    """The lines as files part00.jsonl, part01.jsonl, ... cut before each index of ``cuts``."""
    bounds = [0, *sorted(set(cuts)), len(lines)]
    paths = []
    for i, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        path = directory / f"part{i:02d}.jsonl"
        path.write_text("".join(lines[start:end]), encoding="utf-8")
        paths.append(path)
    return paths


def around_closes(bank: Bank) -> list[int]:
    """A file ends just before each month close, and the next holds the close alone."""
    return [c for i in bank.closes for c in (i, i + 1)]


def at_random(seed: int, count: int) -> Any:
    return lambda bank: random.Random(seed).sample(range(1, len(bank.lines)), count)


SPLITS = {
    "two-halves": lambda bank: [len(bank.lines) // 2],
    "around-closes": around_closes,
    "first-line-alone-and-last-line-alone": lambda bank: [1, len(bank.lines) - 1],
    "random-4": at_random(3, 3),
    "random-12": at_random(11, 11),
}


@pytest.mark.parametrize("how", list(SPLITS))
def test_statements_same_from_one_file_or_many_runs(bank: Bank, tmp_path: Path, how: str) -> None:
    cuts = SPLITS[how](bank)
    files = split(bank.lines, cuts, tmp_path)
    assert len(files) == len(set(cuts)) + 1 and "".join(f.read_text() for f in files) == "".join(
        bank.lines
    )
    data = tmp_path / "var"
    applied, positions, end = 0, [], 0
    for number, path in enumerate(files):
        applied += ingest(data, path)
        end += len(path.read_text().splitlines())
        # A reading command after each run: the read model catches up to this file.
        issued = [p for p, i in zip(bank.closed, bank.closes, strict=True) if i < end]
        period = issued[-1] if issued else bank.periods[number % len(bank.periods)]
        statements = pay(data, period)
        positions.append(read_position(data))
        if issued:
            # Issued statements are frozen: the same after every later file.
            assert statements == bank.expected[(period, False)], (how, path.name, period)
    assert applied == bank.applied == len(bank.lines)
    assert positions == sorted(set(positions)), "each run moved the read model forward"
    assert positions[-1] == bank.position
    for (period, restated), expected in bank.expected.items():
        assert expected, (period, restated)
        assert pay(data, period, restated) == expected, (how, period, restated)
