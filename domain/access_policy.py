"""Who may see and do what (docs/access.md): the one access policy, pure.

``decide(principal, resource, facts)`` answers a ``Decision``: allowed or not, the
sentence that says why (a refusal's sentence is what the HTTP API answers with 403),
and whether the access goes into the access log. The caller looks up the facts
(the target manager's or client's branch, the branches the caller's branch reaches,
whether the client is in the calling manager's book, whether a departure was
requested); nothing here reads a store.

"Scoped" (the statements, explanations, histories, tiers and disputes): a manager
reaches their own manager id and the clients they hold; a branch head the managers
and clients of their branch and of the branches below it; the performance office and
auditors everything; an admin nothing but users and roles.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from domain.principal import ADMIN, AUDITOR, BRANCH_HEAD, MANAGER, PERFORMANCE_OFFICE, Principal

# -- what is read: one manager's or client's data --------------------------------------
STATEMENT = "statement"  # a manager's statements of a month, issued or restated
EXPLANATION = "explanation"  # the postings and arithmetic behind a statement
HISTORY = "history"  # a manager's reconstructed history
DEPARTURE_AUDIT = "departure_audit"
DISPUTE = "dispute"  # the disputes of one manager
TIER = "tier"  # one client's tier (client data)
# -- what is listed: allowed means the caller may list, each item then decided alone --
STATEMENTS = "statements"
TIERS = "tiers"
DISPUTES = "disputes"
ALERTS = "alerts"  # outflow and grade-fit alerts, each of a client or a manager
# -- the rest, by role alone -------------------------------------------------------------
SQL = "sql"
ACCESS_LOG = "access_log"
VERIFICATION = "verification"  # the event log checked against its hash chain and seals
SIMULATION = "simulation"
USERS = "users"  # accounts and their roles, read
# -- what is done ------------------------------------------------------------------------
OPEN_DISPUTE = "open_dispute"  # on one manager's issued statements
RESOLVE_DISPUTE = "resolve_dispute"
SIGN_OFF = "sign_off"  # a month close's sign-off (whose turn it is, the ledger says)
ACKNOWLEDGE_PLAN = "acknowledge_plan"
RECORD_ADJUSTMENT = "record_adjustment"
MANAGE_USERS = "manage_users"  # grant, change and revoke roles, disable users
WRITES = (  # each of them is an event of its own
    OPEN_DISPUTE,
    RESOLVE_DISPUTE,
    SIGN_OFF,
    ACKNOWLEDGE_PLAN,
    RECORD_ADJUSTMENT,
    MANAGE_USERS,
)

RESOURCES = (
    STATEMENT,
    EXPLANATION,
    HISTORY,
    DEPARTURE_AUDIT,
    DISPUTE,
    TIER,
    STATEMENTS,
    TIERS,
    DISPUTES,
    ALERTS,
    SQL,
    ACCESS_LOG,
    VERIFICATION,
    SIMULATION,
    USERS,
    *WRITES,
)


@attrs.frozen
class Facts:
    """What the policy needs to know about the target, looked up by the caller.

    ``branch_id``: the target manager's or client's branch (None when unknown: then
    no branch head reaches it, and the refusal does not say whether it exists).
    ``reached``: the branches the calling branch head's branch reaches (its own and
    those below it; its own is always reached). ``own_client``: the client is held
    by the calling manager. ``departure_requested``: the target manager has asked to
    leave."""

    manager_id: str | None = None
    client_id: str | None = None
    branch_id: str | None = None
    reached: frozenset[str] = frozenset()
    own_client: bool = False
    departure_requested: bool = False


@attrs.frozen
class Decision:
    """The answer: ``allowed``, the sentence saying why (``reason``), and whether the
    access is written to the access log (``recorded``: every refusal, and every read of
    another person's pay or of client data)."""

    allowed: bool
    reason: str
    recorded: bool


def who(principal: Principal) -> str:
    """The caller as a sentence names them: ``ann (manager M1)``, ``bo (branch head of BR01)``."""
    binding = {
        MANAGER: f"manager {principal.manager_id}",
        BRANCH_HEAD: f"branch head of {principal.branch_id}",
        PERFORMANCE_OFFICE: "performance office",
        AUDITOR: "auditor",
        ADMIN: "admin",
    }
    return f"{principal.username} ({binding.get(principal.role, f'role {principal.role}')})"


def _what(resource: str, facts: Facts) -> str:
    """What is asked for, as the object of "may (not) ..."."""
    m, c = facts.manager_id, facts.client_id
    return {
        STATEMENT: f"see the statements of manager {m}",
        EXPLANATION: f"see the explanation of manager {m}'s pay",
        HISTORY: f"see the history of manager {m}",
        DEPARTURE_AUDIT: f"see the departure audit of manager {m}",
        DISPUTE: f"see the disputes of manager {m}",
        TIER: f"see the tier of client {c}",
        STATEMENTS: "list pay statements",
        TIERS: "list client tiers",
        DISPUTES: "list disputes",
        ALERTS: "list alerts",
        SQL: "use the SQL console",
        ACCESS_LOG: "read the access log",
        VERIFICATION: "verify the event log",
        SIMULATION: "run a pay simulation",
        USERS: "see users and their roles",
        OPEN_DISPUTE: "open a dispute"
        + ("" if m is None else f" on the statements of manager {m}"),
        RESOLVE_DISPUTE: "resolve a dispute",
        SIGN_OFF: "sign off a month",
        ACKNOWLEDGE_PLAN: "acknowledge a plan",
        RECORD_ADJUSTMENT: "record an adjustment",
        MANAGE_USERS: "grant or revoke roles or disable users",
    }[resource]


# A rule answers None (allowed) or the reason of a refusal; the allowed reason is the
# role's scope, said once in _SCOPE.
Rule = Callable[[Principal, Facts], str | None]

_SCOPE = {
    MANAGER: "a manager reaches their own pay and the clients they hold",
    BRANCH_HEAD: "a branch head reaches the managers and clients of their branch and the branches below it",
    PERFORMANCE_OFFICE: "the performance office reaches every manager and client",
    AUDITOR: "an auditor reaches everything that can be read",
    ADMIN: "an admin manages users and roles and sees no pay or client data",
}


def _reached(principal: Principal, facts: Facts) -> bool:
    return facts.branch_id is not None and facts.branch_id in facts.reached | {principal.branch_id}


def _manager_scoped(principal: Principal, facts: Facts) -> str | None:
    """A manager's data: their own; a branch head's branches; the office and auditors all."""
    if principal.role == MANAGER:
        return None if facts.manager_id == principal.manager_id else "a manager sees only their own"
    if principal.role == BRANCH_HEAD:
        return (
            None
            if _reached(principal, facts)
            else (
                f"manager {facts.manager_id} is not in {principal.branch_id} or a branch below it"
            )
        )
    return None if principal.role in (PERFORMANCE_OFFICE, AUDITOR) else _SCOPE[ADMIN]


def _client_scoped(principal: Principal, facts: Facts) -> str | None:
    """A client's data: a manager's own clients; a branch head's branches; office and auditors all."""
    if principal.role == MANAGER:
        return None if facts.own_client else f"client {facts.client_id} is not one of their clients"
    if principal.role == BRANCH_HEAD:
        return (
            None
            if _reached(principal, facts)
            else (f"client {facts.client_id} is not in {principal.branch_id} or a branch below it")
        )
    return None if principal.role in (PERFORMANCE_OFFICE, AUDITOR) else _SCOPE[ADMIN]


def _listing(principal: Principal, facts: Facts) -> str | None:
    """Every scoped role may list; what each may see is then decided item by item."""
    return _SCOPE[ADMIN] if principal.role == ADMIN else None


def _departure_audit(principal: Principal, facts: Facts) -> str | None:
    """Auditors, the office, the branch head of that branch; the manager, once leaving."""
    if (
        principal.role == MANAGER
        and facts.manager_id == principal.manager_id
        and not facts.departure_requested
    ):
        return "a manager sees their own departure audit only once a departure is requested"
    return _manager_scoped(principal, facts)


def _only(*roles: str, why: str) -> Rule:
    def rule(principal: Principal, facts: Facts) -> str | None:
        return None if principal.role in roles else why

    return rule


def _own_manager(why: str) -> Rule:
    def rule(principal: Principal, facts: Facts) -> str | None:
        if principal.role != MANAGER:
            return why
        return (
            None if facts.manager_id == principal.manager_id else "a manager acts only on their own"
        )

    return rule


_RULES: dict[str, Rule] = {
    STATEMENT: _manager_scoped,
    EXPLANATION: _manager_scoped,
    HISTORY: _manager_scoped,
    DISPUTE: _manager_scoped,
    DEPARTURE_AUDIT: _departure_audit,
    TIER: _client_scoped,
    STATEMENTS: _listing,
    TIERS: _listing,
    DISPUTES: _listing,
    ALERTS: _listing,
    SQL: _only(AUDITOR, why="only an auditor may"),
    ACCESS_LOG: _only(AUDITOR, why="only an auditor may"),
    VERIFICATION: _only(AUDITOR, why="only an auditor may"),
    SIMULATION: _only(PERFORMANCE_OFFICE, why="only the performance office may"),
    USERS: _only(ADMIN, AUDITOR, why="only an admin or an auditor may"),
    OPEN_DISPUTE: _own_manager("only a manager may, on their own issued statements"),
    RESOLVE_DISPUTE: _only(PERFORMANCE_OFFICE, why="only the performance office may"),
    SIGN_OFF: _only(
        BRANCH_HEAD, PERFORMANCE_OFFICE, why="only a branch head or the performance office may"
    ),
    ACKNOWLEDGE_PLAN: _only(MANAGER, why="only a manager may"),
    RECORD_ADJUSTMENT: _only(PERFORMANCE_OFFICE, why="only the performance office may"),
    MANAGE_USERS: _only(ADMIN, why="only an admin may"),
}

# Allowed accesses that are not written to the access log: a manager's own pay, and
# what reads no pay or client data (users and roles; writes are events of their own).
_UNRECORDED = frozenset({USERS, *WRITES})


def _binding_missing(principal: Principal) -> str | None:
    if principal.role == MANAGER and not principal.manager_id:
        return "the account is bound to no manager"
    if principal.role == BRANCH_HEAD and not principal.branch_id:
        return "the account is bound to no branch"
    if principal.role not in _SCOPE:
        return f"{principal.role!r} is not a role"
    return None


def _own_pay(principal: Principal, resource: str, facts: Facts) -> bool:
    """A manager's own statements (one or the list, which holds only theirs)."""
    return principal.role == MANAGER and (
        resource == STATEMENTS
        or (resource == STATEMENT and facts.manager_id == principal.manager_id)
    )


def decide(principal: Principal, resource: str, facts: Facts | None = None) -> Decision:
    """May ``principal`` see or do ``resource`` (one of RESOURCES), given ``facts``?"""
    if resource not in _RULES:
        raise ValueError(f"{resource!r} is not a resource of the access policy")
    facts = facts or Facts()
    refused = _binding_missing(principal) or _RULES[resource](principal, facts)
    if refused is not None:
        return Decision(
            False, f"{who(principal)} may not {_what(resource, facts)}: {refused}", True
        )
    recorded = resource not in _UNRECORDED and not _own_pay(principal, resource, facts)
    return Decision(
        True, f"{who(principal)} may {_what(resource, facts)}: {_SCOPE[principal.role]}", recorded
    )
