"""The health summary, staff compliance and enrolment reports print on A4: nothing wider than the sheet,
and nothing the CSP refuses (the charts are SVG with presentation attributes, no inline style)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

# An A4 sheet at 96 dpi less Chromium's default 1 cm margins: 210 mm - 20 mm ≈ 718 px.
A4_CONTENT_WIDTH = 718
REPORTS = [("/reports/health", "Health summary"), ("/reports/staff", "Staff compliance"),
           ("/reports/enrolment", "Enrolment and waitlist")]


@pytest.mark.parametrize("viewport", ["tablet"])
@pytest.mark.parametrize(("url", "title"), REPORTS, ids=[url for url, _ in REPORTS])
def test_the_report_prints_on_a4_without_spilling_over_the_sheet(page: Page, problems, viewport, url, title):
    sign_in(page, "director")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    expect(page.locator("svg.report-chart").first).to_be_visible()
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    expect(page.locator("form.inline-form")).to_be_hidden()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert not problems, problems
