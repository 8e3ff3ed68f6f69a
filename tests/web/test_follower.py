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
        self.growing = 0  # events appended while a load runs (an ingest at work)
        self.recorder = SimpleNamespace(max_notification_id=lambda: self.head)

    def load(self) -> int:
        self.loads += 1
        reached = self.head
        self.head += self.growing
        return reached


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
    log.growing = 500  # an ingest: the log grows during every load, and between looks
    for _ in range(4):
        now[0] += 0.5
        log.head += 500
        follower.catch_up()
        assert follower.position == log.head - 500
    assert log.loads == 5
    assert published == [10, 3510]  # the look at +2.0 s was the first one due
    now[0] += 0.5
    follower.catch_up()  # still growing, 0.5 s after the last publication: loaded only
    assert (follower.position, published) == (4010, [10, 3510])
    log.growing = 0  # the ingest ends: its tail is loaded, then the look after publishes
    now[0] += 0.5
    follower.catch_up()
    assert (follower.position, published) == (4510, [10, 3510])
    now[0] += 0.5
    follower.catch_up()
    assert (log.loads, follower.position, published) == (7, 4510, [10, 3510, 4510])


def test_a_look_that_finds_nothing_new_publishes_what_was_loaded_at_once() -> None:
    log = FakeLog()
    follower, published, now = following(log)
    follower.catch_up()
    now[0] += 0.5
    log.head = 500
    log.growing = 1
    follower.catch_up()
    assert published == [10]  # growing, and 0.5 s after the last publication
    log.growing = 0
    now[0] += 0.5
    follower.catch_up()  # the ingest's tail
    now[0] += 0.5
    follower.catch_up()  # a look that finds nothing new
    assert (log.loads, published) == (3, [10, 501])
    now[0] += 0.5
    follower.catch_up()  # nothing new, nothing more to publish
    assert (log.loads, published) == (3, [10, 501])


def test_a_write_publishes_at_once_even_while_the_log_grows() -> None:
    log = FakeLog()
    follower, published, now = following(log)
    follower.catch_up()
    now[0] += 0.1
    log.head = 11  # the server's own write
    assert follower.catch_up(publish=True) == 11
    assert published == [10, 11]


def test_access_log_lines_alone_are_loaded_every_two_seconds_anything_else_at_once() -> None:
    log = FakeLog()
    topics: dict[int, str] = {}

    def select_notifications(start: int, limit: int, stop: int) -> list[SimpleNamespace]:
        return [
            SimpleNamespace(id=i, topic=topics.get(i, "Posting.Booked"))
            for i in range(start, min(stop, start + limit - 1) + 1)
        ]

    log.recorder.select_notifications = select_notifications
    now = [100.0]
    follower = Follower(
        log.load, log, interval=0.5, clock=lambda: now[0], lazy_topics=frozenset({"Access"})
    )
    follower.catch_up()
    assert log.loads == 1

    def access_lines(count: int) -> None:
        for _ in range(count):
            log.head += 1
            topics[log.head] = "Access"

    now[0] += 0.5
    access_lines(3)
    assert (follower.catch_up(), log.loads, follower.lag) == (10, 1, 3)  # left for now
    now[0] += 1.5  # two seconds since the last load
    assert (follower.catch_up(), log.loads) == (13, 2)
    now[0] += 0.5
    access_lines(2)
    log.head += 1  # and a posting: loaded at once
    assert (follower.catch_up(), log.loads) == (16, 3)
    now[0] += 0.5
    access_lines(1)
    assert (follower.catch_up(publish=True), log.loads) == (17, 4)  # the access log's page
