"""``--out``: where a command may write, and how.

Every command with ``--out`` goes through ``replacing`` (or ``write_out``):

- never into the data directory's own files: the data directory itself, the event
  store (``events.sqlite`` and its ``-wal``, ``-shm`` and ``-journal``), the read model
  (``read_model.duckdb`` and its ``.wal``, and any ``read_model*`` file beside it),
  lock and key files; a symbolic or hard link to one of them is the same file;
- an existing file is replaced only with ``--force``;
- the text is written to a temporary file beside the target and renamed over it, so
  a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from domain.store import EVENTS_FILE

_PROTECTED_PREFIXES = (EVENTS_FILE, "read_model")
_PROTECTED_SUFFIXES = (".lock", ".key", ".pem")


def _protected(directory: Path) -> list[Path]:
    """The data directory's own files that exist now."""
    if not directory.is_dir():
        return []
    return [
        p
        for p in directory.iterdir()
        if p.name.startswith(_PROTECTED_PREFIXES) or p.name.endswith(_PROTECTED_SUFFIXES)
    ]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def check_target(path: Path, data_dir: Path | None, force: bool, option: str = "--out") -> None:
    """Refuse (a usage error naming ``option``) a target that is one of the data
    directory's own files, or that exists while ``force`` is not given."""
    if data_dir is not None:
        home = data_dir.resolve()
        target = path.resolve()
        if target == home or _same(path, data_dir):
            raise click.BadParameter(
                f"{str(path)!r} is the data directory", param_hint=f"'{option}'"
            )
        own = target.parent == home and (
            target.name.startswith(_PROTECTED_PREFIXES + ("events.",))
            or target.name.endswith(_PROTECTED_SUFFIXES)
        )
        if own or any(_same(path, p) for p in _protected(data_dir)):
            raise click.BadParameter(
                f"{str(path)!r} is one of the data directory's own files "
                "(event store, read model, lock or key): write elsewhere",
                param_hint=f"'{option}'",
            )
    if path.is_dir():
        raise click.BadParameter(f"{str(path)!r} is a directory", param_hint=f"'{option}'")
    if not path.parent.is_dir():
        raise click.BadParameter(
            f"the directory of {str(path)!r} does not exist", param_hint=f"'{option}'"
        )
    if (path.exists() or path.is_symlink()) and not force:
        raise click.BadParameter(
            f"{str(path)!r} exists: give --force to replace it", param_hint=f"'{option}'"
        )


def current_data_dir() -> Path | None:
    """The data directory of the running command, if any (``Context``)."""
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return getattr(obj, "data_dir", None)


@contextlib.contextmanager
def replacing(
    path: Path, force: bool, data_dir: Path | None = None, option: str = "--out"
) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` when the
    block ends without an error, removed otherwise."""
    check_target(path, data_dir if data_dir is not None else current_data_dir(), force, option)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_out(path: Path, text: str, force: bool, data_dir: Path | None = None) -> None:
    """Write ``text`` (UTF-8) to ``path`` by the rules above."""
    with replacing(path, force, data_dir) as temp:
        temp.write_text(text, encoding="utf-8")


def force_option(f: click.decorators.FC) -> click.decorators.FC:
    """``--force``: replace an existing ``--out`` file."""
    return click.option("--force", is_flag=True, help="Replace an existing --out file.")(f)
