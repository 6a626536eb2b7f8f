"""Each demo person signs in on a tablet and a phone, sees their home page, and signs out."""

from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in

# Demo sign-ins (README) and where each one starts.
HOMES = {
    "director": "/director",
    "caregiver": "/rooms",
    "health": "/health",
    "parent": "/family",
}


def path_of(page) -> str:
    return urlsplit(page.url).path


def at_home(path: str, home: str) -> bool:
    # A caregiver's /rooms may lead straight on to their own room, /rooms/{id}.
    return path == home or path.startswith(home + "/")


@pytest.mark.parametrize(("username", "home"), list(HOMES.items()))
def test_demo_person_signs_in_and_out(page, problems, username, home):
    sign_in(page, username)

    assert at_home(path_of(page), home), f"{username} landed on {page.url}"
    heading = page.locator("main h1").first
    assert heading.is_visible()
    assert heading.inner_text().strip()
    assert "Not allowed" not in page.title() and "Not found" not in page.title()

    # Home again from the brand link: "/" sends each person to the same place.
    page.goto("/")
    assert at_home(path_of(page), home)

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.goto(home)
    assert path_of(page) == "/login", "the session must be over after signing out"

    assert not problems, problems


def test_wrong_password_stays_on_the_form(page, problems):
    sign_in(page, "director", "not-the-password")
    assert path_of(page) == "/login"
    assert page.get_by_text("The username or password is not right.").is_visible()
    assert problems.outside_requests == []
    # The form comes back with status 400, which chromium logs; nothing else may be logged.
    assert [e for e in problems.console_errors if "status of 400" not in e] == []


def test_pages_stay_on_this_machine(page, problems):
    """The director's pages load nothing from the internet and log no errors (CSP included)."""
    sign_in(page, "director")
    links = page.locator("nav.mainnav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert links, "the director sees a main navigation"
    for href in dict.fromkeys(links):
        response = page.goto(href)
        assert response is not None and response.status == 200, f"{href}: {response and response.status}"
    assert problems.outside_requests == []
    assert problems.console_errors == []


@pytest.mark.parametrize(("username", "home"), list(HOMES.items()))
def test_home_page_fits_the_screen(page, viewport, username, home):
    """No sideways scrolling of the whole page on a tablet or a 390 px phone (wide tables scroll in their own box)."""
    sign_in(page, username)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{home} is {overflow}px wider than the {viewport} screen"
