"""Named errors. Every broken rule says which field, which rule and which value."""

from __future__ import annotations

from typing import Any


class RuleBroken(Exception):
    """A message or command breaks a named rule; nothing was changed.

    ``field`` is the message field at fault (or ``None`` when the rule is about the
    whole message), ``rule`` a short stable code other systems may match on, and the
    text is the sentence for people.
    """

    def __init__(self, field: str | None, rule: str, message: str, value: Any = None) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        self.text = message
        super().__init__(self.describe())

    def describe(self) -> str:
        """The one-line error as printed: ``field: rule: sentence``."""
        where = f"{self.field}: " if self.field else ""
        return f"{where}{self.rule}: {self.text}"


class DecodeError(RuleBroken):
    """The message is malformed: bad JSON, a missing, unknown or ill-typed field."""


class DomainRuleBroken(RuleBroken):
    """The message is well formed but breaks a business rule of docs/rules.md."""


class DependencyMissing(DomainRuleBroken):
    """The message names something not (yet) in the store: an unknown client,
    manager, posting or handover. From Kafka such a message is held and retried,
    because its dependency may still be on its way on another topic."""


class Conflict(DomainRuleBroken):
    """The message id was already applied with different content."""


MASK_MIN_LENGTH = 9
"""An identity number shows its last 4 characters only when it has at least this many
(more than 8): the last 4 of a shorter one would give away too much of it, or all."""


def mask(value: Any) -> str:
    """Personal data as reports show it: ``****`` and the last 4 characters when the
    value is longer than 8 characters, otherwise ``****`` alone."""
    text = value.text if hasattr(value, "text") else str(value)
    return "****" + text[-4:] if len(text) >= MASK_MIN_LENGTH else "****"


def json_kind(value: Any, personal: bool = False) -> str:
    """What a JSON value is, for an error message; personal data only masked.

    A JSON number with a fraction or exponent arrives as an object with ``text``
    (the decoder never lets it become a float)."""
    if hasattr(value, "text"):
        return f"the number {mask(value) if personal else value.text}"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the integer {mask(value) if personal else value}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return f"the string {mask(value) if personal else repr(value)}"
    return type(value).__name__
