"""Transcodings for the values events carry beyond the library's built-ins."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.values import GradeTerms


class DateAsISO(Transcoding):
    """A business date as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class GradeTermsAsDict(Transcoding):
    """A plan's terms for one grade, as decimal strings."""

    type = GradeTerms
    name = "grade_terms"

    def encode(self, obj: GradeTerms) -> dict[str, str]:
        return {
            "base_salary": str(obj.base_salary),
            "post_salary": str(obj.post_salary),
            "commission_per_10k": str(obj.commission_per_10k),
            "coefficient": str(obj.coefficient),
        }

    def decode(self, data: dict[str, str]) -> GradeTerms:
        return GradeTerms(**{key: Decimal(value) for key, value in data.items()})


class ReusedJSONEncoder(json.JSONEncoder):
    """The library transcoder's JSON encoder (compact separators, UTF-8 kept, custom
    objects through ``default``), with the C encoder made once instead of per call.

    ``JSONEncoder.encode`` builds a new C encoder (and a Python closure) for every
    object it writes; for one event per posting ingested that was a tenth of the
    write path. Events hold no cycles, so the circular-reference check is off; the
    bytes written are the library encoder's (tests/domain/test_stored_keys.py)."""

    def __init__(self, default: Callable[[Any], Any]) -> None:
        super().__init__(
            default=default, separators=(",", ":"), ensure_ascii=False, check_circular=False
        )
        self._write = (
            json.encoder.c_make_encoder(  # type: ignore[attr-defined]
                None,
                self.default,
                json.encoder.encode_basestring,  # type: ignore[attr-defined]
                self.indent,
                self.key_separator,
                self.item_separator,
                self.sort_keys,
                self.skipkeys,
                self.allow_nan,
            )
            if json.encoder.c_make_encoder is not None  # type: ignore[attr-defined]
            else None
        )

    def encode(self, o: Any) -> str:
        if self._write is None or isinstance(o, str):
            return super().encode(o)
        return "".join(self._write(o, 0))
