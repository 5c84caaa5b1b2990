"""The peer validators, given the template's rules as far as each can express them.

Both schemas are built from the same `Template` the engine uses (headers, required, lengths,
allowed values, numeric and date limits, which items apply to which students, the unique key),
so that the comparison is "same file, same rules". What a peer cannot say natively is written
as a custom check in that peer's own idiom: vectorized pandas for pandera, a per-row `Check`
for frictionless. Where a peer stays weaker it is listed here, not hidden:

* Both accept dates only as YYYY-MM-DD and times only as m'ss" or plain seconds (the engine
  also reads 2024/9/1, 2024年9月1日, 3分45秒, 0:03:45, units such as "165cm", full-width
  digits). Those are not in the generated data, so this only makes the peers' work lighter.
* frictionless checks a time's shape but not its range (no constraint reaches inside a
  pattern-matched string); none of the injected mistakes depends on it.
* Neither checks Excel error cells (#N/A) or that the birth date inside a 学籍号 is real and
  not in the future beyond what a date parse gives.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

import numpy as np

from shared.grades import GRADE_ALIASES
from shared.ids import CHECK_CHARS, WEIGHTS
from shared.templates.model import ApplicabilityRule, Column, ColumnType, Template

STUDENT_NO_SHAPE: Final = r"^(?:[GJ]\d{17}[\dX]|L[0-9A-Z]{18})$"
DURATION_SHAPE: Final = r"^(?:\d{1,2}'[0-5]\d\"|\d+(?:\.\d+)?)$"
_CHECK_BYTES: Final = np.frombuffer(CHECK_CHARS.encode(), dtype=np.uint8)
_WEIGHTS: Final = np.array(WEIGHTS, dtype=np.int64)

Finding = tuple[int, str, str]  # (row number in the file, column header or "", label)


def _applicability(template: Template) -> tuple[str, str, list[Column]] | None:
    """Grade header, gender header and the item columns, if the template has the rule."""
    for rule in template.rules:
        if isinstance(rule, ApplicabilityRule):
            items = [c for c in template.columns if c.applies_to]
            return template.column(rule.grade).header, template.column(rule.gender).header, items
    return None


def _gender_values(template: Template, header: str) -> dict[str, str]:
    column = next(c for c in template.columns if c.header == header)
    return {**{v: v for v in column.values}, **column.value_aliases}


# ----------------------------------------------------------------------------------- pandera


def _check_digit_ok(values: Any) -> Any:
    """Vectorized GB 11643 check digit of G-form 学籍号 (other forms pass)."""
    import pandas as pd

    ok = pd.Series(True, index=values.index)
    formal = values.str.fullmatch(r"G\d{17}[\dX]").fillna(False).astype(bool)
    if formal.any():
        chars = np.frombuffer("".join(values[formal]).encode("ascii"), np.uint8).reshape(-1, 19)
        digits = chars[:, 1:18].astype(np.int64) - 48
        ok[formal] = chars[:, 18] == _CHECK_BYTES[(digits @ _WEIGHTS) % 11]
    return ok


def _id_birth_ok(today: date) -> Callable[[Any], Any]:
    def check(values: Any) -> Any:
        import pandas as pd

        ok = pd.Series(True, index=values.index)
        formal = values.str.fullmatch(r"G\d{17}[\dX]").fillna(False).astype(bool)
        born = pd.to_datetime(values[formal].str.slice(7, 15), format="%Y%m%d", errors="coerce")
        ok[formal] = born.notna() & (born <= pd.Timestamp(today)) & (born.dt.year >= 1900)
        return ok

    return check


def _numbers(values: Any) -> Any:
    import pandas as pd

    return pd.to_numeric(values, errors="coerce")


def _seconds(values: Any) -> Any:
    parts = values.str.extract(r"^(\d{1,2})'([0-5]\d)\"$")
    minutes_seconds = parts[0].astype(float) * 60 + parts[1].astype(float)
    return minutes_seconds.fillna(_numbers(values))


def _in_range(column: Column, parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    low = -np.inf if column.min is None else column.min
    high = np.inf if column.max is None else column.max

    def check(values: Any) -> Any:
        numbers = parse(values)
        return numbers.isna() | numbers.between(low, high)

    return check


def _pandera_checks(column: Column, today: date) -> list[Any]:
    import pandas as pd
    import pandera.pandas as pa

    statuses = list(column.statuses)
    checks: list[Any] = []
    if column.type is ColumnType.STUDENT_NO:
        checks += [
            pa.Check.str_matches(STUDENT_NO_SHAPE),
            pa.Check(_check_digit_ok, name="check_digit"),
            pa.Check(_id_birth_ok(today), name="id_birth_date"),
        ]
    elif column.type is ColumnType.TEXT and column.max_length:
        checks.append(pa.Check.str_length(max_value=column.max_length))
    elif column.type is ColumnType.ENUM:
        checks.append(pa.Check.isin([*column.values, *column.value_aliases]))
    elif column.type is ColumnType.GRADE:
        checks.append(pa.Check.isin(list(GRADE_ALIASES)))
    elif column.type is ColumnType.DATE:
        low = pd.Timestamp(column.min_date or date(1900, 1, 1))
        high = pd.Timestamp(min(column.max_date or today, today) if column.not_future else today)

        def parse(values: Any) -> Any:
            return pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")

        checks += [
            pa.Check(lambda s: parse(s).notna(), name="date_valid"),
            pa.Check(lambda s: (d := parse(s)).isna() | d.between(low, high), name="date_range"),
        ]
    elif column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        checks.append(pa.Check(lambda s: s.isin(statuses) | _numbers(s).notna(), name="is_number"))
        if column.type is ColumnType.INTEGER:
            checks.append(
                pa.Check(lambda s: (v := _numbers(s)).isna() | (v % 1 == 0), name="is_integer")
            )
        checks.append(pa.Check(_in_range(column, _numbers), name="in_range"))
    elif column.type is ColumnType.DURATION:
        checks += [
            pa.Check(
                lambda s: s.isin(statuses) | s.str.fullmatch(DURATION_SHAPE).fillna(False),
                name="duration_format",
            ),
            pa.Check(_in_range(column, _seconds), name="in_range"),
        ]
    return checks


def _pandera_applicability(template: Template) -> Callable[[Any], Any]:
    found = _applicability(template)
    assert found is not None
    grade_header, gender_header, items = found
    genders = _gender_values(template, gender_header)

    def check(frame: Any) -> Any:
        import pandas as pd

        grade = frame[grade_header].map(GRADE_ALIASES)
        gender = frame[gender_header].map(genders)
        unknown = grade.isna() | gender.isna()
        out = pd.DataFrame(True, index=frame.index, columns=frame.columns)
        for item in items:
            applies = pd.Series(False, index=frame.index)
            for group in item.applies_to:
                in_group = grade.isin(group.grades)
                if group.gender:
                    in_group &= gender == group.gender
                applies |= in_group
            out[item.header] = unknown | (applies == frame[item.header].notna())
        return out

    return check


def pandera_schema(template: Template, today: date) -> Any:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {
            c.header: pa.Column(str, nullable=not c.required, checks=_pandera_checks(c, today))
            for c in template.columns
        },
        unique=[template.column(k).header for k in template.unique],
        report_duplicates="exclude_first",
        checks=[pa.Check(_pandera_applicability(template), name="applicability")],
    )


def run_pandera(data: bytes, schema: Any) -> tuple[Any, str, int]:
    """Read the CSV with pandas (every column as text), validate lazily (all errors), and
    build the error report (the failure cases as CSV). Returns the failure cases, the report
    and the number of rows read."""
    import pandas as pd
    import pandera.pandas as pa

    frame = pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8")
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        return cases, cases.to_csv(index=False), len(frame)
    return pd.DataFrame(), "", len(frame)


def pandera_findings(cases: Any, first_row: int = 2) -> list[Finding]:
    """(row, column, check) from pandera's failure cases; the check name without arguments."""
    findings: list[Finding] = []
    if cases is None or cases.empty:
        return findings
    for column, check, failure, index in zip(
        cases["column"], cases["check"], cases["failure_case"], cases["index"], strict=True
    ):
        if index is None or index != index:  # schema-level, no row
            continue
        label = str(check).split("(")[0]
        row = int(index) + first_row
        if isinstance(failure, dict):  # a frame-wide check names the failing cells itself
            findings += [(row, str(name), label) for name in failure]
        else:
            findings.append((row, str(column or ""), label))
    return findings


# ------------------------------------------------------------------------------ frictionless


def frictionless_descriptor(template: Template, header: Sequence[str], today: date) -> Any:
    """A Table Schema for the file's columns in file order (unknown columns as strings)."""
    by_header = {c.header: c for c in template.columns}
    statuses = sorted({s for c in template.columns for s in c.statuses})
    fields = [_frictionless_field(name, by_header.get(name), today) for name in header]
    return {
        "fields": fields,
        "primaryKey": [template.column(k).header for k in template.unique],
        "missingValues": ["", *statuses],
    }


def _frictionless_field(name: str, column: Column | None, today: date) -> dict[str, Any]:
    if column is None:
        return {"name": name, "type": "string"}
    kind, constraints = _frictionless_type(column, today)
    if column.required:
        constraints["required"] = True
    field: dict[str, Any] = {"name": name, "type": kind}
    if constraints:
        field["constraints"] = constraints
    return field


def _frictionless_type(column: Column, today: date) -> tuple[str, dict[str, Any]]:
    """The Table Schema type of a template column and its constraints (required aside)."""
    if column.type is ColumnType.STUDENT_NO:
        return "string", {"pattern": STUDENT_NO_SHAPE[1:-1]}
    if column.type is ColumnType.TEXT and column.max_length:
        return "string", {"maxLength": column.max_length}
    if column.type is ColumnType.ENUM:
        return "string", {"enum": [*column.values, *column.value_aliases]}
    if column.type is ColumnType.GRADE:
        return "string", {"enum": list(GRADE_ALIASES)}
    if column.type is ColumnType.DATE:
        low = {"minimum": column.min_date.isoformat()} if column.min_date else {}
        return "date", {**low, "maximum": today.isoformat()}
    if column.type is ColumnType.DURATION:
        return "string", {"pattern": DURATION_SHAPE[1:-1]}
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL):
        kind = "integer" if column.type is ColumnType.INTEGER else "number"
        cast: Callable[[float], float | int] = int if kind == "integer" else float
        limits = {"minimum": column.min, "maximum": column.max}
        return kind, {k: cast(v) for k, v in limits.items() if v is not None}
    return "string", {}


def frictionless_checks(template: Template) -> list[Any]:
    """Custom per-row checks: the 学籍号 check digit and which items apply to whom."""
    from frictionless import Check, errors

    student_no = next(c.header for c in template.columns if c.type is ColumnType.STUDENT_NO)
    shape = re.compile(r"^G\d{17}[\dX]$")
    found = _applicability(template)
    assert found is not None
    grade_header, gender_header, items = found
    genders = _gender_values(template, gender_header)

    class CheckDigit(Check):
        type = "check-digit"
        Errors = [errors.ConstraintError]  # noqa: RUF012 - frictionless's own class API

        def validate_row(self, row: Any) -> Iterator[Any]:
            value = row[student_no]
            if isinstance(value, str) and shape.match(value):
                total = sum(int(d) * w for d, w in zip(value[1:18], WEIGHTS, strict=True))
                if CHECK_CHARS[total % 11] != value[18]:
                    yield errors.ConstraintError.from_row(
                        row, note="check digit", field_name=student_no
                    )

    class Applicability(Check):
        type = "item-applicability"
        Errors = [errors.ConstraintError]  # noqa: RUF012

        def validate_row(self, row: Any) -> Iterator[Any]:
            grade = GRADE_ALIASES.get(row[grade_header] or "")
            gender = genders.get(row[gender_header] or "")
            if grade is None or gender is None:
                return
            for item in items:
                applies = any(
                    grade in g.grades and (g.gender is None or g.gender == gender)
                    for g in item.applies_to
                )
                if applies != (row[item.header] is not None):
                    yield errors.ConstraintError.from_row(
                        row, note="item applicability", field_name=item.header
                    )

    return [CheckDigit(), Applicability()]


def run_frictionless(path: Path, descriptor: Any, checks: list[Any]) -> tuple[Any, str]:
    """Validate the CSV with every error kept (no error limit), and build the error report
    (the flattened errors as CSV)."""
    from frictionless import Checklist, Schema
    from frictionless.resources import TableResource

    resource = TableResource(
        path=path.name,  # frictionless refuses absolute paths; give the folder as basepath
        basepath=str(path.parent),
        schema=Schema.from_descriptor(descriptor),
        format="csv",
        encoding="utf-8",
    )
    report = resource.validate(Checklist(checks=checks), limit_errors=0)
    broken = [e for e in report.errors if getattr(e, "row_number", None) is None]
    if broken:
        raise RuntimeError(f"frictionless could not validate {path}: {broken[0].note}")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(report.flatten(["rowNumber", "fieldName", "type", "note"]))
    return report, buffer.getvalue()


_CONSTRAINT: Final = re.compile(r'constraint "(\w+)"')


def frictionless_findings(report: Any) -> list[Finding]:
    """(row, column, type) from a frictionless report; constraint errors name the constraint
    (constraint-error:maximum) since that is what the user is shown."""
    findings: list[Finding] = []
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            if row is None:
                continue
            label = error.type
            if label == "constraint-error":
                match = _CONSTRAINT.search(error.note or "")
                label += ":" + (match[1] if match else error.note)
            findings.append((int(row), getattr(error, "field_name", "") or "", label))
    return findings
