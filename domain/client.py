"""The client: registration, lifecycle stage, and who serves it as primary and backup.

Role changes are effective-dated and go forward in time, so the state held here is
also the state in force on any date on or after the role's last change.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate, event

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.ids import aggregate_id


@attrs.frozen
class Holding:
    """A manager holding a role for the client since ``effective_on``."""

    manager_id: str
    origin: str
    effective_on: date


class Client(Aggregate):
    """A personal or corporate client (客户)."""

    @staticmethod
    def create_id(client_id: str) -> UUID:
        return aggregate_id("client", client_id)

    @event("Registered")
    def __init__(
        self,
        client_id: str,
        kind: str,
        branch_id: str,
        registered_on: date,
        name: str,
        id_number: str,
        message_id: str,
    ) -> None:
        self.client_id = client_id
        self.kind = kind
        self.branch_id = branch_id
        self.registered_on = registered_on
        self.name = name
        self.id_number = id_number
        self.stage = "target"
        self.stage_since = registered_on
        self.roles: dict[str, Holding | None] = {"primary": None, "backup": None}
        self.last_change: dict[str, date] = {}
        self.first_served_on: date | None = None
        self.open_handover: str | None = None

    @property
    def primary(self) -> Holding | None:
        return self.roles["primary"]

    @property
    def backup(self) -> Holding | None:
        return self.roles["backup"]

    # -- lifecycle ----------------------------------------------------------------

    def change_stage(self, stage: str, changed_on: date, message_id: str) -> None:
        """Any move to another stage, except that a lost client comes back only to target."""
        if stage == self.stage:
            raise DomainRuleBroken(
                "stage", "stage_unchanged", f"client {self.client_id} is already {stage}", stage
            )
        if self.stage == "lost" and stage != "target":
            raise DomainRuleBroken(
                "stage",
                "lost_only_to_target",
                f"a lost client can come back only to target, not {stage}",
                stage,
            )
        if changed_on < self.stage_since:
            raise DomainRuleBroken(
                "changed_on",
                "not_forward_in_time",
                f"{changed_on} is before the client's last stage change or registration on {self.stage_since}",
                changed_on.isoformat(),
            )
        self._stage_changed(stage, changed_on, message_id)

    @event("StageChanged")
    def _stage_changed(self, stage: str, changed_on: date, message_id: str) -> None:
        self.stage = stage
        self.stage_since = changed_on

    # -- assignments ----------------------------------------------------------------

    def _check_forward(self, role: str, effective_on: date, field: str = "effective_on") -> None:
        last = self.last_change.get(role)
        if last is not None and effective_on < last:
            raise DomainRuleBroken(
                field,
                "not_forward_in_time",
                f"{effective_on} is before the last change of client {self.client_id}'s {role} role on {last}",
                effective_on.isoformat(),
            )
        if effective_on < self.registered_on:
            raise DomainRuleBroken(
                field,
                "before_registration",
                f"{effective_on} is before client {self.client_id} was registered on {self.registered_on}",
                effective_on.isoformat(),
            )

    def assign(
        self, manager_id: str, role: str, origin: str, effective_on: date, message_id: str
    ) -> None:
        """Give ``role`` to ``manager_id``: one primary and one backup, different
        managers, forward in time; moves between managers go through handovers."""
        self._check_assign(manager_id, role, effective_on)
        self._assigned(manager_id, role, origin, effective_on, message_id)

    def _check_assign(self, manager_id: str, role: str, effective_on: date) -> None:
        self._check_forward(role, effective_on)
        current = self.roles[role]
        other = self.roles["backup" if role == "primary" else "primary"]
        if current is not None:
            rule = "primary_in_force" if role == "primary" else "backup_in_force"
            hint = " (move a client between managers with a handover)" if role == "primary" else ""
            raise DomainRuleBroken(
                "role",
                rule,
                f"client {self.client_id} already has {current.manager_id} as {role} since "
                f"{current.effective_on}{hint}",
                role,
            )
        if other is not None and other.manager_id == manager_id:
            rule = (
                "backup_cannot_become_primary" if role == "primary" else "same_manager_both_roles"
            )
            raise DomainRuleBroken(
                "manager_id",
                rule,
                f"{manager_id} already holds the other role for client {self.client_id}; "
                "primary and backup must be different managers"
                + (
                    " and the backup becomes primary only through a handover"
                    if role == "primary"
                    else ""
                ),
                manager_id,
            )

    @event("Assigned")
    def _assigned(
        self, manager_id: str, role: str, origin: str, effective_on: date, message_id: str
    ) -> None:
        self.roles[role] = Holding(manager_id, origin, effective_on)
        self.last_change[role] = effective_on
        if role == "primary" and (
            self.first_served_on is None or effective_on < self.first_served_on
        ):
            self.first_served_on = effective_on

    def release(self, manager_id: str, role: str, effective_on: date, message_id: str) -> None:
        """End ``role``: only the manager holding it can be released from it, forward in
        time, and not the primary of a client in an open handover."""
        self._check_release(manager_id, role, effective_on)
        self._released(manager_id, role, effective_on, message_id)

    def _check_release(self, manager_id: str, role: str, effective_on: date) -> None:
        current = self.roles[role]
        if current is None or current.manager_id != manager_id:
            holder = current.manager_id if current else "nobody"
            raise DomainRuleBroken(
                "manager_id",
                "not_holding_role",
                f"{manager_id} is not client {self.client_id}'s {role} (held by {holder})",
                manager_id,
            )
        self._check_forward(role, effective_on)
        if role == "primary" and self.open_handover is not None:
            raise DomainRuleBroken(
                "client_id",
                "in_open_handover",
                f"client {self.client_id} is in open handover {self.open_handover}",
                self.client_id,
            )

    @event("Released")
    def _released(self, manager_id: str, role: str, effective_on: date, message_id: str) -> None:
        self.roles[role] = None
        self.last_change[role] = effective_on

    # -- handovers -------------------------------------------------------------------

    def _check_primary_is(self, manager_id: str, field: str) -> None:
        # Every client of a handover has the outgoing manager as primary. Raised as a
        # missing dependency: from Kafka, the assignment that makes the outgoing
        # manager primary may still be on its way on another topic, so the handover
        # is held and retried before it is dead-lettered.
        current = self.primary
        if current is None or current.manager_id != manager_id:
            holder = current.manager_id if current else "nobody"
            raise DependencyMissing(
                field,
                "not_primary_of_outgoing",
                f"client {self.client_id}'s primary is {holder}, not the outgoing manager {manager_id}",
                self.client_id,
            )

    def check_enter_handover(self, from_manager_id: str, opened_on: date, field: str) -> None:
        """Whether the client may enter a handover opened on ``opened_on``: the outgoing
        manager is its primary in force on that date, and it is in no other open
        handover. A handover checks every client before any enters it (errors name
        ``field``)."""
        self._check_primary_is(from_manager_id, field)
        assert self.primary is not None
        if self.primary.effective_on > opened_on:
            raise DomainRuleBroken(
                field,
                "not_primary_of_outgoing",
                f"client {self.client_id}'s primary {from_manager_id} is in force only from "
                f"{self.primary.effective_on}, after the opening on {opened_on}",
                self.client_id,
            )
        if self.open_handover is not None:
            raise DomainRuleBroken(
                field,
                "in_open_handover",
                f"client {self.client_id} is already in open handover {self.open_handover}",
                self.client_id,
            )

    def enter_handover(
        self, handover_id: str, from_manager_id: str, opened_on: date, field: str
    ) -> None:
        """Enter handover ``handover_id`` (see ``check_enter_handover``)."""
        self.check_enter_handover(from_manager_id, opened_on, field)
        self._entered_handover(handover_id, opened_on)

    @event("EnteredHandover")
    def _entered_handover(self, handover_id: str, opened_on: date) -> None:
        self.open_handover = handover_id

    def check_hand_over(
        self, from_manager_id: str, to_manager_id: str, filed_on: date, field: str
    ) -> None:
        """Whether the client may be handed over on ``filed_on``: the outgoing manager
        is still its primary, and the roles that change (the primary, and the backup if
        the incoming manager held it) change forward in time. A filing checks every
        client before any is handed over (errors name ``field``)."""
        self._check_primary_is(from_manager_id, field)
        self._check_forward("primary", filed_on, "filed_on")
        if self._is_backup(to_manager_id):
            self._check_forward("backup", filed_on, "filed_on")

    def hand_over(
        self, handover_id: str, from_manager_id: str, to_manager_id: str, filed_on: date, field: str
    ) -> bool:
        """Move the primary to the incoming manager on filing (see ``check_hand_over``).
        Returns whether the incoming manager's backup role ended with it, which the
        managers' books follow."""
        self.check_hand_over(from_manager_id, to_manager_id, filed_on, field)
        backup_ended = self._is_backup(to_manager_id)
        self._handed_over(handover_id, from_manager_id, to_manager_id, filed_on, backup_ended)
        return backup_ended

    def _is_backup(self, manager_id: str) -> bool:
        backup = self.backup
        return backup is not None and backup.manager_id == manager_id

    @event("HandedOver")
    def _handed_over(
        self,
        handover_id: str,
        from_manager_id: str,
        to_manager_id: str,
        filed_on: date,
        backup_ended: bool,
    ) -> None:
        """On filing the primary moves to the incoming manager, origin inherited; if the
        incoming manager was the backup, the backup role ends on the filing date."""
        self.roles["primary"] = Holding(to_manager_id, "inherited", filed_on)
        self.last_change["primary"] = filed_on
        if backup_ended:
            self.roles["backup"] = None
            self.last_change["backup"] = filed_on
        self.open_handover = None
