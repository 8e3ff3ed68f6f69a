"""The access policy (docs/access.md): every role against every resource, inside and
outside its scope, with the sentence a refusal answers and what goes into the access log."""

from __future__ import annotations

import pytest

from domain.access_policy import (
    ACCESS_LOG,
    DEPARTURE_AUDIT,
    EXPLANATION,
    HISTORY,
    RESOURCES,
    SQL,
    STATEMENT,
    STATEMENTS,
    TIER,
    Decision,
    Facts,
    decide,
)
from domain.principal import (
    ADMIN,
    AUDITOR,
    BRANCH_HEAD,
    MANAGER,
    PERFORMANCE_OFFICE,
    ROLES,
    Principal,
)

PEOPLE = {
    MANAGER: Principal("ann", MANAGER, manager_id="M1"),
    BRANCH_HEAD: Principal("bo", BRANCH_HEAD, branch_id="BR01"),
    PERFORMANCE_OFFICE: Principal("pat", PERFORMANCE_OFFICE),
    AUDITOR: Principal("aud", AUDITOR),
    ADMIN: Principal("adm", ADMIN),
}
REACHED = frozenset({"BR01", "BR01-SB01"})  # BR01 and the sub-branch below it
# Inside: ann's own data, in a sub-branch below bo's branch. Outside: somebody else's,
# in another branch.
INSIDE = Facts(
    manager_id="M1",
    client_id="C1",
    branch_id="BR01-SB01",
    reached=REACHED,
    own_client=True,
    departure_requested=True,
)
OUTSIDE = Facts(
    manager_id="M9",
    client_id="C9",
    branch_id="BR02",
    reached=REACHED,
    own_client=False,
    departure_requested=True,
)

# Y: allowed, N: refused, for (inside, outside); the columns in the order of ROLES:
# manager, branch_head, performance_office, auditor, admin.
TABLE = """
statement          YN  YN  YY  YY  NN
explanation        YN  YN  YY  YY  NN
history            YN  YN  YY  YY  NN
departure_audit    YN  YN  YY  YY  NN
dispute            YN  YN  YY  YY  NN
tier               YN  YN  YY  YY  NN
statements         YY  YY  YY  YY  NN
tiers              YY  YY  YY  YY  NN
disputes           YY  YY  YY  YY  NN
alerts             YY  YY  YY  YY  NN
sql                NN  NN  NN  YY  NN
access_log         NN  NN  NN  YY  NN
verification       NN  NN  NN  YY  NN
simulation         NN  NN  YY  NN  NN
users              NN  NN  NN  YY  YY
open_dispute       YN  NN  NN  NN  NN
resolve_dispute    NN  NN  YY  NN  NN
sign_off           NN  YY  YY  NN  NN
acknowledge_plan   YY  NN  NN  NN  NN
record_adjustment  NN  NN  YY  NN  NN
manage_users       NN  NN  NN  NN  YY
"""


def expectations() -> list[tuple[str, str, str, bool]]:
    rows = []
    for line in TABLE.strip().splitlines():
        resource, *cells = line.split()
        for role, cell in zip(ROLES, cells, strict=True):
            rows.append((resource, role, "inside", cell[0] == "Y"))
            rows.append((resource, role, "outside", cell[1] == "Y"))
    return rows


def test_the_table_covers_every_resource_and_role() -> None:
    assert [line.split()[0] for line in TABLE.strip().splitlines()] == list(RESOURCES)
    assert len(expectations()) == len(RESOURCES) * len(ROLES) * 2


@pytest.mark.parametrize(("resource", "role", "where", "allowed"), expectations())
def test_role_against_resource(resource: str, role: str, where: str, allowed: bool) -> None:
    decision = decide(PEOPLE[role], resource, INSIDE if where == "inside" else OUTSIDE)
    assert decision.allowed is allowed, decision.reason


@pytest.mark.parametrize(
    ("role", "resource", "facts", "reason"),
    [
        (
            MANAGER,
            STATEMENT,
            OUTSIDE,
            "ann (manager M1) may not see the statements of manager M9: a manager sees only their own",
        ),
        (
            BRANCH_HEAD,
            EXPLANATION,
            OUTSIDE,
            "bo (branch head of BR01) may not see the explanation of manager M9's pay: "
            "manager M9 is not in BR01 or a branch below it",
        ),
        (
            BRANCH_HEAD,
            TIER,
            OUTSIDE,
            "bo (branch head of BR01) may not see the tier of client C9: client C9 is not in BR01 or a branch below it",
        ),
        (
            MANAGER,
            TIER,
            OUTSIDE,
            "ann (manager M1) may not see the tier of client C9: client C9 is not one of their clients",
        ),
        (
            ADMIN,
            STATEMENT,
            INSIDE,
            "adm (admin) may not see the statements of manager M1: "
            "an admin manages users and roles and sees no pay or client data",
        ),
        (
            ADMIN,
            STATEMENTS,
            Facts(),
            "adm (admin) may not list pay statements: an admin manages users and roles and sees no pay or client data",
        ),
        (
            PERFORMANCE_OFFICE,
            SQL,
            Facts(),
            "pat (performance office) may not use the SQL console: only an auditor may",
        ),
        (
            BRANCH_HEAD,
            ACCESS_LOG,
            Facts(),
            "bo (branch head of BR01) may not read the access log: only an auditor may",
        ),
        (
            MANAGER,
            DEPARTURE_AUDIT,
            Facts(manager_id="M1", branch_id="BR01"),
            "ann (manager M1) may not see the departure audit of manager M1: "
            "a manager sees their own departure audit only once a departure is requested",
        ),
    ],
)
def test_a_refusal_says_who_what_and_why(
    role: str, resource: str, facts: Facts, reason: str
) -> None:
    assert decide(PEOPLE[role], resource, facts) == Decision(False, reason, True)


def test_an_allowed_read_says_the_scope_that_allows_it() -> None:
    assert decide(PEOPLE[BRANCH_HEAD], HISTORY, INSIDE) == Decision(
        True,
        "bo (branch head of BR01) may see the history of manager M1: a branch head reaches the managers "
        "and clients of their branch and the branches below it",
        True,
    )
    assert decide(PEOPLE[AUDITOR], SQL).reason == (
        "aud (auditor) may use the SQL console: an auditor reaches everything that can be read"
    )


def test_a_branch_head_reaches_their_own_branch_without_being_told() -> None:
    facts = Facts(manager_id="M2", branch_id="BR01")  # no hierarchy known: ``reached`` empty
    assert decide(PEOPLE[BRANCH_HEAD], STATEMENT, facts).allowed
    assert not decide(
        PEOPLE[BRANCH_HEAD], STATEMENT, Facts(manager_id="M2", branch_id="BR01-SB01")
    ).allowed


def test_an_unknown_target_is_refused_to_a_scoped_role_as_one_outside_would_be() -> None:
    unknown = Facts(manager_id="M404", branch_id=None, reached=REACHED)
    assert decide(PEOPLE[BRANCH_HEAD], STATEMENT, unknown).reason == (
        "bo (branch head of BR01) may not see the statements of manager M404: "
        "manager M404 is not in BR01 or a branch below it"
    )
    assert decide(PEOPLE[AUDITOR], STATEMENT, unknown).allowed  # and then: not found


@pytest.mark.parametrize(
    ("principal", "reason"),
    [
        (
            Principal("x", MANAGER),
            "x (manager None) may not see the history of manager M1: "
            "the account is bound to no manager",
        ),
        (
            Principal("y", BRANCH_HEAD),
            "y (branch head of None) may not see the history of manager M1: "
            "the account is bound to no branch",
        ),
        (
            Principal("z", "teller"),
            "z (role teller) may not see the history of manager M1: 'teller' is not a role",
        ),
    ],
)
def test_an_account_without_its_binding_or_role_reaches_nothing(
    principal: Principal, reason: str
) -> None:
    assert decide(principal, HISTORY, INSIDE) == Decision(False, reason, True)


# What an allowed access writes to the access log: everything but a manager's own
# pay, users and roles, and the writes (events of their own).
RECORDED = {
    (MANAGER, "statement", "inside"): False,
    (MANAGER, "statements", "inside"): False,
    (MANAGER, "statements", "outside"): False,
}
UNRECORDED_RESOURCES = {
    "users",
    "open_dispute",
    "resolve_dispute",
    "sign_off",
    "acknowledge_plan",
    "record_adjustment",
    "manage_users",
}


@pytest.mark.parametrize(("resource", "role", "where", "allowed"), expectations())
def test_what_is_recorded(resource: str, role: str, where: str, allowed: bool) -> None:
    decision = decide(PEOPLE[role], resource, INSIDE if where == "inside" else OUTSIDE)
    if not allowed:
        assert decision.recorded, "every refusal is recorded"
    else:
        expected = RECORDED.get((role, resource, where), resource not in UNRECORDED_RESOURCES)
        assert decision.recorded is expected


def test_an_unknown_resource_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="'payslip' is not a resource of the access policy"):
        decide(PEOPLE[AUDITOR], "payslip")
