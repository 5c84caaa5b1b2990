"""The teacher's error report: the rows that need attention, as the teacher wrote them, with
the row number and an explanation; plus a summary by error type.

Every text cell the system writes is formula-neutralised (R19): a cell that a spreadsheet would
read as a formula (= + - @, full-width ＝ ＋ － ＠, tab, CR, NUL) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Final

from shared.error_codes import ErrorCode, message
from shared.exceptions import InvalidInput
from shared.ingest.result import ValidationResult
from shared.text import neutralize, starts_formula
from shared.xlsx import new_workbook

_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
ROW_HEADER: Final = "行号"
EXPLANATION_HEADER: Final = "错误说明"
SUMMARY_HEADER: Final = [
    "错误代码",
    "级别",
    "行数",
    "首次出现行",
    "最后出现行",
    "涉及列",
    "说明示例",
]
_LEVEL: Final = {"error": "错误（该行未导入）", "warning": "提示（已导入）"}


def report_table(result: ValidationResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the report's detail table (file-level problems first)."""
    return _detail_table(result, neutral=False)


def _detail_table(result: ValidationResult, *, neutral: bool) -> tuple[list[str], list[list[str]]]:
    """The detail table; with `neutral`, every cell formula-neutralised (see `neutralize`)."""
    cell = neutralize if neutral else str
    source = result.source_rows
    headers = [h.strip() for h in source.header] if source else []
    header = [cell(c) for c in (ROW_HEADER, *headers, EXPLANATION_HEADER)]
    rows: list[list[str]] = []
    for issue in (*result.file_errors, *result.file_warnings):
        rows.append(["文件", *[""] * len(headers), cell(message(issue.code, **issue.params))])
    if source is None or not result.row_errors:
        return header, rows
    notes: dict[int, list[str]] = defaultdict(list)
    for error in result.row_errors:
        notes[error.row].append(error.message)
    wanted = sorted(notes)
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    indices = pa.array(np.searchsorted(source.row_numbers, wanted))  # row numbers ascend
    columns = [pc.fill_null(column.take(indices), "") for column in source.columns]
    if neutral:
        columns = [_neutralize_column(column) for column in columns]
    numbers = [str(row) for row in wanted]
    explanations = [cell("；".join(notes[row])) for row in wanted]
    cells = [column.to_pylist() for column in columns]
    rows += map(list, zip(numbers, *cells, explanations, strict=True))
    return header, rows


def _neutralize_column(cells: Any) -> Any:
    """`neutralize` over an Arrow column of cells at once: each distinct first character is
    judged once, and only the cells starting with a risky one change."""
    import pyarrow as pa
    import pyarrow.compute as pc

    first = pc.utf8_slice_codeunits(cells, 0, 1)
    risky = [c for c in pc.unique(first).to_pylist() if c and starts_formula(c)]
    if not risky:
        return cells
    starts_risky = pc.is_in(first, value_set=pa.array(risky, pa.string()))
    return pc.if_else(starts_risky, pc.binary_join_element_wise("'", cells, ""), cells)


def summary_table(result: ValidationResult) -> list[list[str]]:
    return [
        [
            g["code"],
            _LEVEL[g["severity"]],
            str(g["count"]),
            str(g["first_row"]),
            str(g["last_row"]),
            "、".join(g["columns"]),
            g["example"],
        ]
        for g in result.summary()
    ]


def write_report(result: ValidationResult, path: Path) -> None:
    """Write the report as .xlsx (detail and summary sheets) or .csv (UTF-8 with BOM, so that
    Excel on Chinese Windows opens it correctly)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        path.write_bytes(report_xlsx(result))
    elif suffix == ".csv":
        path.write_bytes(report_csv(result))
    else:
        raise InvalidInput(ErrorCode.REPORT_FORMAT, path=str(path))


def report_csv(result: ValidationResult) -> bytes:
    header, rows = _detail_table(result, neutral=True)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def report_xlsx(result: ValidationResult) -> bytes:

    header, rows = report_table(result)
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    bold = workbook.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1})
    warn = workbook.add_format({"font_color": "#C00000", "text_wrap": True})
    detail = workbook.add_worksheet("错误明细")
    _write_rows(detail, [header, *rows], bold)
    detail.freeze_panes(1, 1)
    detail.set_column(0, 0, 8)
    detail.set_column(1, len(header) - 2, 14)
    detail.set_column(len(header) - 1, len(header) - 1, 60, warn)
    summary = workbook.add_worksheet("错误汇总")
    _write_rows(summary, [SUMMARY_HEADER, *summary_table(result)], bold)
    summary.set_column(0, 0, 26)
    summary.set_column(1, 5, 12)
    summary.set_column(6, 6, 70)
    workbook.close()
    return buffer.getvalue()


def _write_rows(sheet: object, rows: list[list[str]], header_format: object) -> None:
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            text = _XML_INVALID.sub("", neutralize(cell))
            if r == 0:
                sheet.write_string(r, c, text, header_format)  # type: ignore[attr-defined]
            else:
                sheet.write_string(r, c, text)  # type: ignore[attr-defined]
