"""JSON batches: records other systems push (`POST /v1/ingest/{template}`), validated by the
same engine as files.

A batch is `{"term", "school_id", "class_id"?, "task_id"?, "records": [{...}, ...]}`. Each
record is an object whose fields are the template's keys (`score`), or the headers and aliases
a file's header may use (`成绩`, `得分`): one matcher decides for both. The reader turns the
records into the engine's columns, with the template's own headers, so each check says what it
says about a spreadsheet, word for word; errors then name the record index and a JSON pointer
(`/records/12/score`, the field as the record spells it) instead of a row and a column.

What only JSON can get wrong is the reader's to say: a record that is not an object or has no
value, a boolean, object or array where a value belongs, an identifier sent as a number, one
field spelt two ways in a record. Those verdicts replace the engine's on the same cells.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

import numpy as np
import pyarrow as pa

from shared.batches import kind, parse_batch
from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected, InvalidInput
from shared.ingest.engine import Roster, UploadContext, validate_sheet
from shared.ingest.findings import Finding
from shared.ingest.header import HeaderMatcher
from shared.ingest.result import RowError, ValidationResult
from shared.ingest.sheet import FileIssue, SheetData
from shared.settings import IngestLimits, ingest_limits
from shared.templates.model import IDENTIFIER_TYPES, Template
from shared.term import Term

_VALUE_SHOWN: Final = 200  # characters of an object or array quoted back in an error
# The one catalogue message that names a row of the file: a repeat names its first row.
_FIRST_ROW: Final = re.compile(r"第 (\d+) 行")


@dataclass(slots=True)
class RecordsResult(ValidationResult):
    """A `ValidationResult` whose rows are records: `RowError.row` is the record index, and
    `to_dict` names each error by record and JSON pointer instead of row and column."""

    # (record index, template key) → the field's name as that record wrote it, where it is
    # not the key itself (an alias); pointers use what the client sent.
    spelt: dict[tuple[int, str], str] = field(default_factory=dict)

    def pointer(self, error: RowError) -> str:
        """The JSON pointer (RFC 6901) of what an error is about: the field, or the record."""
        if error.field is None:
            return f"/records/{error.row}"
        name = self.spelt.get((error.row, error.field), error.field)
        return f"/records/{error.row}/{name.replace('~', '~0').replace('/', '~1')}"

    def to_dict(self) -> dict[str, Any]:
        data = ValidationResult.to_dict(self)  # (a slots dataclass: no bare super())
        data["row_errors"] = [self._error(e) for e in self.row_errors]
        for group in data["summary"]:
            group["first_record"] = group.pop("first_row")
            group["last_record"] = group.pop("last_row")
            group["example"] = _in_records(group["example"])
        return data

    def _error(self, error: RowError) -> dict[str, Any]:
        return {
            "record": error.row,
            "pointer": self.pointer(error),
            "field": error.field,
            "code": error.code.value,
            "severity": error.severity,
            "message": _in_records(error.message),
            "value": error.value,
        }


def _in_records(text: str) -> str:
    """A message naming a row of the file, as it reads of a batch (a repeat's first record)."""
    if "行" not in text:
        return text
    return _FIRST_ROW.sub(r"第 \1 条记录", text).replace("出现的行", "出现的记录")


def validate_batch(
    data: bytes,
    template: Template,
    *,
    filename: str = "records",
    roster: Roster | None = None,
    term: Term | None = None,
    today: date | None = None,
    limits: IngestLimits | None = None,
    upload: UploadContext | None = None,
) -> RecordsResult:
    """Validate a batch's body as sent. Never raises for anything wrong with the batch: a body
    that is not one comes back as `file_errors`. Without `term`, the batch's own is used."""
    limits = limits or ingest_limits()
    try:
        batch = parse_batch(data, limits)
        if term is None and batch.term:
            term = Term.parse(batch.term)
    except (FileRejected, InvalidInput) as exc:
        result = RecordsResult(file=filename, template=template)
        result.file_errors.append(FileIssue(exc.code, exc.params))
        return result
    return validate_records(
        batch.records,
        template,
        filename=filename,
        roster=roster,
        term=term,
        today=today,
        limits=limits,
        upload=upload,
    )


def validate_records(
    records: Sequence[Any],
    template: Template,
    *,
    filename: str = "records",
    roster: Roster | None = None,
    term: Term | None = None,
    today: date | None = None,
    limits: IngestLimits | None = None,
    upload: UploadContext | None = None,
    max_records: int | None = None,
) -> RecordsResult:
    """Validate records already parsed from JSON (the body's size is `validate_batch`'s to
    bound). The same checks, codes and messages as a file; `row` is the record index.
    `max_records`: most records (JSON_TOO_MANY_RECORDS beyond), a JSON batch's
    `max_json_records` unless the caller says otherwise (an NDJSON upload: the file's rows)."""
    limits = limits or ingest_limits()
    most = limits.max_json_records if max_records is None else max_records
    result = RecordsResult(file=filename, template=template)
    try:
        if not records:
            raise FileRejected(ErrorCode.JSON_NO_RECORDS)
        if len(records) > most:
            raise FileRejected(ErrorCode.JSON_TOO_MANY_RECORDS, limit=most, count=len(records))
        read = _RecordReader(template, len(records), limits)
        for index, record in enumerate(records):
            read.record(index, record)
        sheet, findings = read.sheet(), read.findings()
    except FileRejected as exc:
        result.file_errors.append(FileIssue(exc.code, exc.params))
        return result
    result.spelt = read.spelt
    validate_sheet(
        sheet,
        template,
        result=result,
        reader_findings=findings,
        roster=roster,
        term=term,
        today=today,
        limits=limits,
        upload=upload,
    )
    return result


class _RecordReader:
    """Records → one text column per field (template columns under their headers, unknown
    fields under their names) and the reader's findings, record by record."""

    def __init__(self, template: Template, count: int, limits: IngestLimits) -> None:
        self.template = template
        self.count = count
        self.limits = limits
        self.matcher = HeaderMatcher(template)
        self.identifiers = {c.key for c in template.columns if c.type in IDENTIFIER_TYPES}
        self.keys: dict[str, str | None] = {}  # a field name → its template key (None: unknown)
        self.cells: dict[str, list[str]] = {}  # template key → cells
        self.extra: dict[str, list[str]] = {}  # unknown field name → cells
        self.spelt: dict[tuple[int, str], str] = {}
        # (code, template key or None) → failing records and the per-record message parameters
        self.found: dict[tuple[ErrorCode, str | None], dict[int, dict[str, object]]] = {}

    def record(self, index: int, record: Any) -> None:
        if not isinstance(record, dict):
            self._say(ErrorCode.JSON_RECORD_NOT_OBJECT, None, index, actual=kind(record))
            return
        if all(_blank(value) for value in record.values()):
            self._say(ErrorCode.JSON_RECORD_EMPTY, None, index)
            return
        seen: dict[str, str] = {}
        for name, value in record.items():
            key = self._key(name)
            if key is None:
                self._column(self.extra, name)[index] = _text(value)
                continue
            if key in seen:
                self._say(ErrorCode.JSON_FIELD_REPEATED, key, index, keys=f"{seen[key]}、{name}")
                continue
            seen[key] = name
            if name != key:
                self.spelt[(index, key)] = name
            self._column(self.cells, key)[index] = self._value(key, index, value)

    def _value(self, key: str, index: int, value: Any) -> str:
        if isinstance(value, (bool, dict, list)):
            self._say(ErrorCode.JSON_VALUE_NOT_SCALAR, key, index, actual=kind(value))
        elif isinstance(value, (int, float)) and key in self.identifiers:
            self._say(ErrorCode.JSON_ID_AS_NUMBER, key, index)
        return _text(value)

    def _key(self, name: str) -> str | None:
        if name not in self.keys:
            self.keys[name] = self.matcher.key_of(name)
        return self.keys[name]

    def _column(self, columns: dict[str, list[str]], name: str) -> list[str]:
        cells = columns.get(name)
        if cells is None:
            if len(self.cells) + len(self.extra) >= self.limits.max_columns:
                raise FileRejected(ErrorCode.JSON_TOO_MANY_FIELDS, limit=self.limits.max_columns)
            cells = columns[name] = [""] * self.count
        return cells

    def _say(self, code: ErrorCode, key: str | None, index: int, **params: object) -> None:
        self.found.setdefault((code, key), {})[index] = params

    def sheet(self) -> SheetData:
        """The records as a sheet: template columns in the template's order, then the rest."""
        header, columns = [], []
        for column in self.template.columns:
            if column.key in self.cells:
                header.append(column.header)
                columns.append(pa.array(self.cells[column.key], pa.string()))
        for name, cells in self.extra.items():
            header.append(name)
            columns.append(pa.array(cells, pa.string()))
        return SheetData(
            header=header,
            header_row=0,
            columns=columns,
            row_numbers=np.arange(self.count, dtype=np.int64),
            source={"format": "json", "records": self.count},
        )

    def findings(self) -> list[Finding]:
        findings = []
        for (code, key), where in self.found.items():
            rows = np.fromiter(where, dtype=np.int64, count=len(where))
            mask = np.zeros(self.count, dtype=bool)
            mask[rows] = True
            names = {name for params in where.values() for name in params}
            per_row = {
                name: [where.get(i, {}).get(name) for i in range(self.count)] for name in names
            }
            findings.append(Finding(code, key, mask, {}, per_row or None))
        return findings


def _text(value: Any) -> str:
    """A JSON value as the engine's cell text: strings as sent, numbers as written (an
    integral float without its `.0`), null as an empty cell, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    shown = json.dumps(value, ensure_ascii=False, default=str)
    return shown if len(shown) <= _VALUE_SHOWN else shown[: _VALUE_SHOWN - 1] + "…"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
