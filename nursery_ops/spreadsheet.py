"""CSV for spreadsheets: UTF-8 with a BOM, so Excel opens Chinese text correctly, and no typed text as a formula."""

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"


def cell(value: str) -> str:
    """Typed text never starts a spreadsheet formula (CSV injection): a leading =, +, - or @ is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return BOM + out.getvalue()
