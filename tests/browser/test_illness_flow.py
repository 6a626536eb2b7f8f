"""An illness during the day in a real browser, ending with the return certificate that unblocks check-in.

A child in 小月亮 托小班 (the demo's room with a morning under way) gets a fever at the
midday check, is isolated, the guardian is told, and she is collected with a suspected
infectious disease. The next weekday the tablet refuses her check-in until the health
officer records the doctor's return certificate (返园证明); then she checks in.

"The next day" moves the app's clock (nursery_ops.clock) forward: the live server runs
in this process, so the shifted clock is the server's too.
"""

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from nursery_ops import clock
from tests.browser.conftest import sign_in

ROOM = "小月亮 托小班"
# One child per viewport: both runs share the live server's database.
CHILD = {"tablet": "孙一诺", "phone": "高子睿"}
NEXT_DAY_CAREGIVER = "caregiver5"  # 陈老师, 小月亮, valid health certificate, not on duty today


def next_weekday_offset(today) -> timedelta:
    days = 1
    while (today + timedelta(days=days)).isoweekday() > 5:
        days += 1
    return timedelta(days=days)


@pytest.fixture
def shift_clock(monkeypatch):
    """shift_clock(offset): from now on the app (and this test) live `offset` later."""

    def shift(offset: timedelta) -> None:
        class Shifted(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + offset

        monkeypatch.setattr(clock, "datetime", Shifted)

    return shift


def open_room(page) -> str:
    page.goto("/rooms")
    page.locator("a", has_text=ROOM).first.click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    return page.url.rstrip("/").rsplit("/", 1)[1]


def child_id_on_tablet(page, name: str) -> str:
    tile = page.locator("article.child-tile", has=page.locator("h2", has_text=name))
    return tile.get_attribute("id").removeprefix("child-")


def test_a_child_ill_with_a_suspected_infection_needs_the_certificate_to_come_back(page, problems, viewport, shift_clock):
    name = CHILD[viewport]
    sign_in(page, "caregiver")
    room_id = open_room(page)
    child_id = child_id_on_tablet(page, name)
    tablet_child = f"/rooms/{room_id}/children/{child_id}"

    # 午检: a fever after the nap → "ill" starts the illness.
    page.goto(f"{tablet_child}/midday-check")
    page.fill("#f-temperature", "38.6")
    page.locator("input[name=outcome][value=ill]").check()
    page.locator("input[name=symptoms][value=cough]").check()
    page.locator("form [type=submit]", has_text="Save the check").click()
    page.wait_for_url(re.compile(rf"/rooms/{room_id}$"))

    page.goto(f"/children/{child_id}/illness")
    page.locator("#illnesses a").first.click()
    page.wait_for_url(re.compile(r"/health/illness/\d+"))
    expect(page.locator("#illness-facts")).to_contain_text("Fever")

    page.fill("#step-isolate input[name=isolation_place]", "保健室")
    page.locator("#step-isolate [type=submit]").click()
    expect(page.locator("#illness-steps")).to_contain_text("保健室")

    # Notifying without saying whom is refused next to the field.
    page.locator("#step-notify [type=submit]").click()
    expect(page.locator("#step-notify .field-error")).to_be_visible()
    page.fill("#step-notify input[name=notified_whom]", "母亲，电话")
    page.locator("#step-notify [type=submit]").click()
    expect(page.locator("#illness-steps")).to_contain_text("母亲，电话")

    page.locator("#step-pickup select[name=collector]").select_option(index=1)
    page.locator("#step-pickup input[name=suspected_infectious]").check()
    page.fill("#step-pickup input[name=suspected_disease]", "手足口病")
    page.locator("#step-pickup [type=submit]").click()
    expect(page.locator("#certificate")).to_contain_text("Required before the next check-in")

    page.locator("#step-outcome input[name=outcome][value=went_home]").check()
    page.locator("#step-outcome [type=submit]").click()
    expect(page.locator(".page-head .badge")).to_have_text("Went home")

    # The next weekday: a caregiver on duty does the morning check, and check-in is refused.
    shift_clock(next_weekday_offset(clock.local_today()))
    page.context.clear_cookies()
    sign_in(page, NEXT_DAY_CAREGIVER)
    page.goto(f"/rooms/{room_id}")
    clock_in = page.locator(f"form[action='/rooms/{room_id}/clock-in'] button")
    if clock_in.count():
        clock_in.click()
        page.wait_for_url(re.compile(rf"/rooms/{room_id}$"))
    tile = page.locator(f"#child-{child_id}")
    tile.locator("a", has_text="Morning check").click()
    tile.locator("#f-temperature").fill("36.6")
    tile.locator("input[name=outcome][value=admit]").check()
    tile.locator("form [type=submit]", has_text="Save the check").click()
    expect(tile).to_contain_text("Morning check 36.6")

    tile.locator("a", has_text="Check in").click()
    tile.locator("input[name=brought_by]").first.check()
    tile.locator("form [type=submit]", has_text="Check in now").click()
    expect(tile.locator(".alert-block")).to_contain_text("返园证明")

    # The health officer records the certificate.
    page.context.clear_cookies()
    sign_in(page, "health")
    page.goto(f"/children/{child_id}/return-certificate")
    page.fill("#f-received_on", clock.local_today().isoformat())
    page.fill("#f-issued_by", "区妇幼保健院 王医生")
    page.locator("form [type=submit]", has_text="Record the certificate").click()
    page.wait_for_url(re.compile(rf"/children/{child_id}$"))

    # Now the tablet lets her in.
    page.context.clear_cookies()
    sign_in(page, NEXT_DAY_CAREGIVER)
    page.goto(f"/rooms/{room_id}")
    tile = page.locator(f"#child-{child_id}")
    tile.locator("a", has_text="Check in").click()
    tile.locator("input[name=brought_by]").first.check()
    tile.locator("form [type=submit]", has_text="Check in now").click()
    expect(tile.locator(".tile-status")).to_contain_text("Arrived")
    # The refused forms came back as 400, which the browser logs; nothing else went wrong.
    assert [error for error in problems.console_errors if "status of 400" not in error] == []
    assert problems.outside_requests == []
