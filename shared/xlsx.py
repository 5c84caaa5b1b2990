"""Writing XLSX workbooks, one way for every workbook the system makes (error reports,
pre-filled templates): strings stay strings — xlsxwriter never turns what a teacher typed into a
formula, a number or a link — and every text cell is formula-neutralised on the way in
(`shared.text.neutralize`, R19)."""

from __future__ import annotations

import io
from typing import Any


def new_workbook(buffer: io.BytesIO) -> Any:
    """An in-memory xlsxwriter workbook writing into `buffer` that converts no string."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
