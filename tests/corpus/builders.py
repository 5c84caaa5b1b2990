"""Builders for the bad-file corpus: every file is made here, as bytes, from a few students
with valid IDs. Nothing is read from disk and nothing random is used, so each file is the
same on every run.

The builders mimic how the files really come about: Excel's own encodings and layouts, cells
that Excel turned into numbers, packages rewritten by hand the way an attacker would.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from growth.sample import inflating_xlsx
from shared.ids import make_national_id

TODAY = date(2024, 12, 20)
REGION = "310112"  # Minhang District, Shanghai
CLASS = "七年级(1)班"

ROSTER_HEADER = [
    "学籍号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "年级",
    "班级",
    "监护人姓名",
    "监护人手机",
    "监护人同意",
]
SCORE_HEADER = ["学籍号", "姓名", "班级", "学科", "考核类型", "考核日期", "得分", "满分", "备注"]
QUALITY_HEADER = [
    "学籍号",
    "姓名",
    "领域",
    "项目名称",
    "开始日期",
    "结束日期",
    "时长(小时)",
    "组织单位",
    "角色",
    "证明人",
    "描述",
]
_NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周杰", "吴霞")


# ------------------------------------------------------------------------------- students


@dataclass(frozen=True, slots=True)
class Kid:
    """One student with a valid national ID; the 学籍号 is the formal `G` form."""

    index: int
    national_id: str
    name: str
    gender: str
    birth: date

    @property
    def student_no(self) -> str:
        return "G" + self.national_id

    @property
    def mobile(self) -> str:
        return f"139{self.index:08d}"


def kid(index: int) -> Kid:
    """The `index`-th student: born a day after the previous one, boys and girls in turn
    (unique IDs for the first 180,000 indexes)."""
    birth = date(2011, 9, 1) + timedelta(days=index % 360)
    male = index % 2 == 0
    sequence = 100 + 2 * (index // 360) + (1 if male else 0)  # odd for boys (GB 11643)
    national_id = make_national_id(REGION, birth, sequence)
    return Kid(index, national_id, _NAMES[index % len(_NAMES)], "男" if male else "女", birth)


def kids(count: int, start: int = 0) -> list[Kid]:
    return [kid(i) for i in range(start, start + count)]


@lru_cache(maxsize=1)
def kid_with_x() -> Kid:
    """The first student whose national ID ends in the check character X."""
    return next(k for k in map(kid, range(1000)) if k.national_id.endswith("X"))


def wrong_check(identifier: str) -> str:
    """`identifier` with its last (check) character replaced by a wrong one."""
    return identifier[:-1] + ("1" if identifier[-1] != "1" else "2")


def roster_row(k: Kid) -> list[str]:
    return [
        k.student_no,
        k.name,
        k.gender,
        k.birth.isoformat(),
        k.national_id,
        "七年级",
        CLASS,
        k.name[0] + "家长",
        k.mobile,
        "是",
    ]


def score_row(k: Kid, *, day: str = "2024-11-12", score: str = "92") -> list[str]:
    return [k.student_no, k.name, CLASS, "数学", "期中考试", day, score, "100", ""]


def quality_row(
    k: Kid, *, description: str = "参加社区志愿服务，认真完成了各项任务。"
) -> list[str]:
    return [
        k.student_no,
        k.name,
        "品德发展与公民素养",
        "社区志愿服务",
        "2024-10-12",
        "2024-10-13",
        "4",
        "莘庄镇社区服务中心",
        "志愿者",
        "王老师",
        description,
    ]


def roster_rows(count: int = 5) -> list[list[str]]:
    return [roster_row(k) for k in kids(count)]


def score_rows(count: int = 5) -> list[list[str]]:
    return [score_row(k) for k in kids(count)]


# -------------------------------------------------------------------------------- CSV files


def csv_text(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    delimiter: str = ",",
    title: str | None = None,
) -> str:
    """CSV as Excel writes it (CRLF line ends, quotes only where needed)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    if title is not None:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    title: str | None = None,
) -> bytes:
    return csv_text(header, rows, delimiter=delimiter, title=title).encode(encoding)


# ------------------------------------------------------------------------------- XLSX files


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula cell with the value Excel cached for it."""

    formula: str
    value: object


@dataclass(slots=True)
class Sheet:
    """One worksheet: rows of cells (str → text, int/float → number, date → date cell,
    Formula → formula with cached value, None → no cell), an optional merged title row."""

    name: str
    rows: Sequence[Sequence[object]]
    title: str | None = None
    hidden: str = ""  # "", "hidden" or "very_hidden"
    number_formats: Mapping[int, str] = field(default_factory=dict)  # column → format


def xlsx_book(*sheets: Sheet, active: int = 0) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    date_format = workbook.add_format({"num_format": "yyyy/m/d"})
    for spec in sheets:
        ws = workbook.add_worksheet(spec.name)
        formats = {
            c: workbook.add_format({"num_format": f}) for c, f in spec.number_formats.items()
        }
        top = 0
        if spec.title is not None:
            width = max((len(r) for r in spec.rows), default=1)
            ws.merge_range(0, 0, 0, max(width - 1, 1), spec.title)
            top = 1
        for r, row in enumerate(spec.rows, start=top):
            for c, value in enumerate(row):
                _write_cell(ws, r, c, value, formats.get(c), date_format)
        if spec.hidden == "hidden":
            ws.hide()
        elif spec.hidden == "very_hidden":
            ws.very_hidden()
    workbook.worksheets()[active].activate()
    workbook.close()
    return buffer.getvalue()


def _write_cell(ws: object, r: int, c: int, value: object, fmt: object, date_fmt: object) -> None:
    write = ws  # xlsxwriter's worksheet (untyped)
    if value is None:
        return
    if isinstance(value, Formula):
        write.write_formula(r, c, value.formula, fmt, value.value)  # type: ignore[attr-defined]
    elif isinstance(value, str):
        write.write_string(r, c, value, fmt)  # type: ignore[attr-defined]
    elif isinstance(value, datetime | date):
        write.write_datetime(r, c, value, fmt or date_fmt)  # type: ignore[attr-defined]
    else:
        write.write_number(r, c, value, fmt)  # type: ignore[attr-defined]


def xlsx_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    title: str | None = None,
    sheet: str = "Sheet1",
) -> bytes:
    return xlsx_book(Sheet(sheet, [list(header), *rows], title=title))


# -------------------------------------------------------------------- legacy and encrypted


def xls_bytes(
    header: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None
) -> bytes:
    """A legacy Excel 97-2003 workbook (BIFF8 in an OLE2 file), made with xlwt."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    ws = workbook.add_sheet("名册")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    top = 0
    if title is not None:
        ws.write_merge(0, 0, 0, len(header) - 1, title)
        top = 1
    for c, name in enumerate(header):
        ws.write(top, c, name)
    for r, row in enumerate(rows, start=top + 1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                ws.write(r, c, value, date_style)
            else:
                ws.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def encrypted_xlsx(plain: bytes, password: str) -> bytes:
    """`plain` with an opening password, as Excel's 'Encrypt with Password' saves it."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(plain)).encrypt(password, out)
    return out.getvalue()


def rename_ole_stream(data: bytes, old: str, new: str) -> bytes:
    """Rename a stream in an OLE2 compound file by rewriting its directory entry's name."""
    name = old.encode("utf-16-le") + b"\x00\x00"
    at = data.find(name)
    while at >= 0 and at % 128:  # directory entries are 128 bytes, aligned in their sector
        at = data.find(name, at + 1)
    if at < 0:
        raise ValueError(f"no stream {old!r}")
    encoded = new.encode("utf-16-le") + b"\x00\x00"
    entry = bytearray(data[at : at + 128])
    entry[0:64] = encoded.ljust(64, b"\x00")
    entry[64:66] = struct.pack("<H", len(encoded))
    return data[:at] + bytes(entry) + data[at + 128 :]


# ----------------------------------------------------------------- rewriting XLSX packages


def rebuild_zip(
    data: bytes,
    *,
    replace: Mapping[str, Callable[[bytes], bytes]] | None = None,
    rename: Mapping[str, str] | None = None,
    add: Mapping[str, bytes] | None = None,
) -> bytes:
    """A copy of the package with some parts rewritten, renamed or added (all deflated)."""
    replace, rename, add = replace or {}, rename or {}, add or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename in replace:
                body = replace[info.filename](body)
            package.writestr(rename.get(info.filename, info.filename), body)
        for name, body in add.items():
            package.writestr(name, body)
    return out.getvalue()


def with_cell(sheet_xml: bytes, ref: str, value: str = "1") -> bytes:
    """A worksheet with one more numeric cell at `ref` (e.g. XFD1048576), in a row of its own."""
    row = re.fullmatch(r"[A-Z]+(\d+)", ref)
    assert row is not None, ref
    cell = f'<row r="{row[1]}"><c r="{ref}"><v>{value}</v></c></row>'.encode()
    return sheet_xml.replace(b"</sheetData>", cell + b"</sheetData>")


def with_doctype(xml: bytes, doctype: bytes, *, before_root: bytes = b"") -> bytes:
    """An XML part with `doctype` (and anything in `before_root`) inserted after the XML
    declaration, before the root element."""
    declaration, rest = xml.split(b"?>", 1)
    return declaration + b"?>\n" + before_root + doctype + rest


BILLION_LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
)
XXE = b'<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'


def set_declared_size(data: bytes, part: str, size: int) -> bytes:
    """The package with `part`'s uncompressed size field set to `size` in both its local
    header and its central-directory entry. Nothing else changes (not even the CRC)."""
    patched = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    assert not info.flag_bits & 0x08, "sizes live in a data descriptor"
    struct.pack_into("<I", patched, info.header_offset + 22, size)
    end = data.rfind(b"PK\x05\x06")
    entries, _, offset = struct.unpack_from("<HII", data, end + 10)
    for _ in range(entries):
        assert data[offset : offset + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        name = data[offset + 46 : offset + 46 + name_len].decode()
        if name == part:
            struct.pack_into("<I", patched, offset + 24, size)
        offset += 46 + name_len + extra_len + comment_len
    return bytes(patched)


@lru_cache(maxsize=1)
def zip_bomb_300mb() -> bytes:
    """A 0.3 MB .xlsx whose first worksheet inflates to 300 MB (ratio ≈ 1,000:1).
    Built once per process (about 1 s)."""
    return inflating_xlsx(xlsx_bytes(ROSTER_HEADER, roster_rows(3)), 300 << 20)
