"""A handover (移交): outgoing and incoming manager, the clients, two witnesses,
a signed record and a filing with the RM office. Nothing moves until filing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainRuleBroken
from domain.ids import aggregate_id
from domain.values import WITNESS_ROLES


class Handover(Aggregate):
    """One handover list and its progress towards filing."""

    @staticmethod
    def create_id(handover_id: str) -> UUID:
        return aggregate_id("handover", handover_id)

    @event("Opened")
    def __init__(
        self,
        handover_id: str,
        from_manager_id: str,
        to_manager_id: str,
        client_ids: list[str],
        reason: str,
        opened_on: date,
        message_id: str,
    ) -> None:
        self.handover_id = handover_id
        self.from_manager_id = from_manager_id
        self.to_manager_id = to_manager_id
        self.client_ids = list(client_ids)
        self.reason = reason
        self.opened_on = opened_on
        self.witnesses: dict[str, tuple[str, date]] = {}  # role -> (witness, date)
        self.record: tuple[str, date] | None = None
        self.filed_on: date | None = None

    def _check_open(self) -> None:
        if self.filed_on is not None:
            raise DomainRuleBroken(
                "handover_id",
                "handover_already_filed",
                f"handover {self.handover_id} was filed on {self.filed_on}",
                self.handover_id,
            )

    def _check_not_before_opening(self, day: date, field: str) -> None:
        if day < self.opened_on:
            raise DomainRuleBroken(
                field,
                "before_opening",
                f"{day} is before the handover was opened on {self.opened_on}",
                day.isoformat(),
            )

    def witness(
        self, witness_id: str, witness_role: str, witnessed_on: date, message_id: str
    ) -> None:
        """Two witnesses by role, two distinct people, neither of them a party."""
        self._check_open()
        if witness_id in (self.from_manager_id, self.to_manager_id):
            raise DomainRuleBroken(
                "witness_id",
                "witness_is_party",
                f"{witness_id} is a party to handover {self.handover_id} and cannot witness it",
                witness_id,
            )
        if witness_role in self.witnesses:
            raise DomainRuleBroken(
                "witness_role",
                "witness_role_taken",
                f"{witness_role} already witnessed handover {self.handover_id} "
                f"({self.witnesses[witness_role][0]})",
                witness_role,
            )
        for role, (other, _) in self.witnesses.items():
            if other == witness_id:
                raise DomainRuleBroken(
                    "witness_id",
                    "witnesses_not_distinct",
                    f"{witness_id} already witnessed as {role}; the two witnesses must be different people",
                    witness_id,
                )
        self._check_not_before_opening(witnessed_on, "witnessed_on")
        self._witnessed(witness_id, witness_role, witnessed_on, message_id)

    @event("Witnessed")
    def _witnessed(
        self, witness_id: str, witness_role: str, witnessed_on: date, message_id: str
    ) -> None:
        self.witnesses[witness_role] = (witness_id, witnessed_on)

    def sign_record(self, record_ref: str, signed_on: date, message_id: str) -> None:
        """The written handover record is signed once."""
        self._check_open()
        if self.record is not None:
            raise DomainRuleBroken(
                "handover_id",
                "record_already_signed",
                f"handover {self.handover_id}'s record {self.record[0]} was signed on {self.record[1]}",
                self.handover_id,
            )
        self._check_not_before_opening(signed_on, "signed_on")
        self._record_signed(record_ref, signed_on, message_id)

    @event("RecordSigned")
    def _record_signed(self, record_ref: str, signed_on: date, message_id: str) -> None:
        self.record = (record_ref, signed_on)

    def missing_for_filing(self) -> list[str]:
        """What still stands between this handover and its filing."""
        missing = [f"witness {role}" for role in WITNESS_ROLES if role not in self.witnesses]
        if self.record is None:
            missing.append("signed record")
        return missing

    def check_file(self, filed_on: date) -> None:
        """Whether the handover may be filed on ``filed_on``: it is not filed yet, has
        both witnesses and the signed record, and is filed on or after each of them.
        The ledger checks this, and the clients, before anything is filed."""
        self._check_open()
        missing = self.missing_for_filing()
        if missing:
            raise DomainRuleBroken(
                "handover_id",
                "handover_incomplete",
                f"handover {self.handover_id} cannot be filed without: {', '.join(missing)}",
                self.handover_id,
            )
        assert self.record is not None
        latest = max([self.opened_on, self.record[1], *(d for _, d in self.witnesses.values())])
        if filed_on < latest:
            raise DomainRuleBroken(
                "filed_on",
                "filed_before_completion",
                f"{filed_on} is before the handover was opened, witnessed and signed (last on {latest})",
                filed_on.isoformat(),
            )

    def file(self, filed_on: date, message_id: str) -> None:
        """File the handover with the RM office (see ``check_file``)."""
        self.check_file(filed_on)
        self._filed(filed_on, message_id)

    @event("Filed")
    def _filed(self, filed_on: date, message_id: str) -> None:
        self.filed_on = filed_on
