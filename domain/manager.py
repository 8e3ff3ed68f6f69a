"""The relationship manager: hire, grade changes, departure with three approvals,
the book of clients held (so that departure can be refused without a query), and the
plan versions acknowledged (docs/rules.md R7.7)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import DependencyMissing, DomainRuleBroken
from domain.ids import aggregate_id
from domain.values import APPROVAL_ROLES


class Manager(Aggregate):
    """A relationship manager (客户经理)."""

    @staticmethod
    def create_id(manager_id: str) -> UUID:
        return aggregate_id("manager", manager_id)

    @event("Hired")
    def __init__(
        self,
        manager_id: str,
        name: str,
        branch_id: str,
        grade: str,
        hired_on: date,
        message_id: str,
    ) -> None:
        self.manager_id = manager_id
        self.name = name
        self.branch_id = branch_id
        self.grade = grade
        self.hired_on = hired_on
        self.grade_since = hired_on
        self.departure_kind: str | None = None
        self.requested_on: date | None = None
        self.last_day: date | None = None
        self.approvals: list[tuple[str, str, date]] = []  # (role, approver, approved_on)
        self.departed_on: date | None = None
        # client id -> roles held; kept here so a departure can list every client held
        self.book: dict[str, set[str]] = {}
        # plan version -> the day it was acknowledged (docs/rules.md R7.7)
        self.plans_acknowledged: dict[str, date] = {}

    # -- checks -----------------------------------------------------------------

    def check_can_serve(
        self, effective_on: date, field: str = "manager_id", date_field: str = "effective_on"
    ) -> None:
        """A departed manager can be given no client, nor before being hired."""
        if self.departed_on is not None:
            raise DomainRuleBroken(
                field,
                "manager_departed",
                f"manager {self.manager_id} departed on {self.departed_on} and can be given no client",
                self.manager_id,
            )
        if effective_on < self.hired_on:
            raise DomainRuleBroken(
                date_field,
                "before_hire",
                f"{effective_on} is before manager {self.manager_id} was hired on {self.hired_on}",
                effective_on.isoformat(),
            )

    def _check_not_departed(self) -> None:
        if self.departed_on is not None:
            raise DomainRuleBroken(
                "manager_id",
                "manager_departed",
                f"manager {self.manager_id} departed on {self.departed_on}",
                self.manager_id,
            )

    # -- commands ---------------------------------------------------------------

    def change_grade(self, grade: str, effective_on: date, reason: str, message_id: str) -> None:
        """Promotion or demotion after assessment, effective-dated, forward in time."""
        self._check_not_departed()
        if effective_on < self.grade_since:
            raise DomainRuleBroken(
                "effective_on",
                "not_forward_in_time",
                f"{effective_on} is before the manager's last grade change or hire on {self.grade_since}",
                effective_on.isoformat(),
            )
        if grade == self.grade:
            raise DomainRuleBroken(
                "grade", "grade_unchanged", f"manager {self.manager_id} is already {grade}", grade
            )
        self._grade_changed(grade, effective_on, reason, message_id)

    @event("GradeChanged")
    def _grade_changed(self, grade: str, effective_on: date, reason: str, message_id: str) -> None:
        self.grade = grade
        self.grade_since = effective_on

    def request_departure(
        self, kind: str, requested_on: date, last_day: date, message_id: str
    ) -> None:
        """Resignation, transfer or rotation, with a last working day."""
        self._check_not_departed()
        if self.requested_on is not None:
            raise DomainRuleBroken(
                "manager_id",
                "departure_already_requested",
                f"manager {self.manager_id} already requested departure on {self.requested_on}",
                self.manager_id,
            )
        if requested_on < self.hired_on:
            raise DomainRuleBroken(
                "requested_on",
                "before_hire",
                f"{requested_on} is before the hire on {self.hired_on}",
                requested_on.isoformat(),
            )
        if last_day < requested_on:
            raise DomainRuleBroken(
                "last_day",
                "last_day_before_request",
                f"{last_day} is before the request on {requested_on}",
                last_day.isoformat(),
            )
        self._departure_requested(kind, requested_on, last_day, message_id)

    @event("DepartureRequested")
    def _departure_requested(
        self, kind: str, requested_on: date, last_day: date, message_id: str
    ) -> None:
        self.departure_kind = kind
        self.requested_on = requested_on
        self.last_day = last_day

    def approve_departure(
        self, approver_id: str, role: str, approved_on: date, message_id: str
    ) -> None:
        """Approvals come in order: department head, RM office, HR."""
        self._check_not_departed()
        if self.requested_on is None:
            raise DomainRuleBroken(
                "manager_id",
                "no_departure_request",
                f"manager {self.manager_id} has no departure request to approve",
                self.manager_id,
            )
        done = [r for r, _, _ in self.approvals]
        if role in done:
            raise DomainRuleBroken(
                "role", "already_approved", f"{role} has already approved this departure", role
            )
        expected = APPROVAL_ROLES[len(done)]
        if role != expected:
            raise DomainRuleBroken(
                "role",
                "approval_out_of_order",
                f"{expected} must approve before {role} (order: {', '.join(APPROVAL_ROLES)})",
                role,
            )
        if approver_id == self.manager_id:
            raise DomainRuleBroken(
                "approver_id",
                "self_approval",
                "a manager cannot approve their own departure",
                approver_id,
            )
        earliest = self.approvals[-1][2] if self.approvals else self.requested_on
        if approved_on < earliest:
            raise DomainRuleBroken(
                "approved_on",
                "not_forward_in_time",
                f"{approved_on} is before the request or the previous approval on {earliest}",
                approved_on.isoformat(),
            )
        self._departure_approved(approver_id, role, approved_on, message_id)

    @event("DepartureApproved")
    def _departure_approved(
        self, approver_id: str, role: str, approved_on: date, message_id: str
    ) -> None:
        self.approvals.append((role, approver_id, approved_on))

    def depart(self, departed_on: date, message_id: str) -> None:
        """Departed: only with all three approvals and an empty book."""
        self._check_not_departed()
        missing = [r for r in APPROVAL_ROLES if r not in {a[0] for a in self.approvals}]
        if missing:
            raise DomainRuleBroken(
                "manager_id",
                "approvals_missing",
                f"manager {self.manager_id} lacks the approval of {', '.join(missing)}",
                self.manager_id,
            )
        if self.book:
            # A missing dependency: from Kafka, the handover that empties the book may
            # still be on its way on another topic, so the departure waits for it.
            held = ", ".join(
                f"{client} ({'/'.join(sorted(roles))})"
                for client, roles in sorted(self.book.items())
            )
            raise DependencyMissing(
                "manager_id",
                "clients_still_held",
                f"manager {self.manager_id} still holds {len(self.book)} client(s): {held}",
                self.manager_id,
            )
        last_approval = self.approvals[-1][2]
        if departed_on < last_approval:
            raise DomainRuleBroken(
                "departed_on",
                "before_approval",
                f"{departed_on} is before the last approval on {last_approval}",
                departed_on.isoformat(),
            )
        self._departed(departed_on, message_id)

    @event("Departed")
    def _departed(self, departed_on: date, message_id: str) -> None:
        self.departed_on = departed_on

    def acknowledge_plan(self, version: str, acknowledged_on: date, message_id: str) -> None:
        """The manager acknowledges a plan version, once (the version is checked by the caller)."""
        if version in self.plans_acknowledged:
            raise DomainRuleBroken(
                "version",
                "already_acknowledged",
                f"manager {self.manager_id} already acknowledged plan {version} on "
                f"{self.plans_acknowledged[version]}",
                version,
            )
        self._plan_acknowledged(version, acknowledged_on, message_id)

    @event("PlanAcknowledged")
    def _plan_acknowledged(self, version: str, acknowledged_on: date, message_id: str) -> None:
        self.plans_acknowledged[version] = acknowledged_on

    @event("ClientTaken")
    def take_client(
        self, client_id: str, role: str, origin: str, effective_on: date, reference: str
    ) -> None:
        """Record that this manager now holds ``client_id`` in ``role``; checked by the caller."""
        self.book.setdefault(client_id, set()).add(role)

    @event("ClientGivenUp")
    def give_up_client(self, client_id: str, role: str, effective_on: date, reference: str) -> None:
        """Record that this manager no longer holds ``client_id`` in ``role``."""
        roles = self.book.get(client_id, set())
        roles.discard(role)
        if not roles:
            self.book.pop(client_id, None)
