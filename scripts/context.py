"""What every command needs: the data directory and the ledger on its event store."""

from __future__ import annotations

from pathlib import Path

import attrs

from domain.ledger import Ledger
from domain.store import data_dir, ledger_env
from scripts.seal_key import sealer_for


@attrs.define
class Context:
    """The store chosen for this run (``--data-dir`` or ``RMLEDGER_DATA_DIR``)."""

    data_dir: Path
    _ledger: Ledger | None = None

    @classmethod
    def from_option(cls, option: str | None) -> Context:
        return cls(data_dir(option))

    @property
    def ledger(self) -> Ledger:
        """The write side, opened once per run."""
        if self._ledger is None:
            self._ledger = Ledger(ledger_env(self.data_dir), sealer=sealer_for(self.data_dir))
        return self._ledger

    @property
    def read_model_path(self) -> Path:
        """The DuckDB file of the read model."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / "read_model.duckdb"
