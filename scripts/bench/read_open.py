"""How long a reading command takes to get the read model when it is already at the
log's head: before the access module (a read-write open and a catch-up with nothing
to load, which every reading command did) against ``ReadModelAccess.read()`` (the
shared lock, a read-only open and the inspection), alternated in one process.

    python -m scripts.bench.read_open DATA_DIR [RUNS]

DATA_DIR holds an SQLite event store and its read model (``rmledger demo`` makes one).
Figures: docs/benchmarks.md, "Reading commands and the read-model locks".
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from domain.ledger import Ledger
from domain.store import ledger_env
from projections.readmodel.access import ReadModelAccess
from projections.readmodel.loader import ReadModel


def main() -> None:
    directory = Path(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    ledger = Ledger(ledger_env(directory, {}))
    path = directory / "read_model.duckdb"
    ReadModelAccess(path, ledger).catch_up()
    before: list[float] = []
    after: list[float] = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            model = ReadModel(path)
            model.catch_up(ledger)
            model.close()
            before.append(time.perf_counter() - started)
            started = time.perf_counter()
            model = ReadModelAccess(path, ledger).read()
            model.close()
            after.append(time.perf_counter() - started)
    finally:
        ledger.close()
    for name, seconds in (
        ("read-write open + catch-up (before)", before),
        ("ReadModelAccess.read() (after)", after),
    ):
        print(
            f"{name}: median {statistics.median(seconds) * 1000:.0f} ms, "
            f"min {min(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms ({runs} runs)"
        )


if __name__ == "__main__":
    main()
