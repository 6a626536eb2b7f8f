"""Recording an incident on the tablet or a phone: tapping the body outline ticks the body part (no script needed)."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import sign_in


def test_tapping_the_outline_ticks_the_body_part_and_the_record_keeps_it(page, problems):
    sign_in(page, "caregiver")
    page.goto("/incidents/new")
    page.locator("label.region-hit[for=bp-left_hand]").click()
    page.locator("label.region-hit[for=bp-back_of_head]").click()
    expect(page.locator("#bp-left_hand")).to_be_checked()
    expect(page.locator("#bp-back_of_head")).to_be_checked()
    page.locator("label.region-hit[for=bp-back_of_head]").click()  # a second tap takes it back
    expect(page.locator("#bp-back_of_head")).not_to_be_checked()

    child = page.locator("#f-child_id option:not([value=''])").first
    child_name = child.inner_text().strip()
    page.select_option("#f-child_id", child.get_attribute("value"))
    page.select_option("#f-category", "fall")
    page.fill("#f-place", "Yard")
    page.fill("#f-description", "Fell on the left hand")
    with page.expect_navigation():
        page.locator("form[action='/incidents/new'] [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.locator("#what-happened")).to_contain_text("Left hand")
    expect(page.locator("body")).to_contain_text(child_name.split(" ")[0])
    assert not problems, problems
