"""Sheet layouts other than one row per record: a wide sheet turned into records.

A score sheet as teachers keep it has one row per student and one column per subject (姓名,
语文, 数学, 英语, 总分). `unpivot` turns it into the template's shape — one row per student and
subject — before any check runs, so the engine checks it as any other file: the subject comes
from the column's header, the score from the cell, and every row keeps the spreadsheet row and
column it came from, so that an error says "第 5 行「数学」" as the teacher sees it. A blank
cell is a subject not taken (no row), never a zero. Whole columns at a time, as the engine.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa

from shared.ingest.checks import normalize
from shared.ingest.findings import valid_mask
from shared.ingest.header import HeaderMap
from shared.ingest.sheet import SheetData
from shared.templates.model import NotAboveRule, Template


def unpivot(sheet: SheetData, header_map: HeaderMap, template: Template) -> SheetData:
    """The wide sheet as one row per (row, wide column) whose cell holds something, ordered
    by row and then column. The file's other columns keep their places (repeated for each of
    a row's records); the wide columns' own places are left empty; the key and value columns
    (学科, 得分) — and the limit column (满分) where headers gave full marks and the file has
    none — are appended, and `header_map` is pointed at them."""
    wide_form = template.wide
    assert wide_form is not None
    wide = sorted(header_map.wide)
    taken = [np.flatnonzero(valid_mask(normalize(sheet.columns[i]))) for i in wide]
    rows = np.concatenate(taken) if taken else np.zeros(0, np.int64)
    origin = np.concatenate(
        [np.full(len(r), i, np.int64) for r, i in zip(taken, wide, strict=True)]
    )
    order = np.lexsort((origin, rows))
    rows, origin = rows[order], origin[order]
    take = pa.array(rows, pa.int64())

    columns = [
        pa.nulls(len(rows), pa.string()) if index in header_map.wide else column.take(take)
        for index, column in enumerate(sheet.columns)
    ]
    values = pa.concat_arrays(
        [sheet.columns[i].take(pa.array(r, pa.int64())) for r, i in zip(taken, wide, strict=True)]
    ).take(pa.array(order))
    position = np.searchsorted(np.asarray(wide, np.int64), origin)  # `wide` is sorted
    keys = pa.array([header_map.wide[i] for i in wide], pa.string()).take(pa.array(position))

    header = list(sheet.header)
    numeric = {i: m[rows] for i, m in sheet.numeric_cells.items() if i not in header_map.wide}
    stored = [sheet.numeric_cells.get(i) for i in wide]
    if any(m is not None for m in stored):
        parts = [
            np.zeros(len(r), bool) if m is None else m[r]
            for r, m in zip(taken, stored, strict=True)
        ]
        numeric[len(columns) + 1] = np.concatenate(parts)[order]
    fields = dict(header_map.fields)
    origins: dict[int, np.ndarray] = {}
    for key, column in ((wide_form.key, keys), (wide_form.value, values)):
        fields[key] = len(columns)
        origins[len(columns)] = origin
        columns.append(column)
        header.append(template.column(key).header)
    limit = _limit_of(template, wide_form.value)
    if header_map.wide_marks and limit is not None and limit not in fields:
        marks = pa.array([header_map.wide_marks.get(i, "") for i in wide], pa.string())
        fields[limit] = len(columns)
        origins[len(columns)] = origin
        columns.append(marks.take(pa.array(position)))
        header.append(template.column(limit).header)
    header_map.fields = fields
    return replace(
        sheet,
        header=header,
        columns=columns,
        row_numbers=sheet.row_numbers[rows],
        numeric_cells=numeric,
        overlong_rows=None if sheet.overlong_rows is None else sheet.overlong_rows[rows],
        origins=origins,
    )


def _limit_of(template: Template, value_key: str) -> str | None:
    """The column that caps the value (满分 for 得分), if a rule says so."""
    for rule in template.rules:
        if isinstance(rule, NotAboveRule) and rule.value == value_key:
            return rule.limit
    return None
