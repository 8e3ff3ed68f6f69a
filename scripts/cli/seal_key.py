"""Where the seal key comes from (docs/tamper-evidence.md): ``RMLEDGER_SEAL_KEY``,
else the file named by ``RMLEDGER_SEAL_KEY_FILE``, else ``seal.key`` in the data
directory, made (mode 0600) by the first seal. A key is 64 hexadecimal characters
(256 bits); several keys, separated by commas, spaces or newlines, are old keys kept
for verifying after a rotation: the first one seals.

The token key of the HTTP API (scripts/identity/tokens.py) is kept the same way under
its own names (``KeySetting``)."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import attrs
import click

from domain.seal import Sealer

KEY_ENV = "RMLEDGER_SEAL_KEY"
KEY_FILE_ENV = "RMLEDGER_SEAL_KEY_FILE"
DEFAULT_KEY_FILE = "seal.key"
_HEX_KEY = re.compile(r"[0-9a-fA-F]{64}")


@attrs.frozen
class KeySetting:
    """Where a key outside the store is read from: the variable holding the key, the
    one naming a file, and the file made in the data directory when neither is set."""

    env: str
    file_env: str
    default_file: str
    what: str  # for error messages: "seal key", "token key"


SEAL_KEY = KeySetting(KEY_ENV, KEY_FILE_ENV, DEFAULT_KEY_FILE, "seal key")


class SealKeyProblem(click.ClickException):
    """A seal key that cannot be used, in one sentence."""


def parse_keys(text: str, source: str) -> list[bytes]:
    """The keys in ``text`` (``source`` names where it came from in the error)."""
    words = [w for w in re.split(r"[\s,]+", text.strip()) if w]
    if not words:
        raise SealKeyProblem(
            f"{source} holds no key: it must hold 64 hexadecimal characters (a 256-bit key)"
        )
    for word in words:
        if not _HEX_KEY.fullmatch(word):
            raise SealKeyProblem(
                f"{source} must hold 64 hexadecimal characters (a 256-bit key; several separated by commas "
                f"for a rotation), but holds a word of {len(word)} character(s)"
                + ("" if re.fullmatch(r"[0-9a-fA-F]*", word) else " that are not all hexadecimal")
            )
    return [bytes.fromhex(w) for w in words]


def _read(path: Path, source: str) -> list[bytes]:
    try:
        return parse_keys(path.read_text(encoding="ascii", errors="replace"), source)
    except FileNotFoundError:
        raise SealKeyProblem(f"{source}: no such file") from None
    except OSError as error:
        raise SealKeyProblem(f"{source} cannot be read: {error.strerror}") from None


def _create(path: Path, what: str) -> None:
    """A new random key in ``path``, readable by its owner only; a file made meanwhile
    by another process is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as error:
        raise SealKeyProblem(f"cannot create the {what} file {path}: {error.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32) + "\n")


def load_keys(
    data_dir: Path, environ: Mapping[str, str], create: bool, setting: KeySetting = SEAL_KEY
) -> list[bytes]:
    """The keys (first one signs). Without a setting, the default file in the data
    directory (``seal.key``): made when ``create`` (the first seal), else nothing when absent."""
    value, file_name = environ.get(setting.env), environ.get(setting.file_env)
    if value and file_name:
        raise SealKeyProblem(f"set {setting.env} or {setting.file_env}, not both")
    if value:
        return parse_keys(value, setting.env)
    if file_name:
        return _read(Path(file_name), f"{setting.file_env} {file_name}")
    path = data_dir / setting.default_file
    if not path.exists():
        if not create:
            return []
        _create(path, setting.what)
    return _read(path, str(path))


def sealer_for(data_dir: Path, environ: Mapping[str, str] | None = None) -> Sealer:
    """The ledger's sealer for a data directory, reading the settings when asked."""
    source = os.environ if environ is None else environ
    return Sealer(lambda create: load_keys(data_dir, source, create))
