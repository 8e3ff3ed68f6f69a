"""The pages in a real browser (Debian's Chromium, headless, driven by Playwright):
a manager signs in, sees their pay and its explanation and is refused another
manager's page; a branch head sees only their branch; an auditor runs a SQL query and
opens a departure audit; the language switches. Screenshots go to
tests/web/artifacts/ (git-ignored). Every step waits for what it needs to see."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.web.pages_bank import PASSWORD, bank_server
from tests.web.served import Served

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
TIMEOUT_MS = 60_000  # a loaded 2-core machine

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with bank_server(tmp_path_factory.mktemp("browser")) as running:
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, served: Served) -> Iterator[Page]:
    context = chromium.new_context(base_url=served.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


def sign_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_manager_sees_their_pay_and_its_explanation_and_not_anothers(page: Page) -> None:
    sign_in(page, "ann")
    page.wait_for_url("**/pay/M1")
    expect(page.locator("h1")).to_have_text("M1（Manager M1）的薪酬")
    expect(page.locator("#pay-chart svg")).to_be_visible()
    row = page.locator("#table-months tr", has_text="2025-02")
    expect(row.locator("td").nth(2)).to_have_text("6,752.00")
    shot(page, "manager-pay")
    row.locator("a").click()
    page.wait_for_url("**/pay/M1/2025-02")
    expect(page.locator("#summary")).to_have_text("已发放合计 6,752.00；按今日数据重算 6,752.00。")
    expect(page.locator("#table-lines tbody tr")).to_have_count(1)
    expect(page.locator("#table-lines tbody td").last).to_have_text("20,000.00")
    shot(page, "manager-explanation")
    answer = page.goto("/pay/M2")
    assert answer.status == 403
    expect(page.locator("#reason")).to_have_text(
        "ann (manager M1) may not see the history of manager M2: a manager sees only their own"
    )
    shot(page, "manager-refused")


def test_a_branch_head_sees_only_their_branch(page: Page) -> None:
    sign_in(page, "bo")
    page.wait_for_url("**/branch")
    managers = page.locator("#table-managers tbody tr")
    expect(managers).to_have_count(2)
    expect(managers.nth(0).locator("td").first).to_have_text("M1")
    expect(managers.nth(1).locator("td").first).to_have_text("M2")
    expect(page.locator("#table-books tbody tr")).to_have_count(2)
    shot(page, "branch-head")


def test_an_auditor_runs_sql_and_opens_a_departure_audit(page: Page) -> None:
    sign_in(page, "aud")
    page.wait_for_url("**/audit")
    page.fill("#query", "SELECT manager_id, branch_id FROM managers ORDER BY manager_id")
    page.click("#run-sql")
    rows = page.locator("#table-sql tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_have_text("M3BR02")
    shot(page, "auditor-sql")
    page.fill("#manager", "M2")
    page.click("#show-history")
    expect(page.locator("#history-status")).to_contain_text("departure_requested")
    page.click("#departure-link")
    page.wait_for_url("**/audit/departure/M2")
    expect(page.locator("body")).to_contain_text("M2")
    shot(page, "auditor-departure")


def test_the_language_switches(page: Page) -> None:
    sign_in(page, "pat")
    page.wait_for_url("**/month")
    expect(page.locator("h1")).to_have_text("2025-02 薪酬账单")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Statements of 2025-02")
    expect(page.locator("#count")).to_have_text("3 statements")
    shot(page, "month-english")
    page.goto("/month")
    expect(page.locator("h1")).to_have_text("Statements of 2025-02")
    page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("2025-02 薪酬账单")
