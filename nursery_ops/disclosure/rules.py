"""Checking the published fee items against what the contracts in force charge (pure functions)."""

import re
from decimal import Decimal

# Amounts as people write them in a fee list: 2800, 2,800, 2800.00, ¥2,800.00, 2800元.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def amounts_in(text: str) -> set[Decimal]:
    """Every amount written in the text, in yuan (thousands separators dropped; 20 and 20.00 are the same)."""
    plain = _THOUSANDS.sub("", text.replace("，", ","))
    return {Decimal(number).normalize() for number in _NUMBER.findall(plain)}


def unpublished_amounts(text: str, amounts_fen: list[int]) -> list[int]:
    """The non-zero amounts (fen) a contract charges that the published text never states, in the order given."""
    written = amounts_in(text)
    return [fen for fen in amounts_fen if fen and (Decimal(fen) / 100).normalize() not in written]
