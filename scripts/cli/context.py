"""What every command needs: the data directory, the ledger on its event store, and
the read model (always through ``projections.readmodel.access``, never opened here
or in a command directly: see docs/concurrency.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import attrs
import click
import duckdb

from domain.ledger import Ledger
from domain.store import data_dir, ledger_env
from projections.readmodel.access import ReadModelAccess, ReadModelUnusable, Rebuilt
from projections.readmodel.loader import ReadModel
from projections.readmodel.lock import ReadModelBusy
from scripts.cli.seal_key import sealer_for

T = TypeVar("T")


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

            self._ledger = open_ledger(
                ledger_env(self.data_dir, create=self.creates_store),
                create=self.creates_store,
                sealer=sealer_for(self.data_dir),
            )
        return self._ledger

    @property
    def read_model_path(self) -> Path:
        """The DuckDB file of the read model (the event store is opened, and so
        checked, first: no read model is made beside a missing store)."""
        _ = self.ledger
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / "read_model.duckdb"

    def read_model_access(self) -> ReadModelAccess:
        """The read model of this store, for reading, catching up and rebuilding."""
        return ReadModelAccess(self.read_model_path, self.ledger)

    def read_model(self) -> ReadModel:
        """The read model caught up to the log's head, read-only, under the shared lock
        (waiting for a writer if one is at work). Closed, and the lock let go, by its
        ``close()`` or at the latest when the click command ends."""
        return _closed_with_command(_clearly(lambda: self.read_model_access().read()))

    def file_read_model(self) -> ReadModel:
        """The same as ``read_model()``: a command reads the file (scripts/web/reads.py's
        ``Source``)."""
        return self.read_model()

    def query_read_model(self, query: Callable[[duckdb.DuckDBPyConnection], T]) -> tuple[T, int]:
        """``query`` on the read model caught up to the log's head, and the log position
        it reflects; the model closed (and its lock let go) afterwards."""
        rm = self.read_model()
        try:
            return query(rm.conn), rm.position()
        finally:
            rm.close()

    def updating_read_model(self) -> ReadModel:
        """The read model caught up and open read-write under the exclusive lock."""
        return _closed_with_command(_clearly(lambda: self.read_model_access().updating()))

    def rebuild_read_model(self, on_page: Callable[[int], None] | None = None) -> Rebuilt:
        """A new read model from the whole log, put in place of the old one atomically."""
        return _clearly(lambda: self.read_model_access().rebuild(on_page=on_page))


def _clearly(action: Callable[[], T]) -> T:
    """``action()``, its waits and refusals as one clear sentence and exit status 1."""
    try:
        return action()
    except (ReadModelBusy, ReadModelUnusable) as error:
        raise click.ClickException(str(error)) from None


def _closed_with_command(model: ReadModel) -> ReadModel:
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(model.close)
    return model
