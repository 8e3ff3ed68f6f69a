"""Bounds for the Kafka consumer: it never hangs in a join, on a dead broker or on SIGTERM.

* ``Backoff``: when a notice is due again (the bound, then twice as long each time,
  capped), so a consumer that cannot reach its group says so on stderr as one line
  now and then, never a flood.
* ``broker_reachable``: a TCP connect to the bootstrap servers, to tell "the broker is
  gone" from "the broker is there but the group join does not complete".
* ``StopDeadline``: what SIGTERM/SIGINT arm. The consumer is asked to stop at once;
  if it has not stopped ``seconds`` later (a call into kafka-python that does not
  return), the process exits with status ``HARD_EXIT_STATUS`` and a sentence on
  stderr. That is as safe as a SIGKILL, which the consumer is built to survive: a
  batch is stored in one transaction with its partition's watermark, and an offset is
  committed to Kafka only once stored, so an exit at any instant leaves nothing
  half-applied and nothing committed that was not stored. A second signal exits at once.
* ``JoinNotices``: a logging handler that turns kafka-python's own "(Re-)joining group"
  record into a callback, so the consumer can say on stderr that it is joining (the
  moment the tests and the soak kill it in the middle of a join).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable

HARD_EXIT_STATUS = 3


class Backoff:
    """Times at which a repeated notice is due: ``first`` after ``since``, then after
    twice the previous wait each time, never more than ``cap`` apart."""

    def __init__(self, first: float, cap: float = 300.0) -> None:
        self.first = first
        self.cap = max(cap, first)
        self.wait = first
        self.count = 0

    def reset(self) -> None:
        self.wait = self.first
        self.count = 0

    def due(self, elapsed_since_last: float) -> bool:
        """Whether the next notice is due ``elapsed_since_last`` seconds after the last
        one (or after the trouble began); if so, the wait after it doubles."""
        if elapsed_since_last < self.wait:
            return False
        self.count += 1
        self.wait = min(self.wait * 2, self.cap)
        return True


def broker_reachable(bootstrap: str, timeout: float = 1.0) -> bool:
    """Whether any of the comma-separated ``HOST:PORT`` bootstrap servers accepts a TCP connection."""
    for server in bootstrap.split(","):
        server = server.strip().split("://", 1)[-1]
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection(
                (host.strip("[]") or "localhost", int(port or 9092)), timeout=timeout
            ):
                return True
        except (OSError, ValueError):
            continue
    return False


class StopDeadline:
    """Armed by the first stop signal: exit the process if it has not stopped in time."""

    def __init__(self, seconds: float, what: str = "rmledger consume") -> None:
        self.seconds = seconds
        self.what = what
        self._timer: threading.Timer | None = None
        self.signals = 0

    def arm(self) -> None:
        """Start the deadline (first call), or exit at once (second call: asked twice)."""
        self.signals += 1
        if self.signals > 1:
            self._exit("asked to stop twice")
        if self._timer is None and self.seconds > 0:
            self._timer = threading.Timer(
                self.seconds, self._exit, args=(f"did not stop within {self.seconds:g} s",)
            )
            self._timer.daemon = True
            self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _exit(self, why: str) -> None:
        # os.write, not print: this may run while the main thread holds stderr's lock.
        text = (
            f"{self.what}: {why}; exiting now (status {HARD_EXIT_STATUS}). Nothing half-applied is kept: "
            "every batch is stored in one transaction with its watermark, and offsets are committed "
            "only once stored; the next run goes on from the stored watermarks.\n"
        )
        with contextlib.suppress(OSError, ValueError):
            os.write(sys.stderr.fileno(), text.encode())
        os._exit(HARD_EXIT_STATUS)


class JoinNotices(logging.Handler):
    """Calls ``on_join()`` whenever kafka-python starts a JoinGroup round for ``group``,
    and ``on_poll_timeout()`` when it leaves the group because the consumer did not
    poll within the rebalance timeout (``max_poll_interval_ms``)."""

    def __init__(
        self,
        group: str,
        on_join: Callable[[], None],
        on_poll_timeout: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(level=logging.INFO)
        self.group = group
        self.on_join = on_join
        self.on_poll_timeout = on_poll_timeout

    def emit(self, record: logging.LogRecord) -> None:
        # The messages of kafka-python 3.0.12: BaseCoordinator._do_join_and_sync_async
        # logs the first just before it sends a JoinGroup request, the heartbeat loop
        # the second before it leaves the group.
        if record.msg == "(Re-)joining group %s" and record.args == (self.group,):
            self.on_join()
        elif (
            self.on_poll_timeout is not None
            and isinstance(record.msg, str)
            and record.msg.startswith("Consumer poll timeout has expired")
        ):
            self.on_poll_timeout()

    def install(self) -> None:
        logger = logging.getLogger("kafka.coordinator")
        logger.addHandler(self)
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)

    def remove(self) -> None:
        logging.getLogger("kafka.coordinator").removeHandler(self)
