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


@dataclass(slots=True)
class HeaderMap:
    """Which file column holds each template column, and what else the file has."""

    fields: dict[str, int] = field(default_factory=dict)  # template key → column index
    extra: list[int] = field(default_factory=list)  # named, but not in the template
    unnamed: list[int] = field(default_factory=list)  # no header text at all


class HeaderMatcher:
    def __init__(self, template: Template) -> None:
        self.template = template
        self._lookup: dict[str, str] = {}
        for column in template.columns:
            for name in (column.header, column.key, *column.aliases):
                self._lookup[normalize_header(name)] = column.key

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
            score = len({key for cell in row if cell and (key := self.key_of(cell))})
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
        """Match each header cell; refuse repeated or missing required columns."""
        result = HeaderMap()
        positions: dict[str, list[int]] = {}
        for index, cell in enumerate(header):
            if not normalize_header(cell):
                result.unnamed.append(index)
            elif (key := self.key_of(cell)) is not None:
                positions.setdefault(key, []).append(index)
            elif normalize_header(cell) not in IGNORED_HEADERS:
                result.extra.append(index)
        for key, indexes in positions.items():
            if len(indexes) > 1:
                raise FileRejected(
                    ErrorCode.FILE_DUPLICATE_COLUMN,
                    field=self.template.column(key).header,
                    letters="、".join(column_letter(i) for i in indexes),
                )
            result.fields[key] = indexes[0]
        missing = [
            c.header
            for c in self.template.columns
            if c.required and c.default is None and c.key not in result.fields
        ]
        if missing:
            raise FileRejected(ErrorCode.FILE_MISSING_COLUMNS, columns="、".join(missing))
        return result
