"""Simplified Chinese (default) and English: complete catalogs, negotiation, dates and money."""

import re
from datetime import date, datetime, timezone

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from nursery_ops.i18n import LOCALES_DIR, Translator, negotiate
from nursery_ops.settings import PROJECT_ROOT

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
METHODS = [("nursery_ops/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}


def used_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT, METHODS, OPTIONS, KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def chinese_catalog():
    with (LOCALES_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale="zh_CN")


def test_every_message_shown_has_a_chinese_translation():
    catalog = chinese_catalog()
    missing = sorted(
        message for message in used_messages() if not (catalog.get(message) and catalog.get(message).string)
    )
    assert missing == [], f"{len(missing)} messages lack a zh_CN translation (run `make messages`): {missing[:20]}"


def test_translations_keep_their_placeholders():
    for message in chinese_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(re.findall(r"\{(\w+)\}", ids[0]))
        for text in strings:
            assert set(re.findall(r"\{(\w+)\}", text)) <= expected | {"count"}, message.id
            assert expected - {"count"} <= set(re.findall(r"\{(\w+)\}", text)), message.id


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "zh_CN"),
        ("", "zh_CN"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.5, zh-TW;q=0.8", "zh_CN"),
        ("fr-FR", "zh_CN"),
        ("fr-FR, en;q=0.3", "en"),
    ],
)
def test_language_is_negotiated_from_the_browser(header, locale):
    assert negotiate(header) == locale


def test_the_sign_in_page_speaks_the_browser_language(client_for):
    chinese = client_for(None, locale=None)
    assert "登录" in chinese.get("/login", headers={"Accept-Language": "zh-CN"}).text
    english = client_for(None)
    assert "Sign in" in english.get("/login").text


def test_money_is_fen_shown_in_yuan():
    assert Translator("zh_CN").money(123456) == "¥1,234.56"
    assert Translator("en").money(5) == "CN¥0.05"
    assert Translator("zh_CN").money(-100) == "-¥1.00"


def test_dates_and_times_are_local():
    assert Translator("zh_CN").date(date(2026, 3, 1)) == "2026年3月1日"
    assert Translator("en").date(date(2026, 3, 1)) == "Mar 1, 2026"
    # 01:30 UTC is 09:30 in Asia/Shanghai.
    assert Translator("zh_CN").time(datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc)) == "09:30"
