"""A parent on a phone (390×844) reads how the child's day went (issue 7).

The demo parent (`parent`, the 周 family's mother) signs in and lands on /family. 周雨桐
arrived this morning (nursery_ops/family/demo.py): the morning check, breakfast, an
activity and a photo are there. She opens the photo, then the health page and the growth
charts, then the contract, then the "our data" tab with everything held about her (which
prints as the record alone). No page scrolls sideways, nothing reaches off the machine,
and no page has a form that changes anything.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from nursery_ops.family.demo import PHOTO_CAPTION, PHOTOGRAPHED
from nursery_ops.growth.who import Indicator
from tests.browser.conftest import sign_in

TOP_BAR_FORMS = {"/language", "/logout"}


def sideways_scroll(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def assert_fits_and_reads_only(page: Page) -> None:
    assert sideways_scroll(page) <= 0, f"{page.url} scrolls sideways"
    actions = set(page.eval_on_selector_all("main form", "forms => forms.map(form => form.getAttribute('action'))"))
    assert actions <= TOP_BAR_FORMS, (page.url, actions)


@pytest.mark.parametrize("viewport", ["phone"])
def test_a_parent_reads_today_opens_a_photo_health_growth_and_the_contract(page: Page, problems, viewport):
    sign_in(page, "parent")
    expect(page).to_have_url(re.compile(r"/family$"))
    expect(page.get_by_role("heading", name="My family", level=1)).to_be_visible()

    card = page.locator("article.family-card").filter(has=page.get_by_role("heading", name=PHOTOGRAPHED, exact=True))
    today = card.locator(".family-today")
    expect(today).to_contain_text("Morning check (晨检)")
    expect(today).to_contain_text("Arrived")
    expect(today).to_contain_text("Breakfast")
    expect(today).to_contain_text("搭积木")
    expect(page.locator("article.family-card")).to_have_count(2)  # both of her children, in two rooms
    assert_fits_and_reads_only(page)

    # ---- the photo: its own page, the picture served through the guarded photo route
    expect(today.locator(".family-photos")).to_contain_text(PHOTO_CAPTION)
    thumbnail = today.locator("a.family-photo img").first
    expect(thumbnail).to_be_visible()
    with page.expect_response(lambda response: re.fullmatch(r"/photos/\d+", urlsplit(response.url).path)) as served:
        today.locator("a.family-photo").first.click()
        page.wait_for_url(re.compile(r"/family/children/\d+/photos/\d+$"))
    assert served.value.status == 200 and served.value.headers["content-type"] == "image/jpeg"
    picture = page.locator(".family-photo-page img")
    expect(picture).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=picture.element_handle())
    expect(page.locator(".family-photo-page figcaption")).to_contain_text(PHOTO_CAPTION)
    assert_fits_and_reads_only(page)
    page.go_back()

    # ---- health, then the growth charts
    card = page.locator("article.family-card").filter(has=page.get_by_role("heading", name=PHOTOGRAPHED, exact=True))
    card.get_by_role("link", name="Health", exact=True).click()
    page.wait_for_url(re.compile(r"/family/children/\d+/health$"))
    expect(page.get_by_role("heading", name=f"Health · {PHOTOGRAPHED}", level=1)).to_be_visible()
    expect(page.locator("#morning-checks")).to_contain_text("°C")
    assert_fits_and_reads_only(page)

    page.locator("#growth").get_by_role("link", name="Growth charts").click()
    page.wait_for_url(re.compile(r"/family/children/\d+/growth$"))
    chart = page.locator(f"#chart-{Indicator.weight_for_age.value} svg.growth-chart")
    expect(chart).to_be_visible()
    assert chart.locator("circle.point").count() > 0  # the demo's six months of measurements
    box = chart.bounding_box()
    assert box["width"] <= 390
    assert_fits_and_reads_only(page)

    # ---- the contract, through the child's money page
    page.get_by_role("link", name="Contract and bills").first.click()
    page.wait_for_url(re.compile(r"/family/children/\d+/money$"))
    expect(page.locator(".family-contract")).to_have_count(1)
    assert_fits_and_reads_only(page)
    page.get_by_role("link", name="Open the contract").click()
    page.wait_for_url(re.compile(r"/contracts/\d+$"))
    expect(page.locator("main")).to_contain_text(PHOTOGRAPHED)
    assert sideways_scroll(page) <= 0, f"{page.url} scrolls sideways"

    # ---- everything held about her, as one of the child's tabs; on paper only the record
    page.go_back()
    page.locator("nav.family-tabs").get_by_role("link", name="Our data").click()
    page.wait_for_url(re.compile(r"/family/children/\d+/export$"))
    expect(page.locator('nav.family-tabs a[aria-current="page"]')).to_have_text("Our data")
    expect(page.get_by_role("heading", name=f"Record of {PHOTOGRAPHED}", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Download everything"))).to_be_visible()
    assert_fits_and_reads_only(page)
    page.emulate_media(media="print")
    expect(page.locator("nav.family-tabs")).to_be_hidden()
    expect(page.get_by_role("link", name=re.compile("Download everything"))).to_be_hidden()
    expect(page.locator("article.export-record")).to_be_visible()
    page.emulate_media(media="screen")

    assert not problems, problems
