"""Money typed by people: yuan with at most two decimals in, integer fen (分) out. Never a float.

And the one way money documents (bill lines, refund traces) show a stored message with its numbers
in the reader's language: `shown_message`.
"""

import re
from datetime import date

from nursery_ops.forms import FieldError
from nursery_ops.i18n import N_

NEGATIVE_AMOUNT = N_("Enter an amount of zero or more.")
FRACTIONAL_FEN = N_("Enter yuan with at most two decimals (fen), e.g. 1280.50.")
NOT_AN_AMOUNT = N_("Enter an amount in yuan, e.g. 1280.50.")

_AMOUNT = re.compile(r"^(-?)(\d{1,9})(?:\.(\d+))?$")


def _fen(text: str, *, signed: bool) -> int:
    match = _AMOUNT.match(str(text).strip().replace(",", "").replace("¥", "").replace("￥", "").strip())
    if match is None:
        raise FieldError(NOT_AN_AMOUNT)
    minus, yuan, decimals = match.groups()
    if minus and not signed:
        raise FieldError(NEGATIVE_AMOUNT)
    decimals = decimals or ""
    if decimals[2:].strip("0"):  # "12.340" is 12.34; "12.345" is not a whole fen
        raise FieldError(FRACTIONAL_FEN)
    fen = int(yuan) * 100 + int((decimals + "00")[:2])
    return -fen if minus else fen


def yuan_to_fen(text: str) -> int:
    """"1280.50" → 128050; refuses negatives, fractions of a fen ("0.005") and anything not a number."""
    return _fen(text, signed=False)


def signed_yuan_to_fen(text: str) -> int:
    """An adjustment: either sign."""
    return _fen(text, signed=True)


def shown_params(params: dict, t) -> dict:
    """A stored message's parameters for the reader: `*_fen` as money, `*_on` as a date, `dates` as short dates."""
    shown = {}
    for key, value in (params or {}).items():
        if key.endswith("_fen") and isinstance(value, int):
            shown[key] = t.money(value)
        elif key.endswith("_on") and isinstance(value, str):
            shown[key] = t.date(date.fromisoformat(value))
        elif key == "dates" and isinstance(value, list):
            shown[key] = ", ".join(t.date(date.fromisoformat(day), format="short") for day in value)
        else:
            shown[key] = value
    return shown


def shown_message(message: str, params: dict, t) -> str:
    """A message id stored with its parameters (a trace line, a bill line's detail), translated and filled in."""
    return t.gettext(message, **shown_params(params, t))
