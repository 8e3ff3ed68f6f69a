"""What every command needs: the data directory and the ledger on its event store."""

from __future__ import annotations

from pathlib import Path

import attrs

from domain.ledger import Ledger
from domain.store import data_dir, ledger_env


@attrs.define
class Context:
    """The store chosen for this run (``--data-dir`` or ``RMLEDGER_DATA_DIR``).

    ``creates_store``: the command writes (ingest, consume) and may make the store;
    a reading command on a directory or database without one is refused before
    anything is created there (domain/store_settings.py)."""

    data_dir: Path
    _ledger: Ledger | None = None
    creates_store: bool = False

    @classmethod
    def from_option(cls, option: str | None, creates_store: bool = False) -> Context:
        return cls(data_dir(option), creates_store=creates_store)

    @property
    def ledger(self) -> Ledger:
        """The write side, opened once per run, its encryption setting checked."""
        if self._ledger is None:
            from domain.store_settings import open_ledger

            self._ledger = open_ledger(ledger_env(self.data_dir, create=self.creates_store),
                                       create=self.creates_store)
        return self._ledger

    @property
    def read_model_path(self) -> Path:
        """The DuckDB file of the read model (the event store is opened, and so
        checked, first: no read model is made beside a missing store)."""
        _ = self.ledger
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / "read_model.duckdb"
