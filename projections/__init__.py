"""Everything derived from the event log, read from DuckDB.

- ``projections.readmodel``: the read model that follows the log (loading events into
  tables, locking, the format stamp, rebuild, export).
- ``projections.pay.statements``: credit attribution, the pay rules, statements and their
  explanation, the closed months.
- ``projections.tiers.classify``: client tiers and large outflows.
- ``projections.audit``: histories, departure audits, alerts, the SQL console, and the
  log's seals and verification.
- ``projections.escape``: escaping stored text on its way to a terminal, Markdown,
  HTML, CSV or JSON.

Each package imports only inward: from ``domain`` and from ``projections.readmodel``.
"""

from functools import partial

from projections.audit.views import create_audit_views
from projections.pay.statements import issue_statements
from projections.readmodel import extensions
from projections.tiers.classify import install as install_tier_macros

# What the read model runs that other packages own (projections/readmodel/extensions.py):
# the order is the order they are installed in a new file.
extensions.installer(create_audit_views)
extensions.installer(partial(install_tier_macros, persistent=True))
extensions.at_close(issue_statements)
