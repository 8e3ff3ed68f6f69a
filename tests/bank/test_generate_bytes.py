"""The synthetic bank's exact bytes for fixed seeds and sizes.

The hashes were first computed on the generator as a single module (scripts/bank/
generate.py at commit 0bf7c8c, before it was split into the modules of scripts/bank/),
so that the split changed no byte. They were recomputed when the generator began to
produce the workflows of contract version 2 (branches, the opening plan with its
sign-off roles, acknowledgements, sign-offs before each close, disputes): a change
of any byte fails here. If the generator is changed on purpose, recompute them and
say why in the commit.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from scripts.bank.generate import write_jsonl

# (seed, size): (message count, sha256 of the JSON Lines file).
EXPECTED = {
    (7, "tiny"): (542, "22e386a6c0298b89246795d8584b6c23a0b06e7176052fe7315e51f5ddc033fd"),
    (11, "tiny"): (585, "6edf557a40043256167a12678ba0333490d72e32eba53f10f930223f2e32bbf2"),
    (7, "300"): (328, "4fc68b60a4ee3a1b0917ea5f2605427e8559dcda74fb008d2e9a2b24f9b2c98f"),
    (7, "small"): (50603, "e8ceab69edb2a8742361de6a750219a6c905bf42d3217fa8ec8a4dd3951b32d7"),
}


@pytest.mark.parametrize(("seed", "size"), list(EXPECTED))
def test_the_output_is_byte_identical_to_the_recorded_bytes(
    seed: int, size: str, tmp_path: Path
) -> None:
    out = tmp_path / "bank.jsonl"
    count = write_jsonl(out, seed=seed, size=size)
    assert (count, hashlib.sha256(out.read_bytes()).hexdigest()) == EXPECTED[(seed, size)]
