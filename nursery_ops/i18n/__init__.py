"""Translations: Simplified Chinese (default) and English, from Babel gettext catalogs.

Message ids are English. Catalogs live in `locales/<locale>/LC_MESSAGES/messages.po`
and are compiled to `.mo` at install (`make` runs `pybabel compile`); a catalog
whose `.mo` is missing or older than its `.po` is compiled in memory instead, so a
fresh checkout never shows untranslated pages.
"""

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency
from babel.support import Translations

from nursery_ops.settings import get_settings

LOCALES_DIR = Path(__file__).parent / "locales"
SUPPORTED = ("zh_CN", "en")
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@lru_cache
def translations(locale: str) -> Translations:
    if locale == "en":
        return Translations()  # message ids are English
    po_path = LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as fp:
            return Translations(fp, domain="messages")
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain="messages")


def negotiate(accept_language: str | None) -> str:
    """Pick our locale from an Accept-Language header (zh-* → zh_CN, en-* → en)."""
    if accept_language:
        weighted = []
        for index, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            weighted.append((-quality, index, tag.strip().lower()))
        for _q, _i, tag in sorted(weighted):
            if tag.startswith("zh"):
                return "zh_CN"
            if tag.startswith("en"):
                return "en"
    return get_settings().default_locale


class Translator:
    """Everything a page needs to speak one locale: messages, dates, money.

    One per locale, shared by every request (`Translator.of`). Babel's formatting is a
    pure function of the value and the locale, and pages show the same dates and amounts
    over and over (every tile's times, every bill line's amount): the texts are cached.
    """

    def __init__(self, locale: str):
        self.locale = locale if locale in SUPPORTED else get_settings().default_locale
        self._translations = translations(self.locale)
        self._babel_locale = Locale.parse(self.locale)
        self.date = lru_cache(maxsize=4096)(self._date)
        self.money = lru_cache(maxsize=4096)(self._money)

    @staticmethod
    @lru_cache
    def of(locale: str) -> "Translator":
        return Translator(locale)

    def gettext(self, message: str, **params) -> str:
        text = self._translations.ugettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, count: int, **params) -> str:
        text = self._translations.ungettext(singular, plural, count)
        return text.format(count=count, **params)

    def _date(self, value: dt.date | None, format: str = "medium") -> str:
        return format_date(value, format=format, locale=self._babel_locale) if value else ""

    def datetime(self, value: dt.datetime | None, format: str = "short") -> str:
        if value is None:
            return ""
        return format_datetime(value, format=format, tzinfo=get_settings().zone, locale=self._babel_locale)

    def time(self, value: dt.datetime | None) -> str:
        if value is None:
            return ""
        # The pattern HH:mm has no locale part (our locales write Latin digits): no Babel needed.
        return value.astimezone(get_settings().zone).strftime("%H:%M")

    def _money(self, amount_fen: int) -> str:
        # Fen stay integers; the display shifts the decimal point exactly.
        return format_currency(Decimal(amount_fen).scaleb(-2), "CNY", locale=self._babel_locale)
