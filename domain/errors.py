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
    """The message is well formed but breaks a business rule of DOMAIN.md."""


class DependencyMissing(DomainRuleBroken):
    """The message names something not (yet) in the store: an unknown client,
    manager, posting or handover. From Kafka such a message is held and retried,
    because its dependency may still be on its way on another topic."""


class Conflict(DomainRuleBroken):
    """The message id was already applied with different content."""
