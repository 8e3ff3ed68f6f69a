"""The read model: DuckDB tables that follow the event log.

It owns loading events into tables (``loader``, ``schema``, ``log_pages``), the state
kept between catch-ups (``kept_aggregates``), who may open the file and how
(``access``, ``lock``, ``meta``: shared and exclusive locks, the format stamp, damage
detection, atomic rebuild), and the Parquet ``export``. What happens at a month's close
is registered by the packages that own it (pay issues statements), not imported here.
"""
