"""The content hash of a message: what tells a duplicate from an id conflict.

Every receipt and fact stores the hash of the message that made it; a message whose
id is known is a duplicate when its hash is equal, a conflict when it differs. Stored
hashes depend on the exact bytes hashed here, so this canonical form never changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs

from domain import messages as m


def content_hash(message: m.Message) -> str:
    """SHA-256 of the message's type and field values as canonical JSON: equal
    content, equal hash, and no two different contents alike.

    The canonical JSON is ``json.dumps([TYPE, *values], separators=(",", ":"))`` with
    dates and decimals as their ``str`` and dicts sorted by key; stored hashes depend
    on those exact bytes. Text, dates, decimals and integers (every field but a plan's
    terms) are written here with the encoder's own string escaping, which is what
    ``json.dumps`` would write, at a third of its cost; anything else goes through
    ``json.dumps`` itself. An optional field left out (``None``) is not written at all:
    a version-1 message hashes as it always did."""
    parts = [_json_text(message.TYPE)]
    for name in _field_names(type(message)):
        value = getattr(message, name)
        kind = type(value)
        if value is None:
            continue
        if kind is str:
            parts.append(_json_text(value))
        elif kind is date or kind is Decimal:
            parts.append(_json_text(str(value)))
        elif kind is int:
            parts.append(int.__repr__(value))
        else:
            parts.append(json.dumps(_plain(value), separators=(",", ":")))
    return hashlib.sha256(f"[{','.join(parts)}]".encode()).hexdigest()


# json.dumps's own escaping of a string (ensure_ascii, as json.dumps defaults to).
_json_text: Callable[[str], str] = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]
_FIELD_NAMES: dict[type[m.Message], tuple[str, ...]] = {}


def _field_names(cls: type[m.Message]) -> tuple[str, ...]:
    # Looked up once per message class: attrs.fields builds its tuple on every call.
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    return names


def _plain(value: Any) -> Any:
    # What json.dumps can write: dates and decimals as text, dicts sorted by key.
    if isinstance(value, (date, Decimal)):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in sorted(value.items())}
    if isinstance(value, (list, tuple)):
        return [_plain(x) for x in value]
    if attrs.has(type(value)):
        return _plain(attrs.asdict(value, recurse=False))
    return value
