"""The workflow pages in a real browser (Debian's Chromium, headless, via Playwright):
a manager acknowledges a plan from the banner and disputes a posting from the
explanation of their statement; the performance office upholds it from its queue;
the branch head then the performance office sign a month off from the month page.
The bank is tests/web/test_api_writes.py's (plan 2025-03 asks the branch head, then
the performance office, to sign each month off). Every step waits for what it needs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests import builders as b
from tests.web.pages_bank import bank_server
from tests.web.served import Served
from tests.web.test_api_writes import WORKFLOW_BANK
from tests.web.test_pages_browser import CHROMIUM, TIMEOUT_MS, chromium, shot, sign_in

__all__ = ["chromium"]  # the browser fixture, shared with the pages' browser tests

pytestmark = pytest.mark.skipif(
    __import__("shutil").which(CHROMIUM) is None, reason="Debian's chromium is not installed"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with bank_server(tmp_path_factory.mktemp("workflows"), WORKFLOW_BANK) as running:
        yield running


@pytest.fixture
def tab(chromium: Browser, served: Served) -> Iterator[Page]:
    context = chromium.new_context(base_url=served.url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def other_tab(chromium: Browser, served: Served) -> Iterator[Page]:
    context = chromium.new_context(base_url=served.url)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_manager_acknowledges_a_plan_and_disputes_a_posting_the_office_upholds_it(
    tab: Page, other_tab: Page
) -> None:
    sign_in(tab, "ann")
    tab.wait_for_url("**/pay/M1")
    expect(tab.locator("#ack-default")).to_contain_text("请确认发放您薪酬的方案：版本 default。")
    expect(tab.locator("#ack-2025-03")).to_be_visible()
    tab.locator("#ack-2025-03 button").click()
    tab.wait_for_url("**/pay/M1")
    expect(tab.locator("#ack-2025-03")).to_have_count(0)
    expect(tab.locator("#ack-default")).to_be_visible()

    tab.goto("/pay/M1/2025-02?lang=en")
    row = tab.locator("#table-lines tbody tr", has_text="P1")
    row.get_by_role("link", name="Dispute").click()
    tab.wait_for_url("**/disputes/new?period=2025-02&posting_id=P1")
    expect(tab.locator("#disputed")).to_have_text("Posting P1")
    tab.fill("#claim", "P1 was booked twice")
    tab.click("#open-dispute")
    tab.wait_for_url("**/disputes?opened=*")
    dispute_id = tab.url.rsplit("=", 1)[1]
    expect(tab.locator("#notice")).to_have_text(f"Dispute {dispute_id} is open.")
    mine = tab.locator("#table-open tbody tr", has_text=dispute_id)
    expect(mine.locator("td").nth(4)).to_have_text("P1 was booked twice")
    shot(tab, "manager-dispute-opened")

    sign_in(other_tab, "pat")
    other_tab.wait_for_url("**/month")
    other_tab.goto("/disputes?lang=en")
    form = other_tab.locator(f"#resolve-{dispute_id}")
    form.locator("select[name=outcome]").select_option("upheld")
    form.locator("input[name=amount]").fill("150.00")
    form.locator("input[name=reason]").fill("booked twice indeed")
    form.locator("button").click()
    other_tab.wait_for_url("**/disputes?resolved=*")
    expect(other_tab.locator("#notice")).to_have_text(f"Dispute {dispute_id} is resolved.")
    done = other_tab.locator("#table-resolved tbody tr", has_text=dispute_id)
    expect(done.locator("td").nth(6)).to_have_text("upheld")
    expect(done.locator("td").nth(7)).to_have_text("150.00")
    expect(done.locator("td").nth(9)).to_have_text("pat")
    expect(other_tab.locator(f"#resolve-{dispute_id}")).to_have_count(0)
    shot(other_tab, "office-dispute-resolved")


def test_the_branch_head_then_the_office_sign_a_month_off(tab: Page, other_tab: Page) -> None:
    sign_in(tab, "pat")
    tab.wait_for_url("**/month")
    tab.goto("/month?period=2025-03")
    expect(tab.locator("#signoff-plan")).to_have_text(
        "方案 2025-03 要求依次签核：支行行长、绩效办公室。"
    )
    expect(tab.locator("#signoff-state")).to_have_text(
        "等待：支行行长。 尚缺：支行行长、绩效办公室。"
    )
    expect(tab.locator("#sign")).to_have_count(0)

    sign_in(other_tab, "bo")
    other_tab.wait_for_url("**/branch")
    other_tab.goto("/month?period=2025-03&lang=en")
    other_tab.click("#sign")
    other_tab.wait_for_url("**/month?period=2025-03&signed=1")
    expect(other_tab.locator("#notice")).to_have_text("You signed 2025-03 off.")
    expect(other_tab.locator("#signatures tbody td").nth(1)).to_have_text("bo")
    expect(other_tab.locator("#signoff-state")).to_have_text(
        "Waiting for: performance office. Still missing: performance office."
    )
    expect(other_tab.locator("#sign")).to_have_count(0)

    tab.reload()
    expect(tab.locator("#sign")).to_have_text("以绩效办公室身份签核 2025-03")
    tab.click("#sign")
    tab.wait_for_url("**/month?period=2025-03&signed=1")
    expect(tab.locator("#signoff-state")).to_have_text("签核已全部完成。")
    expect(tab.locator("#signatures tbody tr")).to_have_count(2)
    shot(tab, "office-month-signed")


def test_the_office_runs_a_simulation_from_a_pasted_draft(tab: Page) -> None:
    grades = {
        g: b.grade_terms(base="6000.00")
        for g in ("assistant", "junior", "intermediate", "senior", "principal")
    }
    sign_in(tab, "pat")
    tab.wait_for_url("**/month")
    tab.goto("/simulate?lang=en")
    tab.fill("#plan", json.dumps(b.plan("DRAFT", "2025-02-01", grades=grades)))
    tab.fill("#from", "2025-02")
    tab.fill("#to", "2025-02")
    tab.click("#run-simulation")
    rows = tab.locator("#table-simulation tbody tr")
    expect(rows).to_have_count(3)
    first = rows.first.locator("td")
    expect(first.nth(0)).to_have_text("M1")
    expect(first.nth(2)).to_have_text("issued")
    expect(first.nth(3)).to_have_text("6,752.00")
    expect(first.nth(6)).to_contain_text("base_salary 1,000.00")
    expect(tab.locator("#simulation-chart svg")).to_be_visible()
    shot(tab, "office-simulation")
