"""The server's answers kept per read-model position (scripts/web/answers.py): a kept
answer serves its position and older ones; a newer position computes once, however
many ask at once; while one request computes, the others are handed the kept answer
only within the stale limit of the follower moving past it, and wait for the new one
after that; the least recently asked answer goes first; a failed computation keeps
nothing; a kept answer is rendered as JSON once.

Time is the test's own clock (``now[0]``); a computation is held with an event, and
the kept answers' lock is watched (``Watched``) so that the test knows when another
caller has decided, under it, whether to take a kept answer or to wait: no test
sleeps, and a caller that must wait has begun to before the computation is let go."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scripts.web.answers import Answers


class Computation:
    """A ``compute`` that counts its calls and returns ``value``; ``held()`` is one that
    first says it started and then waits until ``release`` is set."""

    made: list[Computation] = []  # let go when a test ends, whatever happened

    def __init__(self, value: Any) -> None:
        self.value = value
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()
        Computation.made.append(self)

    def __call__(self) -> Any:
        self.calls += 1
        return self.value

    def held(self) -> Any:
        self.calls += 1
        self.started.set()
        assert self.release.wait(timeout=60), "the test never let the computation go"
        return self.value


class Watched:
    """A lock that counts how often it was let go, for ``Answers._lock``: every decision
    of ``Answers.get`` is made under it, so once a caller has let it go its decision
    is made (a kept answer taken, or a computation to wait for)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self.released = 0

    def __enter__(self) -> Watched:
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        with self._changed:
            self.released += 1
            self._changed.notify_all()

    def decided(self, callers: int, since: int) -> None:
        """Wait until the lock was let go ``callers`` times after ``since``."""
        with self._changed:
            assert self._changed.wait_for(lambda: self.released >= since + callers, timeout=60)


def watched(answers: Answers) -> Watched:
    lock = Watched()
    answers._lock = lock  # type: ignore[assignment]
    return lock


def never() -> Any:
    raise AssertionError("computed, though a kept answer was to be given")


@pytest.fixture
def now() -> list[float]:
    return [100.0]


@pytest.fixture
def answers(now: list[float]) -> Answers:
    return Answers(stale_limit=1.0, size=8, clock=lambda: now[0])


@pytest.fixture
def threads() -> Iterator[list[threading.Thread]]:
    """Threads the test starts; all joined at the end (held computations let go)."""
    started: list[threading.Thread] = []
    Computation.made.clear()
    yield started
    for computation in Computation.made:
        computation.release.set()
    for thread in started:
        thread.join(timeout=60)
        assert not thread.is_alive()


def start(threads: list[threading.Thread], target: Callable[[], None]) -> None:
    thread = threading.Thread(target=target)
    threads.append(thread)
    thread.start()


def test_a_kept_answer_serves_its_position_and_older_ones_without_computing(
    answers: Answers,
) -> None:
    at_5 = Computation(["at 5"])
    assert answers.get("k", 5, at_5) is at_5.value
    assert answers.get("k", 5, never) is at_5.value
    assert answers.get("k", 3, never) is at_5.value
    assert answers.get("k", 0, never) is at_5.value
    assert at_5.calls == 1
    assert (answers.hits, answers.misses, answers.stale) == (3, 1, 0)


def test_a_newer_position_computes_once_and_then_serves_it(answers: Answers) -> None:
    answers.get("k", 5, Computation("at 5"))
    at_6 = Computation("at 6")
    assert answers.get("k", 6, at_6) == "at 6"
    assert answers.get("k", 6, never) == "at 6"
    assert answers.get("k", 5, never) == "at 6"
    assert at_6.calls == 1
    # Another key is another answer.
    other = Computation("other at 6")
    assert answers.get("other", 6, other) == "other at 6"
    assert other.calls == 1
    assert (answers.hits, answers.misses) == (2, 3)


def test_many_asking_at_once_for_one_key_compute_it_once(
    answers: Answers, threads: list[threading.Thread]
) -> None:
    lock = watched(answers)
    first = Computation({"answer": 1})
    got: list[Any] = []
    start(threads, lambda: got.append(answers.get("k", 7, first.held)))
    assert first.started.wait(timeout=60)
    since = lock.released
    others = Computation({"answer": "computed again"})
    for _ in range(8):
        start(threads, lambda: got.append(answers.get("k", 7, others)))
    lock.decided(8, since)
    # All eight wait for the first; none computes.
    assert (answers.misses, answers.hits, others.calls, got) == (1, 0, 0, [])
    first.release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(got) == 9 and all(value is first.value for value in got)
    assert (first.calls, others.calls, answers.misses, answers.hits) == (1, 0, 1, 8)


def test_the_kept_answer_is_handed_out_while_another_computes_within_the_limit(
    answers: Answers, now: list[float], threads: list[threading.Thread]
) -> None:
    answers.moved(5)
    answers.get("k", 5, Computation("at 5"))
    now[0] = 110.0
    answers.moved(8)  # the follower loads past 5: the answer is behind from now on
    # Nobody computes yet: the first to ask at 8 computes (it is not handed "at 5").
    at_8 = Computation("at 8")
    got: list[Any] = []
    start(threads, lambda: got.append(answers.get("k", 8, at_8.held)))
    assert at_8.started.wait(timeout=60)
    now[0] = 110.999  # within the limit of the follower's move past 5
    assert answers.get("k", 8, never) == "at 5"
    assert answers.get("k", 9, never) == "at 5"
    assert answers.stale == 2
    at_8.release.set()
    threads[0].join(timeout=60)
    assert got == ["at 8"]
    # Nothing in flight: a newer position computes, it is not handed the kept answer.
    at_9 = Computation("at 9")
    assert answers.get("k", 9, at_9) == "at 9"
    assert (at_8.calls, at_9.calls, answers.stale, answers.misses) == (1, 1, 2, 3)


def test_after_the_limit_the_others_wait_for_the_new_answer(
    answers: Answers, now: list[float], threads: list[threading.Thread]
) -> None:
    lock = watched(answers)
    answers.moved(5)
    answers.get("k", 5, Computation("at 5"))
    now[0] = 110.0
    answers.moved(8)
    now[0] = 110.8
    answers.moved(9)  # a later move does not restart the clock of the answer at 5
    at_9 = Computation("at 9")
    got: list[Any] = []
    start(threads, lambda: got.append(("first", answers.get("k", 9, at_9.held))))
    assert at_9.started.wait(timeout=60)
    now[0] = 111.0  # the follower moved past 5 the limit ago
    since = lock.released
    start(threads, lambda: got.append(("second", answers.get("k", 9, never))))
    start(threads, lambda: got.append(("third", answers.get("k", 8, never))))
    lock.decided(2, since)
    assert (answers.stale, got) == (0, [])  # both wait
    at_9.release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(got) == [("first", "at 9"), ("second", "at 9"), ("third", "at 9")]
    assert (at_9.calls, answers.stale, answers.misses, answers.hits) == (1, 0, 2, 2)


def test_an_answer_behind_more_moves_than_are_remembered_is_not_handed_out(
    answers: Answers, now: list[float], threads: list[threading.Thread]
) -> None:
    """The follower's moves are remembered 256 at a time: an answer the follower
    passed before the oldest remembered move is behind by more than the limit."""
    lock = watched(answers)
    answers.moved(5)
    answers.get("k", 5, Computation("at 5"))
    now[0] = 110.0
    answers.moved(6)  # the follower passes 5 ...
    now[0] = 120.0
    for position in range(7, 7 + 256):  # ... and moves on, in a burst, 256 times
        answers.moved(position)
    head = 7 + 255
    at_head = Computation("at head")
    got: list[Any] = []
    start(threads, lambda: got.append(answers.get("k", head, at_head.held)))
    assert at_head.started.wait(timeout=60)
    now[0] = 120.5  # half the limit after the last move, 10.5 s after it passed 5
    since = lock.released
    start(threads, lambda: got.append(answers.get("k", head, never)))
    lock.decided(1, since)
    assert (answers.stale, got) == (0, [])  # it waits
    at_head.release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert got == ["at head", "at head"]
    # An answer the follower passed within the moves kept is still timed by them.
    answers.get("recent", 100, Computation("at 100"))  # passed at 120.0, by the move to 101
    recent = Computation("recent at head")
    start(threads, lambda: got.append(answers.get("recent", head, recent.held)))
    assert recent.started.wait(timeout=60)
    assert answers.get("recent", head, never) == "at 100"
    assert answers.stale == 1


def test_the_least_recently_asked_answer_goes_first(now: list[float]) -> None:
    answers = Answers(stale_limit=1.0, size=2, clock=lambda: now[0])
    a, b, c = Computation("a"), Computation("b"), Computation("c")
    answers.get("a", 1, a)
    answers.get("b", 1, b)
    assert answers.get("a", 1, never) == "a"  # a is now the most recently asked
    answers.get("c", 1, c)  # b goes
    assert answers.get("a", 1, never) == "a"
    assert answers.get("c", 1, never) == "c"
    assert answers.get("b", 1, b) == "b"  # computed again; a goes
    assert answers.get("c", 1, never) == "c"
    assert answers.get("a", 1, a) == "a"
    assert (a.calls, b.calls, c.calls) == (2, 2, 1)


def test_a_failed_computation_keeps_nothing_and_the_next_asker_computes(
    answers: Answers, threads: list[threading.Thread]
) -> None:
    class Refused(Exception):
        pass

    release, started = threading.Event(), threading.Event()

    def failing() -> Any:
        started.set()
        assert release.wait(timeout=60)
        raise Refused("the read failed")

    raised: list[BaseException] = []

    def first() -> None:
        try:
            answers.get("k", 4, failing)
        except Refused as error:
            raised.append(error)

    lock = watched(answers)
    start(threads, first)
    assert started.wait(timeout=60)
    since = lock.released
    after = Computation("at 4")
    got: list[Any] = []
    start(threads, lambda: got.append(answers.get("k", 4, after)))
    lock.decided(1, since)  # it waits for the first
    assert after.calls == 0
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert [str(e) for e in raised] == ["the read failed"]
    assert got == ["at 4"] and after.calls == 1
    assert answers.get("k", 4, never) == "at 4"
    # With an answer kept, a failure at a newer position leaves it as it was.
    with pytest.raises(Refused):
        answers.get("k", 5, lambda: (_ for _ in ()).throw(Refused("again")))
    assert answers.get("k", 4, never) == "at 4"
    newer = Computation("at 5")
    assert answers.get("k", 5, newer) == "at 5" and newer.calls == 1


def test_a_kept_answer_is_rendered_once(answers: Answers) -> None:
    value = {"name": "张三", "amounts": ["6752.00", None, 1.5], "ok": True}
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    kept = answers.get("k", 3, Computation(value))
    first = answers.rendered(kept)
    assert first == expected
    assert answers.rendered(kept) is first
    assert answers.rendered(answers.get("k", 2, never)) is first
    # A newer answer for the key is rendered anew; a value never kept, every time.
    newer = answers.get("k", 4, Computation({**value, "ok": False}))
    assert answers.rendered(newer) == expected.replace(b"true", b"false")
    assert answers.rendered(newer) is answers.rendered(newer)
    loose = {"not": "kept"}
    once, twice = answers.rendered(loose), answers.rendered(loose)
    assert once == twice == b'{"not":"kept"}' and once is not twice
