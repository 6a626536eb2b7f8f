"""CSV for spreadsheets: UTF-8 with a BOM, so Excel opens Chinese text correctly, and no typed text as a formula."""

import csv
import io
from collections.abc import Iterable

from fastapi import Response

BOM = "\ufeff"


def cell(value: str) -> str:
    """Typed text never starts a spreadsheet formula (CSV injection): a leading =, +, - or @ is quoted."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return BOM + out.getvalue()


def csv_download(rows: Iterable[Iterable[str]], filename: str) -> Response:
    """A CSV file the browser saves as `filename` (ASCII: dates and report names, never a child's name)."""
    return Response(
        csv_text(rows).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_refused(text: str) -> Response:
    """A CSV link with a bad parameter (a month that is not one): the reason as plain text, 400."""
    return Response(text, status_code=400, media_type="text/plain; charset=utf-8")
