"""The consumer's bounds that need no broker (consumers/group_watch.py): notices spaced
by a doubling wait, the stop deadline that ends a process that does not stop, and
the TCP check that tells a gone broker from a join that does not complete."""

from __future__ import annotations

import subprocess
import sys

from consumers.group_watch import HARD_EXIT_STATUS, Backoff, broker_reachable
from scripts.bench.kafka_broker import free_port


def test_notices_come_after_the_bound_then_twice_as_far_apart_each_time_up_to_the_cap() -> None:
    backoff = Backoff(30.0, cap=100.0)
    assert not backoff.due(29.9)
    assert backoff.due(30.0)
    assert not backoff.due(59.9)
    assert backoff.due(60.0)
    assert [backoff.due(100.0), backoff.due(100.0)] == [True, True]  # capped at 100 s apart
    assert backoff.count == 4
    backoff.reset()
    assert (backoff.wait, backoff.count) == (30.0, 0)


def test_a_process_that_does_not_stop_within_the_deadline_exits_with_status_3_and_says_why() -> (
    None
):
    """Given a stop deadline of 0.5 s armed by a first signal, when the process is stuck
    (here: asleep for a minute), then it exits with status 3 and one sentence on stderr."""
    code = (
        "import time\nfrom consumers.group_watch import StopDeadline\n"
        "StopDeadline(0.5).arm()\ntime.sleep(60)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=False
    )
    assert done.returncode == HARD_EXIT_STATUS == 3
    assert done.stderr == (
        "rmledger consume: did not stop within 0.5 s; exiting now (status 3). Nothing half-applied is kept: "
        "every batch is stored in one transaction with its watermark, and offsets are committed only once "
        "stored; the next run goes on from the stored watermarks.\n"
    )


def test_a_second_stop_signal_exits_at_once() -> None:
    code = (
        "import time\nfrom consumers.group_watch import StopDeadline\n"
        "d = StopDeadline(60)\nd.arm()\nd.arm()\ntime.sleep(60)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=False
    )
    assert done.returncode == 3
    assert done.stderr.startswith("rmledger consume: asked to stop twice; exiting now (status 3).")


def test_a_closed_port_is_no_broker() -> None:
    assert broker_reachable(f"127.0.0.1:{free_port()}") is False
