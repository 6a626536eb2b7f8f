"""A parent reads the committee's meeting minutes on a phone; anyone reads the public disclosure page.

Runs at phone size (390 × 844): parents read the committee on their phones, and the public page
is the one most often opened from a phone.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def fits_the_screen(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


@pytest.mark.parametrize("viewport", ["phone"])
def test_the_demo_parent_opens_the_committee_and_reads_a_meetings_minutes(page, problems, viewport):
    sign_in(page, "parent")
    page.get_by_role("link", name="Parent committee").first.click()
    expect(page.locator("main h1")).to_have_text("Parent committee (家长委员会)")
    assert fits_the_screen(page)
    expect(page.locator("#members")).to_contain_text("Chair (主任)")
    expect(page.locator("#opinions")).to_contain_text("The nursery's response")
    # A parent reads: no forms and no edit links on the page.
    assert page.locator("main form").count() == 0
    assert page.locator("main a[href*='/edit'], main a[href$='/new']").count() == 0

    page.locator("#meetings a[href^='/committee/meetings/']").first.click()
    expect(page.locator("#minutes")).to_be_visible()
    expect(page.locator("main")).to_contain_text("家长开放日定于下月中旬")
    assert fits_the_screen(page)
    assert not problems, problems


@pytest.mark.parametrize("viewport", ["phone"])
def test_an_anonymous_visitor_reads_the_public_disclosure_page_from_the_sign_in_page(page, problems, viewport):
    page.goto("/login")
    page.get_by_role("link", name="Public information").click()
    assert urlsplit(page.url).path == "/disclosure"
    expect(page.locator("main h1")).to_have_text("Public information (信息公示)")
    for section in ("fees", "refunds", "routine", "menu", "health_safety", "filing", "complaints"):
        expect(page.locator(f"#{section} .prose")).not_to_be_empty()
    expect(page.locator("#fees")).to_contain_text("2800 元/月")
    assert fits_the_screen(page)
    # Printed, the page keeps its sections and drops the buttons.
    page.emulate_media(media="print")
    expect(page.locator("#filing")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    assert not problems, problems
