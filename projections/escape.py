"""Escaping of stored text on its way out: terminal, Markdown, HTML, CSV and JSON.

Ids, names and reasons come from other systems. The door refuses control characters
now, but a store written before may hold them, so every output escapes them itself:

- terminal: C0 controls (newline and tab included), DEL, C1 controls and the Unicode
  bidirectional and invisible format characters are shown as ``\\x1b`` or ``\\u202e``,
  so no text can move the cursor, recolour the screen or reorder what is shown;
- Markdown: the same, and ``< > &`` as entities, ``|`` and backticks backslashed
  (no raw HTML, no broken table, no code span);
- HTML: the same, and every markup character as an entity;
- CSV: the same, and a cell starting with ``= + - @`` (a spreadsheet formula) gets a
  leading apostrophe, unless it is a number such as ``-12.50``;
- JSON: the encoder escapes C0 itself; DEL, C1 and format characters are written as
  ``\\uXXXX`` too (the same string to any JSON reader).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

# C0, DEL, C1; zero-width and bidirectional format characters; line and paragraph
# separators; the byte-order mark.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: Any) -> str:
    """``text`` safe to print on a terminal: control characters shown as escapes."""
    return CONTROL.sub(_visible, str(text))


_MARKDOWN = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "\\`"}
_MARKDOWN_RE = re.compile("[&<>|`]")


def markdown(text: Any) -> str:
    """``text`` as literal Markdown inline text (also inside a table cell)."""
    return _MARKDOWN_RE.sub(lambda m: _MARKDOWN[m.group()], terminal(text))


def html_text(text: Any) -> str:
    """``text`` as literal HTML text or attribute value."""
    return html.escape(terminal(text), quote=True)


def csv_cell(text: Any) -> str:
    """``text`` as a CSV cell a spreadsheet will not run as a formula."""
    cell = terminal(text)
    if cell[:1] in ("=", "+", "-", "@"):
        try:
            Decimal(cell)
            return cell
        except InvalidOperation:
            return "'" + cell
    return cell


_JSON_EXTRA = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def json_text(dumped: str) -> str:
    """JSON text (from ``json.dumps``) with DEL, C1 and format characters as ``\\uXXXX``."""
    return _JSON_EXTRA.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)


def tree(value: Any, escape: Callable[[Any], str]) -> Any:
    """``value`` with ``escape`` applied to every string in it, at any depth (dict keys
    included); numbers, dates and None unchanged."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {tree(k, escape): tree(v, escape) for k, v in value.items()}
    if isinstance(value, list):
        return [tree(v, escape) for v in value]
    if isinstance(value, tuple):
        return tuple(tree(v, escape) for v in value)
    return value
