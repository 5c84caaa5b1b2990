"""Each kind of problem in a OneRoster bundle is reported per file, row and column, in Chinese,
and a bundle with any error changes nothing."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator

import pytest

from shared.error_codes import ErrorCode
from shared.integration.oneroster import RosterImport, RosterImportResult
from tests.db_helpers import Db, moto_db
from tests.oneroster_world import BundleFiles, a_bundle

DISTRICT = "310112"


@pytest.fixture
def db() -> Iterator[Db]:
    with moto_db() as db:
        yield db


def _import(db: Db, data: bytes) -> RosterImportResult:
    return RosterImport(db.repos.directory, district_code=DISTRICT)(data)


def _changed(change: Callable[[BundleFiles], None]) -> bytes:
    bundle = a_bundle()
    change(bundle)
    return bundle.zip()


def _only(result: RosterImportResult, code: ErrorCode) -> tuple[str | None, int | None, str | None]:
    errors = [f for f in result.findings if f.severity == "error"]
    assert [f.code for f in errors] == [code], [f.describe() for f in errors]
    assert result.status == "rejected"
    return errors[0].file, errors[0].row, errors[0].column


def test_a_rejected_bundle_writes_nothing(db: Db) -> None:
    data = _changed(lambda b: b.row("classes", "cls-7-1").update(grades="KG"))

    result, operations = db.operations.during(lambda: _import(db, data))

    assert result.status == "rejected"
    assert not {"PutItem", "TransactWriteItems", "DeleteItem"} & set(operations)


def test_a_zip_without_manifest_is_rejected(db: Db) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("users.csv", "sourcedId\n")
    result = _import(db, buffer.getvalue())
    assert _only(result, ErrorCode.ONEROSTER_MANIFEST_MISSING) == (None, None, None)
    assert "manifest.csv" in result.findings[0].message


def test_not_a_zip_is_rejected(db: Db) -> None:
    assert _only(_import(db, b"sourcedId,status\n"), ErrorCode.ONEROSTER_NOT_ZIP)


def test_a_1_1_bundle_is_refused(db: Db) -> None:
    bundle = a_bundle()
    bundle.manifest["oneroster.version"] = "1.1"
    result = _import(db, bundle.zip())
    assert _only(result, ErrorCode.ONEROSTER_VERSION) == ("manifest.csv", None, "oneroster.version")
    assert "1.1" in result.findings[0].message


def test_a_1_1_bundle_given_as_1_2_is_recognised(db: Db) -> None:
    def to_1_1(bundle: BundleFiles) -> None:
        header, rows = bundle.files["users"]
        bundle.files["users"] = ([*header[:4], "orgSourcedIds", "role", *header[4:]], rows)
        del bundle.files["roles"]
        bundle.manifest["file.roles"] = "absent"

    result = _import(db, _changed(to_1_1))
    assert _only(result, ErrorCode.ONEROSTER_1_1_AS_1_2) == ("users.csv", None, None)


def test_a_file_the_manifest_provides_must_be_there(db: Db) -> None:
    result = _import(db, a_bundle().zip(skip=("enrollments",)))
    assert _only(result, ErrorCode.ONEROSTER_FILE_MISSING) == ("enrollments.csv", None, None)


def test_missing_required_columns_are_named(db: Db) -> None:
    def drop(bundle: BundleFiles) -> None:
        header, rows = bundle.files["classes"]
        bundle.files["classes"] = ([c for c in header if c != "classType"], rows)

    result = _import(db, _changed(drop))
    assert _only(result, ErrorCode.FILE_MISSING_COLUMNS) == ("classes.csv", None, None)
    assert "classType" in result.findings[0].message


def test_a_bad_enumeration_value_is_reported_at_its_cell(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("roles", "r-t-1-teacher").update(role="Teacher")))
    assert _only(result, ErrorCode.NOT_IN_LIST) == ("roles.csv", 2, "role")
    assert "teacher" in result.findings[0].message


def test_a_repeated_sourced_id_is_reported_with_the_first_row(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("users", "t-2").update(sourcedId="t-1")))
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors[0].code is ErrorCode.ONEROSTER_DUPLICATE_ID
    assert (errors[0].file, errors[0].row, errors[0].column) == ("users.csv", 3, "sourcedId")
    assert "第 2 行" in errors[0].message


def test_an_unknown_reference_is_reported_at_its_cell(db: Db) -> None:
    change = lambda b: b.row("enrollments", "e-cls-7-1-s-2").update(classSourcedId="cls-9-9")  # noqa: E731
    result = _import(db, _changed(change))
    errors = [f for f in result.findings if f.severity == "error"]
    assert (errors[0].code, errors[0].file, errors[0].row, errors[0].column) == (
        ErrorCode.ONEROSTER_UNKNOWN_REFERENCE,
        "enrollments.csv",
        4,
        "classSourcedId",
    )
    assert "cls-9-9" in errors[0].message
    assert len(errors) == 1  # the student it would have placed is not reported again


def test_a_bad_student_number_uses_the_engines_code(db: Db) -> None:
    bad = "G310112201201010019"
    result = _import(
        db, _changed(lambda b: b.row("users", "s-2").update(userIds=f"{{学籍号:{bad}}}"))
    )
    file, row, column = _only(result, ErrorCode.STUDENT_NO_CHECK_DIGIT)
    assert (file, row, column) == ("users.csv", 6, "userIds")
    assert bad not in (result.findings[-1].value or "")  # masked


def test_a_student_without_student_number_is_reported(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("users", "s-2").update(userIds="")))
    assert _only(result, ErrorCode.ONEROSTER_STUDENT_NO_MISSING) == ("users.csv", 6, "userIds")


def test_a_malformed_user_ids_field_is_reported(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("users", "s-2").update(userIds="G123")))
    assert _only(result, ErrorCode.ONEROSTER_USER_IDS) == ("users.csv", 6, "userIds")


def test_a_homeroom_needs_a_grade(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("classes", "cls-7-1").update(grades="KG")))
    assert _only(result, ErrorCode.ONEROSTER_GRADE) == ("classes.csv", 2, "grades")


def test_a_required_value_is_reported(db: Db) -> None:
    result = _import(db, _changed(lambda b: b.row("orgs", "sch-1").update(name="")))
    assert _only(result, ErrorCode.REQUIRED) == ("orgs.csv", 3, "name")


def test_delta_rows_need_a_status(db: Db) -> None:
    # Given users.csv provided as delta, its rows without status and dateLastModified
    bundle = a_bundle()
    bundle.manifest["file.users"] = "delta"

    result = _import(db, bundle.zip())

    errors = [f for f in result.findings if f.severity == "error"]
    assert {(f.code, f.file, f.column) for f in errors} == {
        (ErrorCode.REQUIRED, "users.csv", "status"),
        (ErrorCode.REQUIRED, "users.csv", "dateLastModified"),
    }
    assert result.status == "rejected"


def test_a_zip_that_inflates_far_beyond_its_size_is_refused(db: Db) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.csv", "propertyName,value\n")
        package.writestr("users.csv", b"0" * 5_000_000)
    assert _only(_import(db, buffer.getvalue()), ErrorCode.FILE_ZIP_BOMB)


def test_a_birth_date_that_contradicts_the_national_id_is_reported(db: Db) -> None:
    result = _import(
        db, _changed(lambda b: b.row("demographics", "s-1").update(birthDate="2010-01-01"))
    )
    file, row, _ = _only(result, ErrorCode.ONEROSTER_ROW_INVALID)
    assert (file, row) == ("users.csv", 5)
    assert "出生日期" in result.findings[-1].message
