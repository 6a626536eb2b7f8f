"""A morning in one room on the tablet (1024×768), as a caregiver lives it (issue 4).

孙老师 (demo `caregiver10`, PIN 1010) works in 彩虹 混合班, a room the demo leaves
untouched today: nobody clocked in, nobody arrived. She signs in, unlocks the
room tablet with her PIN, clocks in, does the morning check (晨检) and check-in
of three children, refuses a fourth at 37.5 °C, records lunch for everyone
present with one exception, starts a nap and checks the sleeper, takes a photo,
hands a child to an authorised adult chosen from the list and refuses a stranger.
After each step the test looks at what she sees on the room view: the tile's
status, the header's present / expected and on-duty figures, the latest entries,
the sleep timer.

The mixed room's children come full days, Monday to Friday (demo.py). On a
Saturday or Sunday the director first ticks today's weekday on their enrolments,
through the app, so that they are expected today.
"""

import re

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from nursery_ops.clock import local_today
from tests.browser.conftest import sign_in

ROOM = "彩虹 混合班"
CAREGIVER, CAREGIVER_NAME, PIN = "caregiver10", "孙老师", "1010"
# Full day, admission complete, no allergies that matter here (demo.py ROSTER).
ARRIVING = ("彭雅琪", "蔡明轩", "薛子昂")
FEVERISH = "曾子健"
EXCEPTION = "蔡明轩"  # ate most of the lunch; everyone else ate all
SLEEPER = "薛子昂"
PHOTOGRAPHED = "彭雅琪"
GOING_HOME = "彭雅琪"  # collected by her grandmother from the pick-up list
STRANGER_AT_DOOR = "蔡明轩"

WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
CLOCK = r"\d{2}:\d{2}"


def tile_of(page: Page, name: str):
    """The child's tile (id `child-{id}`), found from the name on it; stays valid across htmx swaps."""
    tiles = page.locator("[id^='child-']").filter(has=page.get_by_role("heading", name=name, exact=True))
    expect(tiles).to_have_count(1)
    tile_id = tiles.get_attribute("id")
    assert re.fullmatch(r"child-\d+", tile_id), tile_id
    return page.locator(f"#{tile_id}")


def open_action(tile, button: str):
    """Tap a tile button; its form opens inside the tile (htmx)."""
    tile.get_by_role("link", name=button, exact=True).click()


def present_figure(page: Page):
    return page.locator("#room-present")


def expect_present(page: Page, present: int, expected: int) -> None:
    expect(present_figure(page)).to_contain_text(re.compile(rf"(?<!\d){present} / {expected}(?!\d)"))


def expected_today(page: Page) -> int:
    text = present_figure(page).inner_text()
    return int(re.search(r"(\d+)\s*/\s*(\d+)", text).group(2))


def make_weekday_a_care_day(page: Page) -> None:
    """Saturday or Sunday: the director adds today to the chosen children's weekly schedule."""
    weekday = WEEKDAYS[local_today().isoweekday()]
    sign_in(page, "director")
    for name in (*ARRIVING, FEVERISH):
        page.goto("/children?q=" + name)
        page.get_by_role("link", name=name, exact=True).first.click()
        page.wait_for_url(re.compile(r"/children/\d+$"))
        page.get_by_role("link", name="Change care type or schedule").click()
        page.get_by_role("checkbox", name=weekday, exact=True).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        expect(page.locator("#enrolment-panel")).to_contain_text(weekday)
    page.context.clear_cookies()


@pytest.mark.parametrize("viewport", ["tablet"])
def test_a_morning_in_one_room(page: Page, problems, viewport, tmp_path):
    if local_today().isoweekday() > 5:
        make_weekday_a_care_day(page)

    # ---- sign in, unlock the room tablet with the PIN, clock in
    sign_in(page, CAREGIVER)
    page.get_by_role("link", name=ROOM, exact=True).first.click()
    expect(page.get_by_role("heading", name=ROOM, level=1)).to_be_visible()
    room_url = page.url
    expected = expected_today(page)
    assert expected >= len(ARRIVING) + 1, f"{ROOM} expects only {expected} children today"
    expect_present(page, 0, expected)
    expect(page.locator("#room-header")).to_contain_text("No one clocked in")

    page.get_by_role("link", name="Switch person").click()
    page.get_by_role("radio", name=CAREGIVER_NAME).check()
    page.get_by_label("PIN").fill(PIN)
    page.get_by_role("button", name="Unlock").click()
    page.wait_for_url(room_url)
    expect(page.get_by_text(f"Acting: {CAREGIVER_NAME}")).to_be_visible()

    header = page.locator("#room-header")
    on_duty_badge = header.get_by_text(CAREGIVER_NAME, exact=True)  # "Acting: 孙老师" is not exact
    expect(on_duty_badge).to_have_count(0)
    page.get_by_role("button", name="Clock in").click()
    expect(page.get_by_role("button", name="Clock out")).to_be_visible()
    expect(header).not_to_contain_text("No one clocked in")
    expect(on_duty_badge).to_be_visible()
    expect(page.locator("#room-ratio")).to_contain_text("1 / 0")  # counted / needed with nobody in yet

    # ---- morning check and check-in of three children
    for count, name in enumerate(ARRIVING, start=1):
        tile = tile_of(page, name)
        expect(tile).to_contain_text("Expected")
        open_action(tile, "Morning check")
        tile.get_by_label("Temperature (°C)").press_sequentially("36.6")
        expect(tile.get_by_role("radio", name="Admit", exact=True)).to_be_checked()
        tile.get_by_role("button", name="Save the check").click()
        expect(tile).to_contain_text("Morning check 36.6 °C")
        expect(tile.get_by_label("Temperature (°C)")).to_have_count(0)  # the form closed with the swap

        open_action(tile, "Check in")
        tile.get_by_role("radio", name=re.compile("母亲")).check()
        tile.get_by_role("button", name="Check in now").click()
        expect(tile.get_by_text(re.compile(rf"^Arrived {CLOCK}$"))).to_be_visible()
        expect(tile.get_by_role("link", name="Check in", exact=True)).to_have_count(0)
        expect_present(page, count, expected)
    expect(page.locator("#room-ratio")).to_contain_text("1 / 1")

    # ---- the fourth child has 37.5 °C: "admit" is refused next to the outcome, then sent home
    tile = tile_of(page, FEVERISH)
    open_action(tile, "Morning check")
    temperature = tile.get_by_label("Temperature (°C)")
    temperature.press_sequentially("37.5")
    tile.get_by_role("button", name="Save the check").click()
    outcome = tile.get_by_role("group", name="Outcome")
    expect(outcome.get_by_role("alert")).to_have_text(
        re.compile(r"37\.5 °C is at or above 37\.3 °C: the child cannot be admitted")
    )
    expect(tile.get_by_label("Temperature (°C)")).to_have_value("37.5")  # what was typed is kept
    expect(tile).not_to_contain_text("Morning check 37.5 °C")  # nothing saved yet
    outcome.get_by_role("radio", name="Send home").check()
    tile.get_by_role("button", name="Save the check").click()
    expect(tile).to_contain_text("Morning check 37.5 °C")
    expect(tile).to_contain_text("Expected")
    open_action(tile, "Check in")
    tile.get_by_role("radio", name=re.compile("母亲")).check()
    tile.get_by_role("button", name="Check in now").click()
    expect(tile.get_by_text("Today's morning check sent the child home.")).to_be_visible()
    expect(tile).not_to_contain_text("Arrived")
    expect_present(page, len(ARRIVING), expected)

    # ---- lunch for everyone present, one child ate most
    page.get_by_role("link", name="Meal or nap for several children").click()
    meal = page.locator("form").filter(has=page.get_by_role("button", name="Save the meal for everyone"))
    expect(meal.get_by_role("radio", name="Lunch")).to_be_checked()
    for name in ARRIVING:
        expect(meal.get_by_role("group", name=name, exact=True)).to_be_visible()
    expect(meal.get_by_role("group", name=FEVERISH, exact=True)).to_have_count(0)  # not present: not at lunch
    meal.get_by_role("group", name=EXCEPTION, exact=True).get_by_role("radio", name="Most").check()
    meal.get_by_role("button", name="Save the meal for everyone").click()
    page.wait_for_url(room_url)
    for name in ARRIVING:
        lunch = tile_of(page, name).get_by_role("listitem").filter(has_text="Lunch")
        expect(lunch).to_have_count(1)
        expect(lunch).to_contain_text("ate most" if name == EXCEPTION else "ate all")
    expect(tile_of(page, FEVERISH)).not_to_contain_text("Lunch")

    # ---- a nap starts; the sleep timer runs; a sleep check restarts it
    tile = tile_of(page, SLEEPER)
    expect(tile.get_by_role("status")).to_have_count(0)
    open_action(tile, "Nap start")
    tile.get_by_role("button", name="Save").click()
    timer = tile.get_by_role("status")
    expect(timer).to_contain_text(re.compile(rf"Asleep since {CLOCK}"))
    expect(timer).to_contain_text(re.compile(r"last check 0 min ago"))
    expect(tile.get_by_role("link", name="Nap end", exact=True)).to_be_visible()
    asleep_since = timer.get_attribute("data-since")

    open_action(tile, "Sleep check")
    expect(tile.get_by_text("Check breathing, colour and position.")).to_be_visible()
    tile.get_by_role("button", name="Save").click()
    expect(tile.get_by_role("listitem").first).to_contain_text("Sleep check")
    expect(timer).not_to_have_attribute("data-since", asleep_since)  # counts from the check now
    expect(timer).to_contain_text("last check 0 min ago")
    assert timer.get_attribute("data-since") > asleep_since

    # ---- a photo from the tablet camera, with another child in it
    picture = tmp_path / "painting.jpg"
    Image.new("RGB", (64, 48), (230, 120, 40)).save(picture, "JPEG")
    tile = tile_of(page, PHOTOGRAPHED)
    open_action(tile, "Photo")
    tile.get_by_label("Take or choose a photo").set_input_files(picture)
    tile.get_by_label("Caption (optional)").fill("Finger painting")
    tile.get_by_role("checkbox", name=EXCEPTION).check()
    tile.get_by_role("button", name="Save").click()
    latest = tile.get_by_role("listitem").first
    expect(latest).to_contain_text("Photo")
    expect(latest).to_contain_text("Finger painting")

    # ---- pick-up by the grandmother, chosen from the list
    tile = tile_of(page, GOING_HOME)
    open_action(tile, "Check out")
    expect(tile.get_by_role("radio", name="Someone not on this list")).to_be_visible()
    tile.get_by_role("radio", name=re.compile("外婆|奶奶")).first.check()
    tile.get_by_role("button", name="Release the child").click()
    expect(tile.get_by_text(re.compile(rf"^Gone home {CLOCK}$"))).to_be_visible()
    expect(tile.get_by_role("link", name="Check out", exact=True)).to_have_count(0)
    expect_present(page, len(ARRIVING) - 1, expected)

    # ---- a stranger at the door is refused, and the child stays
    tile = tile_of(page, STRANGER_AT_DOOR)
    open_action(tile, "Check out")
    tile.get_by_role("radio", name="Someone not on this list").check()
    tile.get_by_role("button", name="Release the child").click()
    expect(tile.get_by_role("alert")).to_contain_text("This person may not collect the child")
    expect(tile.get_by_text(re.compile(rf"^Arrived {CLOCK}$"))).to_be_visible()
    expect_present(page, len(ARRIVING) - 1, expected)

    # After a reload the room shows the same morning: it was saved, not only swapped in.
    page.reload()
    expect_present(page, len(ARRIVING) - 1, expected)
    expect(tile_of(page, GOING_HOME).get_by_text(re.compile(rf"^Gone home {CLOCK}$"))).to_be_visible()
    expect(tile_of(page, SLEEPER).get_by_role("status")).to_contain_text("Asleep since")
    # A full morning of tiles still fits the tablet's width: no sideways scrolling.
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the room view is {overflow}px wider than the tablet"

    assert problems.outside_requests == []
    # The three refusals came back as 400, which chromium logs; nothing else may be logged (CSP included).
    assert [error for error in problems.console_errors if "status of 400" not in error] == []


@pytest.mark.parametrize("viewport", ["tablet"])
def test_an_idle_tablet_locks_itself_before_the_server_would_but_not_while_someone_types(page: Page, problems, viewport):
    """The demo's 小月亮 托小班 (5 min lock): the page counts from its last request to the server, like the
    server, and locks 10 s early; typing into a form tells the server (…/awake) and keeps both awake."""
    page.clock.install()
    sign_in(page, "caregiver")
    page.goto("/rooms")
    page.locator("a", has_text="小月亮 托小班").first.click()
    page.wait_for_url(re.compile(r"/rooms/\d+$"))
    room_url = page.url

    tile = page.locator(".child-tile.status-arrived").first
    open_action(tile, "Note")
    note = tile.get_by_label("Note")
    expect(note).to_be_visible()
    page.clock.fast_forward("01:30")
    with page.expect_response(re.compile(r"/awake$")) as awake:
        note.press_sequentially("午睡前")  # typing: an action, told to the server
    assert awake.value.status == 204
    page.clock.fast_forward("04:40")  # 6:10 since the form opened, 4:40 since the typing
    expect(page).to_have_url(room_url)
    expect(note).to_have_value("午睡前")

    page.clock.fast_forward("00:15")  # 4:55 without an action: the page locks before the server's 5:00
    page.wait_for_url(re.compile(r"/unlock\?idle=1$"))
    expect(page.locator("#idle-locked")).to_contain_text("locked after 5 min without an action")
    assert problems.outside_requests == [] and problems.console_errors == []
