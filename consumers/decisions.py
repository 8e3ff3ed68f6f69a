"""What the Kafka consumer decides about one partition's records, as pure functions.

``LedgerConsumer._process`` reads a partition's records, keeps back those that must
settle, applies the rest, dead-letters what may wait no longer and stores the new
watermark. Each of those decisions is taken here from plain values (offsets, keys,
outcomes, times), so that each can be tested without a broker (docs/kafka.md).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from domain.ledger import HELD, Outcome

# What becomes of a record read from the partition (``intake``).
FINISHED = "finished"  # before the stored watermark: stored before a restart or rebalance
LETTERED = "lettered"  # dead-lettered before a restart: it must not be applied now
READ = "read"  # to be decoded and applied


def intake(offset: int, stored_mark: int | None, lettered: Collection[int]) -> str:
    """FINISHED, LETTERED or READ for the record at ``offset``, given the partition's
    stored watermark and the offsets at or after it that were dead-lettered before.

    A FINISHED record is not counted as consumed; a LETTERED one is, and moves the
    partition past it, but is never applied."""
    if stored_mark is not None and offset < stored_mark:
        return FINISHED
    if offset in lettered:
        return LETTERED
    return READ


def kept_back(records: Sequence[tuple[bytes | None, int, bool]], release: int | None) -> list[bool]:
    """For each record ``(key, offset, settles)``, in offset order, whether it is kept
    back from this batch: a record that settles (unless it is the one at ``release``,
    let go by the consumer's settling), and every later record of its key."""
    settling: set[bytes | None] = set()
    kept: list[bool] = []
    for key, offset, settles in records:
        if key in settling:
            kept.append(True)
        elif settles and offset != release:
            settling.add(key)
            kept.append(True)
        else:
            kept.append(False)
    return kept


def dead_letter_indexes(
    outcomes: Sequence[Outcome],
    keys: Sequence[str],
    held_since: Sequence[float | None],
    now: float,
    retry_seconds: float,
) -> set[int]:
    """The indexes of the outcomes whose records are dead-lettered now: every rejected
    one, and a held one that is the first held of its key and was first held at least
    ``retry_seconds`` before ``now`` (``held_since`` None: held for the first time now).

    Only the first held record of a key has met its missing dependency itself; those
    behind it wait their turn, however long."""
    blocked: set[str] = set()
    lettered: set[int] = set()
    for index, outcome in enumerate(outcomes):
        if outcome.error is None:
            continue
        if outcome.status == HELD:
            first_of_key = keys[index] not in blocked
            blocked.add(keys[index])
            since = held_since[index]
            waited = 0.0 if since is None else now - since
            if not first_of_key or waited < retry_seconds:
                continue
        lettered.add(index)
    return lettered


def still_held(outcomes: Sequence[Outcome], lettered: Collection[int]) -> list[int]:
    """The indexes of the outcomes whose records stay held: held and not dead-lettered."""
    return [i for i, outcome in enumerate(outcomes) if outcome.status == HELD and i not in lettered]


def watermark(held_offsets: Iterable[int], next_offset: int | None) -> int | None:
    """The partition's watermark, the lowest offset not finished: the first record
    still held, or else one past the last record seen (None: nothing seen yet)."""
    return min(held_offsets, default=next_offset)


def advances(mark: int, previous: int | None) -> bool:
    """Whether watermark ``mark`` is worth storing over ``previous``: a watermark only
    moves forward (another member may have stored a later one meanwhile)."""
    return previous is None or mark > previous
