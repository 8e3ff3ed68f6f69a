"""The demo and the generator's command: ``rmledger demo`` end to end on a tiny bank,
``rmledger generate`` to a file and to Kafka, and every statement of a small bank adds
up to its total, to the fen."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from consumers.jsonl import ingest_files
from domain.ledger import Ledger
from domain.store import ledger_env
from projections.audit.report import FINDING_TITLES
from projections.pay.statements import MONEY_FIELDS, statements, to_json
from projections.readmodel.loader import ReadModel
from scripts.bank.generate import generate, write_jsonl
from scripts.cli.demo import MARKER
from scripts.cli.main import cli
from tests.paths import ROOT

STORE_SETTINGS = (
    "PERSISTENCE_MODULE",
    "RMLEDGER_DATA_DIR",
    "CIPHER_KEY",
    "CIPHER_TOPIC",
    "COMPRESSOR_TOPIC",
)


def run_rmledger(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``rmledger --data-dir DIR ...`` in a child process, without store settings from the shell."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in STORE_SETTINGS and not k.startswith("POSTGRES_")
    }
    return subprocess.run(
        [sys.executable, "-m", "scripts.cli.main", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``rmledger --data-dir DIR demo --size tiny ...`` in a child process, as a user runs it."""
    return run_rmledger(data_dir, "demo", "--size", "tiny", *args)


# The departure audit as the demo prints it (README): who left, then the findings by kind.
DEPARTURE = re.compile(
    r"^Departure audit of (?P<manager>M\d{4}) \((?P<name>[^,\n]+), (?P<grade>[a-z]+), "
    r"(?P<kind>[a-z_]+), last day (?P<last_day>\d{4}-\d\d-\d\d)\)$",
    re.MULTILINE,
)
FINDINGS = re.compile(r"^findings: (?P<counts>none|[a-z_]+ \d+(?:, [a-z_]+ \d+)*)$", re.MULTILINE)


def departure_audit_lines(out: str) -> tuple[re.Match[str], re.Match[str]]:
    """The demo's ``Departure audit of M... (...)`` heading and its ``findings:`` line,
    which comes right after the book line."""
    heading = DEPARTURE.search(out)
    assert heading, f"no departure audit heading in:\n{out}"
    findings = FINDINGS.search(out, heading.end())
    assert findings, f"no findings line after the departure audit heading in:\n{out}"
    between = out[heading.end() : findings.start()].strip("\n").splitlines()
    assert len(between) == 1 and between[0].startswith("book at the request: "), between
    return heading, findings


def printed_path(output: str, label: str) -> Path:
    match = re.search(rf"^{re.escape(label)}: (.+)$", output, re.MULTILINE)
    assert match, f"no {label!r} line in:\n{output}"
    return Path(match.group(1).strip())


def test_the_demo_builds_a_tiny_bank_and_shows_its_pay_tiers_and_departure_audit(
    tmp_path: Path,
) -> None:
    started = time.perf_counter()
    done = run_demo(tmp_path)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout

    # The pay table of the last closed month, with its header.
    assert "Pay statements 2025-02 (the last closed month), as issued" in out
    assert re.search(
        r"^manager\s+name\s+branch\s+grade\s+profit\s+earned\s+paid\s+clawback\s+awards\s+total"
        r"\s+status$",
        out,
        re.MULTILINE,
    ), out
    assert re.search(
        r"^M\d{4}\s+\S+\s+BR\S+\s+[a-z]+\s+-?\d+\.\d\d\s+.*issued@\d+$", out, re.MULTILINE
    ), out
    assert re.search(r"^\d+ statements?\s+-?\d+\.\d\d\s+", out, re.MULTILINE), out
    # The workflows of version 2: each month signed off by the roles its plan names,
    # acknowledgements, and the disputes of January's statements on the last day shown.
    assert (
        "months signed off before their close: 2 of 2 (1 by branch_head > performance_office; "
        "1 by branch_head > performance_office > finance); plan versions acknowledged 9 time(s) "
        "by 5 manager(s)\n"
    ) in out, out
    assert (
        "3 disputes of issued statements by 2025-02-28: 1 upheld (for 1653.00 in all), 1 rejected, "
        "1 open, 1 of them overdue\n"
    ) in out, out
    # Tier counts.
    assert re.search(
        r"^\d+ clients: mass \d+, potential \d+, vip \d+; maintained at: manager \d+, "
        r"sub_branch \d+, branch \d+$",
        out,
        re.MULTILINE,
    ), out
    # The departure audit of a leaver with its findings, the audit as HTML, and the
    # pay chart, where it says.
    heading, _ = departure_audit_lines(out)
    manager = heading["manager"]
    html = printed_path(out, "departure audit (HTML)")
    assert html.is_file() and html.is_relative_to(tmp_path / "demo-7")
    assert html.name == f"departure-audit-{manager}.html"
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Departure audit" in text
    assert printed_path(out, "chart").read_bytes().startswith(b"\x89PNG")
    # The next commands name this data directory and real ids.
    assert f"rmledger --data-dir {tmp_path / 'demo-7'} pay --period 2025-02" in out
    assert f"audit departure --manager {manager} --format md" in out
    assert f"rmledger --data-dir {tmp_path / 'demo-7'} periods   # each month's sign-offs" in out
    assert elapsed < 60, f"the tiny demo took {elapsed:.0f} s"

    # Again: the demo wipes its own directory and computes the same audit, byte for byte.
    again = run_demo(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    digest = re.compile(r"sha256 ([0-9a-f]{64})")
    assert digest.findall(again.stdout) == digest.findall(out) != []
    assert html.read_text(encoding="utf-8") == text


def test_the_demos_departure_audit_lines_are_the_audit_commands_report(tmp_path: Path) -> None:
    """With seed 3 the tiny bank's leaver has a finding: the demo prints the heading
    and ``findings: KIND N, ...`` as the README shows, then one line per finding
    (at most six), and all of it is what ``rmledger audit departure`` reports."""
    done = run_demo(tmp_path, "--seed", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    heading, findings = departure_audit_lines(out)
    audit = run_rmledger(
        tmp_path / "demo-3",
        "audit",
        "departure",
        "--manager",
        heading["manager"],
        "--format",
        "json",
    )
    assert audit.returncode == 0, audit.stderr
    report = json.loads(audit.stdout)
    manager, departure = report["manager"], report["departure"]
    assert (heading["name"], heading["grade"], heading["kind"], heading["last_day"]) == (
        manager["name"],
        manager["grade_at_departure"],
        departure["kind"],
        departure["last_day"],
    )
    assert report["findings"], "seed 3 was chosen for a leaver with findings"
    assert findings["counts"] == ", ".join(
        f"{kind} {n}" for kind, n in report["finding_counts"].items()
    )
    listed = re.findall(
        r"^  - (.+)$", out[findings.end() : out.index("departure audit (HTML)")], re.MULTILINE
    )
    assert len(listed) == min(len(report["findings"]), 6)
    titled = {
        f"{FINDING_TITLES.get(f['kind'], f['kind'])}: {f['detail']}" for f in report["findings"]
    }
    assert set(listed) <= titled
    assert f"position {report['position']}, sha256 {report['sha256']}" in out


def test_the_demo_will_not_wipe_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "demo-7" / "notes.txt"
    precious.parent.mkdir()
    precious.write_text("mine")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "demo", "--size", "tiny"])
    assert result.exit_code == 1
    assert "was not made by `rmledger demo`" in result.output
    assert precious.read_text() == "mine"
    assert not (tmp_path / "demo-7" / MARKER).exists()


def test_generate_writes_the_generators_bytes(tmp_path: Path) -> None:
    out = tmp_path / "bank.jsonl"
    result = CliRunner().invoke(
        cli, ["generate", "--seed", "3", "--size", "tiny", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    write_jsonl(tmp_path / "expected.jsonl", seed=3, size="tiny")
    assert out.read_bytes() == (tmp_path / "expected.jsonl").read_bytes()
    count = len(out.read_bytes().splitlines())
    assert f"wrote {count} messages to {out}" in result.output


def test_generate_takes_a_file_or_a_broker_not_both(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "generate",
            "--size",
            "tiny",
            "--out",
            str(tmp_path / "x.jsonl"),
            "--bootstrap",
            "127.0.0.1:1",
        ],
    )
    assert result.exit_code == 2 and "not both" in result.output
    result = CliRunner().invoke(cli, ["generate", "--size", "enormous"])
    assert result.exit_code == 2 and "unknown size 'enormous'" in result.output


@pytest.mark.kafka
def test_generate_produces_every_message_to_its_familys_topic_keyed_by_its_entity(
    kafka_bootstrap: str,
) -> None:
    from kafka import KafkaConsumer, TopicPartition

    from consumers.topics import default_topics, key_of, topic_for

    prefix = f"t{uuid.uuid4().hex[:10]}"
    result = CliRunner().invoke(
        cli, ["generate", "--size", "tiny", "--bootstrap", kafka_bootstrap, "--prefix", prefix]
    )
    assert result.exit_code == 0, result.output
    expected = list(generate(7, "tiny"))
    assert f"produced {len(expected)} messages" in result.output

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=1000,
    )
    try:
        wanted = {topic_for(m["type"], prefix) for m in expected}
        partitions = []
        deadline = time.monotonic() + 30
        for topic in default_topics(prefix):
            if topic not in wanted:
                continue
            while not consumer.partitions_for_topic(topic) and time.monotonic() < deadline:
                time.sleep(0.1)
            partitions += [
                TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())
            ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        received: list[tuple[str, bytes | None, dict[str, Any]]] = []
        while len(received) < len(expected) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received += [(r.topic, r.key, json.loads(r.value)) for r in records]
    finally:
        consumer.close()
    assert len(received) == len(expected)
    assert Counter(m["id"] for _, _, m in received) == Counter(m["id"] for m in expected)
    for topic, key, message in received:
        assert topic == topic_for(message["type"], prefix)
        assert key == key_of(message).encode()


# -- a small bank's statements add up ------------------------------------------------


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReadModel]:
    directory = tmp_path_factory.mktemp("small-bank")
    source = directory / "bank.jsonl"
    write_jsonl(source, seed=7, size="small")
    ledger = Ledger(ledger_env(directory, {}))
    summary = ingest_files(ledger, [source])
    assert not summary.rejected, summary.rejected[:3]
    model = ReadModel(directory / "read_model.duckdb")
    model.catch_up(ledger)
    yield model
    model.close()
    ledger.close()


def months(model: ReadModel) -> list[str]:
    """Every month with a statement: the window, and the open month after it."""
    row = model.conn.execute("SELECT min(hired_on) FROM managers").fetchone()
    closed = [
        r[0]
        for r in model.conn.execute("SELECT period FROM periods_closed ORDER BY period").fetchall()
    ]
    assert row is not None and closed
    first = f"{row[0]:%Y-%m}"
    year, month = int(closed[-1][:4]), int(closed[-1][5:])
    after = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    out, period = [], first
    while period <= after:
        out.append(period)
        year, month = int(period[:4]), int(period[5:])
        period = f"{year + month // 12:04d}-{month % 12 + 1:02d}"
    return out


@pytest.mark.slow
@pytest.mark.parametrize("restated", [False, True], ids=["as-issued", "restated"])
def test_every_statement_of_a_small_bank_adds_up_to_its_total(
    small_bank: ReadModel, restated: bool
) -> None:
    seen: Counter[str] = Counter()
    for period in months(small_bank):
        for st in statements(small_bank, period, restated=restated):
            for name in MONEY_FIELDS:
                assert isinstance(st[name], Decimal), (period, st["manager_id"], name, st[name])
                assert st[name] == st[name].quantize(Decimal("0.01")), (
                    period,
                    st["manager_id"],
                    name,
                )
            parts = st["base_salary"] + st["post_salary"] + st["performance_paid"] + st["awards"]
            assert parts == st["total"], (period, st["manager_id"], parts, st["total"])
            # The same on the contract's JSON strings.
            j = to_json(st)
            assert sum(
                Decimal(j[k]) for k in ("base_salary", "post_salary", "performance_paid", "awards")
            ) == Decimal(j["total"])
            assert st["performance_paid"] >= 0 and st["clawback_carried"] >= 0
            seen[st["status"]] += 1
    # Issued statements for the closed months, open ones for the month after.
    assert seen["issued"] > 100 and seen["open"] > 0, seen


def test_the_next_commands_name_rmledger_as_this_shell_can_run_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's set-up never activates the virtualenv: with its bin directory off
    PATH the demo prints the path of this installation's ``rmledger``, relative to the
    working directory when it lies below it; on PATH, the bare name."""
    from scripts.cli.demo import program_name

    installed = Path(sys.executable).parent / "rmledger"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir(tmp_path)
    assert program_name() == str(installed)
    monkeypatch.chdir(installed.parent.parent.parent)
    assert program_name() == str(installed.relative_to(installed.parent.parent.parent))
    monkeypatch.setenv("PATH", f"{installed.parent}:/usr/bin:/bin")
    assert program_name() == "rmledger"


def test_a_malformed_cipher_key_in_the_shell_stops_the_demo_with_one_sentence(
    tmp_path: Path,
) -> None:
    """The demo honours the shell's CIPHER_KEY like every command, and so refuses a bad
    one with the sentence that says what a key is, before ingesting anything."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in STORE_SETTINGS and not k.startswith("POSTGRES_")
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scripts.cli.main",
            "--data-dir",
            str(tmp_path),
            "demo",
            "--size",
            "tiny",
        ],
        cwd=ROOT,
        env={**env, "CIPHER_KEY": "hunter2"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "Error: CIPHER_KEY is not an AES key: it must be the base64 of 16, 24 or 32 random bytes"
    ), done.stderr
    assert not (tmp_path / "demo-7" / "events.sqlite").exists()
