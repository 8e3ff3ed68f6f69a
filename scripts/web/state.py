"""What a running server holds: the ledger, its live read model and follower, the
answers kept per position, the keys that verify identities, and the access log's
writer (with the count of the refusals without identity it did not write). One per
``create_app``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from domain.access_log import AccessEntry
from domain.ledger import Ledger
from domain.principal import Principal
from domain.store import ledger_env
from domain.store_settings import open_ledger
from projections.audit.accounts import access_log_rows
from projections.readmodel.access import ReadModelAccess
from projections.readmodel.live import LiveReadModel
from projections.readmodel.loader import ACCESS_RECORDED, ReadModel
from scripts.cli.seal_key import sealer_for
from scripts.identity.accounts import StoredAccounts
from scripts.identity.sso import ProviderKeys
from scripts.web.access_writer import AccessLogWriter
from scripts.web.answers import Answers
from scripts.web.follower import Follower
from scripts.web.refusals import UnauthenticatedLog
from scripts.web.settings import Settings
from scripts.web.writes import Writer

log = logging.getLogger("rmledger.web")
READ_MODEL_FILE = "read_model.duckdb"
"""The command line's read model, which the server copies when it has none of its own,
and which the SQL console and simulations read (they open the file themselves)."""


class ServerState:
    """The ledger on the settings' store (which must exist: the server never makes an
    empty one), its own read model kept open (``LiveReadModel``), read by requests
    through snapshots and caught up by the follower."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ledger: Ledger = open_ledger(
            ledger_env(settings.data_dir, create=False),
            create=False,
            sealer=sealer_for(settings.data_dir),
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.read_model_path = settings.data_dir / READ_MODEL_FILE
        self.access = ReadModelAccess(self.read_model_path, self.ledger, announce=log.info)
        self.live = LiveReadModel(
            settings.data_dir / settings.read_model_file,
            self.ledger,
            seed=self.read_model_path,
            announce=log.info,
        )
        self.answers = Answers()
        self.follower = Follower(
            self.live.catch_up,
            self.ledger,
            settings.follow_interval,
            lazy_topics=frozenset({ACCESS_RECORDED}),
        )
        self.follower.on_move = self._published
        # The answer position the follower last published: kept answers are computed
        # again from it on (scripts/web/follower.py says when it publishes).
        self.answers_at = self.live.answer_position
        self.access_log = AccessLogWriter(self.ledger.record_accesses)
        self.accounts = StoredAccounts(self.ledger)
        self.provider_keys = ProviderKeys(settings.sso.jwks) if settings.sso else None
        self.writer = Writer(self.ledger, self.record, lambda: self.follower.catch_up(publish=True))
        self.unauthenticated = UnauthenticatedLog()

    # -- the scoped reads' source (scripts/web/reads.py::Source) ----------------------

    def _published(self, position: int) -> None:
        self.answers_at = self.live.answer_position
        self.answers.moved(self.answers_at)

    def read_model(self) -> ReadModel:
        """The live read model as the follower last committed it, its kept answers
        those of the last published position; the caller closes it."""
        snapshot = self.live.snapshot()
        snapshot.answers_at = self.answers_at
        return snapshot

    def file_read_model(self) -> ReadModel:
        """The command line's read model file, caught up, under its shared lock (the SQL
        console and simulations open the file themselves); the caller closes it."""
        return self.access.read(catch_up=True)

    # -- the access log ----------------------------------------------------------------

    def record(
        self,
        principal: Principal | None,
        action: str,
        target: str,
        outcome: str,
        reason: str,
        at: datetime | None = None,
    ) -> None:
        """One line of the access log, as an event of the ledger (docs/rules.md R11.3),
        decided ``at`` (default: now), stored (with the lines of other requests,
        scripts/web/access_writer.py) before this returns."""
        self.access_log.record(
            AccessEntry(
                None if principal is None else principal.username,
                action,
                target,
                outcome,
                reason,
                datetime.now(UTC) if at is None else at,
            )
        )

    def access_log_entries(self, user: str | None, since: datetime | None) -> list[dict[str, Any]]:
        """The access log as the read model holds it, newest first, as JSON data:
        loaded up to the log's head first (the follower loads its lines lazily)."""
        self.follower.catch_up(publish=True)
        with self.live.snapshot() as rm:
            rows = access_log_rows(rm.conn, user, since)
        return [{**row, "decided_at": row["decided_at"].isoformat()} for row in rows]

    def position(self) -> int:
        """The read model's event-log position, as the follower last loaded it."""
        return self.follower.position

    def close(self) -> None:
        """Stop following, close the read model and the store."""
        self.follower.stop()
        self.access_log.stop()
        self.live.close()
        self.ledger.close()
