"""Known failures of the machine around the ledger, as one sentence each.

A read-only or full disk, a data directory that is a file, a missing directory, a
store setting that does not match the store: these are the operator's to fix, so
the command line says what happened and where, on one line, and exits 1 without a
traceback (``RmledgerGroup``). Anything else is a defect and keeps its traceback;
``RMLEDGER_DEBUG=1`` shows the traceback of the known kinds too.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from typing import Any

import click

from domain.store import StoreProblem
from projections.escape import terminal

DEBUG = "RMLEDGER_DEBUG"

_OS_ERRORS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "the file size limit was reached",
    errno.ENOENT: "no such file or directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory",
    errno.EEXIST: "it exists and is not a directory",
    errno.EISDIR: "it is a directory",
}
_FULL = "free space on that disk and run the command again (the transaction being written was rolled back)"
# SQLite's own messages (it gives no path): what they mean for the event store.
_SQLITE_ERRORS = {
    "attempt to write a readonly database": "the event store is read-only for this user (file or directory permissions, or a read-only mount)",
    "unable to open database file": "the event store file cannot be opened or created (its directory is missing, not writable, or not a directory)",
    "database or disk is full": f"the disk holding the event store is full: {_FULL}",
    "disk i/o error": "a disk I/O error while writing the event store (a full or failing disk)",
    "readonly database": "the event store is read-only for this user",
}
_DUCKDB_ERRORS = {
    "permission denied": "permission denied",
    "read-only file system": "the file system is read-only",
    "no space left on device": f"no space left on the device: {_FULL}",
    "file too large": "the file size limit was reached",
}


_KAFKA_UNREACHABLE = ("KafkaTimeoutError", "NoBrokersAvailable", "KafkaConnectionError")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(error: BaseException, where: str) -> str | None:
    """One sentence for a known failure (``where``: the data directory), else None."""
    for e in _chain(error):
        if isinstance(e, StoreProblem):
            return str(e)
        if isinstance(e, OSError) and e.errno in _OS_ERRORS:
            path = e.filename if e.filename is not None else where
            reason = _OS_ERRORS[e.errno]
            if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                reason += f": {_FULL}"
            return f"cannot use {path}: {reason}"
        if isinstance(e, sqlite3.Error):
            text = str(e).lower()
            if where and os.path.isdir(where) and not os.access(where, os.W_OK):
                return (
                    f"the data directory {where} is not writable (permissions or a read-only mount)"
                )
            for needle, sentence in _SQLITE_ERRORS.items():
                if needle in text:
                    return f"{sentence} (data directory {where})"
        if type(e).__module__.startswith("psycopg") and type(e).__name__ in (
            "OperationalError",
            "ConnectionTimeout",
        ):
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return f"cannot reach the PostgreSQL server: {first} (check the POSTGRES_* settings)"
        if type(e).__module__.startswith("kafka") and type(e).__name__ in _KAFKA_UNREACHABLE:
            return (
                f"cannot reach the Kafka broker: {e} (check --bootstrap and that the broker is up)"
            )
        if "duckdb" in type(e).__module__:
            text = str(e).lower()
            for needle, reason in _DUCKDB_ERRORS.items():
                if needle in text:
                    return f"cannot write the read model in {where}: {reason}"
    return None


def _escaped(error: click.ClickException) -> click.ClickException:
    # A message may quote what the user typed or what the store holds.
    setattr(error, "message", terminal(error.message))  # noqa: B010 (click declares it Final)
    return error


def hoist_group_options(args: list[str], names: tuple[str, ...] = ("--data-dir",)) -> list[str]:
    """``args`` with the group's own options (``--data-dir X`` or ``--data-dir=X``)
    moved to the front wherever they were given, so that ``rmledger pay --data-dir X``
    means ``rmledger --data-dir X pay``. Nothing after ``--`` is moved; the option last
    with no value is a usage error (``click.UsageError``)."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in names:
            if i + 1 == len(args):
                raise click.UsageError(f"Option '{arg}' requires an argument.")
            front += args[i : i + 2]
            i += 2
            continue
        if any(arg.startswith(name + "=") for name in names):
            front.append(arg)
        else:
            rest.append(arg)
        i += 1
    return front + rest


class RmledgerGroup(click.Group):
    """The ``rmledger`` group: known failures become ``Error: <sentence>`` and exit 1;
    every error message has its control characters escaped; ``--data-dir`` is taken
    after the subcommand too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_group_options(args))

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.ClickException as error:
            raise _escaped(error) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:
            raise _escaped(error) from None
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            where = str(getattr(ctx.obj, "data_dir", "") or "the data directory")
            sentence = explain(error, where)
            if sentence is None or os.environ.get(DEBUG):
                raise
            raise click.ClickException(sentence) from None
