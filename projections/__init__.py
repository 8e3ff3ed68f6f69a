"""The DuckDB read model and what is derived from it: attribution, profit, pay.

Public API (for the command line, audit and demo):

- ``ReadModel(path)``: ``.catch_up(ledger) -> int``, ``.rebuild(ledger) -> int``,
  ``.position()``, ``.table_hashes()``, ``.conn`` (a DuckDB connection).
- ``statements(rm_or_conn, period, manager_id=None, restated=False) -> list[dict]``
- ``to_json(statement)``: money as 2-decimal strings.
- ``explain(rm_or_conn, manager_id, period) -> dict`` and ``explain_text(...)``.
- ``unattributed(rm_or_conn, period=None)``; ``credit_lines_sql()`` for SQL users.
"""

from projections.loader import ReadModel, open_read_model

__all__ = ["ReadModel", "open_read_model", "statements", "to_json", "from_json", "explain",
           "explain_text", "unattributed", "credit_lines_sql"]


def __getattr__(name: str) -> object:
    # Lazy, so that ``projections.loader`` can import ``projections.pay`` and back.
    if name in ("statements", "to_json", "from_json", "unattributed"):
        from projections import pay
        return getattr(pay, name)
    if name in ("explain", "explain_text"):
        from projections import explain_pay as module
        return getattr(module, name)
    if name == "credit_lines_sql":
        from projections.credit import credit_lines_sql
        return credit_lines_sql
    raise AttributeError(name)
