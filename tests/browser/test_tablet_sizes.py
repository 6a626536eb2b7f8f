"""The room tablet at other sizes than 1024×768: a tablet held upright (768×1024) and a phone (390×844).

张老师 (demo `caregiver`) opens 小月亮 托小班, where the demo has a morning under way
(children arrived, absent, expected), so the tiles carry every kind of button. At each
size the room view must not scroll sideways, and every tile button must be on screen
and at least 44 px tall: a finger, not a mouse pointer, taps them.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in

ROOM = "小月亮 托小班"
CAREGIVER = "caregiver"
MIN_TAP_PX = 44  # the usual smallest touch target (Apple HIG, WCAG 2.5.5)

SIZES = [
    ("tablet", {"width": 768, "height": 1024}),  # the tablet context (touch), turned upright
    ("phone", {"width": 390, "height": 844}),
]

MEASURE = """() => {
  const buttons = [...document.querySelectorAll("#room-body .child-tile .tile-buttons .button")];
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    innerWidth: window.innerWidth,
    buttons: buttons.map((button) => {
      const box = button.getBoundingClientRect();
      return {
        text: button.textContent.trim(), tile: button.closest(".child-tile").id,
        visible: button.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }),
        left: box.left, right: box.right, height: box.height,
      };
    }),
  };
}"""


@pytest.mark.parametrize(("viewport", "size"), SIZES, ids=["768x1024", "390x844"])
def test_the_room_view_fits_the_screen_and_its_tile_buttons_are_big_enough_to_tap(page: Page, problems, viewport, size):
    page.set_viewport_size(size)
    sign_in(page, CAREGIVER)
    page.goto("/rooms")
    page.locator("a", has_text=ROOM).first.click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    expect(page.get_by_role("heading", name=ROOM, level=1)).to_be_visible()
    expect(page.locator(".child-tile").first).to_be_visible()
    # The demo morning: arrived tiles (log buttons) and others (morning check, check in, absent).
    expect(page.locator(".child-tile.status-arrived").first).to_be_visible()
    expect(page.locator(".child-tile.status-expected, .child-tile.status-absent").first).to_be_visible()

    measured = page.evaluate(MEASURE)
    assert measured["innerWidth"] == size["width"]
    assert measured["scrollWidth"] <= measured["innerWidth"], (
        f"the room view is {measured['scrollWidth'] - measured['innerWidth']}px wider than the screen"
    )
    buttons = measured["buttons"]
    assert len(buttons) >= 20, buttons
    hidden = [b for b in buttons if not b["visible"]]
    off_screen = [b for b in buttons if b["left"] < 0 or b["right"] > measured["innerWidth"]]
    small = [b for b in buttons if b["height"] < MIN_TAP_PX]
    assert hidden == [] and off_screen == [] and small == [], {"hidden": hidden, "off screen": off_screen, "small": small}

    # A button's form opens in its tile and still fits.
    page.locator(".child-tile.status-arrived").first.get_by_role("link", name="Meal", exact=True).click()
    expect(page.locator(".child-tile.status-arrived .tile-action form").first).to_be_visible()
    after = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert after[0] <= after[1], f"with a form open the room view is {after[0] - after[1]}px too wide"

    assert problems.outside_requests == [] and problems.console_errors == []
