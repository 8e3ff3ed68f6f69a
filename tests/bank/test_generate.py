"""The synthetic-bank generator (scripts/bank/generate.py): deterministic by seed,
streamed in constant memory, sized as asked, and every message on contract and
accepted by the ledger."""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from consumers.decoder import decode
from domain.ledger import REJECTED, Ledger, apply_all
from domain.messages import MESSAGE_TYPES
from scripts.bank.generate import generate, size_spec, write_jsonl, yuan
from tests.paths import ROOT


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bank") / "tiny.jsonl"
    write_jsonl(path, seed=7, size="tiny")
    return path


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bank") / "small.jsonl"
    write_jsonl(path, seed=7, size="small")
    return path


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


# -- determinism -------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["tiny", "small"])
def test_the_same_seed_gives_the_same_bytes(size: str, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert write_jsonl(first, seed=11, size=size) == write_jsonl(second, seed=11, size=size)
    assert sha256_of(first) == sha256_of(second)


def test_a_different_seed_gives_a_different_bank(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(first, seed=7, size="tiny")
    write_jsonl(second, seed=8, size="tiny")
    assert sha256_of(first) != sha256_of(second)


def test_the_bytes_do_not_depend_on_the_process_hash_seed(tmp_path: Path, tiny_file: Path) -> None:
    """Iterating a set of strings would make the order depend on PYTHONHASHSEED."""
    out = tmp_path / "other.jsonl"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.bank.generate",
            "--seed",
            "7",
            "--size",
            "tiny",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    assert sha256_of(out) == sha256_of(tiny_file)


# -- size ------------------------------------------------------------------------------


def test_tiny_is_a_few_hundred_messages(tiny_file: Path) -> None:
    assert 200 <= len(lines_of(tiny_file)) <= 1_000


def test_small_is_about_fifty_thousand_messages(small_file: Path) -> None:
    assert 40_000 <= len(lines_of(small_file)) <= 62_000


@pytest.mark.parametrize("target", [300, 1_500, 5_000, 20_000])
def test_a_number_as_size_is_a_target_message_count(target: int) -> None:
    count = sum(1 for _ in generate(seed=7, size=str(target)))
    assert 0.75 * target <= count <= 1.3 * target


def test_the_named_sizes_grow_by_an_order_of_magnitude() -> None:
    specs = [size_spec(name) for name in ("tiny", "small", "medium", "large")]
    assert [s.deposit_every for s in specs] == ["weekly", "weekly", "daily", "daily"]
    assert specs[0].months == 2 and specs[1].months == 12 and specs[1].branches == 1
    client_months = [s.clients * s.months for s in specs]
    assert client_months == sorted(client_months)


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown size"):
        size_spec("huge")
    with pytest.raises(ValueError):
        size_spec("0")


# -- streaming -------------------------------------------------------------------------


def test_messages_are_streamed_not_built_up_front() -> None:
    """The first messages of the largest bank come at once: nothing is precomputed."""
    assert inspect.isgenerator(generate(size="large"))
    started = time.perf_counter()
    first = list(itertools.islice(generate(size="large"), 2_000))
    assert len(first) == 2_000
    assert time.perf_counter() - started < 5


def test_memory_stays_flat_while_messages_flow() -> None:
    """Producing all ~50,000 messages of small needs about what the first 5,000 do:
    the state is the bank, not the messages already yielded."""

    def peak(count: int | None) -> int:
        tracemalloc.start()
        try:
            for _ in itertools.islice(generate(seed=7, size="small"), count):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    early, whole = peak(5_000), peak(None)
    assert whole < 3 * early
    assert whole < 5_000_000  # a list of 50,000 message dicts alone would be ~10x that


# -- the contract ----------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["tiny_file", "small_file"])
def test_every_message_decodes(fixture: str, request: pytest.FixtureRequest) -> None:
    for line in lines_of(request.getfixturevalue(fixture)):
        decode(line)  # raises DecodeError naming the field at fault


def test_tiny_has_every_message_type(tiny_file: Path) -> None:
    types = Counter(json.loads(line)["type"] for line in lines_of(tiny_file))
    assert set(types) == set(MESSAGE_TYPES)


def test_ids_are_unique_and_postings_are_their_own_source(small_file: Path) -> None:
    seen: set[str] = set()
    reversed_ids: set[str] = set()
    for line in lines_of(small_file):
        message = json.loads(line)
        assert message["id"] not in seen
        if message["type"] == "posting.reversed":
            assert message["posting_id"] in seen  # an earlier posting
            assert message["posting_id"] not in reversed_ids  # reversed once
            reversed_ids.add(message["posting_id"])
        seen.add(message["id"])


def test_small_has_the_realism_asked_for(small_file: Path) -> None:
    """Every posting category, late postings after a close, loans going down and
    back up, a departure's full sequence, and most deposits held by a few clients."""
    categories: Counter[str] = Counter()
    closed: set[str] = set()
    late = 0
    loan_moves: Counter[str] = Counter()
    order = ["normal", "special_mention", "substandard", "doubtful", "loss"]
    last_category: dict[str, str] = {}
    departure_steps: dict[str, list[str]] = {}
    year_end: dict[str, int] = {}
    for line in lines_of(small_file):
        m = json.loads(line)
        kind = m["type"]
        if kind == "posting.booked":
            categories[m["category"]] += 1
            late += m["value_date"][:7] in closed
        elif kind == "period.closed":
            closed.add(m["period"])
        elif kind == "loan.classified":
            before = last_category.get(m["loan_id"], m["category"])
            if before != m["category"]:
                loan_moves[
                    "down" if order.index(m["category"]) > order.index(before) else "up"
                ] += 1
            last_category[m["loan_id"]] = m["category"]
        elif kind.startswith("manager.depart"):
            step = m.get("role", kind)
            departure_steps.setdefault(m["manager_id"], []).append(step)
        elif (
            kind == "balance.reported" and m["product"] == "deposit" and m["as_of"] == "2025-12-31"
        ):
            year_end[m["client_id"]] = int(m["balance"].replace(".", ""))
    assert len(categories) == 8
    assert late > 0 and len(closed) == 12
    assert loan_moves["down"] > 0 and loan_moves["up"] > 0
    assert departure_steps and all(
        steps
        == ["manager.departure_requested", "department_head", "rm_office", "hr", "manager.departed"]
        for steps in departure_steps.values()
    )
    balances = sorted(year_end.values(), reverse=True)
    assert sum(balances[: len(balances) // 5]) > 0.7 * sum(balances)


def test_branches_are_registered_in_a_hierarchy_before_anyone_names_them(small_file: Path) -> None:
    """BR01 first, its sub-branches BR01-SB01.. under it; every branch a hire or a
    client names was registered earlier in the stream."""
    parents: dict[str, str | None] = {}
    named: set[str] = set()
    for line in lines_of(small_file):
        m = json.loads(line)
        if m["type"] == "branch.registered":
            assert m.get("parent_branch_id") is None or m["parent_branch_id"] in parents
            parents[m["branch_id"]] = m.get("parent_branch_id")
        elif m["type"] in ("manager.hired", "client.registered"):
            assert m["branch_id"] in parents, m
            named.add(m["branch_id"])
    assert parents == {"BR01": None, "BR01-SB01": "BR01", "BR01-SB02": "BR01", "BR01-SB03": "BR01"}
    assert named == set(parents)


def test_every_close_follows_the_sign_offs_its_plan_names_in_order(small_file: Path) -> None:
    """The plan in force when the ledger starts asks for the branch head then the
    performance office; the revision from July adds finance. Each month is signed off
    in that order, by different people, then closed."""
    plans: dict[str, tuple[str, list[str], int]] = {}
    signed: dict[str, list[tuple[str, str]]] = {}
    closes = []
    for line in lines_of(small_file):
        m = json.loads(line)
        if m["type"] == "plan.published":
            plans[m["version"]] = (m["effective_from"], m["close_approvals"], m["dispute_days"])
        elif m["type"] == "period.close_approved":
            signed.setdefault(m["period"], []).append((m["role"], m["approver_id"]))
        elif m["type"] == "period.closed":
            in_force = max(v for v in plans.values() if v[0] <= f"{m['period']}-28")
            roles = [role for role, _ in signed.get(m["period"], [])]
            people = {person for _, person in signed.get(m["period"], [])}
            assert roles == in_force[1] and len(people) == len(roles), m["period"]
            closes.append((m["period"], len(roles)))
    assert plans == {
        "2025-01": ("2025-01-01", ["branch_head", "performance_office"], 15),
        "2025-07-revision": ("2025-07-01", ["branch_head", "performance_office", "finance"], 10),
    }
    assert [n for _, n in closes] == [2] * 6 + [3] * 6


def test_most_managers_acknowledge_the_plans_that_pay_them(small_file: Path) -> None:
    acknowledged: Counter[str] = Counter()
    managers = set()
    for line in lines_of(small_file):
        m = json.loads(line)
        if m["type"] == "manager.hired":
            managers.add(m["manager_id"])
        elif m["type"] == "plan.acknowledged":
            assert m["manager_id"] in managers
            acknowledged[m["version"]] += 1
    assert set(acknowledged) == {"2025-01", "2025-07-revision"}
    # Each version: most of the staff it pays, not all of them.
    assert all(len(managers) * 0.6 < n < len(managers) for n in acknowledged.values()), acknowledged


@pytest.mark.parametrize("fixture", ["tiny_file", "small_file"])
def test_statements_are_disputed_upheld_rejected_or_left_open(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """Each dispute is of a closed month; the first closed month has one upheld with an
    amount, one rejected and one never decided; a decision comes after the opening."""
    closed: list[str] = []
    opened: dict[str, dict[str, str]] = {}
    outcomes: dict[str, str | None] = {}
    for line in lines_of(request.getfixturevalue(fixture)):
        m = json.loads(line)
        if m["type"] == "period.closed":
            closed.append(m["period"])
        elif m["type"] == "dispute.opened":
            assert m["period"] in closed
            opened[m["dispute_id"]] = m
            outcomes[m["dispute_id"]] = None
        elif m["type"] == "dispute.resolved":
            assert m["resolved_on"] > opened[m["dispute_id"]]["opened_on"]
            assert ("amount" in m) == (m["outcome"] == "upheld")
            outcomes[m["dispute_id"]] = m["outcome"]
    first = sorted(outcomes[d] or "open" for d, m in opened.items() if m["period"] == closed[0])
    assert first == ["open", "rejected", "upheld"]
    assert len(opened) <= 3 + len(closed)


def test_amounts_are_formatted_in_fen() -> None:
    assert [yuan(n) for n in (0, 5, 120, 123450, -2000)] == [
        "0.00",
        "0.05",
        "1.20",
        "1234.50",
        "-20.00",
    ]


# -- the ledger accepts it -------------------------------------------------------------


def ingest(path: Path) -> list[str]:
    """Every rejection, as ``line: error``, of ingesting ``path`` into a fresh ledger."""
    ledger = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        lines = lines_of(path)
        outcomes = apply_all(ledger, [decode(line) for line in lines])
        return [
            f"{number}: {outcome.error.describe() if outcome.error else ''}"
            for number, outcome in enumerate(outcomes, 1)
            if outcome.status == REJECTED
        ]
    finally:
        ledger.close()


def test_the_ledger_rejects_nothing_of_a_tiny_bank(tiny_file: Path) -> None:
    assert ingest(tiny_file) == []


@pytest.mark.slow
def test_the_ledger_rejects_nothing_of_a_small_bank(small_file: Path) -> None:
    assert ingest(small_file) == []
