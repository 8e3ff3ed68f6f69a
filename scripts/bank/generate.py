"""A deterministic synthetic bank, as JSON Lines messages of the contract.

``generate(seed, size)`` yields the messages of docs/contract.md C1 for a made-up bank
(branches and sub-branches, managers of every grade, clients with Pareto-skewed
assets, postings, loans, handovers, departures, month closes) in an order the ledger
accepts: whatever a message depends on comes earlier in the stream.

Two promises:

* **Deterministic.** Every random choice comes from one ``random.Random(seed)``,
  never from the global generator or the clock; collections are only iterated in
  insertion or sorted order (never a ``set``, whose order depends on hashing). Money
  is integer fen drawn with ``randrange`` (no float arithmetic, no ``log``/``pow``
  whose last bit may differ between platforms), so the same seed and size give the
  same bytes anywhere.
* **Streaming.** Messages are yielded one at a time while a day-by-day simulation
  runs; the state kept is the bank itself (managers, clients, loans) and a small
  agenda of future steps, never the messages already produced. Memory does not grow
  with the number of messages, only with the number of clients.

The simulation lives beside this module: ``sizes`` (how big), ``units`` and ``draws``
(fen, months, random draws), ``business`` (constants), ``state`` (managers, clients,
loans, handovers), ``agenda`` (the run's plumbing), ``people``, ``accounts``,
``months`` and ``staff`` (the parts of the day-by-day simulation) and ``simulation``
(the ``Bank`` that runs them). This module is the entry: ``generate``, ``write_jsonl``
and the command line.

Run it as ``python -m scripts.bank.generate --seed 7 --size small --out bank.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts.bank.simulation import Bank
from scripts.bank.sizes import SIZES, SizeSpec, size_spec
from scripts.bank.units import yuan

# The names other code imports from here.
__all__ = ["SIZES", "SizeSpec", "generate", "main", "size_spec", "write_jsonl", "yuan"]


def generate(seed: int = 7, size: str = "small") -> Iterator[dict[str, Any]]:
    """The messages of a synthetic bank, in an order the ledger accepts."""
    bank = Bank(random.Random(seed), size_spec(size))
    yield from bank.run()


def write_jsonl(path: str | Path, seed: int = 7, size: str = "small") -> int:
    """Write the bank to ``path`` as JSON Lines, one message at a time; returns the count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for message in generate(seed, size):
            out.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    """``python -m scripts.bank.generate --seed 7 --size small --out bank.jsonl``."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bank.generate",
        description="Write a deterministic synthetic bank as JSON Lines.",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--size",
        default="small",
        help="tiny, small, medium, large, or a target message count (default small)",
    )
    parser.add_argument("--out", default="bank.jsonl", help="output file (default bank.jsonl)")
    args = parser.parse_args(argv)
    try:
        size_spec(args.size)
    except ValueError as error:
        parser.error(str(error))
    count = write_jsonl(args.out, args.seed, args.size)
    print(f"wrote {count} messages to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
