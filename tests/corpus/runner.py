"""Running corpus files through the engine: cached results, row-error keys, and a tripwire
that stands in for the spreadsheet parser (calamine) to show a file was refused before it."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from unittest import mock

import pytest

from shared.ingest import ValidationResult, validate_bytes
from shared.settings import IngestLimits
from shared.templates import builtin_registry
from tests.corpus.builders import TODAY
from tests.corpus.cases import BY_ID, NEEDS, Case, RowKey


class ParserReached(Exception):
    """The file got past every guard and reached the spreadsheet parser."""


def need(case: Case) -> None:
    """Skip when a builder's optional package is not installed (see the dev extras)."""
    if case.id in NEEDS:
        pytest.importorskip(NEEDS[case.id])


def validate(
    data: bytes, template: str, *, limits: IngestLimits | None = None, filename: str = ""
) -> ValidationResult:
    return validate_bytes(
        data, builtin_registry().get(template), filename=filename, today=TODAY, limits=limits
    )


@cache
def built(case_id: str) -> bytes:
    return BY_ID[case_id].build()


@cache
def result_of(case_id: str) -> ValidationResult:
    """The engine's verdict on a (safe) corpus file, computed once per test process."""
    case = BY_ID[case_id]
    assert case.unsafe is None, f"{case_id} must only be run behind the parser tripwire"
    return validate(built(case_id), case.template, limits=case.limits, filename=case_id)


def guarded_result(case: Case) -> ValidationResult | ParserReached:
    """The verdict with the parser replaced by a tripwire: ParserReached if the file got
    through every guard."""
    with parser_tripwire():
        try:
            return validate(built(case.id), case.template, limits=case.limits, filename=case.id)
        except ParserReached as exc:
            return exc


def row_keys(result: ValidationResult) -> tuple[RowKey, ...]:
    return tuple((e.row, e.column, e.code.value) for e in result.row_errors)


def codes(issues: object) -> tuple[str, ...]:
    return tuple(i.code.value for i in issues)  # type: ignore[attr-defined]


@contextmanager
def parser_tripwire() -> Iterator[None]:
    """Replace the spreadsheet parsers by tripwires that raise ParserReached: python_calamine,
    wherever the readers find it (its workbook constructors), and the XLSX reader that lays
    the guard's cells out into a sheet (`readers._read_cells`). Verified on a valid workbook
    first: if the engine ever reaches a parser some other way, the caller is skipped rather
    than fed a file that could abort the process."""
    real = importlib.import_module("python_calamine")
    stub = types.ModuleType("python_calamine")

    def refuse(*args: object, **kwargs: object) -> None:
        raise ParserReached

    stub.CalamineWorkbook = types.SimpleNamespace(  # type: ignore[attr-defined]
        from_filelike=refuse, from_object=refuse, from_path=refuse
    )
    stub.load_workbook = refuse  # type: ignore[attr-defined]
    for name in dir(real):
        if name.endswith(("Error", "Enum")) and not hasattr(stub, name):
            setattr(stub, name, getattr(real, name))
    readers = importlib.import_module("shared.ingest.readers")
    patches = [mock.patch.dict(sys.modules, {"python_calamine": stub})]
    if hasattr(readers, "_read_cells"):
        patches.append(mock.patch.object(readers, "_read_cells", refuse))
    for attribute in ("calamine", "python_calamine"):
        if hasattr(readers, attribute):
            patches.append(mock.patch.object(readers, attribute, stub))
    for patch in patches:
        patch.start()
    try:
        _check_tripwire()
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()


def _check_tripwire() -> None:
    from tests.corpus.builders import ROSTER_HEADER, roster_rows, xlsx_bytes

    try:
        validate(xlsx_bytes(ROSTER_HEADER, roster_rows(1)), "roster-students")
    except ParserReached:
        return
    pytest.skip("the parser tripwire is not effective: the readers reach calamine another way")
