"""The Kafka consumer's decisions about a partition's records, each on its own, from
plain values (consumers/decisions.py; docs/kafka.md): which records are read, which
are kept back to settle, which are dead-lettered, which stay held, and where the
partition's watermark goes."""

from __future__ import annotations

from consumers.decisions import (
    FINISHED,
    LETTERED,
    READ,
    advances,
    dead_letter_indexes,
    intake,
    kept_back,
    still_held,
    watermark,
)
from domain.errors import Conflict, DependencyMissing, DomainRuleBroken
from domain.ledger import APPLIED, DUPLICATE, HELD, REJECTED, Outcome

MISSING = DependencyMissing("client_id", "unknown_client", "no client 'C9' is known", "C9")
CONFLICT = Conflict(
    "id", "id_conflict", "message id 'P1' was already applied with different content"
)
WAITING_FOR_CLIENT = Outcome(HELD, MISSING)
CONFLICTING = Outcome(REJECTED, CONFLICT)
APPLIED_ONCE = Outcome(APPLIED)
SENT_AGAIN = Outcome(DUPLICATE)

# -- intake: what becomes of a record read -------------------------------------------------


def test_a_record_before_the_stored_watermark_was_finished_before() -> None:
    assert intake(4, stored_mark=5, lettered=set()) == FINISHED


def test_a_record_dead_lettered_before_a_restart_is_not_applied_again() -> None:
    assert intake(7, stored_mark=5, lettered={7, 9}) == LETTERED


def test_a_record_at_or_after_the_watermark_is_read() -> None:
    assert [intake(o, stored_mark=5, lettered={7}) for o in (5, 6, 8)] == [READ, READ, READ]


def test_with_nothing_stored_every_record_is_read() -> None:
    assert intake(0, stored_mark=None, lettered=set()) == READ


# -- kept_back: what waits to settle ---------------------------------------------------------


def test_a_settling_record_and_the_later_records_of_its_key_are_kept_back() -> None:
    records = [(b"C1", 10, False), (b"C1", 11, True), (b"C2", 12, False), (b"C1", 13, False)]
    assert kept_back(records, release=None) == [False, True, False, True]


def test_the_released_settling_record_goes_and_so_do_the_records_behind_it() -> None:
    records = [(b"H1", 3, True), (b"H1", 4, False), (b"H2", 5, True)]
    assert kept_back(records, release=3) == [False, False, True]


def test_records_without_a_key_share_one_key() -> None:
    records = [(None, 0, True), (None, 1, False), (b"", 2, False)]
    assert kept_back(records, release=None) == [True, True, False]


def test_nothing_is_kept_back_when_nothing_settles() -> None:
    assert kept_back([(b"C1", 0, False), (b"C1", 1, False)], release=None) == [False, False]


# -- dead_letter_indexes: what may wait no longer -----------------------------------------------


def test_a_rejected_record_is_dead_lettered_at_once() -> None:
    outcomes = [APPLIED_ONCE, CONFLICTING, SENT_AGAIN]
    assert dead_letter_indexes(
        outcomes, ["C1", "C2", "C3"], [None] * 3, now=100.0, retry_seconds=30.0
    ) == {1}


def test_a_held_record_is_dead_lettered_once_its_retry_time_is_up() -> None:
    held_since = [70.0, 70.5, None]
    lettered = dead_letter_indexes(
        [WAITING_FOR_CLIENT] * 3, ["C1", "C2", "C3"], held_since, now=100.0, retry_seconds=30.0
    )
    assert lettered == {0}  # waited 30 s; 29.5 s; held for the first time now


def test_only_the_first_held_record_of_a_key_is_dead_lettered() -> None:
    # The second waited as long, but behind the first: it has not met its dependency itself.
    held_since = [10.0, 10.0, 10.0]
    lettered = dead_letter_indexes(
        [WAITING_FOR_CLIENT] * 3, ["C1", "C1", "C2"], held_since, now=100.0, retry_seconds=30.0
    )
    assert lettered == {0, 2}


def test_a_rejected_record_does_not_block_its_key() -> None:
    outcomes = [CONFLICTING, WAITING_FOR_CLIENT]
    assert dead_letter_indexes(
        outcomes, ["C1", "C1"], [None, 0.0], now=100.0, retry_seconds=30.0
    ) == {0, 1}


def test_with_no_retry_time_a_held_record_is_dead_lettered_when_first_held() -> None:
    assert dead_letter_indexes(
        [WAITING_FOR_CLIENT], ["C1"], [None], now=5.0, retry_seconds=0.0
    ) == {0}


def test_applied_and_duplicate_records_are_never_dead_lettered() -> None:
    outcomes = [APPLIED_ONCE, SENT_AGAIN]
    assert (
        dead_letter_indexes(outcomes, ["C1", "C1"], [0.0, 0.0], now=1e9, retry_seconds=0.0) == set()
    )


# -- still_held: what waits for its dependency ------------------------------------------------


def test_held_records_not_dead_lettered_stay_held() -> None:
    outcomes = [
        WAITING_FOR_CLIENT,
        APPLIED_ONCE,
        WAITING_FOR_CLIENT,
        Outcome(HELD, DomainRuleBroken("role", "backup_in_force", "x")),
        CONFLICTING,
    ]
    assert still_held(outcomes, lettered={2, 4}) == [0, 3]


# -- watermark and advances: where the partition's position goes -----------------------------------


def test_the_watermark_is_the_first_held_record() -> None:
    assert watermark([17, 12, 30], next_offset=31) == 12


def test_with_nothing_held_the_watermark_is_one_past_the_last_record_seen() -> None:
    assert watermark([], next_offset=31) == 31


def test_with_nothing_seen_there_is_no_watermark() -> None:
    assert watermark([], next_offset=None) is None


def test_a_watermark_only_moves_forward() -> None:
    assert (advances(12, None), advances(12, 11), advances(12, 12), advances(12, 20)) == (
        True,
        True,
        False,
        False,
    )
