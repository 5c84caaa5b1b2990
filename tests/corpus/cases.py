"""The bad-file corpus: every bad input RELIABILITY.md lists, each with the exact outcome the
engine must give (status, counts, file-level codes, and row errors as row, column, code).

A case whose `bug` is set states the *correct* outcome; the engine does not give it yet, and
the tests mark it as an expected failure naming the bug. A case whose `unsafe` is set must
never reach the real parser (it would take gigabytes or abort the process): the tests feed it
to the engine with the parser replaced by a tripwire.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from shared.ids import check_char
from shared.settings import IngestLimits
from tests.corpus import builders as b
from tests.corpus.builders import (
    CLASS,
    QUALITY_HEADER,
    ROSTER_HEADER,
    SCORE_HEADER,
    Formula,
    Sheet,
    csv_bytes,
    csv_text,
    kid,
    kid_with_x,
    kids,
    quality_row,
    rebuild_zip,
    roster_row,
    roster_rows,
    score_row,
    score_rows,
    with_cell,
    with_doctype,
    wrong_check,
    xlsx_book,
    xlsx_bytes,
)

ROSTER = "roster-students"
SCORE = "academic-score"
QUALITY = "quality-record"
SHEET1 = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"

RowKey = tuple[int, str | None, str]


@dataclass(frozen=True, slots=True)
class Expect:
    status: str
    file_errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    rows: tuple[RowKey, ...] = ()  # every row error, in the engine's order (row, column)
    total: int | None = None  # rows_total; None: not checked (whole-file rejections give 0)
    accepted: int | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    category: str
    template: str
    build: Callable[[], bytes]
    expect: Expect
    limits: IngestLimits | None = None
    bug: str | None = None  # known engine bug: `expect` is the correct outcome
    unsafe: str | None = None  # why the real parser must never see this file


def accepted(total: int, *warnings: str) -> Expect:
    return Expect("accepted", warnings=warnings, total=total, accepted=total)


def rejected(*codes: str) -> Expect:
    return Expect("rejected", file_errors=codes)


# ------------------------------------------------------------------------------- encodings

ROSTER_5 = roster_rows(5)


def _rare_name_rows() -> list[list[str]]:
    """Five roster rows, one with 𠮷 (U+20BB7): four bytes in GB18030, not in GBK at all."""
    rows = roster_rows(5)
    rows[2][1] = "𠮷田"
    return rows


def _undecodable() -> bytes:
    rows = roster_rows(3)
    return csv_bytes(ROSTER_HEADER, rows, encoding="gb18030") + b"\x80\xff\x80,\xff\r\n"


def _binary_with_nuls() -> bytes:
    return bytes(range(256)) * 8


def _utf16_broken() -> bytes:
    # UTF-16 with BOM whose last code unit is a lone high surrogate (a truncated character).
    return csv_bytes(ROSTER_HEADER, roster_rows(3), encoding="utf-16") + b"\x3d\xd8"


def _bom_then_gbk() -> bytes:
    return b"\xef\xbb\xbf" + csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="gbk")


def bom_mixed(title: str | None = None) -> bytes:
    """A UTF-8 file with BOM to which rows saved as GBK were appended (copy a.csv+b.csv)."""
    head = csv_bytes(ROSTER_HEADER, ROSTER_5[:2], encoding="utf-8-sig", title=title)
    tail = csv_text(ROSTER_HEADER, ROSTER_5[2:]).split("\r\n", 1)[1]
    return head + tail.encode("gbk")


ASCII_KEYS = ["student_no", "name", "gender", "birth_date", "national_id", "grade", "class_name"]
ASCII_PREFIX_ROWS = 3000  # > 256 KiB of plain ASCII before the first Chinese character


def gbk_after_ascii_prefix() -> bytes:
    """A GBK file whose first 256 KiB are plain ASCII (English headers, pinyin names): the
    encoding shows only in the last rows."""
    ascii_rows = [
        [
            k.student_no,
            f"Student {k.index}",
            "M" if k.gender == "男" else "F",
            k.birth.isoformat(),
            k.national_id,
            "7",
            "7-1",
        ]
        for k in kids(ASCII_PREFIX_ROWS)
    ]
    chinese = [
        [k.student_no, k.name, k.gender, k.birth.isoformat(), k.national_id, "七年级", CLASS]
        for k in kids(2, start=ASCII_PREFIX_ROWS)
    ]
    return csv_bytes(ASCII_KEYS, [*ascii_rows, *chinese], encoding="gbk")


ENCODINGS = [
    Case("enc-utf8", "encoding", ROSTER, lambda: csv_bytes(ROSTER_HEADER, ROSTER_5), accepted(5)),
    Case(
        "enc-utf8-bom",
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="utf-8-sig"),
        accepted(5),
    ),
    Case(
        "enc-gbk",
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="gbk"),
        accepted(5),
    ),
    Case(
        "enc-gb18030-4byte",
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, _rare_name_rows(), encoding="gb18030"),
        accepted(5),
    ),
    Case(
        "enc-utf16-bom-tab",  # Excel's "Unicode text (*.txt)"
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="utf-16", delimiter="\t"),
        accepted(5),
    ),
    Case(
        "enc-utf16le-no-bom",
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="utf-16-le"),
        accepted(5),
    ),
    Case(
        "enc-utf16be-no-bom",
        "encoding",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, ROSTER_5, encoding="utf-16-be"),
        accepted(5),
    ),
    Case(
        "enc-gbk-after-ascii-prefix",
        "encoding",
        ROSTER,
        gbk_after_ascii_prefix,
        accepted(ASCII_PREFIX_ROWS + 2),
    ),
    Case("enc-undecodable", "encoding", ROSTER, _undecodable, rejected("FILE_ENCODING")),
    Case("enc-utf16-truncated", "encoding", ROSTER, _utf16_broken, rejected("FILE_ENCODING")),
    Case(
        "enc-binary-with-nuls",
        "encoding",
        ROSTER,
        _binary_with_nuls,
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case(
        "enc-bom-then-gbk",
        "encoding",
        ROSTER,
        _bom_then_gbk,
        rejected("FILE_ENCODING"),
    ),
    Case(
        "enc-bom-then-gbk-rows",
        "encoding",
        ROSTER,
        bom_mixed,
        rejected("FILE_ENCODING"),
    ),
    Case(
        "enc-bom-multiline-title-then-gbk-rows",
        "encoding",
        ROSTER,
        lambda: bom_mixed(title="莘庄中学\n学生名册"),
        rejected("FILE_ENCODING"),
    ),
]


# ------------------------------------------------------------------ invisible and wide text

FULL_WIDTH = str.maketrans("0123456789X-", "０１２３４５６７８９Ｘ－")


def _normalisable_rows() -> list[list[str]]:
    rows = roster_rows(5)
    rows[0][0] = rows[0][0].translate(FULL_WIDTH)  # Ｇ stays G-like after NFKC too
    rows[0][0] = "Ｇ" + rows[0][0][1:]
    rows[0][4] = rows[0][4].translate(FULL_WIDTH)
    rows[0][3] = rows[0][3].translate(FULL_WIDTH)
    rows[0][8] = rows[0][8].translate(FULL_WIDTH)
    rows[1][1] = "\u3000" + rows[1][1] + "\u3000"  # ideographic spaces around the name
    rows[1][0] = rows[1][0][:7] + "\u200b" + rows[1][0][7:]  # zero-width space inside
    rows[2][4] = "\ufeff" + rows[2][4] + "\u200b"  # BOM and ZWSP around the ID
    rows[2][1] = rows[2][1][0] + "\u200d" + rows[2][1][1:]  # zero-width joiner in the name
    rows[3][1] = "\u00a0" + rows[3][1] + "\u00a0"  # non-breaking spaces
    rows[3][8] = "139\u00a0" + rows[3][8][3:7] + "\u00a0" + rows[3][8][7:]
    rows[4][0] = rows[4][0].lower()  # g…x typed in lower case
    rows[4][2] = " 男 "
    return rows


DECORATED_ROSTER_HEADER = [
    "学籍号\u3000",
    "\u200b姓名",
    "＊性别",
    "出生日期（必填）",
    "身份证号：",
    "年 级",
    "班级\u00a0",
    "监护人姓名",
    "监护人手机",
    "监护人同意",
]

TEXT = [
    Case(
        "text-full-width-and-invisible",
        "text",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, _normalisable_rows(), encoding="utf-8-sig"),
        accepted(5),
    ),
    Case(
        "text-decorated-headers",
        "text",
        ROSTER,
        lambda: csv_bytes(DECORATED_ROSTER_HEADER, ROSTER_5),
        accepted(5),
    ),
    Case(
        "text-full-width-and-invisible-xlsx",
        "text",
        ROSTER,
        lambda: xlsx_bytes(ROSTER_HEADER, _normalisable_rows()),
        accepted(5),
    ),
]


# ---------------------------------------------------------------------------------- formulas

INJECTIONS = (
    '=HYPERLINK("http://a.cn","点")',
    "@SUM(1)",
    "+1+1",
    "-1+1",
    "＝1+1",  # full-width equals: NFKC makes it "="
    "\t=1+1",
)


def _formula_scores() -> bytes:
    rows: list[list[object]] = [list(r) for r in score_rows(4)]
    rows[0][6] = Formula("=90+2", 92)
    rows[1][6] = Formula("=SUM(40,41)", 81)
    rows[2][7] = Formula("=50*2", 100)
    rows[3][1] = Formula('="周"&"杰"', "周杰")
    return xlsx_bytes(SCORE_HEADER, rows)


def _formula_error_cell() -> bytes:
    rows: list[list[object]] = [list(r) for r in score_rows(3)]
    rows[1][6] = Formula("=1/0", "#DIV/0!")
    return xlsx_bytes(SCORE_HEADER, rows)


def _error_text_csv() -> bytes:
    rows = score_rows(3)
    rows[0][6] = "#DIV/0!"
    rows[2][6] = "#N/A"
    return csv_bytes(SCORE_HEADER, rows)


def injection_rows() -> list[list[str]]:
    """Roster rows whose names are formulas; each row also has a wrong ID check digit, so
    that it appears in the error report."""
    rows = [roster_row(k) for k in kids(len(INJECTIONS))]
    for row, text in zip(rows, INJECTIONS, strict=True):
        row[1] = text
        row[4] = wrong_check(row[4])
    return rows


def _injection_csv() -> bytes:
    return csv_bytes(ROSTER_HEADER, [*injection_rows(), roster_row(kid(10))])


INJECTION_ROW_ERRORS = tuple(
    (row, "身份证号", "NATIONAL_ID_CHECK_DIGIT") for row in range(2, 2 + len(INJECTIONS))
)

FORMULAS = [
    Case("formula-cached-values", "formula", SCORE, _formula_scores, accepted(4)),
    Case(
        "formula-error-cell",
        "formula",
        SCORE,
        _formula_error_cell,
        Expect("partial", rows=((3, "得分", "CELL_ERROR"),), total=3, accepted=2),
    ),
    Case(
        "formula-error-text",
        "formula",
        SCORE,
        _error_text_csv,
        Expect(
            "partial",
            rows=((2, "得分", "CELL_ERROR"), (4, "得分", "CELL_ERROR")),
            total=3,
            accepted=1,
        ),
    ),
    Case(
        "formula-injection-csv",
        "formula",
        ROSTER,
        _injection_csv,
        Expect(
            "partial",
            rows=INJECTION_ROW_ERRORS,
            total=len(INJECTIONS) + 1,
            accepted=1,
        ),
    ),
]


# ------------------------------------------------------------------------- titles, headers


def _bad_id_rows(count: int = 5, bad: int = 1) -> list[list[str]]:
    rows = roster_rows(count)
    rows[bad][4] = wrong_check(rows[bad][4])
    return rows


def _two_titles_xlsx() -> bytes:
    rows = [
        ["闵行区莘庄中学"],
        ["2024 学年 七年级(1)班 学生名册"],
        [],
        ROSTER_HEADER,
        *_bad_id_rows(),
    ]
    return xlsx_book(Sheet("名册", rows, title="上海市闵行区教育局"))


def _with_column(
    header: list[str], rows: list[list[str]], at: int, name: str, values: dict[int, str]
) -> bytes:
    """CSV with a column `name` inserted at `at`; `values` maps row index → cell."""
    new_header = [*header[:at], name, *header[at:]]
    new_rows = [[*r[:at], values.get(i, ""), *r[at:]] for i, r in enumerate(rows)]
    return csv_bytes(new_header, new_rows)


def _xuhao() -> bytes:
    rows = [[str(i), *r] for i, r in enumerate(ROSTER_5, start=1)]
    rows.append(["6", *[""] * len(ROSTER_HEADER)])  # a running number alone: not a row
    return csv_bytes(["序号", *ROSTER_HEADER], rows)


def _missing_columns() -> bytes:
    keep = [i for i, h in enumerate(ROSTER_HEADER) if h not in ("姓名", "班级")]
    return csv_bytes([ROSTER_HEADER[i] for i in keep], [[r[i] for i in keep] for r in ROSTER_5])


LAYOUT = [
    Case(
        "layout-merged-title-xlsx",
        "layout",
        ROSTER,
        lambda: xlsx_bytes(ROSTER_HEADER, _bad_id_rows(), title="莘庄中学 学生名册"),
        Expect("partial", rows=((4, "身份证号", "NATIONAL_ID_CHECK_DIGIT"),), total=5, accepted=4),
    ),
    Case(
        "layout-title-line-csv",
        "layout",
        ROSTER,
        lambda: csv_bytes(ROSTER_HEADER, _bad_id_rows(), title="莘庄中学 学生名册"),
        Expect("partial", rows=((4, "身份证号", "NATIONAL_ID_CHECK_DIGIT"),), total=5, accepted=4),
    ),
    Case(
        "layout-three-titles-and-a-gap-xlsx",
        "layout",
        ROSTER,
        _two_titles_xlsx,
        Expect("partial", rows=((7, "身份证号", "NATIONAL_ID_CHECK_DIGIT"),), total=5, accepted=4),
    ),
    Case(
        "layout-blank-header-no-data",
        "layout",
        ROSTER,
        lambda: _with_column(ROSTER_HEADER, ROSTER_5, 3, "", {}),
        accepted(5),
    ),
    Case(
        "layout-blank-header-with-data",
        "layout",
        ROSTER,
        lambda: _with_column(ROSTER_HEADER, ROSTER_5, 3, "", {2: "住校"}),
        accepted(5, "FILE_UNNAMED_COLUMN"),
    ),
    Case(
        "layout-duplicate-header",
        "layout",
        ROSTER,
        lambda: _with_column(ROSTER_HEADER, ROSTER_5, 10, "姓名", {0: "张伟"}),
        rejected("FILE_DUPLICATE_COLUMN"),
    ),
    Case(
        "layout-duplicate-header-by-alias",
        "layout",
        ROSTER,
        lambda: _with_column(ROSTER_HEADER, ROSTER_5, 2, "学生姓名", {}),
        rejected("FILE_DUPLICATE_COLUMN"),
    ),
    Case(
        "layout-extra-column",
        "layout",
        ROSTER,
        lambda: _with_column(ROSTER_HEADER, ROSTER_5, 10, "家庭住址", {0: "莘庄镇"}),
        accepted(5, "FILE_EXTRA_COLUMN"),
    ),
    Case(
        "layout-missing-columns",
        "layout",
        ROSTER,
        _missing_columns,
        rejected("FILE_MISSING_COLUMNS"),
    ),
    Case("layout-running-number", "layout", ROSTER, _xuhao, accepted(5)),
    Case(
        "layout-no-header",
        "layout",
        ROSTER,
        lambda: csv_bytes(["编号", "名字", "备注"], [["1", "张伟", ""]]),
        rejected("FILE_NO_HEADER"),
    ),
]


# -------------------------------------------------------------------------------- sheets


def _blank_names() -> list[list[str]]:
    rows = roster_rows(5)
    for row in rows:
        row[1] = ""
    return rows


def hidden_and_extra_sheets() -> bytes:
    """An instructions sheet first, a hidden old roster (ties with the real one on header
    score, and would be picked first if hidden sheets counted), the roster, an empty sheet
    and a very hidden backup."""
    return xlsx_book(
        Sheet("填表说明", [["学籍号请填写 19 位"], ["出生日期请写成 2012-09-01"]]),
        Sheet("旧名册", [ROSTER_HEADER, *_blank_names()], hidden="hidden"),
        Sheet("名册", [ROSTER_HEADER, *ROSTER_5]),
        Sheet("空白", []),
        Sheet("备份", [ROSTER_HEADER, *_blank_names()], hidden="very_hidden"),
        Sheet("统计", [["男生", "3"], ["女生", "2"]]),
    )


SHEETS = [
    Case(
        "sheets-hidden-and-extra",
        "sheets",
        ROSTER,
        hidden_and_extra_sheets,
        accepted(5, "FILE_OTHER_SHEETS"),
    ),
    Case(
        "sheets-header-on-second-sheet",
        "sheets",
        ROSTER,
        lambda: xlsx_book(
            Sheet("说明", [["本表由教务处下发"]]), Sheet("名册", [ROSTER_HEADER, *ROSTER_5])
        ),
        accepted(5),
    ),
    Case(
        "sheets-only-hidden-roster",
        "sheets",
        ROSTER,
        lambda: xlsx_book(
            Sheet("说明", [["本表由教务处下发"]]),
            Sheet("名册", [ROSTER_HEADER, *ROSTER_5], hidden="hidden"),
        ),
        rejected("FILE_NO_SHEET"),
    ),
]


# ------------------------------------------------------------------------------- identifiers


def _numbers_in_xlsx() -> bytes:
    rows: list[list[object]] = [list(r) for r in roster_rows(5)]
    rows[0][4] = float(rows[0][4])  # 18-digit ID typed into a General cell
    rows[2][0] = float(str(rows[2][4]))  # 学籍号 typed as the bare ID number
    rows[3][8] = int(str(rows[3][8]))  # an 11-digit mobile as a number is fine
    return xlsx_bytes(ROSTER_HEADER, rows)


def lost_digits_kid() -> int:
    """A student whose ID, with its last three digits replaced by 000, fails the check."""
    return next(i for i in range(5, 50) if check_char(kid(i).national_id[:15] + "00") != "0")


def _numbers_as_text_csv() -> bytes:
    rows = roster_rows(5)
    rows[0][4] = "3.10112E+17"
    rows[1][0] = "3.10112E+17"
    lost = lost_digits_kid()
    rows[2] = roster_row(kid(lost))
    rows[2][4] = rows[2][4][:15] + "000"
    return csv_bytes(ROSTER_HEADER, rows)


def _check_digits_csv() -> bytes:
    rows = roster_rows(4)
    rows[0][0] = wrong_check(rows[0][0])  # 学籍号 check digit wrong
    rows[1][4] = wrong_check(rows[1][4])  # 身份证号 check digit wrong
    legacy = rows[2][4]
    rows[2][4] = legacy[:6] + legacy[8:17]  # 15-digit ID (two-digit year, no check)
    x = roster_row(kid_with_x())
    x[0], x[4] = x[0].lower(), x[4].lower()  # …x typed in lower case: accepted as X
    swapped = rows[3][4]  # two adjacent digits of the sequence number swapped
    rows[3][4] = swapped[:14] + swapped[15] + swapped[14] + swapped[16:]
    return csv_bytes(ROSTER_HEADER, [*rows, x])


def _number_in_score_xlsx() -> bytes:
    rows: list[list[object]] = [list(r) for r in score_rows(3)]
    rows[1][0] = float(kid(1).national_id)
    return xlsx_bytes(SCORE_HEADER, rows)


def _number_in_xls() -> bytes:
    rows: list[list[object]] = [list(r) for r in roster_rows(4)]
    rows[1][4] = int(str(rows[1][4]))
    rows[2][3] = kid(2).birth  # a real date cell
    return b.xls_bytes(ROSTER_HEADER, rows, title="学生名册")


IDS = [
    Case(
        "ids-numbers-in-xlsx",
        "ids",
        ROSTER,
        _numbers_in_xlsx,
        Expect(
            "partial",
            rows=((2, "身份证号", "ID_AS_NUMBER"), (4, "学籍号", "ID_AS_NUMBER")),
            total=5,
            accepted=3,
        ),
    ),
    Case(
        "ids-number-in-score-xlsx",
        "ids",
        SCORE,
        _number_in_score_xlsx,
        Expect("partial", rows=((3, "学籍号", "ID_AS_NUMBER"),), total=3, accepted=2),
    ),
    Case(
        "ids-numbers-as-text-csv",
        "ids",
        ROSTER,
        _numbers_as_text_csv,
        Expect(
            "partial",
            rows=(
                (2, "身份证号", "ID_AS_NUMBER"),
                (3, "学籍号", "ID_AS_NUMBER"),
                (4, "身份证号", "ID_AS_NUMBER"),
            ),
            total=5,
            accepted=2,
        ),
    ),
    Case(
        "ids-check-digits-legacy-lowercase",
        "ids",
        ROSTER,
        _check_digits_csv,
        Expect(
            "partial",
            rows=(
                (2, "学籍号", "STUDENT_NO_CHECK_DIGIT"),
                (3, "身份证号", "NATIONAL_ID_CHECK_DIGIT"),
                (4, "身份证号", "NATIONAL_ID_LEGACY"),
                (5, "身份证号", "NATIONAL_ID_CHECK_DIGIT"),
            ),
            total=5,
            accepted=1,
        ),
    ),
    Case(
        "ids-number-in-legacy-xls",
        "ids",
        ROSTER,
        _number_in_xls,
        Expect("partial", rows=((4, "身份证号", "ID_AS_NUMBER"),), total=4, accepted=3),
    ),
]


# ------------------------------------------------------------------------------------ dates

TEXT_DATE_FORMS = (
    "2024-09-01",
    "2024/9/1",
    "2024.9.1",
    "2024年9月1日",
    "20240901",
    "2024 年 9 月 1 日",
    "２０２４－０９－０１",
    "2024-09-01 08:30",
)
BAD_DATES = (
    ("9/1/2024", "DATE_AMBIGUOUS"),
    ("24-9-1", "DATE_AMBIGUOUS"),
    ("2024-02-30", "DATE_INVALID"),
    ("2023-02-29", "DATE_INVALID"),
    ("45536", "DATE_SERIAL"),
    ("九月一日", "DATE_FORMAT"),
)


def _text_dates() -> bytes:
    rows = [
        score_row(k, day=f)
        for k, f in zip(kids(len(TEXT_DATE_FORMS)), TEXT_DATE_FORMS, strict=True)
    ]
    return csv_bytes(SCORE_HEADER, rows)


def _bad_dates() -> bytes:
    good = score_row(kid(0), day="2024-09-01")
    bad = [score_row(k, day=d) for k, (d, _) in zip(kids(6, start=1), BAD_DATES, strict=True)]
    return csv_bytes(SCORE_HEADER, [good, *bad])


def date_cells_xlsx() -> bytes:
    """Real date cells (with and without a time), a serial number formatted as a date (a date
    cell to Excel), and a bare 5-digit number in the date column."""
    rows: list[list[object]] = [list(r) for r in score_rows(4)]
    rows[0][5] = datetime(2024, 9, 1)
    rows[1][5] = datetime(2024, 9, 2, 10, 30)
    rows[2][5] = 45538  # shown as 2024/9/3 by the column's date format
    rows[3][5] = 45539
    sheet = Sheet("成绩", [SCORE_HEADER, *rows], number_formats={5: "yyyy/m/d"})
    book = xlsx_book(sheet)
    # The last number loses its date format: rewrite its style index to General (s="0").
    return rebuild_zip(
        book,
        replace={SHEET1: lambda x: _strip_style(x, "F5")},
    )


def _strip_style(sheet_xml: bytes, ref: str) -> bytes:
    return re.sub(rb'(<c r="' + ref.encode() + rb'") s="\d+"', rb"\1", sheet_xml)


DATES = [
    Case("dates-text-forms", "dates", SCORE, _text_dates, accepted(len(TEXT_DATE_FORMS))),
    Case(
        "dates-bad-text",
        "dates",
        SCORE,
        _bad_dates,
        Expect(
            "partial",
            rows=tuple((row, "考核日期", code) for row, (_, code) in enumerate(BAD_DATES, start=3)),
            total=7,
            accepted=1,
        ),
    ),
    Case(
        "dates-cells-xlsx",
        "dates",
        SCORE,
        date_cells_xlsx,
        Expect("partial", rows=((5, "考核日期", "DATE_SERIAL"),), total=4, accepted=3),
    ),
]


# ------------------------------------------------------------------------------- duplicates


def duplicate_rows() -> list[list[str]]:
    k0, k1, k2 = kids(3)
    return [
        score_row(k0),  # 2
        score_row(k1),  # 3
        score_row(k0, score="95"),  # 4: same key as 2 (the score does not count)
        score_row(k2),  # 5
        score_row(k0),  # 6: same as 2 again
        score_row(k2),  # 7: same as 5
    ]


def _normalised_duplicates() -> bytes:
    k0, k1 = kids(2)
    wide = score_row(k0)
    wide[0] = "Ｇ" + wide[0][1:].translate(FULL_WIDTH)
    lower = score_row(k0, day="2024/11/12")
    lower[0] = lower[0].lower()
    lower[3] = "数学\u200b"
    return csv_bytes(SCORE_HEADER, [score_row(k0), score_row(k1), wide, lower])


DUPLICATES = [
    Case(
        "dup-rows",
        "duplicates",
        SCORE,
        lambda: csv_bytes(SCORE_HEADER, duplicate_rows()),
        Expect(
            "partial",
            rows=(
                (4, "学籍号", "DUPLICATE_ROW"),
                (6, "学籍号", "DUPLICATE_ROW"),
                (7, "学籍号", "DUPLICATE_ROW"),
            ),
            total=6,
            accepted=3,
        ),
    ),
    Case(
        "dup-rows-written-differently",
        "duplicates",
        SCORE,
        _normalised_duplicates,
        Expect(
            "partial",
            rows=((4, "学籍号", "DUPLICATE_ROW"), (5, "学籍号", "DUPLICATE_ROW")),
            total=4,
            accepted=2,
        ),
    ),
]


# ------------------------------------------------------------------------ empty rows, files


def empty_rows_csv() -> bytes:
    """Blank records of every kind between and after real ones; the one bad row is row 6."""
    k = kids(4)
    bad = score_row(k[2])
    bad[0] = wrong_check(bad[0])
    lines = [
        ",".join(SCORE_HEADER),  # 1
        ",".join(score_row(k[0])),  # 2
        ",,,,,,,,",  # 3: a row of commas
        ",".join(score_row(k[1])),  # 4
        "",  # 5: an empty line
        ",".join(bad),  # 6
        ",,,,",  # 7: fewer commas than the header
        " ,\u3000, ,\u200b, , , , , ",  # 8: spaces only
        ",".join(score_row(k[3])),  # 9
        "",
        ",,,,,,,,",
        ",,,",
    ]
    return "\r\n".join(lines).encode() + b"\r\n"


def empty_rows_xlsx() -> bytes:
    k = kids(4)
    bad = score_row(k[2])
    bad[0] = wrong_check(bad[0])
    rows: list[list[object]] = [
        SCORE_HEADER,  # 1
        score_row(k[0]),  # 2
        [],  # 3
        score_row(k[1]),  # 4
        [""] * 9,  # 5: empty strings (cleared cells, formulas giving "")
        bad,  # 6
        [" ", "\u3000"],  # 7
        score_row(k[3]),  # 8
        [""] * 9,
        [""] * 9,
    ]
    return xlsx_book(Sheet("成绩", rows))


def _all_bad() -> bytes:
    rows = score_rows(3)
    rows[0][0] = wrong_check(rows[0][0])
    rows[1][5] = "2024-02-30"
    rows[2][6] = "九十"
    return csv_bytes(SCORE_HEADER, rows)


def _empty_workbook() -> bytes:
    return xlsx_book(Sheet("Sheet1", []))


EMPTY = [
    Case(
        "empty-rows-csv",
        "empty",
        SCORE,
        empty_rows_csv,
        Expect("partial", rows=((6, "学籍号", "STUDENT_NO_CHECK_DIGIT"),), total=4, accepted=3),
    ),
    Case(
        "empty-rows-xlsx",
        "empty",
        SCORE,
        empty_rows_xlsx,
        Expect("partial", rows=((6, "学籍号", "STUDENT_NO_CHECK_DIGIT"),), total=4, accepted=3),
    ),
    Case("empty-0-bytes", "empty", SCORE, lambda: b"", rejected("FILE_EMPTY")),
    Case("empty-whitespace", "empty", SCORE, lambda: b" \r\n\t \r\n\n", rejected("FILE_EMPTY")),
    Case("empty-bom-only", "empty", SCORE, lambda: b"\xef\xbb\xbf", rejected("FILE_EMPTY")),
    Case("empty-utf16-bom-only", "empty", SCORE, lambda: b"\xff\xfe", rejected("FILE_EMPTY")),
    Case("empty-commas-only", "empty", SCORE, lambda: b",,,,\r\n,,,\r\n", rejected("FILE_EMPTY")),
    Case("empty-workbook", "empty", SCORE, _empty_workbook, rejected("FILE_EMPTY")),
    Case(
        "header-only-csv",
        "empty",
        SCORE,
        lambda: csv_bytes(SCORE_HEADER, []),
        rejected("FILE_HEADER_ONLY"),
    ),
    Case(
        "header-only-with-blank-rows-csv",
        "empty",
        SCORE,
        lambda: csv_bytes(SCORE_HEADER, [[""] * 9, [" "] * 9]),
        rejected("FILE_HEADER_ONLY"),
    ),
    Case(
        "header-only-xlsx",
        "empty",
        SCORE,
        lambda: xlsx_bytes(SCORE_HEADER, [], title="期中考试成绩"),
        rejected("FILE_HEADER_ONLY"),
    ),
    Case(
        "all-rows-bad",
        "empty",
        SCORE,
        _all_bad,
        Expect(
            "rejected",
            file_errors=("FILE_NO_VALID_ROWS",),
            rows=(
                (2, "学籍号", "STUDENT_NO_CHECK_DIGIT"),
                (3, "考核日期", "DATE_INVALID"),
                (4, "得分", "NOT_A_NUMBER"),
            ),
            total=3,
            accepted=0,
        ),
    ),
]


# ------------------------------------------------------------------------------- CSV shapes


def overlong_row_csv() -> bytes:
    k = kids(4)
    lines = [",".join(SCORE_HEADER)] + [",".join(score_row(x)) for x in k[:2]]
    # An address typed with an unquoted comma pushes two extra cells past the header.
    lines.append(",".join(score_row(k[2])[:8]) + ",住址：莘庄镇,莘松路 100 号")
    lines.append(",".join(score_row(k[3])))
    return ("\r\n".join(lines) + "\r\n").encode()


def _empty_extras_csv() -> bytes:
    lines = [",".join(SCORE_HEADER)] + [",".join(score_row(x)) + ",,," for x in kids(3)]
    return ("\r\n".join(lines) + "\r\n").encode()


def _short_rows_csv() -> bytes:
    lines = [",".join(SCORE_HEADER)] + [",".join(score_row(x)[:7]) for x in kids(3)]
    return ("\r\n".join(lines) + "\r\n").encode()


def multiline_quality_csv() -> bytes:
    """Quoted line breaks inside 描述 (CRLF, LF and a blank line); the bad row is record 5."""
    k = kids(4)
    rows = [
        quality_row(k[0], description="第一段：参加社区服务。\r\n第二段：整理图书。"),
        quality_row(k[1], description="上午：清扫\n\n下午：慰问老人"),
        quality_row(k[2]),
        quality_row(k[3]),
    ]
    rows[3][4] = "2024-02-30"
    return csv_bytes(QUALITY_HEADER, rows)


def _multiline_title_csv() -> bytes:
    rows = [quality_row(k) for k in kids(3)]
    rows[2][4] = "2024-02-30"
    return csv_bytes(QUALITY_HEADER, rows, title="莘庄中学\n综合素质写实记录")


def _unterminated_quote_csv() -> bytes:
    text = csv_text(SCORE_HEADER, score_rows(2))
    return (text + kid(2).student_no + ',"未闭合的引号,数学\r\n').encode()


CSV_SHAPES = [
    Case(
        "csv-unquoted-comma",
        "csv",
        SCORE,
        overlong_row_csv,
        Expect("partial", rows=((4, None, "ROW_TOO_MANY_CELLS"),), total=4, accepted=3),
    ),
    Case("csv-empty-extra-cells", "csv", SCORE, _empty_extras_csv, accepted(3)),
    Case("csv-short-rows-padded", "csv", SCORE, _short_rows_csv, accepted(3)),
    Case(
        "csv-quoted-newlines",
        "csv",
        QUALITY,
        multiline_quality_csv,
        Expect("partial", rows=((5, "开始日期", "DATE_INVALID"),), total=4, accepted=3),
    ),
    Case(
        "csv-quoted-newline-in-title",
        "csv",
        QUALITY,
        _multiline_title_csv,
        Expect("partial", rows=((5, "开始日期", "DATE_INVALID"),), total=3, accepted=2),
    ),
    Case(
        "csv-unterminated-quote",
        "csv",
        SCORE,
        _unterminated_quote_csv,
        Expect(
            "partial",
            rows=(
                (4, "班级", "REQUIRED"),
                (4, "学科", "REQUIRED"),
                (4, "考核类型", "REQUIRED"),
                (4, "考核日期", "REQUIRED"),
                (4, "得分", "REQUIRED"),
            ),
            total=3,
            accepted=2,
        ),
    ),
]


# ------------------------------------------------------------------------------ size limits

ROWS_1000 = IngestLimits(max_rows=1000)


@lru_cache(maxsize=2)
def many_score_rows(count: int) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(score_row(kid(i))) for i in range(count))


def _rows_csv(count: int, blank_after: int = 0) -> bytes:
    rows = [list(r) for r in many_score_rows(count)] + [[""] * 9] * blank_after
    return csv_bytes(SCORE_HEADER, rows)


def _rows_xlsx(count: int, blank_after: int = 0) -> bytes:
    rows = [list(r) for r in many_score_rows(count)] + [[""] * 9] * blank_after
    return xlsx_bytes(SCORE_HEADER, rows, title="成绩")


def _rows_xls(count: int) -> bytes:
    return b.xls_bytes(SCORE_HEADER, [list(r) for r in many_score_rows(count)])


def _wide_csv(columns: int) -> bytes:
    extra = [f"备用{i}" for i in range(columns - len(SCORE_HEADER))]
    rows = [[*r, *["x"] * len(extra)] for r in score_rows(2)]
    return csv_bytes([*SCORE_HEADER, *extra], rows)


def _wide_xlsx(columns: int) -> bytes:
    extra = [f"备用{i}" for i in range(columns - len(SCORE_HEADER))]
    rows = [[*r, *["x"] * len(extra)] for r in score_rows(2)]
    return xlsx_bytes([*SCORE_HEADER, *extra], rows)


COLUMNS_20 = IngestLimits(max_columns=20)
TOO_MANY_ROWS = "FILE_TOO_MANY_ROWS"

LIMITS = [
    Case("rows-1000-csv", "limits", SCORE, lambda: _rows_csv(1000), accepted(1000), ROWS_1000),
    Case("rows-1000-xlsx", "limits", SCORE, lambda: _rows_xlsx(1000), accepted(1000), ROWS_1000),
    Case(
        "rows-1001-csv",
        "limits",
        SCORE,
        lambda: _rows_csv(1001),
        rejected(TOO_MANY_ROWS),
        ROWS_1000,
    ),
    Case(
        "rows-1001-xlsx",
        "limits",
        SCORE,
        lambda: _rows_xlsx(1001),
        rejected(TOO_MANY_ROWS),
        ROWS_1000,
    ),
    Case(
        "rows-1001-xls",
        "limits",
        SCORE,
        lambda: _rows_xls(1001),
        rejected(TOO_MANY_ROWS),
        ROWS_1000,
    ),
    Case(
        "rows-1000-and-trailing-blank-csv",
        "limits",
        SCORE,
        lambda: _rows_csv(1000, blank_after=3),
        accepted(1000),
        ROWS_1000,
    ),
    Case(
        "rows-1000-and-trailing-blank-xlsx",
        "limits",
        SCORE,
        lambda: _rows_xlsx(1000, blank_after=3),
        accepted(1000),
        ROWS_1000,
    ),
    Case(
        "size-over-limit",
        "limits",
        SCORE,
        lambda: csv_bytes(SCORE_HEADER, score_rows(20)),
        rejected("FILE_TOO_LARGE"),
        IngestLimits(max_file_bytes=1024),
    ),
    Case(
        "size-at-limit",
        "limits",
        SCORE,
        lambda: csv_bytes(SCORE_HEADER, score_rows(2)).ljust(1024, b"\n"),
        accepted(2),
        IngestLimits(max_file_bytes=1024),
    ),
    Case(
        "columns-21-xlsx",
        "limits",
        SCORE,
        lambda: _wide_xlsx(21),
        rejected("FILE_TOO_MANY_COLUMNS"),
        COLUMNS_20,
    ),
    Case(
        "columns-21-csv",
        "limits",
        SCORE,
        lambda: _wide_csv(21),
        rejected("FILE_TOO_MANY_COLUMNS"),
        COLUMNS_20,
    ),
]


# ------------------------------------------------------------------------------- zip bombs


def _plain_roster_xlsx() -> bytes:
    return xlsx_bytes(ROSTER_HEADER, roster_rows(3))


def lying_small_bomb() -> bytes:
    """The 300 MB worksheet, its headers claiming 1,000 bytes (CRC untouched)."""
    return b.set_declared_size(b.zip_bomb_300mb(), SHEET1, 1000)


def _lying_large() -> bytes:
    plain = _plain_roster_xlsx()
    real = zipfile.ZipFile(io.BytesIO(plain)).getinfo(SHEET1).file_size
    return b.set_declared_size(plain, SHEET1, real + 100)


def _declared_huge() -> bytes:
    return b.set_declared_size(_plain_roster_xlsx(), SHEET1, 0xFFFF0000)


def _many_entries() -> bytes:
    parts = {f"xl/media/image{i}.png": b"" for i in range(2100)}
    return rebuild_zip(_plain_roster_xlsx(), add=parts)


def _ratio_small_part() -> bytes:
    """A bomb kept under the 1 MiB ratio floor but over a lowered total: 20 parts of 1 MB."""
    parts = {f"xl/media/image{i}.bin": bytes(1 << 20) for i in range(20)}
    return rebuild_zip(_plain_roster_xlsx(), add=parts)


BOMBS = [
    Case("bomb-ratio-300mb", "bomb", ROSTER, b.zip_bomb_300mb, rejected("FILE_ZIP_BOMB")),
    Case("bomb-size-lies-small", "bomb", ROSTER, lying_small_bomb, rejected("FILE_ZIP_BOMB")),
    Case("bomb-size-lies-large", "bomb", ROSTER, _lying_large, rejected("FILE_CORRUPT")),
    Case("bomb-declares-4gb", "bomb", ROSTER, _declared_huge, rejected("FILE_ZIP_BOMB")),
    Case("bomb-2100-entries", "bomb", ROSTER, _many_entries, rejected("FILE_ZIP_BOMB")),
    Case(
        "bomb-total-over-lowered-limit",
        "bomb",
        ROSTER,
        _ratio_small_part,
        rejected("FILE_ZIP_BOMB"),
        IngestLimits(max_uncompressed_bytes=10 << 20),
    ),
]


# ------------------------------------------------------------------- sparse cells (calamine)


def sparse(ref: str, *, part: str = SHEET1) -> Callable[[], bytes]:
    def build() -> bytes:
        plain = _plain_roster_xlsx()
        if part == SHEET1:
            return rebuild_zip(plain, replace={SHEET1: lambda x: with_cell(x, ref)})
        return relocated_sheet(plain, part, lambda x: with_cell(x, ref))

    return build


def relocated_sheet(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The first worksheet moved to `part` (its relationship and content type follow)."""
    target = part.removeprefix("xl/").encode()

    def rels(x: bytes) -> bytes:
        return x.replace(b'Target="worksheets/sheet1.xml"', b'Target="' + target + b'"')

    def types(x: bytes) -> bytes:
        return x.replace(b"/xl/worksheets/sheet1.xml", b"/" + part.encode())

    return rebuild_zip(
        data,
        replace={SHEET1: change, "xl/_rels/workbook.xml.rels": rels, "[Content_Types].xml": types},
        rename={SHEET1: part},
    )


def _lying_dimension() -> bytes:
    def lie(x: bytes) -> bytes:
        return re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', x)

    return rebuild_zip(_plain_roster_xlsx(), replace={SHEET1: lie})


SPARSE = [
    Case(
        "sparse-XFD1048576",
        "sparse",
        ROSTER,
        sparse("XFD1048576"),
        rejected(TOO_MANY_ROWS),
        unsafe="17 billion cells",
    ),
    Case(
        "sparse-A1048576",
        "sparse",
        ROSTER,
        sparse("A1048576"),
        rejected(TOO_MANY_ROWS),
        unsafe="10 M cells",
    ),
    Case(
        "sparse-XFD1",
        "sparse",
        ROSTER,
        sparse("XFD1"),
        rejected("FILE_TOO_MANY_COLUMNS"),
        unsafe="16 K columns",
    ),
    Case(
        "sparse-row-past-limit-J999999",
        "sparse",
        ROSTER,
        sparse("J999999"),
        rejected(TOO_MANY_ROWS),
        unsafe="0.9 GB and 3 s in calamine",
    ),
    Case(
        "sparse-row-past-lowered-limit",
        "sparse",
        ROSTER,
        sparse("A5000"),
        rejected(TOO_MANY_ROWS),
        ROWS_1000,
        unsafe="must be refused before the parser",
    ),
    Case(
        "sparse-sheet-outside-worksheets-folder",
        "sparse",
        ROSTER,
        sparse("XFD1048576", part="xl/data/sheet1.xml"),
        rejected(TOO_MANY_ROWS),
        unsafe="Rust allocation failure aborts the whole process",
    ),
    Case("sparse-lying-dimension", "sparse", ROSTER, _lying_dimension, accepted(3)),
    Case(
        # Within each limit on its own (row 499,999 ≤ 500,000; column GR = 200), but the
        # grid the reader would allocate is 100 million cells.
        "sparse-grid-within-each-limit-GR499999",
        "sparse",
        ROSTER,
        sparse("GR499999"),
        rejected("FILE_TOO_MANY_CELLS"),
        unsafe="7 GB and 34 s in calamine",
    ),
    Case(
        # The reference is not the first attribute and the row carries none: still seen.
        "sparse-reference-not-first-attribute",
        "sparse",
        ROSTER,
        lambda: rebuild_zip(
            _plain_roster_xlsx(),
            replace={
                SHEET1: lambda x: x.replace(
                    b"</sheetData>", b'<row><c s="0" r="XFD7"><v>1</v></c></row></sheetData>'
                )
            },
        ),
        rejected("FILE_TOO_MANY_COLUMNS"),
        unsafe="16 K columns",
    ),
    Case(
        # A legacy workbook with one cell at the far corner of what .xls allows.
        "sparse-xls-far-corner",
        "sparse",
        ROSTER,
        lambda: _xls_with_far_cell(65535, 199),
        rejected("FILE_TOO_MANY_CELLS"),
        unsafe="1.5 GB in calamine",
    ),
]


def _xls_with_far_cell(row: int, column: int) -> bytes:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("名册")
    for c, name in enumerate(ROSTER_HEADER):
        sheet.write(0, c, name)
    for r, values in enumerate(roster_rows(3), start=1):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    sheet.write(row, column, "x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------- XML entities


def _entity_in(part: str, doctype: bytes, *, before_root: bytes = b"") -> Callable[[], bytes]:
    def build() -> bytes:
        def change(xml: bytes) -> bytes:
            xml = with_doctype(xml, doctype, before_root=before_root)
            if part == STRINGS and b"xxe" in doctype:
                xml = xml.replace("张伟".encode(), b"&xxe;", 1)
            elif part == STRINGS:
                xml = xml.replace("张伟".encode(), b"&lol9;", 1)
            return xml

        return rebuild_zip(_plain_roster_xlsx(), replace={part: change})

    return build


def _entity_in_renamed_sheet() -> bytes:
    return relocated_sheet(
        _plain_roster_xlsx(),
        "xl/data/sheet1.bin",
        lambda x: with_doctype(x, b.BILLION_LAUGHS),
    )


LONG_COMMENT = b"<!--" + b"x" * (70 << 10) + b"-->\n"

XML = [
    Case(
        "xml-billion-laughs-sheet",
        "xml",
        ROSTER,
        _entity_in(SHEET1, b.BILLION_LAUGHS),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-billion-laughs-shared-strings",
        "xml",
        ROSTER,
        _entity_in(STRINGS, b.BILLION_LAUGHS),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-xxe-shared-strings",
        "xml",
        ROSTER,
        _entity_in(STRINGS, b.XXE),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-xxe-content-types",
        "xml",
        ROSTER,
        _entity_in("[Content_Types].xml", b.XXE),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-xxe-relationships",
        "xml",
        ROSTER,
        _entity_in("xl/_rels/workbook.xml.rels", b.XXE),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-doctype-after-70kb-comment",
        "xml",
        ROSTER,
        _entity_in(SHEET1, b.BILLION_LAUGHS, before_root=LONG_COMMENT),
        rejected("FILE_XML_ENTITY"),
    ),
    Case(
        "xml-doctype-in-sheet-not-named-xml",
        "xml",
        ROSTER,
        _entity_in_renamed_sheet,
        rejected("FILE_XML_ENTITY"),
    ),
]


# ----------------------------------------------------------------------------- file types


def _png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    )


def _zip_with(*parts: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, body in parts:
            package.writestr(name, body)
    return out.getvalue()


def _docx() -> bytes:
    return _zip_with(
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
        ("word/document.xml", '<?xml version="1.0"?><w:document>学籍号</w:document>'.encode()),
    )


def _xls_roster() -> bytes:
    rows: list[list[object]] = [list(r) for r in ROSTER_5]
    rows[0][3] = kid(0).birth  # a real date cell
    return b.xls_bytes(ROSTER_HEADER, rows, title="学生名册")


def _encrypted() -> bytes:
    return b.encrypted_xlsx(xlsx_bytes(ROSTER_HEADER, ROSTER_5), "123456")


def _doc() -> bytes:
    return b.rename_ole_stream(b.xls_bytes(ROSTER_HEADER, ROSTER_5), "Workbook", "WordDocument")


def _other_ole() -> bytes:
    return b.rename_ole_stream(b.xls_bytes(ROSTER_HEADER, ROSTER_5), "Workbook", "Contents")


def _truncated(build: Callable[[], bytes]) -> Callable[[], bytes]:
    return lambda: build()[: len(build()) // 2]


TYPES = [
    Case(
        "type-pdf",
        "type",
        ROSTER,
        lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case("type-png", "type", ROSTER, _png, rejected("FILE_NOT_SPREADSHEET")),
    Case(
        "type-jpeg",
        "type",
        ROSTER,
        lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(64),
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case("type-docx", "type", ROSTER, _docx, rejected("FILE_NOT_SPREADSHEET")),
    Case(
        "type-zip",
        "type",
        ROSTER,
        lambda: _zip_with(("名册.csv", csv_bytes(ROSTER_HEADER, ROSTER_5))),
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case(
        "type-xlsb",
        "type",
        ROSTER,
        lambda: _zip_with(("[Content_Types].xml", b"<Types/>"), ("xl/workbook.bin", b"\x00")),
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case(
        "type-html-saved-as-xls",
        "type",
        ROSTER,
        lambda: "<html><body><table><tr><td>学籍号</td></tr></table></body></html>".encode(),
        rejected("FILE_NOT_SPREADSHEET"),
    ),
    Case("type-legacy-xls", "type", ROSTER, _xls_roster, accepted(5)),
    Case("type-encrypted-xlsx", "type", ROSTER, _encrypted, rejected("FILE_ENCRYPTED")),
    Case("type-word-doc", "type", ROSTER, _doc, rejected("FILE_NOT_SPREADSHEET")),
    Case("type-other-ole", "type", ROSTER, _other_ole, rejected("FILE_NOT_SPREADSHEET")),
    Case(
        "type-truncated-xlsx",
        "type",
        ROSTER,
        _truncated(_plain_roster_xlsx),
        rejected("FILE_CORRUPT"),
    ),
    Case(
        "type-truncated-xls",
        "type",
        ROSTER,
        _truncated(lambda: b.xls_bytes(ROSTER_HEADER, ROSTER_5)),
        rejected("FILE_CORRUPT"),
    ),
]

# What FILE_NOT_SPREADSHEET must say each file is.
DETECTED = {
    "type-pdf": "PDF 文档",
    "type-png": "PNG 图片",
    "type-jpeg": "JPEG 图片",
    "type-docx": "Word 文档（.docx）",
    "type-zip": "ZIP 压缩包",
    "type-xlsb": "Excel 二进制工作簿（.xlsb）",
    "type-html-saved-as-xls": "网页文件",
    "type-word-doc": "Word 文档（.doc）",
    "type-other-ole": "Office 复合文档",
    "enc-binary-with-nuls": "无法识别的二进制文件",
}

NEEDS = {  # optional packages some builders use (dev extras)
    "type-legacy-xls": "xlwt",
    "type-word-doc": "xlwt",
    "type-other-ole": "xlwt",
    "type-truncated-xls": "xlwt",
    "ids-number-in-legacy-xls": "xlwt",
    "rows-1001-xls": "xlwt",
    "type-encrypted-xlsx": "msoffcrypto",
}

CORPUS: list[Case] = [
    *ENCODINGS,
    *TEXT,
    *FORMULAS,
    *LAYOUT,
    *SHEETS,
    *IDS,
    *DATES,
    *DUPLICATES,
    *EMPTY,
    *CSV_SHAPES,
    *LIMITS,
    *BOMBS,
    *SPARSE,
    *XML,
    *TYPES,
]
BY_ID = {case.id: case for case in CORPUS}
assert len(BY_ID) == len(CORPUS), "case ids must be unique"
