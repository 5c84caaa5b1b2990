"""Reading a OneRoster 1.2 CSV bundle: a zip with `manifest.csv` and one CSV per file the
manifest provides (bulk or delta). The CSVs are UTF-8 (a BOM is allowed), with CRLF or LF line
ends and RFC 4180 quoting (a field holding a comma, such as a list, is quoted).

Checked here, file by file and row by row: the manifest and its versions, each provided file's
presence, its header (the columns every row needs; a 1.1 `users.csv` given as 1.2), required
values, enumerations, status (required in delta files; blank or filled in bulk files),
dates, and repeated sourcedIds. References between files are `mapping`'s business.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from shared.error_codes import ErrorCode
from shared.integration.oneroster import spec
from shared.integration.oneroster.findings import Findings

MAX_ZIP_BYTES: Final = 100 * 1024 * 1024
MAX_INFLATED_BYTES: Final = 512 * 1024 * 1024
MAX_RATIO: Final = 200.0
MAX_ENTRIES: Final = 100
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row: its values by column (stripped; absent columns read as "")."""

    row: int  # as a spreadsheet shows the file: the header is row 1
    values: dict[str, str]

    def get(self, column: str) -> str:
        return self.values.get(column, "")

    def items(self, column: str) -> list[str]:
        """A list field ("a,b,c"), without blanks."""
        return [part.strip() for part in self.get(column).split(",") if part.strip()]

    @property
    def sourced_id(self) -> str:
        return self.get("sourcedId")

    @property
    def deleted(self) -> bool:
        return self.get("status") == spec.TO_BE_DELETED


@dataclass(slots=True)
class CsvTable:
    spec: spec.FileSpec
    mode: str  # bulk or delta
    header: list[str]
    rows: list[CsvRow] = field(default_factory=list)


@dataclass(slots=True)
class Bundle:
    """The manifest and the files it provides that this system reads (rows that failed a
    check are left out; the findings say why)."""

    manifest: dict[str, str]
    tables: dict[str, CsvTable] = field(default_factory=dict)
    # sourcedIds of rows left out for their own errors: references to them are not reported
    # again as unknown (one cause, one finding).
    rejected: set[str] = field(default_factory=set)

    def mode(self, name: str) -> str:
        table = self.tables.get(name)
        return table.mode if table else spec.ABSENT

    def rows(self, name: str) -> list[CsvRow]:
        table = self.tables.get(name)
        return table.rows if table else []


class BundleRejected(Exception):
    """The bundle cannot be read at all (the findings say why)."""


def read_bundle(data: bytes, findings: Findings) -> Bundle | None:
    """The bundle in a zip, checked; None if it cannot be read as a whole (not a zip, no
    manifest, another OneRoster version, a provided file missing or without its columns)."""
    try:
        members = _unzip(data, findings)
        manifest = _read_manifest(members, findings)
        bundle = Bundle(manifest)
        for file_spec in spec.ROSTER_FILES:
            mode = manifest.get(f"file.{file_spec.name}", spec.ABSENT)
            if mode != spec.ABSENT:
                table = _read_table(members, file_spec, mode, findings, bundle.rejected)
                bundle.tables[file_spec.name] = table
        _check_not_1_1(bundle, findings)
    except BundleRejected:
        return None
    return None if findings.has_errors and _file_level(findings) else bundle


def _file_level(findings: Findings) -> bool:
    return any(f.severity == "error" and f.row is None for f in findings.items)


# ---------------------------------------------------------------------------- the zip


def _unzip(data: bytes, findings: Findings) -> dict[str, bytes]:
    """The bundle's CSV files by name (folders inside the zip ignored), size-guarded."""
    if len(data) > MAX_ZIP_BYTES:
        findings.add(ErrorCode.FILE_TOO_LARGE, size=_mib(len(data)), limit=_mib(MAX_ZIP_BYTES))
        raise BundleRejected
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in package.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        findings.add(ErrorCode.ONEROSTER_NOT_ZIP, detail=type(exc).__name__)
        raise BundleRejected from exc
    _guard(infos, findings)
    members: dict[str, bytes] = {}
    for info in infos:
        name = info.filename.rsplit("/", 1)[-1]
        if name.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue  # macOS resource forks and hidden files
        try:
            members[name] = package.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            findings.add(ErrorCode.FILE_CORRUPT, file=name, detail=type(exc).__name__)
            raise BundleRejected from exc
    return members


def _guard(infos: list[zipfile.ZipInfo], findings: Findings) -> None:
    inflated = sum(i.file_size for i in infos)
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0.0)
    if len(infos) > MAX_ENTRIES or inflated > MAX_INFLATED_BYTES or worst > MAX_RATIO:
        detail = f"{len(infos)} 个文件，解压后 {_mib(inflated)}"
        findings.add(ErrorCode.FILE_ZIP_BOMB, detail=detail)
        raise BundleRejected


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# ---------------------------------------------------------------------------- the manifest


def _read_manifest(members: dict[str, bytes], findings: Findings) -> dict[str, str]:
    if spec.MANIFEST not in members:
        findings.add(ErrorCode.ONEROSTER_MANIFEST_MISSING, files="、".join(sorted(members)))
        raise BundleRejected
    header, rows = _parse_csv(spec.MANIFEST, members[spec.MANIFEST], findings)
    if tuple(header[:2]) != spec.MANIFEST_HEADER:
        findings.add(
            ErrorCode.FILE_MISSING_COLUMNS, file=spec.MANIFEST, columns="propertyName、value"
        )
        raise BundleRejected
    manifest: dict[str, str] = {}
    for number, cells in rows:
        name, value = [*cells, "", ""][:2]
        manifest[name.strip()] = value.strip()
        if name.startswith("file.") and value.strip() not in spec.PROCESSING_MODES:
            findings.add(
                ErrorCode.NOT_IN_LIST,
                file=spec.MANIFEST,
                row=number,
                column=name,
                value=value,
                values="、".join(spec.PROCESSING_MODES),
            )
            manifest[name.strip()] = spec.ABSENT
    _check_versions(manifest, findings)
    for name in sorted(members):
        stem = name.removesuffix(".csv")
        if name != spec.MANIFEST and manifest.get(f"file.{stem}", spec.ABSENT) == spec.ABSENT:
            findings.add(ErrorCode.ONEROSTER_FILE_NOT_LISTED, file=name)
    return manifest


def _check_versions(manifest: dict[str, str], findings: Findings) -> None:
    version = manifest.get("oneroster.version", "")
    if version != spec.ONEROSTER_VERSION and not version.startswith(spec.ONEROSTER_VERSION + "."):
        findings.add(
            ErrorCode.ONEROSTER_VERSION,
            file=spec.MANIFEST,
            column="oneroster.version",
            version=version or "（未填写）",
        )
        raise BundleRejected
    if manifest.get("manifest.version", "") != spec.MANIFEST_VERSION:
        findings.add(
            ErrorCode.NOT_IN_LIST,
            file=spec.MANIFEST,
            column="manifest.version",
            value=manifest.get("manifest.version", ""),
            values=spec.MANIFEST_VERSION,
        )


def _check_not_1_1(bundle: Bundle, findings: Findings) -> None:
    """A 1.1 export relabelled as 1.2: users.csv carries role and orgSourcedIds itself."""
    users = bundle.tables.get("users")
    if users is not None and set(users.header) >= spec.USERS_1_1_COLUMNS:
        findings.add(
            ErrorCode.ONEROSTER_1_1_AS_1_2,
            file=spec.USERS.filename,
            columns="、".join(sorted(spec.USERS_1_1_COLUMNS)),
        )


# ---------------------------------------------------------------------------- one file


def _parse_csv(
    filename: str, data: bytes, findings: Findings
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data rows (with their row numbers) of a UTF-8 CSV, BOM and CRLF allowed."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.add(ErrorCode.FILE_ENCODING, file=filename)
        raise BundleRejected from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        findings.add(ErrorCode.FILE_CORRUPT, file=filename, detail=str(exc))
        raise BundleRejected from exc
    if not records:
        return [], []
    header = [cell.strip() for cell in records[0]]
    rows = [
        (n, cells) for n, cells in enumerate(records[1:], start=2) if any(c.strip() for c in cells)
    ]
    return header, rows


def _read_table(
    members: dict[str, bytes],
    file_spec: spec.FileSpec,
    mode: str,
    findings: Findings,
    rejected: set[str],
) -> CsvTable:
    filename = file_spec.filename
    if filename not in members:
        findings.add(ErrorCode.ONEROSTER_FILE_MISSING, file=filename, mode=mode)
        raise BundleRejected
    header, rows = _parse_csv(filename, members[filename], findings)
    table = CsvTable(file_spec, mode, header)
    if not header:
        return table  # an empty optional file: nothing to read
    _check_header(table, findings)
    seen: dict[str, int] = {}
    for number, cells in rows:
        row = _row(table, number, cells, findings)
        if row is None:
            rejected.add(dict(zip(header, cells, strict=False)).get("sourcedId", "").strip())
            continue
        first = seen.setdefault(row.sourced_id, number)
        if first != number:
            findings.add(
                ErrorCode.ONEROSTER_DUPLICATE_ID,
                file=filename,
                row=number,
                column="sourcedId",
                value=row.sourced_id,
                first_row=first,
            )
            continue
        table.rows.append(row)
    return table


def _check_header(table: CsvTable, findings: Findings) -> None:
    filename = table.spec.filename
    missing = [c for c in table.spec.columns if c in table.spec.required and c not in table.header]
    if table.mode == spec.DELTA:
        missing += [c for c in ("status", "dateLastModified") if c not in table.header]
    if missing:
        findings.add(ErrorCode.FILE_MISSING_COLUMNS, file=filename, columns="、".join(missing))
        raise BundleRejected
    seen: set[str] = set()
    for index, column in enumerate(table.header):
        if column in seen:
            findings.add(
                ErrorCode.FILE_DUPLICATE_COLUMN, file=filename, field=column, letters=index + 1
            )
            raise BundleRejected
        seen.add(column)
        if column and column not in table.spec.columns and not column.startswith("metadata."):
            findings.add(ErrorCode.FILE_EXTRA_COLUMN, file=filename, column=column)


def _row(table: CsvTable, number: int, cells: list[str], findings: Findings) -> CsvRow | None:
    """The row if every check passes; else None, with findings."""
    filename = table.spec.filename
    if len(cells) > len(table.header):
        findings.add(ErrorCode.ROW_TOO_MANY_CELLS, file=filename, row=number)
        return None
    values = {c: v.strip() for c, v in zip(table.header, cells, strict=False) if c}
    row = CsvRow(number, values)
    before = len(findings.items)
    for column in sorted(table.spec.required):
        if not row.get(column):
            findings.add(ErrorCode.REQUIRED, file=filename, row=number, column=column)
    _check_status(table, row, findings)
    for column, allowed in table.spec.enums.items():
        value = row.get(column)
        if value and value not in allowed and not spec.EXTENSION.match(value):
            findings.add(
                ErrorCode.NOT_IN_LIST,
                file=filename,
                row=number,
                column=column,
                value=value,
                values="、".join(allowed),
            )
    _check_dates(table, row, findings)
    return None if _new_errors(findings, before) else row


def _new_errors(findings: Findings, since: int) -> bool:
    return any(f.severity == "error" for f in findings.items[since:])


def _check_status(table: CsvTable, row: CsvRow, findings: Findings) -> None:
    filename, status = table.spec.filename, row.get("status")
    if table.mode == spec.DELTA:
        for column in ("status", "dateLastModified"):
            if not row.get(column):
                findings.add(ErrorCode.REQUIRED, file=filename, row=row.row, column=column)
    if status and status not in spec.STATUSES:
        findings.add(
            ErrorCode.NOT_IN_LIST,
            file=filename,
            row=row.row,
            column="status",
            value=status,
            values="、".join(spec.STATUSES),
        )


def _check_dates(table: CsvTable, row: CsvRow, findings: Findings) -> None:
    for column in ("startDate", "endDate", "beginDate", "birthDate"):
        value = row.get(column)
        if value and not _is_date(value):
            findings.add(
                ErrorCode.DATE_FORMAT, file=table.spec.filename, row=row.row, column=column
            )
    modified = row.get("dateLastModified")
    if modified and not _is_datetime(modified):
        findings.add(
            ErrorCode.DATE_FORMAT, file=table.spec.filename, row=row.row, column="dateLastModified"
        )


def _is_date(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
