"""Every command of ``rmledger``, every option, bad values: never a traceback.

The commands are found by walking the click group, so a command or option added
later is covered without touching this file. Each option (and argument) is given, in
turn, each bad value below with good values for the other required ones; the answer
must be a usage error (exit 2) naming the option, or, when the value is in fact
acceptable for that option (``now`` is a fine manager id), an ordinary answer
(exit 0 or 1) — and in no case a traceback (an exception escaping the command).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scripts.cli.main import cli
from tests.paths import SCENARIOS

SCENARIO = SCENARIOS / "example_a.jsonl"

BAD_VALUES = [
    "",
    "x",
    "now",
    "yesterday",
    "2026-13",
    "2026-02-30",
    "2026-03-31T18:00:00",
    "-1",
    "0",
    "nan",
    "inf",
    "99999999999999999999999",
    "/nonexistent-dir/x/y",
    "M1\x1b[31m",
    "a\x00b",
    "\u202eevil",
]

# Good values for the options a command requires (or needs to stay cheap), by command path.
GOOD: dict[str, dict[str, str]] = {
    "ingest": {"files": str(SCENARIO)},
    "pay": {"--period": "2025-03"},
    "pay explain": {"--manager": "M1", "--period": "2025-03"},
    "sql": {"query": "SELECT 1"},
    "tiers": {"--as-of": "2025-03-31"},
    "audit history": {"--manager": "M1"},
    "audit departure": {"--manager": "M1"},
    "consume": {"--bootstrap": "127.0.0.1:1"},
    "publish": {"--bootstrap": "127.0.0.1:1"},
    "demo": {"--size": "tiny"},
    "generate": {"--size": "tiny", "--out": "{tmp}/generated.jsonl"},
    "export": {"--out": "{tmp}/export"},
    "users add": {"name": "carol", "--role": "auditor"},
    "users role": {"name": "carol", "--role": "admin"},
    "users disable": {"name": "carol"},
    "users token": {"name": "carol"},
}
# Commands that talk to a Kafka broker or build a whole bank: run only with values their
# option types refuse (an acceptable value would start the real work).
EXPENSIVE = {"consume", "publish", "demo"}


def commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, click.Command]]:
    for name, command in sorted(group.commands.items()):
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def cases() -> Iterator[tuple[str, str, str]]:
    for name, command in commands():
        for param in command.params:
            if isinstance(param, click.Option) and (param.is_flag or param.count):
                continue
            label = param.opts[0] if isinstance(param, click.Option) else param.name
            for value in BAD_VALUES:
                yield name, str(label), value
    for value in BAD_VALUES:
        yield "pay", "--data-dir", value


def test_the_walk_finds_every_command_and_its_options() -> None:
    found = {name for name, _ in commands()}
    assert found == {
        "ingest",
        "pay",
        "pay explain",
        "rebuild",
        "sql",
        "tiers",
        "audit",
        "audit history",
        "audit departure",
        "verify",
        "consume",
        "publish",
        "demo",
        "generate",
        "export",
        "seal",
        "periods",
        "alerts",
        "users",
        "users add",
        "users role",
        "users disable",
        "users list",
        "users token",
        "serve",
    }
    assert sum(1 for _ in cases()) > 30 * len(BAD_VALUES) // 2


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bad-options") / "var"
    result = CliRunner().invoke(cli, ["--data-dir", str(directory), "ingest", str(SCENARIO)])
    assert result.exit_code == 0, result.output
    return directory


def _accepted(command: click.Command, label: str, value: str) -> bool:
    """Whether the option's own type takes ``value`` (then the command would run)."""
    param = next(
        p for p in command.params if (p.opts[0] if isinstance(p, click.Option) else p.name) == label
    )
    try:
        with click.Context(command) as ctx:
            param.process_value(ctx, (value,) if getattr(param, "multiple", False) else value)
    except click.BadParameter:
        return False
    return True


def _argv(name: str, label: str, value: str, data_dir: Path, tmp: Path) -> list[str]:
    good = {k: v.format(tmp=tmp) for k, v in GOOD.get(name, {}).items()}
    data = value if label == "--data-dir" else str(data_dir)
    options, arguments = [], []
    command = dict(commands())[name]
    for param in command.params:
        key = param.opts[0] if isinstance(param, click.Option) else str(param.name)
        given = value if key == label else good.get(key)
        if given is None:
            continue
        if isinstance(param, click.Option):
            options += [key, given]
        else:
            arguments.append(given)
    # "--" before arguments: a value such as "-1" is the argument, not an option.
    return ["--data-dir", data, *name.split(), *options, *(["--", *arguments] if arguments else [])]


@pytest.mark.parametrize(
    ("name", "label", "value"),
    list(cases()),
    ids=lambda x: repr(x)[1:-1][:24] if isinstance(x, str) else None,
)
def test_a_bad_option_value_is_refused_without_a_traceback(
    name: str,
    label: str,
    value: str,
    data_dir: Path,
    tmp_path: Path,
    clean_environ: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # anything a command writes by default lands here
    command = cli if label == "--data-dir" else dict(commands())[name]
    if name.split()[0] in EXPENSIVE and _accepted(command, label, value):
        pytest.skip(
            "an acceptable value for an option of a command that needs a broker or builds a bank"
        )
    result = CliRunner().invoke(cli, _argv(name, label, value, data_dir, tmp_path))

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{name} {label}={value!r} raised {result.exception!r}:\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), result.output
    if result.exit_code == 2:
        # A usage error: one "Error:" line naming the option, its value escaped.
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output
        hint = label if label.startswith("--") else label.upper()
        assert hint in errors[0] or "Missing" in errors[0], result.output
    assert (
        "\x1b" not in result.output
        and "\x00" not in result.output
        and "\u202e" not in result.output
    )
