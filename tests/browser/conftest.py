"""Browser tests: Debian's chromium driven by Playwright against a live server.

The server is the real app on a migrated SQLite database holding the demo
nursery, run by uvicorn in a background thread on a free local port. No browser
is downloaded: Playwright launches the chromium at CHROMIUM_PATH (default
/usr/bin/chromium). Without Playwright or chromium these tests skip, which
`.ci/run` (NURSERY_REQUIRE_ALL=1) turns into failures.
"""

import os
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nursery_ops.cli import alembic_config
from nursery_ops.db import build_engine, write_session
from nursery_ops.settings import get_settings

DEMO_PASSWORD = "nursery-demo"
VIEWPORTS = {
    "tablet": {"width": 1024, "height": 768},
    "phone": {"width": 390, "height": 844},
}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.skip(f"Chromium not available at {path}: install Debian's chromium or set CHROMIUM_PATH")
    return path


@pytest.fixture(scope="session")
def playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright not available: pip install -e '.[test]'")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright, chromium_path):
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(url: str, thread: threading.Thread, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the live server stopped while starting")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the live server did not answer {url}/healthz within {timeout} s")


@pytest.fixture(scope="session")
def browser_data_dir(tmp_path_factory) -> Path:
    """One data directory for the whole browser session: the live server and the demo's photo files outlive a test."""
    return tmp_path_factory.mktemp("browser-data")


@pytest.fixture(autouse=True)
def data_dir(browser_data_dir, monkeypatch) -> Path:
    """Overrides tests/conftest.py's per-test directory: the server started once reads photos from one place."""
    monkeypatch.setattr(get_settings(), "data_dir", browser_data_dir)
    return browser_data_dir


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, browser_data_dir) -> str:
    """The app on a migrated database with the demo nursery; yields its base URL."""
    import uvicorn
    from alembic import command

    from nursery_ops.app import create_app
    from nursery_ops.clock import local_today
    from nursery_ops.demo import load_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'nursery.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = build_engine(url)
    # Set up before any test's data_dir: the demo's photo file must not land in the real ./var.
    with pytest.MonkeyPatch.context() as patch, write_session(engine) as session:
        patch.setattr(get_settings(), "data_dir", browser_data_dir)
        load_demo(session, local_today())

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(engine=engine), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(base_url, thread)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@dataclass
class Problems:
    """What a page did that it must not: reach off this machine, or log an error (CSP violations too)."""

    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.outside_requests or self.console_errors)


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(browser, live_server, viewport, problems):
    """A fresh browser context (no cookies) at the viewport, in English, watched for problems."""
    context = browser.new_context(
        base_url=live_server,
        viewport=VIEWPORTS[viewport],
        has_touch=True,
        is_mobile=viewport == "phone",
        locale="en-US",
        service_workers="block",
    )

    def guard(route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            problems.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda message: message.type == "error" and problems.console_errors.append(message.text))
    page.on("pageerror", lambda error: problems.console_errors.append(f"uncaught: {error}"))
    yield page
    context.close()


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill and submit the sign-in form, and wait for the page it leads to."""
    page.goto("/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form[action='/login'] [type=submit]").click()
