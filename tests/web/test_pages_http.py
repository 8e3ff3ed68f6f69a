"""The pages over real HTTP (a running ``rmledger serve`` on tests/web/pages_bank.py's
bank): the way to the sign-in page, the session cookie's attributes, CSRF refusals,
failed sign-ins recorded, the language switch, a manager refused another's page, and
the downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.web.pages_bank import PASSWORD, bank_server
from tests.web.served import Served


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with bank_server(tmp_path_factory.mktemp("pages")) as running:
        yield running


def browser(served: Served, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=served.url, timeout=120, headers=headers)


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/login")
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": csrf(form.text)}
    )


def test_a_page_without_a_session_leads_to_the_sign_in_page(served: Served) -> None:
    with browser(served) as client:
        answer = client.get("/month?period=2025-02")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?next=/month%3Fperiod%3D2025-02"
        form = client.get("/login")
        assert form.status_code == 200
        assert '<input name="username"' in form.text
        assert 'name="password" id="password" type="password"' in form.text


def test_signing_in_sets_the_session_cookie_and_leads_home(served: Served) -> None:
    with browser(served) as client:
        answer = sign_in(client, "ann")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/pay"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("rmledger_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
        assert "Path=/" in cookie
        assert client.get("/pay").headers["location"] == "/pay/M1"
        page = client.get("/pay/M1")
        assert page.status_code == 200
        assert "<h1>M1（Manager M1）的薪酬</h1>" in page.text


def test_the_cookie_is_secure_behind_an_https_proxy(served: Served) -> None:
    with browser(served, **{"X-Forwarded-Proto": "https"}) as client:
        form = client.get("/login")
        nonce = form.headers["set-cookie"]
        assert nonce.startswith("rmledger_login=") and "Secure" in nonce
        # httpx keeps a Secure cookie from an http URL to itself: send it as the browser would over https
        answer = client.post(
            "/login",
            data={"username": "bo", "password": PASSWORD, "csrf_token": csrf(form.text)},
            headers={"Cookie": nonce.split(";")[0]},
        )
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("rmledger_session=")
        )
        assert "Secure" in cookie
        assert answer.headers["location"] == "/branch"


def test_a_post_without_its_csrf_token_is_refused(served: Served) -> None:
    with browser(served) as client:
        client.get("/login")
        refused = client.post("/login", data={"username": "ann", "password": PASSWORD})
        assert refused.status_code == 403
        assert "表单已过期或并非来自本站" in refused.text
        assert "rmledger_session" not in refused.headers.get("set-cookie", "")
        sign_in(client, "aud")
        query = {"query": "SELECT 1 AS one"}
        assert client.post("/audit/sql", data=query).status_code == 403
        assert client.post("/audit/sql", data={**query, "csrf_token": "forged"}).status_code == 403
        assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
        assert client.get("/audit").status_code == 200  # still signed in


def test_signing_out_removes_the_session(served: Served) -> None:
    with browser(served) as client:
        sign_in(client, "pat")
        token = csrf(client.get("/month").text)
        answer = client.post("/logout", data={"csrf_token": token})
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login"
        assert 'rmledger_session=""' in answer.headers["set-cookie"]
        assert client.get("/month").status_code == 303


def test_a_failed_sign_in_is_recorded_and_slows_the_next(served: Served) -> None:
    before = served.head()
    with browser(served) as client:
        answer = sign_in(client, "bea", "wrong-password")
        assert answer.status_code == 303
        assert answer.headers["location"] == "/login?failed=1"
        failed = client.get("/login?failed=1")
        assert failed.status_code == 401
        assert "用户名或密码错误。" in failed.text
        assert sign_in(client, "bea").headers["location"] == "/pay"
    assert served.access_lines(before) == [
        (None, "sign_in", "user bea", "unauthenticated", "wrong username or password"),
        ("bea", "sign_in", "user bea", "allowed", "password accepted"),
    ]


def test_a_manager_is_refused_another_managers_page_and_it_is_recorded(served: Served) -> None:
    with browser(served) as client:
        sign_in(client, "ann")
        before = served.head()
        answer = client.get("/pay/M2")
        assert answer.status_code == 403
        reason = (
            "ann (manager M1) may not see the history of manager M2: a manager sees only their own"
        )
        assert f'<p class="reason" id="reason">{reason}</p>' in answer.text
        assert served.access_lines(before) == [
            ("ann", "history", "manager M2", "forbidden", reason)
        ]
        explained = client.get("/pay/M1/2025-02")
        assert explained.status_code == 200
        assert "已发放合计 6,752.00；按今日数据重算 6,752.00。" in explained.text
        assert client.get("/pay/M2/2025-02").status_code == 403


def test_the_language_switches_and_stays(served: Served) -> None:
    with browser(served) as client:
        sign_in(client, "bo")
        chinese = client.get("/branch")
        assert "<h1>支行 BR01</h1>" in chinese.text
        assert 'href="/branch?lang=en"' in chinese.text
        english = client.get("/branch?lang=en")
        assert "<h1>Branch BR01</h1>" in english.text
        assert english.headers["set-cookie"].startswith("lang=en;")
        kept = client.get("/branch")
        assert '<html lang="en">' in kept.text
        assert "Managers and their pay for 2025-02" in kept.text
        assert ">6,752.00</td>" in kept.text
        assert "M3" not in kept.text  # another branch's manager


def test_the_month_downloads_as_csv_and_excel(served: Served) -> None:
    with browser(served) as client:
        sign_in(client, "pat")
        csv = client.get("/month?period=2025-02&download=branches&format=csv")
        assert csv.status_code == 200
        assert csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert csv.text == (
            "branch_id,statements,performance_paid,total\n"
            "BR01,2,378.00,13378.00\n"
            "BR02,1,63.00,6563.00\n"
        )
        xlsx = client.get("/month?period=2025-02&download=statements&format=xlsx")
        assert xlsx.status_code == 200
        assert xlsx.content[:2] == b"PK"
        assert client.get("/month?download=nothing").status_code == 404


def test_an_auditor_runs_sql_and_reads_a_departure_audit(served: Served) -> None:
    with browser(served) as client:
        sign_in(client, "aud")
        page = client.get("/audit")
        answer = client.post(
            "/audit/sql",
            data={
                "query": "SELECT manager_id FROM managers ORDER BY 1",
                "csrf_token": csrf(page.text),
            },
        )
        assert answer.status_code == 200
        assert '<th class="text">manager_id</th>' in answer.text
        assert '<td class="text">M3</td>' in answer.text
        refused = client.post(
            "/audit/sql", data={"query": "DELETE FROM managers", "csrf_token": csrf(page.text)}
        )
        assert refused.status_code == 200
        assert 'id="sql-error"' in refused.text
        audit = client.get("/audit/departure/M2")
        assert audit.status_code == 200
        assert audit.headers["content-type"] == "text/html; charset=utf-8"
        assert "M2" in audit.text
