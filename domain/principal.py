"""Who is asking: a signed-in person's identity and the one role they hold.

The web application and the HTTP API ask the access policy about a ``Principal``;
the identity layer (accounts, passwords, tokens, single sign-on) produces one. Both
sides import it from here so that there is one definition of a role and its binding.
"""

from __future__ import annotations

import attrs

MANAGER = "manager"
BRANCH_HEAD = "branch_head"
PERFORMANCE_OFFICE = "performance_office"
AUDITOR = "auditor"
ADMIN = "admin"

ROLES = (MANAGER, BRANCH_HEAD, PERFORMANCE_OFFICE, AUDITOR, ADMIN)
"""Every role a user may hold (docs/rules.md, who may see and do what)."""


@attrs.frozen
class Principal:
    """A user as the policy sees them: the role and what it is bound to.

    A ``manager`` is bound to one ``manager_id``, a ``branch_head`` to one
    ``branch_id``; the other roles are bound to nothing.
    """

    username: str
    role: str
    manager_id: str | None = None
    branch_id: str | None = None
