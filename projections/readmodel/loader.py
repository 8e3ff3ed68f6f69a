"""Follow the event store's notification log into the DuckDB read model.

Pages of notifications are read from the last stored position as Arrow columns
(``projections/readmodel/log_pages.py``), loaded into DuckDB one page per transaction, spread
into the typed tables with ``INSERT … SELECT`` (DuckDB extracts the JSON fields), and
the position reached is stored in the same transaction. A page is cut just after each
``Period.Closed`` event so that the month's statements are issued from exactly the
log prefix up to that event. Reading, cutting, splitting by topic and hashing run on
a second thread while DuckDB loads the page before (``prepare_page``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from domain.account import SECRET_FIELDS
from domain.values import CATEGORIES, DEFAULT_DISPUTE_DAYS
from projections.readmodel import extensions, schema
from projections.readmodel.chain import (
    chain_at,
    chain_head,
    chain_rows_of_page,
    ensure_chain_table,
    insert_chain_rows,
)
from projections.readmodel.duck import connect, loading_threads, threads_set
from projections.readmodel.gc_pause import collector_paused
from projections.readmodel.log_pages import LogPage, read_log_page
from projections.readmodel.seals import SealWalk, seal_walk

PROJECTION = "read_model"
# One page is one transaction. DuckDB stores a table in row groups of 122,880 rows,
# and a transaction that appends a whole row group to a table writes it straight to
# the file, compressed once ("optimistic writes"); smaller appends are merged at
# COMMIT into the table's last, partly filled row group, which is then compressed
# again whole. Pages of exactly one row group give the events table whole row groups
# written once.
# why: docs/decisions.md#page-size
DEFAULT_PAGE_SIZE = 122_880
PERIOD_CLOSED = "domain.registry:Period.Closed"
CLIENT_REGISTERED = "domain.client:Client.Registered"
DEAD_LETTER_RECORDED = "domain.registry:DeadLetter.Recorded"
ACCOUNT_ADDED = "domain.account:Account.Added"
ROLE_CHANGED = "domain.account:Account.RoleChanged"
ACCOUNT_DISABLED = "domain.account:Account.Disabled"
DISPUTE_OPENED = "domain.dispute:Dispute.Opened"
ACCESS_RECORDED = "domain.access_log:AccessRecord.Recorded"

_TS = "CAST(state->>'$.timestamp._data_' AS TIMESTAMPTZ)"


def _s(field: str) -> str:
    return f"(state->>'$.{field}')"


def _d(field: str) -> str:
    """A date field (transcoded as ``{"_type_": "date_iso", "_data_": ...}``)."""
    return f"CAST(state->>'$.{field}._data_' AS DATE)"


def _t(field: str) -> str:
    """A datetime field (``datetime_iso``)."""
    return f"CAST(state->>'$.{field}._data_' AS TIMESTAMPTZ)"


def _m(field: str) -> str:
    """A Decimal field (``decimal_str``)."""
    return f"CAST(state->>'$.{field}._data_' AS DECIMAL(18,2))"


def _key(kind: str) -> str:
    return f"(SELECT key FROM page_keys k WHERE k.originator_id = page.originator_id AND k.kind = '{kind}')"


_CLASS = (
    "CASE "
    + " ".join(f"WHEN {_s('category')} = '{c}' THEN '{k}'" for c, (k, _) in CATEGORIES.items())
    + " END"
)
_SIGN = (
    "CASE "
    + " ".join(f"WHEN {_s('category')} = '{c}' THEN '{s}'" for c, (_, s) in CATEGORIES.items())
    + " END"
)

# (topic, SQL) in dependency order: keys first, filings before client handovers.
_KEYS: dict[str, tuple[str, str]] = {
    "domain.manager:Manager.Hired": ("manager", "manager_id"),
    CLIENT_REGISTERED: ("client", "client_id"),
    "domain.facts:Posting.Booked": ("posting", "source_id"),
    "domain.loan:Loan.Registered": ("loan", "loan_id"),
    "domain.handover:Handover.Opened": ("handover", "handover_id"),
    DISPUTE_OPENED: ("dispute", "dispute_id"),
}

_HEAD = "position, " + _TS
# A client's identity number is kept as its last 4 characters only when it is longer
# than 8 (domain.errors.mask); a shorter one as '' (shown as ``****``).
_LAST4 = f"CASE WHEN length({_s('id_number')}) > 8 THEN right({_s('id_number')}, 4) ELSE '' END"

TYPED: list[tuple[str, str]] = [
    (
        "domain.registry:Plan.Published",
        f"""
        INSERT INTO plans SELECT {_HEAD}, {_s("version")}, {_d("effective_from")}, g,
          CAST(json_extract_string(state, '$.grades.' || g || '._data_.base_salary') AS DECIMAL(18,2)),
          CAST(json_extract_string(state, '$.grades.' || g || '._data_.post_salary') AS DECIMAL(18,2)),
          CAST(json_extract_string(state, '$.grades.' || g || '._data_.commission_per_10k') AS DECIMAL(18,2)),
          CAST(json_extract_string(state, '$.grades.' || g || '._data_.coefficient') AS DECIMAL(18,6)),
          CAST(state->>'$.prepay_ratio._data_' AS DECIMAL(18,6)),
          CAST(state->>'$.backup_share._data_' AS DECIMAL(18,6))
        FROM page, unnest(json_keys(state, '$.grades')) AS t(g) WHERE topic = ?""",
    ),
    (
        "domain.registry:Plan.Published",
        f"""
        INSERT INTO plan_activity_values SELECT {_HEAD}, {_s("version")}, {_d("effective_from")}, a,
          CAST(json_extract_string(state, '$.activity_values.' || a || '._data_') AS DECIMAL(18,2))
        FROM page, unnest(json_keys(state, '$.activity_values')) AS t(a) WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.Hired",
        f"""
        INSERT INTO managers SELECT {_HEAD}, {_s("manager_id")}, {_s("name")}, {_s("branch_id")},
          {_s("grade")}, {_d("hired_on")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.GradeChanged",
        f"""
        INSERT INTO grade_changes SELECT {_HEAD}, {_key("manager")}, {_s("grade")}, {_d("effective_on")},
          {_s("reason")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.DepartureRequested",
        f"""
        INSERT INTO departure_requests SELECT {_HEAD}, {_key("manager")}, {_s("kind")},
          {_d("requested_on")}, {_d("last_day")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.DepartureApproved",
        f"""
        INSERT INTO departure_approvals SELECT {_HEAD}, {_key("manager")}, {_s("approver_id")},
          {_s("role")}, {_d("approved_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.Departed",
        f"""
        INSERT INTO departures SELECT {_HEAD}, {_key("manager")}, {_d("departed_on")}, {_s("message_id")}
        FROM page WHERE topic = ?""",
    ),
    (
        CLIENT_REGISTERED,
        f"""
        INSERT INTO clients SELECT {_HEAD}, {_s("client_id")}, {_s("kind")}, {_s("branch_id")},
          {_d("registered_on")}, {_s("name")}, {_LAST4} FROM page WHERE topic = ?""",
    ),
    (
        "domain.client:Client.StageChanged",
        f"""
        INSERT INTO stage_changes SELECT {_HEAD}, {_key("client")}, {_s("stage")}, {_d("changed_on")},
          {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.client:Client.Assigned",
        f"""
        INSERT INTO assignment_changes SELECT {_HEAD}, {_key("client")}, {_s("manager_id")}, {_s("role")},
          {_s("origin")}, {_d("effective_on")}, 'assigned', NULL, {_s("message_id")}
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.client:Client.Released",
        f"""
        INSERT INTO assignment_changes SELECT {_HEAD}, {_key("client")}, {_s("manager_id")}, {_s("role")},
          NULL, {_d("effective_on")}, 'released', NULL, {_s("message_id")}
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.handover:Handover.Opened",
        f"""
        INSERT INTO handovers SELECT {_HEAD}, {_s("handover_id")}, {_s("from_manager_id")},
          {_s("to_manager_id")}, {_s("reason")}, {_d("opened_on")}, {_s("message_id")}
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.handover:Handover.Opened",
        f"""
        INSERT INTO handover_clients SELECT {_HEAD}, {_s("handover_id")}, c
        FROM page, unnest(CAST(json_extract(state, '$.client_ids') AS VARCHAR[])) AS t(c) WHERE topic = ?""",
    ),
    (
        "domain.handover:Handover.Witnessed",
        f"""
        INSERT INTO handover_witnesses SELECT {_HEAD}, {_key("handover")}, {_s("witness_id")},
          {_s("witness_role")}, {_d("witnessed_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.handover:Handover.RecordSigned",
        f"""
        INSERT INTO handover_records SELECT {_HEAD}, {_key("handover")}, {_s("record_ref")},
          {_d("signed_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.handover:Handover.Filed",
        f"""
        INSERT INTO handover_filings SELECT {_HEAD}, {_key("handover")}, {_d("filed_on")},
          {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.client:Client.HandedOver",
        f"""
        INSERT INTO assignment_changes
        WITH h AS (
          SELECT position, {_TS} AS recorded_at, {_key("client")} AS client_id,
            {_s("handover_id")} AS handover_id,
            {_s("from_manager_id")} AS from_id, {_s("to_manager_id")} AS to_id, {_d("filed_on")} AS filed_on,
            CAST(state->>'$.backup_ended' AS BOOLEAN) AS backup_ended
          FROM page WHERE topic = ?),
        hf AS (SELECT h.*, f.message_id FROM h LEFT JOIN handover_filings f USING (handover_id))
        SELECT position, recorded_at, client_id, from_id, 'primary', NULL, filed_on, 'handover_out',
          handover_id, message_id FROM hf
        UNION ALL
        SELECT position, recorded_at, client_id, to_id, 'primary', 'inherited', filed_on, 'handover_in',
          handover_id, message_id FROM hf
        UNION ALL
        SELECT position, recorded_at, client_id, to_id, 'backup', NULL, filed_on, 'backup_ended',
          handover_id, message_id FROM hf WHERE backup_ended""",
    ),
    (
        "domain.facts:Posting.Booked",
        f"""
        INSERT INTO postings SELECT position, CAST(l[1] AS TIMESTAMPTZ), l[2], l[3], l[4],
          {_CLASS.replace(_s("category"), "l[4]")}, {_SIGN.replace(_s("category"), "l[4]")},
          CAST(l[5] AS DECIMAL(18,2)), CAST(l[6] AS DATE)
        FROM (SELECT position, json_extract_string(state, ['$.timestamp._data_', '$.source_id',
          '$.client_id', '$.category', '$.amount._data_', '$.value_date._data_']) AS l
          FROM page WHERE topic = ?)""",
    ),
    (
        "domain.facts:Posting.Reversed",
        f"""
        INSERT INTO reversals SELECT {_HEAD}, {_key("posting")}, {_s("reason")}, {_s("message_id")}
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.facts:BalanceReport.Reported",
        """
        INSERT INTO balances SELECT position, CAST(l[1] AS TIMESTAMPTZ), l[2], l[3], l[4],
          CAST(l[5] AS DECIMAL(18,2)), CAST(l[6] AS DATE)
        FROM (SELECT position, json_extract_string(state, ['$.timestamp._data_', '$.message_id',
          '$.client_id', '$.product', '$.balance._data_', '$.as_of._data_']) AS l
          FROM page WHERE topic = ?)""",
    ),
    (
        "domain.facts:Activity.Recorded",
        f"""
        INSERT INTO activities SELECT {_HEAD}, {_s("message_id")}, {_s("manager_id")}, {_s("kind")},
          CAST(state->>'$.count' AS INTEGER), {_d("value_date")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.facts:Adjustment.Recorded",
        f"""
        INSERT INTO adjustments SELECT {_HEAD}, {_s("message_id")}, {_s("manager_id")}, {_s("period")},
          {_s("kind")}, {_m("amount")}, {_s("reason")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.loan:Loan.Classified",
        f"""
        INSERT INTO loan_classifications SELECT page.position, {_TS}, k.key, k.client_id, {_s("category")},
          {_m("balance")}, {_d("as_of")}, {_s("message_id")}
        FROM page JOIN page_keys k ON k.originator_id = page.originator_id AND k.kind = 'loan'
        WHERE topic = ?""",
    ),
    # Accounts and role grants (docs/rules.md R11.1). Within a part, the statements of
    # one topic run after those of the topics above them, and an account's events come
    # in this order too (added, then role changes, then at most one disabling), so each
    # change ends the grant left open before it.
    (
        ACCOUNT_ADDED,
        f"""
        INSERT INTO accounts SELECT {_HEAD}, {_s("username")}, {_s("role")}, {_s("manager_id")},
          {_s("branch_id")}, {_s("by")}, {_t("at")}, NULL, NULL, NULL, NULL, NULL FROM page WHERE topic = ?""",
    ),
    (
        ACCOUNT_ADDED,
        f"""
        INSERT INTO role_grants SELECT {_HEAD}, {_s("username")}, {_s("role")}, {_s("manager_id")},
          {_s("branch_id")}, {_s("by")}, NULL, NULL, NULL, NULL FROM page WHERE topic = ?""",
    ),
    (
        ROLE_CHANGED,
        f"""
        UPDATE role_grants g SET to_position = c.position, to_recorded_at = c.ts, ended_by = c.actor,
          ended_how = 'role_changed'
        FROM (SELECT position, {_TS} AS ts, {_s("username")} AS username, {_s("by")} AS actor
              FROM page WHERE topic = ?
              QUALIFY row_number() OVER (PARTITION BY username ORDER BY position) = 1) c
        WHERE g.username = c.username AND g.to_position IS NULL""",
    ),
    (
        ROLE_CHANGED,
        f"""
        INSERT INTO role_grants SELECT position, ts, username, role, manager_id, branch_id, actor,
          lead(position) OVER w, lead(ts) OVER w, lead(actor) OVER w,
          CASE WHEN lead(position) OVER w IS NOT NULL THEN 'role_changed' END
        FROM (SELECT position, {_TS} AS ts, {_s("username")} AS username, {_s("role")} AS role,
                {_s("manager_id")} AS manager_id, {_s("branch_id")} AS branch_id, {_s("by")} AS actor
              FROM page WHERE topic = ?)
        WINDOW w AS (PARTITION BY username ORDER BY position)""",
    ),
    (
        ROLE_CHANGED,
        f"""
        UPDATE accounts a SET role = c.role, manager_id = c.manager_id, branch_id = c.branch_id,
          changed_position = c.position, changed_at = c.ts, changed_by = c.actor
        FROM (SELECT position, {_TS} AS ts, {_s("username")} AS username, {_s("role")} AS role,
                {_s("manager_id")} AS manager_id, {_s("branch_id")} AS branch_id, {_s("by")} AS actor
              FROM page WHERE topic = ?
              QUALIFY row_number() OVER (PARTITION BY username ORDER BY position DESC) = 1) c
        WHERE a.username = c.username""",
    ),
    (
        ACCOUNT_DISABLED,
        f"""
        UPDATE role_grants g SET to_position = c.position, to_recorded_at = c.ts, ended_by = c.actor,
          ended_how = 'disabled'
        FROM (SELECT position, {_TS} AS ts, {_s("username")} AS username, {_s("by")} AS actor
              FROM page WHERE topic = ?) c
        WHERE g.username = c.username AND g.to_position IS NULL""",
    ),
    (
        ACCOUNT_DISABLED,
        f"""
        UPDATE accounts a SET disabled_at = c.ts, disabled_by = c.actor
        FROM (SELECT {_TS} AS ts, {_s("username")} AS username, {_s("by")} AS actor
              FROM page WHERE topic = ?) c
        WHERE a.username = c.username""",
    ),
    (
        ACCESS_RECORDED,
        f"""
        INSERT INTO access_log SELECT {_HEAD}, originator_id, {_s("username")}, {_s("action")},
          {_s("target")}, {_s("outcome")}, {_s("reason")}, {_t("at")} FROM page WHERE topic = ?""",
    ),
    # Contract version 2. A plan published before it has no settings: the defaults.
    (
        "domain.registry:Plan.Published",
        f"""
        INSERT INTO plan_settings SELECT {_HEAD}, {_s("version")}, {_d("effective_from")},
          coalesce(CAST(json_extract(state, '$.close_approvals') AS VARCHAR[]), []::VARCHAR[]),
          coalesce(CAST(state->>'$.dispute_days' AS INTEGER), {DEFAULT_DISPUTE_DAYS})
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.branch:Branch.Registered",
        f"""
        INSERT INTO branches SELECT {_HEAD}, {_s("branch_id")}, {_s("name")}, {_s("parent_branch_id")},
          {_d("registered_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.sign_off:MonthSignOff.Signed",
        f"""
        INSERT INTO period_approvals SELECT {_HEAD}, {_s("period")}, {_s("role")}, {_s("approver_id")},
          {_d("approved_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        "domain.manager:Manager.PlanAcknowledged",
        f"""
        INSERT INTO plan_acknowledgements SELECT {_HEAD}, {_key("manager")}, {_s("version")},
          {_d("acknowledged_on")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
    (
        DISPUTE_OPENED,
        f"""
        INSERT INTO disputes SELECT {_HEAD}, {_s("dispute_id")}, {_s("manager_id")}, {_s("period")},
          {_s("posting_id")}, {_s("claim")}, {_d("opened_on")}, NULL, NULL, NULL, NULL, NULL, position, NULL
        FROM page WHERE topic = ?""",
    ),
    (
        "domain.dispute:Dispute.Resolved",
        f"""
        UPDATE disputes d SET outcome = r.outcome, amount = r.amount, reason = r.reason,
          resolved_by = r.resolved_by, resolved_on = r.resolved_on, resolved_position = r.position
        FROM (SELECT position, {_key("dispute")} AS dispute_id, {_s("outcome")} AS outcome,
                {_m("amount")} AS amount, {_s("reason")} AS reason, {_s("resolved_by")} AS resolved_by,
                {_d("resolved_on")} AS resolved_on
              FROM page WHERE topic = ?) r
        WHERE d.dispute_id = r.dispute_id""",
    ),
    (
        PERIOD_CLOSED,
        f"""
        INSERT INTO periods_closed SELECT {_HEAD}, {_s("period")}, {_d("closed_on")},
          {_s("approved_by")}, {_s("message_id")} FROM page WHERE topic = ?""",
    ),
]

# The topics that some loading statement reads by topic.
LOADED_TOPICS = frozenset(_KEYS) | {topic for topic, _ in TYPED}

_KEY_SQL = """
    INSERT INTO aggregate_keys
    SELECT originator_id, ?, json_extract_string(state, ?),
      json_extract_string(state, '$.client_id'), position
    FROM page WHERE topic = ? AND originator_version = 1"""

# The read model never holds an identity number (docs/rules.md R4.2): a client's is
# removed from its registration, and a dead letter's original message bytes (which
# may be a client registration) are withheld, as on the rmledger.events topic. Nor a
# password hash (domain.account.SECRET_FIELDS): auditors read the events table.
_SECRETS_REMOVED = json.dumps(dict.fromkeys(SECRET_FIELDS))
_EVENTS_SQL = f"""
    INSERT INTO events SELECT position, originator_id, originator_version, topic, {_TS},
      CASE WHEN topic = '{CLIENT_REGISTERED}'
           THEN CAST(json_merge_patch(state, '{{"id_number":null}}') AS VARCHAR)
           WHEN topic = '{DEAD_LETTER_RECORDED}'
           THEN CAST(json_merge_patch(state, '{{"value_b64":null}}') AS VARCHAR)
           WHEN topic = '{ACCOUNT_ADDED}'
           THEN CAST(json_merge_patch(state, '{_SECRETS_REMOVED}') AS VARCHAR)
           ELSE state END
    FROM log_part"""


def state_decoder(ledger: Any) -> Callable[[bytes], str] | None:
    """How to turn a stored state into JSON text: ``None`` when it is stored as plain
    JSON (then SQLite hands it over as text and Arrow only checks it is UTF-8)."""
    mapper = ledger.mapper
    cipher, compressor = getattr(mapper, "cipher", None), getattr(mapper, "compressor", None)
    if cipher is None and compressor is None:
        return None

    def decode(state: bytes) -> str:
        if cipher is not None:
            state = cipher.decrypt(state)
        if compressor is not None:
            state = compressor.decompress(state)
        return state.decode()

    return decode


@dataclass
class Part:
    """A stretch of a page loaded together: up to and including a ``Period.Closed``
    event (whose month's statements are issued right after it), or the rest."""

    table: pa.Table  # log order, the state as JSON text
    by_topic: dict[str, pa.Table]  # the rows of each topic some loading statement reads

    @property
    def closes_period(self) -> bool:
        return bool(self.table.column("topic")[-1].as_py() == PERIOD_CLOSED)

    def last_position(self) -> int:
        return int(self.table.column("position")[-1].as_py())


@dataclass
class Prepared:
    """A page of notifications made ready for DuckDB: its parts, split by topic, and
    the hash-chain rows that extend the chain from its head before the page."""

    parts: list[Part]
    last_id: int
    chain_rows: pa.Table | None
    chain_head: tuple[int, str]


def prepare_page(
    page: LogPage,
    decode: Callable[[bytes], str] | None,
    head: tuple[int, str],
    walk: SealWalk | None = None,
    emit_after: int | None = None,
) -> Prepared:
    """Everything about a page that needs Python or Arrow but not DuckDB: it runs on
    the reading thread, while DuckDB loads the page before. The page is compared with
    the seals first (``walk``): one that fails them raises ``LogTampered`` here, so
    nothing of it is loaded."""
    stored = page.table.column("state")
    text = (
        stored.cast(pa.string())
        if decode is None
        else pa.array([decode(state) for state in stored.to_pylist()], pa.string())
    )
    table = page.table.set_column(4, pa.field("state", pa.string()), text)
    rows, new_head = chain_rows_of_page(page, head, walk, emit_after)
    return Prepared(_parts(table), page.last_position(), rows, new_head)


def _parts(table: pa.Table) -> list[Part]:
    """``table`` cut just after each ``Period.Closed`` event, each part split by topic.

    The topic column is dictionary-encoded once, so that cutting and splitting compare
    small integers instead of topic strings (a page of 100,000 was split four times
    faster), and each typed INSERT then reads only its own topic's rows instead of
    ~30 statements each scanning the whole part."""
    encoded = pc.dictionary_encode(table.column("topic")).combine_chunks()
    codes, names = encoded.indices, encoded.dictionary.to_pylist()
    ends = []
    if PERIOD_CLOSED in names:
        closes = pc.indices_nonzero(pc.equal(codes, names.index(PERIOD_CLOSED)))
        ends = [int(i) + 1 for i in closes.to_pylist()]
    if not ends or ends[-1] != table.num_rows:
        ends.append(table.num_rows)
    parts, start = [], 0
    for end in ends:
        part, part_codes = table.slice(start, end - start), codes.slice(start, end - start)
        by_topic = {
            names[code]: part.filter(pc.equal(part_codes, code))
            for code in pc.unique(part_codes).to_pylist()
            if names[code] in LOADED_TOPICS
        }
        parts.append(Part(part, by_topic))
        start = end
    return parts


class ReadModel:
    """The DuckDB read model at ``path`` (a file, or ``:memory:``)."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        # What the last close this object loaded keeps for the next one: monthly
        # aggregates and pay rules' running states (projections/readmodel/kept_aggregates.py,
        # projections/pay/kept.py); never shared with another process.
        self._kept: object = None  # the close action's state (extensions.run_close)
        self.conn = connect(self.path, read_only=read_only)
        if not read_only:
            # DuckDB's own checkpoint threshold (16 MiB) is kept: every page's commit
            # then checkpoints, skipping the WAL for a write that large
            # (auto_checkpoint_skip_wal_threshold), and the read model stays compact.
            # why: docs/decisions.md#checkpoint-threshold
            self._create()

    def _create(self) -> None:
        """Tables, the tamper-evidence chain, the auditors' views and the tier macros
        (stored in the file, so that ``rmledger sql`` finds them read-only)."""
        from projections.readmodel.meta import stamp

        schema.create_all(self.conn)
        stamp(self.conn)
        ensure_chain_table(self.conn)
        extensions.install_all(self.conn)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> ReadModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- position -------------------------------------------------------------------

    def position(self) -> int:
        """The last notification id loaded (0 when empty)."""
        row = self.conn.execute(
            "SELECT position FROM projection_state WHERE name = ?", [PROJECTION]
        ).fetchone()
        return int(row[0]) if row else 0

    # -- following the log ----------------------------------------------------------

    def catch_up(
        self,
        ledger: Any,
        page_size: int = DEFAULT_PAGE_SIZE,
        stop: int | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> int:
        """Load every notification after the stored position (up to ``stop``); return
        the position reached. Each page is one DuckDB transaction; ``on_page`` (a
        progress bar's) is called with the position stored after each.

        A second thread reads the next page from the event store, turns it into Arrow
        columns and extends the hash chain, while DuckDB (which releases the GIL)
        loads the current page: reading, hashing and loading overlap. Meanwhile Python's
        cyclic garbage collector is paused (``projections/readmodel/gc_pause.py``) and DuckDB
        leaves the reading thread a core (``projections.readmodel.duck.loading_threads``)."""
        decode = state_decoder(ledger)
        last = self.position()
        # The chain is computed from the read model's position on, even where
        # log_chain already holds it (a rebuild that kept it): the seals are compared
        # with the log as it is now. Rows are stored only past log_chain's head.
        chain = chain_at(self.conn, last)
        emit_after = chain_head(self.conn)[0]
        walk = seal_walk(ledger, last, chain[1])

        def read(after: int) -> Prepared | None:
            nonlocal chain
            limit = page_size if stop is None else min(page_size, stop - after)
            if limit <= 0:
                return None
            page = read_log_page(
                ledger.recorder, after, limit, stop, states_are_text=decode is None
            )
            if not page:
                return None
            prepared = prepare_page(page, decode, chain, walk, emit_after)
            chain = prepared.chain_head
            return prepared

        with (
            collector_paused(),
            threads_set(self.conn, loading_threads()),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-log") as reader,
        ):
            prepared = read(last)
            while prepared is not None:
                following = reader.submit(read, prepared.last_id)
                self._load_prepared(prepared)
                last = prepared.last_id
                if on_page is not None:
                    on_page(last)
                prepared = following.result()
        return last

    def _load_prepared(self, prepared: Prepared) -> None:
        """Load a page and store its last id, in one transaction."""
        conn = self.conn
        conn.execute("BEGIN TRANSACTION")
        try:
            for part in prepared.parts:
                self._load_part(part)
                if part.closes_period:
                    self._issue(part.last_position())
            # The hash chain over the raw stored events, in the same transaction.
            insert_chain_rows(conn, prepared.chain_rows)
            conn.execute(
                "INSERT OR REPLACE INTO projection_state VALUES (?, ?)",
                [PROJECTION, prepared.last_id],
            )
            conn.execute("COMMIT")
        except BaseException:
            # Forgotten first: it may count rows being rolled back, and ROLLBACK itself
            # raises when a failed COMMIT has already rolled the transaction back.
            self._kept = None
            conn.execute("ROLLBACK")
            raise

    def _load_part(self, part: Part) -> None:
        conn = self.conn
        by_topic = part.by_topic
        try:
            conn.register("log_part", part.table)
            conn.execute(_EVENTS_SQL)
            for topic, (kind, field) in _KEYS.items():
                if topic in by_topic:
                    conn.register("page", by_topic[topic])
                    conn.execute(_KEY_SQL, [kind, f"$.{field}", topic])
            # The keys of the aggregates this part's later events belong to: one
            # look-up in aggregate_keys per part, not one per table.
            conn.execute(
                "CREATE TEMP TABLE page_keys AS SELECT k.originator_id, k.kind, k.key, k.client_id "
                "FROM aggregate_keys k SEMI JOIN log_part p ON p.originator_id = k.originator_id "
                "AND p.originator_version > 1"
            )
            for topic, sql in TYPED:
                if topic in by_topic:
                    conn.register("page", by_topic[topic])
                    conn.execute(sql, [topic])
        finally:
            for name in ("log_part", "page"):
                with contextlib.suppress(duckdb.Error):
                    conn.unregister(name)
            conn.execute("DROP TABLE IF EXISTS page_keys")

    def _issue(self, closing_position: int) -> None:
        period = self.conn.execute(
            "SELECT period FROM periods_closed WHERE position = ?", [closing_position]
        ).fetchone()
        assert period is not None
        # Issuing runs DuckDB on every core again: the attribution SQL's joins and
        # windows gain more from a second thread than the reading thread loses.
        # why: docs/decisions.md#issuing-threads
        with threads_set(self.conn, os.cpu_count() or 1):
            self._kept = extensions.run_close(self.conn, period[0], closing_position, self._kept)

    # -- rebuild --------------------------------------------------------------------

    def drop(self) -> None:
        """Drop every table and view of the read model (those of other projections
        too): ``rebuild`` then makes all of them again from the log, the hash chain
        included. ``rmledger rebuild`` does not use this: it builds a new file beside
        the old one (``projections/readmodel/access.py``)."""
        views = [
            r[0]
            for r in self.conn.execute(
                "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND NOT internal"
            ).fetchall()
        ]
        for name in views:
            self.conn.execute(f'DROP VIEW IF EXISTS "{name}"')
        tables = [
            r[0]
            for r in self.conn.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main'"
            ).fetchall()
        ]
        for name in tables:
            self.conn.execute(f'DROP TABLE IF EXISTS "{name}" CASCADE')
        self._kept = None

    def rebuild(
        self,
        ledger: Any,
        page_size: int = DEFAULT_PAGE_SIZE,
        on_page: Callable[[int], None] | None = None,
    ) -> int:
        """Drop the read model and replay the whole log in place (``on_page``: as
        ``catch_up``). Not safe against a kill or concurrent readers: commands use
        ``ReadModelAccess.rebuild``, which builds a new file and swaps it in."""
        self.drop()
        self._create()
        return self.catch_up(ledger, page_size, on_page=on_page)

    # -- identity -------------------------------------------------------------------

    def table_hashes(self) -> dict[str, str]:
        """SHA-256 of every table's rows in a canonical order (for rebuild identity)."""
        hashes = {}
        for name in schema.TABLES:
            digest = hashlib.sha256()
            rows = self.conn.execute(
                f"SELECT CAST(t AS VARCHAR) AS r FROM {name} t ORDER BY r"
            ).fetchall()
            for (row,) in rows:
                digest.update(row.encode() + b"\n")
            hashes[name] = digest.hexdigest()
        return hashes


def open_read_model(
    path: str | Path, ledger: Any | None = None, read_only: bool = False
) -> ReadModel:
    """Open the read model, catching up first when a ledger is given."""
    if ledger is not None:
        with ReadModel(path) as rm:
            rm.catch_up(ledger)
    return ReadModel(path, read_only=read_only)
