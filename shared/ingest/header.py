"""Finding the header row and matching its cells to a template's columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.templates.model import Template
from shared.text import column_letter, normalize_header

# Columns people add that carry no data of their own: a running number, and the two columns
# of our own error report (so a teacher can fix rows in the report and upload it again).
IGNORED_HEADERS: Final = frozenset(normalize_header(h) for h in ("序号", "行号", "错误说明"))
_UNIT_SUFFIX: Final = re.compile(r"\([^()]*\)$")
# Columns that help find a student in the class roster when a file has no 学籍号: a
# school-internal number, and the gender (to tell two students of one name apart).
HELPER_HEADERS: Final = {
    **{normalize_header(h): "school_no" for h in ("学号", "校内学号", "班内学号", "学生编号")},
    normalize_header("性别"): "gender",
}
# A wide sheet's column header: a subject, perhaps with its full marks in brackets
# ("数学(150)", "数学（满分150分）") or a word like 成绩 after it ("数学成绩").
_WIDE_HEADER: Final = re.compile(
    r"^(?P<name>.+?)(?:成绩|分数|得分)?(?:\((?:满分)?(?P<marks>\d{1,4})分?\))?$"
)


@dataclass(slots=True)
class HeaderMap:
    """Which file column holds each template column, and what else the file has."""

    fields: dict[str, int] = field(default_factory=dict)  # template key → column index
    extra: list[int] = field(default_factory=list)  # named, but not in the template
    unnamed: list[int] = field(default_factory=list)  # no header text at all
    # A wide sheet (the template's wide form): column index → the value of the wide key it
    # holds (a subject), and the full marks its header gives, if any.
    wide: dict[int, str] = field(default_factory=dict)
    wide_marks: dict[int, str] = field(default_factory=dict)
    derived: list[int] = field(default_factory=list)  # 总分, 排名 … of a wide sheet: skipped
    helpers: dict[str, int] = field(default_factory=dict)  # 学号, 性别 the template lacks
    matched_by_name: bool = False  # students were found in the roster by name (and helpers)


class HeaderMatcher:
    """Matches a sheet's header to a template. `supplied` are the template keys the upload
    provides when the file has no such column (the task's fixed values, the class of a class
    upload, 学籍号 found in the roster by name): they are not missing."""

    def __init__(self, template: Template, *, supplied: frozenset[str] = frozenset()) -> None:
        self.template = template
        self.supplied = supplied
        self._lookup: dict[str, str] = {}
        for column in template.columns:
            for name in (column.header, column.key, *column.aliases):
                self._lookup[normalize_header(name)] = column.key
        self._wide_values: dict[str, str] = {}
        self._derived: frozenset[str] = frozenset()
        if template.wide is not None:
            spelled = template.column(template.wide.key)
            for value in spelled.values:
                self._wide_values[normalize_header(value)] = value
            for alias, value in spelled.value_aliases.items():
                self._wide_values[normalize_header(alias)] = value
            self._derived = frozenset(normalize_header(h) for h in template.wide.ignore)
        # 学号 and 性别 help only where the template has no such column of its own.
        keys = {c.key for c in template.columns}
        self._helpers = {
            name: helper
            for name, helper in HELPER_HEADERS.items()
            if name not in self._lookup and helper not in keys
        }

    def wide_value(self, cell: str) -> tuple[str, str | None] | None:
        """The wide key's value a header cell names (a subject), and the full marks it gives."""
        if not self._wide_values:
            return None
        match = _WIDE_HEADER.match(normalize_header(cell))
        if match is None:
            return None
        value = self._wide_values.get(match["name"])
        return None if value is None else (value, match["marks"])

    def key_of(self, cell: str) -> str | None:
        """The template key a header cell names; a trailing unit like "(cm)" may be dropped."""
        name = normalize_header(cell)
        if name in self._lookup:
            return self._lookup[name]
        bare = _UNIT_SUFFIX.sub("", name)
        return self._lookup.get(bare) if bare else None

    def find(self, rows: list[list[str]]) -> tuple[int, int]:
        """Index of the header row among the first rows of a sheet, and how many template
        columns it names. Title rows above it (merged or not) name none or fewer."""
        best_index, best_score = -1, 0
        for index, row in enumerate(rows):
            named = {key for cell in row if cell and (key := self.key_of(cell))}
            wide = {found[0] for cell in row if cell and (found := self.wide_value(cell))}
            score = len(named) + len(wide)
            if score > best_score:
                best_index, best_score = index, score
        if best_score == 0:
            if not any(any(cell.strip() for cell in row) for row in rows):
                raise FileRejected(ErrorCode.FILE_EMPTY)
            examples = "、".join(c.header for c in self.template.columns[:4])
            raise FileRejected(
                ErrorCode.FILE_NO_HEADER,
                rows=len(rows),
                template=self.template.name,
                examples=examples,
            )
        return best_index, best_score

    def map(self, header: list[str]) -> HeaderMap:
        """Match each header cell; refuse repeated or missing required columns.

        A sheet is wide when the template has a wide form, some columns are headed by its
        key's values (subjects) and the sheet has neither the key nor the value column: then
        those columns are the data, and derived columns (总分, 排名) are skipped even where a
        template alias would name them (总分 is also an alias of 满分)."""
        result = HeaderMap()
        positions = self._classify(header, result)
        for key, indexes in positions.items():
            if len(indexes) > 1:
                raise FileRejected(
                    ErrorCode.FILE_DUPLICATE_COLUMN,
                    field=self.template.column(key).header,
                    letters="、".join(column_letter(i) for i in indexes),
                )
            result.fields[key] = indexes[0]
        self._refuse_repeated_wide_columns(header, result)
        present = set(result.fields)
        if result.wide and self.template.wide is not None:
            present |= {self.template.wide.key, self.template.wide.value}
        self._refuse_missing(present)
        return result

    def map_exact(self, header: list[str]) -> HeaderMap:
        """Match a header its reader wrote from the template itself (a JSON batch's fields):
        a cell is a column's header exactly, or extra; no wide form, helpers or ignored names."""
        result = HeaderMap()
        keys = {c.header: c.key for c in self.template.columns}
        for index, cell in enumerate(header):
            if cell in keys:
                result.fields[keys[cell]] = index
            else:
                result.extra.append(index)
        self._refuse_missing(set(result.fields))
        return result

    def _refuse_missing(self, present: set[str]) -> None:
        present = present | self.supplied
        missing = [
            c.header
            for c in self.template.columns
            if c.required and c.default is None and c.key not in present
        ]
        if missing:
            raise FileRejected(ErrorCode.FILE_MISSING_COLUMNS, columns="、".join(missing))

    def _classify(self, header: list[str], result: HeaderMap) -> dict[str, list[int]]:
        """Sort each header cell into `result`; returns where each template key was found."""
        wide = self._wide_columns(header)
        positions: dict[str, list[int]] = {}
        for index, cell in enumerate(header):
            norm = normalize_header(cell)
            if not norm:
                result.unnamed.append(index)
            elif index in wide:
                result.wide[index], marks = wide[index]
                if marks is not None:
                    result.wide_marks[index] = marks
            elif wide and (norm in self._derived or _UNIT_SUFFIX.sub("", norm) in self._derived):
                result.derived.append(index)
            elif (key := self.key_of(cell)) is not None:
                positions.setdefault(key, []).append(index)
            elif norm in self._helpers and self._helpers[norm] not in result.helpers:
                result.helpers[self._helpers[norm]] = index
            elif norm not in IGNORED_HEADERS:
                result.extra.append(index)
        return positions

    def _wide_columns(self, header: list[str]) -> dict[int, tuple[str, str | None]]:
        """The columns a wide sheet holds its data in, or nothing if the sheet is not wide."""
        wide_form = self.template.wide
        if wide_form is None:
            return {}
        named = {self.key_of(cell) for cell in header if normalize_header(cell)}
        if wide_form.key in named or wide_form.value in named:
            return {}
        return {
            index: found
            for index, cell in enumerate(header)
            if normalize_header(cell) and (found := self.wide_value(cell)) is not None
        }

    def _refuse_repeated_wide_columns(self, header: list[str], result: HeaderMap) -> None:
        by_value: dict[str, list[int]] = {}
        for index, value in result.wide.items():
            by_value.setdefault(value, []).append(index)
        for value, indexes in by_value.items():
            if len(indexes) > 1:
                raise FileRejected(
                    ErrorCode.FILE_DUPLICATE_COLUMN,
                    field=value,
                    letters="、".join(column_letter(i) for i in indexes),
                )
