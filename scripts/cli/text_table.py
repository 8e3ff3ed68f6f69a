"""A plain aligned text table: the same bytes on a terminal, in a pipe and in a test."""

from __future__ import annotations

from collections.abc import Sequence


def text_table(
    headings: Sequence[str], rows: Sequence[Sequence[str]], right: set[int] | None = None
) -> str:
    """Columns padded to their widest cell, two spaces apart, a dashed rule under the
    headings; the columns whose index is in ``right`` (numbers) are right-aligned."""
    right = right or set()
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headings)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headings), line(["-" * w for w in widths]), *(line(r) for r in rows)])
