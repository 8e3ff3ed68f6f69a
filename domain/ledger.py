"""The ledger application: one method per command, applied in batches.

``apply_batch`` runs messages in order inside one unit of work and saves every
resulting event in one atomic transaction (optionally with a tracking position, for
the Kafka consumer). A message that breaks a rule is answered with its error and
leaves no trace; the messages next to it are still applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Tracking

from domain import account_commands, workflows
from domain import messages as m
from domain.access_log import AccessEntry
from domain.account import Account
from domain.client import Client
from domain.content_hash import content_hash
from domain.errors import Conflict, DomainRuleBroken, RuleBroken
from domain.facts import MESSAGE_KIND, Activity, Adjustment, BalanceReport, Posting
from domain.handover import Handover
from domain.loan import Loan
from domain.manager import Manager
from domain.plans_in_force import require_plan_for_month
from domain.registry import Period, Plan, Receipt
from domain.retry_policy import is_retryable
from domain.seal import Sealer, SealLog, append_seal
from domain.transcodings import DateAsISO, GradeTermsAsDict, ReusedJSONEncoder
from domain.unit_of_work import UnitOfWork
from domain.values import month_bounds

APPLIED = "applied"
DUPLICATE = "duplicate"
REJECTED = "rejected"
HELD = "held"  # from Kafka: a rule broken for now, or an earlier message of the same key is held


@attrs.frozen
class Outcome:
    """What became of one message: applied, duplicate, or rejected with its error."""

    status: str
    error: RuleBroken | None = None


# Outcomes without an error are all alike (and frozen): one of each serves every message.
_APPLIED = Outcome(APPLIED)
_DUPLICATE = Outcome(DUPLICATE)


# Messages that create an aggregate keyed by their own id: that aggregate is the
# receipt, so they can be stored without loading anything (optimistically).
# Every message id names one aggregate in one namespace (MESSAGE_KIND): a fact, or the
# receipt of any other message. So an id is unique across all message types.
FACT_CLASSES: dict[type[m.Message], type[Aggregate]] = {
    m.PostingBooked: Posting,
    m.BalanceReported: BalanceReport,
    m.ActivityRecorded: Activity,
    m.AdjustmentRecorded: Adjustment,
}


class _BatchCorrupted(Exception):
    """A failing command changed an aggregate before raising: the batch is redone."""

    def __init__(self, index: int, error: RuleBroken) -> None:
        self.index = index
        self.error = error


class Ledger(Application[UUID]):
    """rmledger's write side: every message becomes immutable events."""

    name = "rmledger"
    # The library opens POSTGRES_POOL_SIZE connections (its default is 5) when a ledger
    # opens, and keeps them. With every command, test and server process holding five
    # idle connections, a busy host ran out of the server's max_connections; a pool
    # then fails after 30 s with "couldn't get a connection". So one connection is kept,
    # and up to POSTGRES_MAX_OVERFLOW more are opened on demand. The environment and
    # the ``env`` argument override this.
    env = {"POSTGRES_POOL_SIZE": "1"}

    def __init__(self, env: dict[str, str] | None = None, sealer: Sealer | None = None) -> None:
        super().__init__(env)
        # The seal key(s), handed in by whoever opens the ledger: without a sealer a
        # close appends no seal (docs/tamper-evidence.md).
        self.sealer = sealer
        if self.repository.cache is not None:
            # Batches are written straight to the recorder (apply_batch), past the
            # library's cache upkeep: a cache would serve aggregates older than the store.
            raise ValueError(
                "AGGREGATE_CACHE_MAXSIZE: the ledger keeps no aggregate cache; unset it"
            )
        self.known_clients: set[str] = set()
        self.known_managers: set[str] = set()
        self._handlers: dict[type[m.Message], Callable[[UnitOfWork, Any, str], None]] = {
            m.PlanPublished: self._plan_published,
            m.ManagerHired: self._manager_hired,
            m.ManagerGradeChanged: self._grade_changed,
            m.DepartureRequested: self._departure_requested,
            m.DepartureApproved: self._departure_approved,
            m.ManagerDeparted: self._departed,
            m.ClientRegistered: self._client_registered,
            m.ClientStageChanged: self._stage_changed,
            m.Assigned: self._assigned,
            m.Released: self._released,
            m.HandoverOpened: self._handover_opened,
            m.HandoverWitnessed: self._handover_witnessed,
            m.HandoverRecordSigned: self._handover_record_signed,
            m.HandoverFiled: self._handover_filed,
            m.PostingBooked: self._posting_booked,
            m.PostingReversed: self._posting_reversed,
            m.ActivityRecorded: self._activity_recorded,
            m.LoanClassified: self._loan_classified,
            m.BalanceReported: self._balance_reported,
            m.AdjustmentRecorded: self._adjustment_recorded,
            m.PeriodClosed: self._period_closed,
            # contract version 2 (domain/workflows.py)
            m.PeriodCloseApproved: partial(workflows.close_approved, self),
            m.BranchRegistered: partial(workflows.branch_registered, self),
            m.PlanAcknowledged: partial(workflows.plan_acknowledged, self),
            m.DisputeOpened: partial(workflows.dispute_opened, self),
            m.DisputeResolved: partial(workflows.dispute_resolved, self),
        }

    # -- infrastructure ---------------------------------------------------------------

    def construct_recorder(self) -> Any:
        # A process recorder stores a tracking position atomically with the events
        # (used by the Kafka consumer to record the offsets it consumed).
        return self.factory.process_recorder()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(GradeTermsAsDict())
        # The same JSON, written without rebuilding the C encoder for every event.
        transcoder.encoder = ReusedJSONEncoder(transcoder._encode_obj)

    def has_aggregate(self, aggregate_uuid: UUID) -> bool:
        """Whether any event of the aggregate is stored (reads one row)."""
        return bool(self.recorder.select_events(aggregate_uuid, limit=1))

    def max_tracking_id(self, source: str) -> int | None:
        """The last position recorded for a tracked source (e.g. a Kafka partition)."""
        return self.recorder.max_tracking_id(source)  # type: ignore[attr-defined, no-any-return]

    # -- applying messages ------------------------------------------------------------

    def apply(self, message: m.Message) -> Outcome:
        """Apply one message in its own transaction."""
        return self.apply_batch([message])[0]

    def apply_batch(
        self,
        messages: Sequence[m.Message],
        tracking: Tracking | None = None,
        extra: Sequence[Aggregate] = (),
        keys: Sequence[str] | None = None,
        before_save: Callable[[list[Outcome]], tuple[list[Aggregate], Tracking | None]]
        | None = None,
    ) -> list[Outcome]:
        """Apply messages in order and store all their events in one transaction.

        ``tracking`` (a consumer's position) and the new aggregates in ``extra`` are
        stored in the same transaction, so position and effects never part. When
        the position and extra aggregates (dead letters) depend on the outcomes,
        ``before_save(outcomes)`` returns them instead; it may be called more than
        once (a batch is redone after an integrity error) and must not keep state.

        With ``keys`` (one per message: the Kafka record key), a message that breaks
        a business rule (``is_retryable``: not an id conflict nor a rule of the
        message alone) is ``held``
        instead of rejected, and so is every later message of the same key, so that
        one entity's messages keep their order while they wait for what another
        topic has not delivered yet. Without keys (``rmledger ingest``: the file's
        order is the order) it is rejected at once, as before.

        Facts keyed by their message id are first stored optimistically; if any of
        them was stored before (an integrity error), the batch is redone with a
        lookup per message, which tells duplicates from conflicts.
        """
        if (
            self.sealer is not None
            and tracking is None
            and keys is None
            and before_save is None
            and not extra
        ):
            # A batch ends at each close, so that its seal follows it whatever the
            # batching: the same messages give the same log from one file or many.
            cut = next(
                (i for i, msg in enumerate(messages[:-1]) if type(msg) is m.PeriodClosed), None
            )
            if cut is not None:
                return self.apply_batch(messages[: cut + 1]) + self.apply_batch(messages[cut + 1 :])
        excluded: dict[int, RuleBroken] = {}
        # Taken once: an aggregate's pending events can be collected only once, and
        # the batch may be run again below.
        extra_events = [event for aggregate in extra for event in aggregate.collect_events()]
        optimistic = True
        conflicts_left = 3  # concurrent writers (two consumers) may collide on a version
        while True:
            uow = UnitOfWork(self, optimistic)
            try:
                outcomes = self._run(uow, messages, excluded, keys)
                more, position = before_save(outcomes) if before_save else ([], tracking)
                uow.events += extra_events
                for aggregate in more:
                    uow.events += aggregate.collect_events()
            except _BatchCorrupted as corrupted:
                excluded[corrupted.index] = corrupted.error
                continue
            # Straight to the recorder, in one transaction with the tracking position:
            # Application._record would also build a Recording and a Notification per
            # event for its followers, which a ledger has none of (and its repository
            # keeps no cache to update).
            stored = [self.mapper.to_stored_event(event) for event in uow.events]
            try:
                self.recorder.insert_events(stored, tracking=position)
            except IntegrityError:
                if not optimistic:
                    conflicts_left -= 1
                    if conflicts_left == 0:
                        raise
                optimistic = False
                continue
            self.known_clients |= uow.new_clients
            self.known_managers |= uow.new_managers
            closed = [e.period for e in uow.events if type(e) is Period.Closed]  # type: ignore[attr-defined]
            if closed and self.sealer is not None:
                self.seal("close " + ", ".join(closed))
            return outcomes

    def _run(
        self,
        uow: UnitOfWork,
        messages: Sequence[m.Message],
        excluded: dict[int, RuleBroken],
        keys: Sequence[str] | None,
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        held_keys: dict[str, RuleBroken] = {}
        for index, message in enumerate(messages):
            if index in excluded:
                # A command that changed an aggregate before breaking its rule: the
                # batch is redone without it, and it is decided like any other failure.
                error = excluded[index]
                if keys is not None and is_retryable(error):
                    held_keys.setdefault(keys[index], error)
                    outcomes.append(Outcome(HELD, error))
                else:
                    outcomes.append(Outcome(REJECTED, error))
                continue
            if keys is not None and keys[index] in held_keys:
                outcomes.append(Outcome(HELD, held_keys[keys[index]]))
                continue
            uow.begin_message()
            try:
                digest = content_hash(message)
                if self._is_duplicate(uow, message, digest):
                    outcomes.append(_DUPLICATE)
                    continue
                self._handlers[type(message)](uow, message, digest)
                if type(message) not in FACT_CLASSES:
                    uow.add(
                        Receipt(
                            message_id=message.id, message_type=message.TYPE, content_hash=digest
                        )
                    )
                uow.end_message()
                outcomes.append(_APPLIED)
            except RuleBroken as error:
                if uow.changed_by_failed_message():
                    raise _BatchCorrupted(index, error) from error
                if (
                    uow.optimistic
                    and type(message) in FACT_CLASSES
                    and not isinstance(error, Conflict)
                ):
                    # The optimistic path skipped the store lookup; an id already
                    # applied must be told as a duplicate or conflict, not as the rule.
                    stored_hash = uow.fact_hash(message.id, from_store=True)
                    if stored_hash == digest:
                        outcomes.append(_DUPLICATE)
                        continue
                    if stored_hash is not None:
                        error = Conflict(
                            "id",
                            "id_conflict",
                            f"message id {message.id!r} was already applied with different content",
                            message.id,
                        )
                if keys is not None and is_retryable(error):
                    held_keys[keys[index]] = error
                    outcomes.append(Outcome(HELD, error))
                else:
                    outcomes.append(Outcome(REJECTED, error))
        return outcomes

    def _is_duplicate(self, uow: UnitOfWork, message: m.Message, digest: str) -> bool:
        if type(message) in FACT_CLASSES:
            stored_hash = uow.fact_hash(message.id)
        else:
            stored = uow.get(Aggregate, MESSAGE_KIND, message.id)
            stored_hash = None if stored is None else stored.content_hash  # type: ignore[attr-defined]
        if stored_hash is None:
            return False
        if stored_hash != digest:
            raise Conflict(
                "id",
                "id_conflict",
                f"message id {message.id!r} was already applied with different content",
                message.id,
            )
        return True

    # -- accounts and the access log (domain/account_commands.py) ----------------------

    def account(self, username: str) -> Account | None:
        """``username``'s account as stored now, or None."""
        return account_commands.find_account(self, username)

    def add_account(
        self,
        username: str,
        role: str,
        manager_id: str | None,
        branch_id: str | None,
        password_hash: str,
        by: str,
        at: datetime | None = None,
    ) -> Account:
        """A new account (docs/rules.md R11.1); ``by`` is who added it."""
        return account_commands.add_account(
            self, username, role, manager_id, branch_id, password_hash, by, at
        )

    def change_role(
        self, username: str, role: str, manager_id: str | None, branch_id: str | None, by: str
    ) -> Account:
        """Grant ``username`` another role or binding."""
        return account_commands.change_role(self, username, role, manager_id, branch_id, by)

    def disable_account(self, username: str, by: str) -> Account:
        """Disable ``username`` for good: no sign-in, no token, no change."""
        return account_commands.disable_account(self, username, by)

    def record_access(self, entry: AccessEntry) -> UUID:
        """Append one access-log record (docs/rules.md R11.3); its id."""
        return account_commands.record_accesses(self, [entry])[0]

    def record_accesses(self, entries: Sequence[AccessEntry]) -> list[UUID]:
        """Append many access-log records in one transaction; their ids."""
        return account_commands.record_accesses(self, entries)

    def seal(self, reason: str = "on demand") -> SealLog.Sealed:
        """Append a seal covering the log up to its last position (domain/seal.py)."""
        if self.sealer is None:
            raise ValueError("this ledger was opened without a seal key")
        return append_seal(self.recorder, self.mapper, self.sealer, reason)

    # -- plans, periods --------------------------------------------------------------

    def _plan_published(self, uow: UnitOfWork, msg: m.PlanPublished, digest: str) -> None:
        if uow.get(Plan, "plan", msg.version) is not None:
            raise DomainRuleBroken(
                "version",
                "plan_version_exists",
                f"plan {msg.version!r} is already published",
                msg.version,
            )
        uow.add(
            Plan(
                msg.version,
                msg.effective_from,
                dict(msg.grades),
                msg.prepay_ratio,
                msg.backup_share,
                dict(msg.activity_values),
                msg.id,
                None if msg.close_approvals is None else list(msg.close_approvals),
                msg.dispute_days,
            )
        )

    def _period_closed(self, uow: UnitOfWork, msg: m.PeriodClosed, digest: str) -> None:
        workflows.require_not_closed(uow, msg.period)
        _, last_day = month_bounds(msg.period)
        if msg.closed_on < last_day:
            raise DomainRuleBroken(
                "closed_on",
                "closed_before_month_end",
                f"{msg.period} cannot be closed on {msg.closed_on}, before its last day {last_day}",
                msg.closed_on.isoformat(),
            )
        # docs/rules.md R3.5: no plan, no statement to issue
        require_plan_for_month(self, uow, msg.period)
        # docs/rules.md R7.5: every role the plan names has signed the month off
        workflows.require_signed_off(self, uow, msg.period)
        if self.sealer is not None:
            self.sealer.signing_key()  # a bad or missing key refuses the close before it is stored
        uow.add(Period(msg.period, msg.closed_on, msg.approved_by, msg.id))

    # -- managers --------------------------------------------------------------------

    def _manager_hired(self, uow: UnitOfWork, msg: m.ManagerHired, digest: str) -> None:
        uow.require_new(Manager, "manager", msg.manager_id, "hired")
        uow.add(Manager(msg.manager_id, msg.name, msg.branch_id, msg.grade, msg.hired_on, msg.id))
        uow.new_managers.add(msg.manager_id)

    def _manager(self, uow: UnitOfWork, manager_id: str, field: str = "manager_id") -> Manager:
        return uow.require(Manager, "manager", manager_id, field)

    def _grade_changed(self, uow: UnitOfWork, msg: m.ManagerGradeChanged, digest: str) -> None:
        self._manager(uow, msg.manager_id).change_grade(
            msg.grade, msg.effective_on, msg.reason, msg.id
        )

    def _departure_requested(self, uow: UnitOfWork, msg: m.DepartureRequested, digest: str) -> None:
        self._manager(uow, msg.manager_id).request_departure(
            msg.kind, msg.requested_on, msg.last_day, msg.id
        )

    def _departure_approved(self, uow: UnitOfWork, msg: m.DepartureApproved, digest: str) -> None:
        self._manager(uow, msg.manager_id).approve_departure(
            msg.approver_id, msg.role, msg.approved_on, msg.id
        )

    def _departed(self, uow: UnitOfWork, msg: m.ManagerDeparted, digest: str) -> None:
        self._manager(uow, msg.manager_id).depart(msg.departed_on, msg.id)

    # -- clients and assignments -----------------------------------------------------

    def _client_registered(self, uow: UnitOfWork, msg: m.ClientRegistered, digest: str) -> None:
        uow.require_new(Client, "client", msg.client_id, "registered")
        uow.add(
            Client(
                msg.client_id,
                msg.kind,
                msg.branch_id,
                msg.registered_on,
                msg.name,
                msg.id_number,
                msg.id,
            )
        )
        uow.new_clients.add(msg.client_id)

    def _client(self, uow: UnitOfWork, client_id: str, field: str = "client_id") -> Client:
        return uow.require(Client, "client", client_id, field)

    def _stage_changed(self, uow: UnitOfWork, msg: m.ClientStageChanged, digest: str) -> None:
        self._client(uow, msg.client_id).change_stage(msg.stage, msg.changed_on, msg.id)

    def _assigned(self, uow: UnitOfWork, msg: m.Assigned, digest: str) -> None:
        client = self._client(uow, msg.client_id)
        manager = self._manager(uow, msg.manager_id)
        manager.check_can_serve(msg.effective_on)
        client.assign(msg.manager_id, msg.role, msg.origin, msg.effective_on, msg.id)
        manager.take_client(msg.client_id, msg.role, msg.origin, msg.effective_on, msg.id)

    def _released(self, uow: UnitOfWork, msg: m.Released, digest: str) -> None:
        client = self._client(uow, msg.client_id)
        manager = self._manager(uow, msg.manager_id)
        client.release(msg.manager_id, msg.role, msg.effective_on, msg.id)
        manager.give_up_client(msg.client_id, msg.role, msg.effective_on, msg.id)

    # -- handovers --------------------------------------------------------------------

    def _handover(self, uow: UnitOfWork, handover_id: str) -> Handover:
        return uow.require(Handover, "handover", handover_id, "handover_id")

    def _handover_opened(self, uow: UnitOfWork, msg: m.HandoverOpened, digest: str) -> None:
        uow.require_new(Handover, "handover", msg.handover_id, "open")
        if msg.from_manager_id == msg.to_manager_id:
            raise DomainRuleBroken(
                "to_manager_id",
                "same_manager",
                "a handover moves clients to a different manager",
                msg.to_manager_id,
            )
        self._manager(uow, msg.from_manager_id, "from_manager_id")
        incoming = self._manager(uow, msg.to_manager_id, "to_manager_id")
        incoming.check_can_serve(msg.opened_on, "to_manager_id", "opened_on")
        clients = [self._client(uow, c, f"client_ids[{i}]") for i, c in enumerate(msg.client_ids)]
        # Every client is checked before any enters: a refused opening changes nothing.
        for i, client in enumerate(clients):
            client.check_enter_handover(msg.from_manager_id, msg.opened_on, f"client_ids[{i}]")
        for i, client in enumerate(clients):
            client.enter_handover(
                msg.handover_id, msg.from_manager_id, msg.opened_on, f"client_ids[{i}]"
            )
        uow.add(
            Handover(
                msg.handover_id,
                msg.from_manager_id,
                msg.to_manager_id,
                list(msg.client_ids),
                msg.reason,
                msg.opened_on,
                msg.id,
            )
        )

    def _handover_witnessed(self, uow: UnitOfWork, msg: m.HandoverWitnessed, digest: str) -> None:
        self._handover(uow, msg.handover_id).witness(
            msg.witness_id, msg.witness_role, msg.witnessed_on, msg.id
        )

    def _handover_record_signed(
        self, uow: UnitOfWork, msg: m.HandoverRecordSigned, digest: str
    ) -> None:
        self._handover(uow, msg.handover_id).sign_record(msg.record_ref, msg.signed_on, msg.id)

    def _handover_filed(self, uow: UnitOfWork, msg: m.HandoverFiled, digest: str) -> None:
        handover = self._handover(uow, msg.handover_id)
        handover.check_file(msg.filed_on)
        outgoing = self._manager(uow, handover.from_manager_id)
        incoming = self._manager(uow, handover.to_manager_id)
        incoming.check_can_serve(msg.filed_on, "handover_id", "filed_on")
        clients = [self._client(uow, c) for c in handover.client_ids]
        # Every client is checked before anything is filed: a refused filing changes nothing.
        for client in clients:
            client.check_hand_over(
                outgoing.manager_id, incoming.manager_id, msg.filed_on, "handover_id"
            )
        handover.file(msg.filed_on, msg.id)
        for client in clients:
            backup_ended = client.hand_over(
                handover.handover_id,
                outgoing.manager_id,
                incoming.manager_id,
                msg.filed_on,
                "handover_id",
            )
            outgoing.give_up_client(client.client_id, "primary", msg.filed_on, handover.handover_id)
            if backup_ended:
                incoming.give_up_client(
                    client.client_id, "backup", msg.filed_on, handover.handover_id
                )
            incoming.take_client(
                client.client_id, "primary", "inherited", msg.filed_on, handover.handover_id
            )

    # -- money and facts --------------------------------------------------------------

    def _posting_booked(self, uow: UnitOfWork, msg: m.PostingBooked, digest: str) -> None:
        uow.require_exists("client", msg.client_id, "client_id")
        uow.add_fact(
            Posting,
            msg.id,
            source_id=msg.id,
            client_id=msg.client_id,
            category=msg.category,
            amount=msg.amount,
            value_date=msg.value_date,
            content_hash=digest,
        )

    def _posting_reversed(self, uow: UnitOfWork, msg: m.PostingReversed, digest: str) -> None:
        uow.require(Posting, MESSAGE_KIND, msg.posting_id, "posting_id", what="posting").reverse(
            msg.reason, msg.id
        )

    def _balance_reported(self, uow: UnitOfWork, msg: m.BalanceReported, digest: str) -> None:
        uow.require_exists("client", msg.client_id, "client_id")
        uow.add_fact(
            BalanceReport,
            msg.id,
            message_id=msg.id,
            client_id=msg.client_id,
            product=msg.product,
            balance=msg.balance,
            as_of=msg.as_of,
            content_hash=digest,
        )

    def _activity_recorded(self, uow: UnitOfWork, msg: m.ActivityRecorded, digest: str) -> None:
        uow.require_exists("manager", msg.manager_id, "manager_id")
        uow.add_fact(
            Activity,
            msg.id,
            message_id=msg.id,
            manager_id=msg.manager_id,
            kind=msg.kind,
            count=msg.count,
            value_date=msg.value_date,
            content_hash=digest,
        )

    def _adjustment_recorded(self, uow: UnitOfWork, msg: m.AdjustmentRecorded, digest: str) -> None:
        uow.require_exists("manager", msg.manager_id, "manager_id")
        # Paid by the month's statement, under its plan.
        require_plan_for_month(self, uow, msg.period)
        if msg.kind == "award" and msg.amount <= 0:
            raise DomainRuleBroken(
                "amount",
                "award_not_positive",
                f"an award must be greater than 0, got {msg.amount}",
                str(msg.amount),
            )
        if msg.kind == "compliance" and msg.amount == 0:
            raise DomainRuleBroken(
                "amount",
                "compliance_zero",
                "a compliance adjustment must not be 0",
                str(msg.amount),
            )
        if msg.kind == "award":
            closed = uow.get(Period, "period", msg.period)
            if closed is not None:
                raise DomainRuleBroken(
                    "period",
                    "period_closed",
                    f"an award for {msg.period} cannot be recorded: the month was closed on {closed.closed_on}",
                    msg.period,
                )
        uow.add_fact(
            Adjustment,
            msg.id,
            message_id=msg.id,
            manager_id=msg.manager_id,
            period=msg.period,
            kind=msg.kind,
            amount=msg.amount,
            reason=msg.reason,
            content_hash=digest,
        )

    def _loan_classified(self, uow: UnitOfWork, msg: m.LoanClassified, digest: str) -> None:
        uow.require_exists("client", msg.client_id, "client_id")
        loan = uow.get(Loan, "loan", msg.loan_id)
        if loan is None:
            loan = Loan(msg.loan_id, msg.client_id)
            uow.add(loan)
        loan.classify(msg.client_id, msg.category, msg.balance, msg.as_of, msg.id)


def apply_all(
    ledger: Ledger, messages: Iterable[m.Message], batch_size: int = 1000
) -> list[Outcome]:
    """Apply messages in batches of ``batch_size``; for tests and small loads."""
    outcomes: list[Outcome] = []
    batch: list[m.Message] = []
    for message in messages:
        batch.append(message)
        if len(batch) >= batch_size:
            outcomes += ledger.apply_batch(batch)
            batch = []
    if batch:
        outcomes += ledger.apply_batch(batch)
    return outcomes
