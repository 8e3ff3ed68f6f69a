"""The server's follower (scripts/web/follower.py): it loads whenever the log is ahead,
and publishes what it loaded (the kept answers are computed again from it) once a look
finds nothing new, when a write asks, or at most every ``publish_every`` seconds while
the log grows. A fake log and clock; the loading itself is the read model's, tested in
tests/projections/readmodel/test_live_read_model.py."""

from __future__ import annotations

from types import SimpleNamespace

from scripts.web.follower import PUBLISH_EVERY_S, Follower


class FakeLog:
    """A log whose head the test moves, and a loader that reaches it."""

    def __init__(self) -> None:
        self.head = 10
        self.loads = 0
        self.recorder = SimpleNamespace(max_notification_id=lambda: self.head)

    def load(self) -> int:
        self.loads += 1
        return self.head


def following(log: FakeLog) -> tuple[Follower, list[int], list[float]]:
    now = [100.0]
    follower = Follower(log.load, log, interval=0.5, clock=lambda: now[0])
    published: list[int] = []
    follower.on_move = published.append
    return follower, published, now


def test_the_first_look_loads_and_publishes() -> None:
    log = FakeLog()
    follower, published, _ = following(log)
    assert follower.catch_up() == 10
    assert (log.loads, published, follower.lag) == (1, [10], 0)


def test_while_the_log_grows_it_loads_every_look_but_publishes_every_two_seconds() -> None:
    log = FakeLog()
    follower, published, now = following(log)
    follower.catch_up()
    assert PUBLISH_EVERY_S == 2.0
    for _ in range(4):  # an ingest: the log grows at every look, half a second apart
        now[0] += 0.5
        log.head += 1000
        follower.catch_up()
        assert follower.position == log.head
    assert log.loads == 5
    assert published == [10, 4010]  # the look at +2.0 s was the first one due
    now[0] += 0.5
    log.head += 1000  # still growing, 0.5 s after the last publication: loaded only
    follower.catch_up()
    assert (follower.position, published) == (5010, [10, 4010])


def test_a_look_that_finds_nothing_new_publishes_what_was_loaded_at_once() -> None:
    log = FakeLog()
    follower, published, now = following(log)
    follower.catch_up()
    now[0] += 0.5
    log.head = 500
    follower.catch_up()
    assert published == [10]  # growing, and 0.5 s after the last publication
    now[0] += 0.5
    follower.catch_up()  # the ingest has ended: nothing new
    assert (log.loads, published) == (2, [10, 500])
    now[0] += 0.5
    follower.catch_up()  # nothing new, nothing more to publish
    assert (log.loads, published) == (2, [10, 500])


def test_a_write_publishes_at_once_even_while_the_log_grows() -> None:
    log = FakeLog()
    follower, published, now = following(log)
    follower.catch_up()
    now[0] += 0.1
    log.head = 11  # the server's own write
    assert follower.catch_up(publish=True) == 11
    assert published == [10, 11]
