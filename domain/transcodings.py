"""Transcodings for the values events carry beyond the library's built-ins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
