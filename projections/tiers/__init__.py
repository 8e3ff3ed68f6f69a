"""Client tiers and maintenance levels, and large-outflow alerts, computed in DuckDB
(``classify``)."""
