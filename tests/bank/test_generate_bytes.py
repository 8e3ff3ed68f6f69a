"""The synthetic bank's exact bytes for fixed seeds and sizes.

The hashes below were computed on the generator as a single module
(scripts/bank/generate.py at commit 0bf7c8c, before it was split into the modules
of scripts/bank/), so a refactoring that changes any byte of the output fails here.
If the generator is changed on purpose, recompute them and say why in the commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scripts.bank.generate import write_jsonl

# (seed, size): (message count, sha256 of the JSON Lines file), from the unsplit code.
EXPECTED = {
    (7, "tiny"): (511, "afaca6e8feb63ba7d9da9917e884766b3272ec72600a58416e45db9b9c690d46"),
    (11, "tiny"): (541, "d191178b166d8505f51a3af0ef37924393c9fff4a12859b8b64aefb01ad71086"),
    (7, "300"): (303, "89d32102fd6329a4d7129dfbf889ad431423642eeb38c7546797ae61096880e5"),
    (7, "small"): (50831, "bf6405b0732e58fc42a22241c36f37cff666baf62097d2f9a6b249822ed6f908"),
}


@pytest.mark.parametrize(("seed", "size"), list(EXPECTED))
def test_the_output_is_byte_identical_to_the_unsplit_generator(
    seed: int, size: str, tmp_path: Path
) -> None:
    out = tmp_path / "bank.jsonl"
    count = write_jsonl(out, seed=seed, size=size)
    assert (count, hashlib.sha256(out.read_bytes()).hexdigest()) == EXPECTED[(seed, size)]
