"""The HTTP API over real HTTP (a running ``rmledger serve``): every endpoint, each
role inside and outside its scope, and the requests without an acceptable identity;
each answer's exact status and body, and the exact access-log lines it wrote.

The bank is tests/web/test_web_reads.py's: M1, M2 (branch BR01), M3 (BR02); C1 held by
M1, C2 by M2, C3 by M3; February closed; M2 asked to leave. Users: ann (manager M1),
bea (manager M2), bo (branch head BR01), cy (branch head BR02), pat (performance
office), aud (auditor), adm (admin), dan (manager M3, disabled).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from tests.web.served import Served, fresh_source, serve_ingested
from tests.web.test_web_reads import BANK

USERS = {
    "ann": ("manager", "M1", None),
    "bea": ("manager", "M2", None),
    "bo": ("branch_head", None, "BR01"),
    "cy": ("branch_head", None, "BR02"),
    "pat": ("performance_office", None, None),
    "aud": ("auditor", None, None),
    "adm": ("admin", None, None),
    "dan": ("manager", "M3", None),
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve_ingested(tmp_path_factory.mktemp("api"), BANK) as running:
        for name, (role, manager, branch) in USERS.items():
            running.add_user(name, role, manager, branch)
        running.ledger.disable_account("dan", "test")
        yield running


def ask(
    served: Served,
    who: str | None,
    method: str,
    path: str,
    body: Any = None,
    token: str | None = None,
) -> tuple[int, Any, list[tuple[Any, ...]]]:
    """The status, the JSON body and the access-log lines of one request."""
    before = served.head()
    bearer = token if token is not None else (served.token(who) if who else None)
    with served.client(bearer) as client:
        answer = client.request(method, path, json=body)
    parsed = (
        answer.json()
        if answer.headers.get("content-type", "").startswith("application/json")
        else answer.text
    )
    return answer.status_code, parsed, served.access_lines(before)


S = "/api/v1/statements?period=2025-02"
X = "/api/v1/statements/M1/2025-02/explain"
# The second half of an allowed access's reason: the role's scope (domain/access_policy.py).
MANAGER = "a manager reaches their own pay and the clients they hold"
BRANCH = "a branch head reaches the managers and clients of their branch and the branches below it"
OFFICE = "the performance office reaches every manager and client"
AUDITOR = "an auditor reaches everything that can be read"
# (who, method, path, body, status, the logged action, target and reason, or None)
ALLOWED_CASES = [
    ("ann", "GET", S, None, 200, None),  # own statements: not recorded
    ("ann", "GET", S + "&manager=M1", None, 200, None),
    (
        "bo",
        "GET",
        S,
        None,
        200,
        (
            "statements",
            "period 2025-02",
            f"bo (branch head of BR01) may list pay statements: {BRANCH}",
        ),
    ),
    (
        "bo",
        "GET",
        S + "&manager=M2",
        None,
        200,
        (
            "statements",
            "period 2025-02 manager M2",
            f"bo (branch head of BR01) may see the statements of manager M2: {BRANCH}",
        ),
    ),
    (
        "pat",
        "GET",
        S + "&manager=M3&restated=true",
        None,
        200,
        (
            "statements",
            "period 2025-02 manager M3 restated",
            f"pat (performance office) may see the statements of manager M3: {OFFICE}",
        ),
    ),
    (
        "aud",
        "GET",
        S,
        None,
        200,
        ("statements", "period 2025-02", f"aud (auditor) may list pay statements: {AUDITOR}"),
    ),
    (
        "ann",
        "GET",
        X,
        None,
        200,
        (
            "explanation",
            "manager M1 period 2025-02",
            f"ann (manager M1) may see the explanation of manager M1's pay: {MANAGER}",
        ),
    ),
    (
        "bo",
        "GET",
        X,
        None,
        200,
        (
            "explanation",
            "manager M1 period 2025-02",
            f"bo (branch head of BR01) may see the explanation of manager M1's pay: {BRANCH}",
        ),
    ),
    (
        "pat",
        "GET",
        X,
        None,
        200,
        (
            "explanation",
            "manager M1 period 2025-02",
            f"pat (performance office) may see the explanation of manager M1's pay: {OFFICE}",
        ),
    ),
    (
        "cy",
        "GET",
        "/api/v1/managers/M3/history",
        None,
        200,
        (
            "history",
            "manager M3",
            f"cy (branch head of BR02) may see the history of manager M3: {BRANCH}",
        ),
    ),
    (
        "aud",
        "GET",
        "/api/v1/managers/M1/history?effective_on=2025-02-01",
        None,
        200,
        (
            "history",
            "manager M1 effective_on 2025-02-01",
            f"aud (auditor) may see the history of manager M1: {AUDITOR}",
        ),
    ),
    (
        "bea",
        "GET",
        "/api/v1/managers/M2/departure-audit",
        None,
        200,
        (
            "departure_audit",
            "manager M2",
            f"bea (manager M2) may see the departure audit of manager M2: {MANAGER}",
        ),
    ),
    (
        "bo",
        "GET",
        "/api/v1/managers/M2/departure-audit?format=md",
        None,
        200,
        (
            "departure_audit",
            "manager M2",
            f"bo (branch head of BR01) may see the departure audit of manager M2: {BRANCH}",
        ),
    ),
    (
        "aud",
        "GET",
        "/api/v1/managers/M2/departure-audit?format=html",
        None,
        200,
        (
            "departure_audit",
            "manager M2",
            f"aud (auditor) may see the departure audit of manager M2: {AUDITOR}",
        ),
    ),
    (
        "ann",
        "GET",
        "/api/v1/tiers?as_of=2025-02-28&client=C1",
        None,
        200,
        (
            "tiers",
            "as_of 2025-02-28 client C1",
            f"ann (manager M1) may see the tier of client C1: {MANAGER}",
        ),
    ),
    (
        "bo",
        "GET",
        "/api/v1/tiers?as_of=2025-02-28",
        None,
        200,
        ("tiers", "as_of 2025-02-28", f"bo (branch head of BR01) may list client tiers: {BRANCH}"),
    ),
    (
        "aud",
        "POST",
        "/api/v1/sql",
        {"query": "SELECT count(*) AS n FROM managers"},
        200,
        (
            "sql",
            "SELECT count(*) AS n FROM managers",
            f"aud (auditor) may use the SQL console: {AUDITOR}",
        ),
    ),
    (
        "aud",
        "GET",
        "/api/v1/access-log?user=nobody",
        None,
        200,
        (
            "access_log",
            "access log user nobody",
            f"aud (auditor) may read the access log: {AUDITOR}",
        ),
    ),
]


@pytest.mark.parametrize(("who", "method", "path", "body", "status", "logged"), ALLOWED_CASES)
def test_a_role_inside_its_scope_is_answered_and_recorded_when_the_policy_says(
    served: Served, who: str, method: str, path: str, body: Any, status: int, logged: Any
) -> None:
    got, answer, lines = ask(served, who, method, path, body)
    assert got == status, answer
    assert lines == ([] if logged is None else [(who, logged[0], logged[1], "allowed", logged[2])])


def test_the_answers_are_the_reads_of_the_scope(served: Served) -> None:
    assert [s["manager_id"] for s in ask(served, "ann", "GET", S)[1]] == ["M1"]
    assert [s["manager_id"] for s in ask(served, "bo", "GET", S)[1]] == ["M1", "M2"]
    assert [s["manager_id"] for s in ask(served, "cy", "GET", S)[1]] == ["M3"]
    assert [(s["manager_id"], s["total"]) for s in ask(served, "pat", "GET", S)[1]] == [
        ("M1", "6752.00"),
        ("M2", "6626.00"),
        ("M3", "6563.00"),
    ]
    assert [
        t["client_id"] for t in ask(served, "bo", "GET", "/api/v1/tiers?as_of=2025-02-28")[1]
    ] == ["C1", "C2"]
    assert ask(
        served, "aud", "POST", "/api/v1/sql", {"query": "SELECT count(*) AS n FROM managers"}
    )[1] == {"columns": ["n"], "rows": [[3]]}
    assert ask(served, "bo", "GET", "/api/v1/me")[1] == {
        "username": "bo",
        "role": "branch_head",
        "manager_id": None,
        "branch_id": "BR01",
    }
    assert ask(served, "bo", "GET", "/api/v1/managers/M2/departure-audit?format=md")[1].startswith(
        "#"
    )


FORBIDDEN_CASES = [
    (
        "ann",
        "GET",
        S + "&manager=M2",
        None,
        "statements",
        "period 2025-02 manager M2",
        "ann (manager M1) may not see the statements of manager M2: a manager sees only their own",
    ),
    (
        "bo",
        "GET",
        S + "&manager=M3",
        None,
        "statements",
        "period 2025-02 manager M3",
        "bo (branch head of BR01) may not see the statements of manager M3: "
        "manager M3 is not in BR01 or a branch below it",
    ),
    (
        "adm",
        "GET",
        S,
        None,
        "statements",
        "period 2025-02",
        "adm (admin) may not list pay statements: an admin manages users and roles and sees no pay or client data",
    ),
    (
        "bea",
        "GET",
        X,
        None,
        "explanation",
        "manager M1 period 2025-02",
        "bea (manager M2) may not see the explanation of manager M1's pay: "
        "a manager sees only their own",
    ),
    (
        "cy",
        "GET",
        X,
        None,
        "explanation",
        "manager M1 period 2025-02",
        "cy (branch head of BR02) may not see the explanation of manager M1's pay: "
        "manager M1 is not in BR02 or a branch below it",
    ),
    (
        "adm",
        "GET",
        X,
        None,
        "explanation",
        "manager M1 period 2025-02",
        "adm (admin) may not see the explanation of manager M1's pay: "
        "an admin manages users and roles and sees no pay or client data",
    ),
    (
        "bo",
        "GET",
        "/api/v1/managers/M3/history",
        None,
        "history",
        "manager M3",
        "bo (branch head of BR01) may not see the history of manager M3: "
        "manager M3 is not in BR01 or a branch below it",
    ),
    (
        "ann",
        "GET",
        "/api/v1/managers/M1/departure-audit",
        None,
        "departure_audit",
        "manager M1",
        "ann (manager M1) may not see the departure audit of manager M1: "
        "a manager sees their own departure audit only once a departure is requested",
    ),
    (
        "cy",
        "GET",
        "/api/v1/managers/M2/departure-audit",
        None,
        "departure_audit",
        "manager M2",
        "cy (branch head of BR02) may not see the departure audit of manager M2: "
        "manager M2 is not in BR02 or a branch below it",
    ),
    (
        "bea",
        "GET",
        "/api/v1/tiers?as_of=2025-02-28&client=C1",
        None,
        "tiers",
        "as_of 2025-02-28 client C1",
        "bea (manager M2) may not see the tier of client C1: client C1 is not one of their clients",
    ),
    (
        "cy",
        "GET",
        "/api/v1/tiers?as_of=2025-02-28&client=C1",
        None,
        "tiers",
        "as_of 2025-02-28 client C1",
        "cy (branch head of BR02) may not see the tier of client C1: "
        "client C1 is not in BR02 or a branch below it",
    ),
    (
        "pat",
        "POST",
        "/api/v1/sql",
        {"query": "SELECT 1"},
        "sql",
        "SELECT 1",
        "pat (performance office) may not use the SQL console: only an auditor may",
    ),
    (
        "adm",
        "POST",
        "/api/v1/sql",
        {"query": "SELECT 1"},
        "sql",
        "SELECT 1",
        "adm (admin) may not use the SQL console: only an auditor may",
    ),
    (
        "bo",
        "GET",
        "/api/v1/access-log",
        None,
        "access_log",
        "access log",
        "bo (branch head of BR01) may not read the access log: only an auditor may",
    ),
    (
        "pat",
        "GET",
        "/api/v1/access-log",
        None,
        "access_log",
        "access log",
        "pat (performance office) may not read the access log: only an auditor may",
    ),
]


@pytest.mark.parametrize(
    ("who", "method", "path", "body", "action", "target", "message"), FORBIDDEN_CASES
)
def test_a_role_outside_its_scope_is_refused_403_and_the_refusal_recorded(
    served: Served,
    who: str,
    method: str,
    path: str,
    body: Any,
    action: str,
    target: str,
    message: str,
) -> None:
    got, answer, lines = ask(served, who, method, path, body)
    assert (got, answer) == (403, {"error": "forbidden", "message": message})
    assert lines == [(who, action, target, "forbidden", message)]


def test_an_unknown_manager_is_404_and_recorded_for_the_auditor(served: Served) -> None:
    got, answer, lines = ask(served, "aud", "GET", S + "&manager=M404")
    assert (got, answer) == (404, {"error": "not_found", "message": "no such manager: M404"})
    assert lines == [
        ("aud", "statements", "period 2025-02 manager M404", "not_found", "no such manager: M404")
    ]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/statements?period=2025-13", None, "period"),
        ("/api/v1/statements", None, "period"),
        ("/api/v1/managers/M1/departure-audit?format=pdf", None, "format"),
        ("/api/v1/tiers?as_of=yesterday", None, "as_of"),
    ],
)
def test_a_bad_parameter_is_422_naming_it_and_not_recorded(
    served: Served, path: str, body: Any, field: str
) -> None:
    got, answer, lines = ask(served, "aud", "GET", path, body)
    assert got == 422
    assert answer["error"] == "invalid" and answer["field"] == field and answer["message"]
    assert set(answer) == {"error", "field", "message"}
    assert lines == []


def test_a_write_in_the_sql_console_is_422(served: Served) -> None:
    got, answer, lines = ask(
        served, "aud", "POST", "/api/v1/sql", {"query": "DELETE FROM managers"}
    )
    assert (got, answer["error"], answer["field"]) == (422, "invalid", "query")
    assert lines == []


ENDPOINTS = [
    ("GET", "/api/v1/me", None),
    ("GET", S, None),
    ("GET", X, None),
    ("GET", "/api/v1/managers/M1/history", None),
    ("GET", "/api/v1/managers/M2/departure-audit", None),
    ("GET", "/api/v1/tiers?as_of=2025-02-28", None),
    ("POST", "/api/v1/sql", {"query": "SELECT 1"}),
    ("GET", "/api/v1/access-log", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    ("credential", "reason", "message"),
    [
        ("none", "missing", "sign in: send 'Authorization: Bearer <token>' or the session cookie"),
        ("forged", "bad_signature", "the bearer token's signature is not the ledger's"),
        ("expired", "expired", "the bearer token has expired"),
        ("disabled", "disabled", "user dan is disabled"),
        ("garbage", "malformed", "the bearer token is not an rmledger token"),
    ],
)
def test_no_acceptable_identity_is_401_and_recorded(
    served: Served, method: str, path: str, body: Any, credential: str, reason: str, message: str
) -> None:
    token = {
        "none": None,
        "forged": served.token("aud", key=b"\x01" * 32),
        "expired": served.token("aud", ttl=timedelta(seconds=-5)),
        "disabled": served.token("dan"),
        "garbage": "not-a-token",
    }[credential]
    before = served.head()
    # from an address of its own: the first refusal of its (address, reason) pair
    with served.client(token, source=fresh_source()) as client:
        answer = client.request(method, path, json=body)
    assert (answer.status_code, answer.json()) == (
        401,
        {"error": "unauthenticated", "message": message},
    )
    target = f"{method} {path.split('?')[0]}"
    assert served.access_lines(before) == [
        (None, "authenticate", target, "unauthenticated", f"{reason}: {message}")
    ]


MISSING = "sign in: send 'Authorization: Bearer <token>' or the session cookie"


def test_five_refusals_in_a_row_from_one_address_are_one_line_of_the_access_log(
    served: Served,
) -> None:
    """The first refusal of a (client address, reason code) pair is recorded, the next
    ones within UNAUTHENTICATED_LOG_INTERVAL (a minute) only counted: their count is
    said by the pair's next line (tests/web/test_api_guards.py, with a clock)."""
    source, other = fresh_source(), fresh_source()
    before = served.head()
    with served.client(source=source) as client:
        answers = [client.get("/api/v1/me") for _ in range(5)]
    assert [(a.status_code, a.json()) for a in answers] == [
        (401, {"error": "unauthenticated", "message": MISSING})
    ] * 5
    line = (None, "authenticate", "GET /api/v1/me", "unauthenticated", f"missing: {MISSING}")
    assert served.access_lines(before) == [line]
    with served.client(source=other) as client:
        assert client.get("/api/v1/me").status_code == 401
    assert served.access_lines(before) == [line, line]  # another address: a line of its own


def test_the_session_cookie_of_the_login_page_is_an_identity(served: Served) -> None:
    with served.client(None) as client:
        client.cookies.set("rmledger_session", served.token("cy"))
        answer = client.get("/api/v1/me")
    assert (answer.status_code, answer.json()["username"]) == (200, "cy")


def test_signing_in_gives_a_token_and_a_wrong_password_is_401_slowed_and_recorded(
    served: Served,
) -> None:
    before = served.head()
    with served.client() as client:
        good = client.post(
            "/api/v1/session", json={"username": "pat", "password": "a-long-password-1"}
        )
        bad = client.post(
            "/api/v1/session", json={"username": "pat", "password": "wrong-password-00"}
        )
        assert good.status_code == 200
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {good.json()['token']}"})
    assert me.json()["username"] == "pat"
    assert (bad.status_code, bad.json()) == (
        401,
        {"error": "unauthenticated", "message": "wrong username or password"},
    )
    assert served.access_lines(before) == [
        ("pat", "sign_in", "user pat", "allowed", "password accepted"),
        (None, "sign_in", "user pat", "unauthenticated", "wrong username or password"),
    ]


def test_failed_sign_ins_make_the_next_attempt_wait_and_each_is_recorded(served: Served) -> None:
    """After the n-th failure in a row (from an address, or for a username) the next
    attempt waits 0.25 × 2^(n−1) s: the third waits at least 0.5 s; each is answered
    401 with the same body and is a line of the access log. (The waits one by one, to 8 s:
    tests/web/test_api_guards.py.)"""
    before = served.head()
    answers, took = [], []
    with served.client(source=fresh_source()) as client:
        for _ in range(3):
            started = time.monotonic()
            answers.append(
                client.post("/api/v1/session", json={"username": "zed", "password": "x" * 12})
            )
            took.append(time.monotonic() - started)
    assert [(a.status_code, a.json()) for a in answers] == [
        (401, {"error": "unauthenticated", "message": "wrong username or password"})
    ] * 3
    assert took[1] >= 0.25 and took[2] >= 0.5, took
    assert (
        served.access_lines(before)
        == [(None, "sign_in", "user zed", "unauthenticated", "wrong username or password")] * 3
    )


def test_metrics_refuse_a_client_that_a_proxy_on_the_host_names_in_x_forwarded_for(
    served: Served,
) -> None:
    """The server trusts X-Forwarded-For from the loopback (uvicorn's proxy headers):
    a request a proxy on the host forwards for a remote client is that client's."""
    with served.client(**{"X-Forwarded-For": "10.1.2.3"}) as client:
        answer = client.get("/metrics")
    assert (answer.status_code, answer.json()) == (
        403,
        {"error": "forbidden", "message": "the metrics are for the server's own host"},
    )


def test_healthz_needs_no_identity_and_metrics_answer_the_loopback(served: Served) -> None:
    with served.client() as client:
        health = client.get("/healthz")
        metrics = client.get("/metrics")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert isinstance(health.json()["position"], int) and health.json()["position"] > 0
    assert metrics.status_code == 200
    assert "rmledger_read_model_lag_events" in metrics.text
    assert (
        'rmledger_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    )
