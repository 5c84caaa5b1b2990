"""The pre-filled template workbook a teacher downloads, fills and uploads (导出模板 → 填写 → 导入).

One data sheet (named after the class) with a one-row title, the template's headers exactly as
the validation engine matches them, and a row per student of the class roster with 学籍号, 姓名,
the class and the collection task's fixed values pre-filled and locked. Every other data cell is
unlocked, the sheet is protected without a password, and each column carries an input message
and, where Excel can express the rule, a validation (dropdown, number range, date, length).
A 说明 sheet explains the template, the columns and the three steps. Lists too long for Excel's
255-character validation formula live on a hidden sheet.

Pure: no I/O, no AWS. Every text cell is formula-neutralised (R19) like the error report's.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Final

from shared.error_codes import ErrorCode
from shared.exceptions import InvalidInput
from shared.grades import GRADE_ALIASES, GRADE_LABELS
from shared.templates.model import (
    NUMERIC_TYPES,
    Column,
    ColumnType,
    RosterRule,
    Template,
)
from shared.text import neutralize
from shared.xlsx import new_workbook

DATA_SHEET: Final = "数据"  # the data sheet's name when the file is not for one class
GUIDE_SHEET: Final = "说明"
LISTS_SHEET: Final = "下拉选项"  # hidden: dropdown lists longer than a validation formula holds
CLASS_KEY: Final = "class_name"
DATE_FORMAT: Final = "yyyy-mm-dd"

_NO_FIXED: Final[Mapping[str, str]] = MappingProxyType({})
_SHEET_NAME_BAD: Final = re.compile(r"[\[\]:*?/\\]")
_SHEET_NAME_MAX: Final = 31
_LIST_FORMULA_MAX: Final = 255  # Excel's limit on an inline list ("a,b,c")
_TITLE_MAX: Final = 32  # Excel's limit on input and error titles
_MESSAGE_MAX: Final = 255  # Excel's limit on input and error messages
_TITLE_ROW, _HEADER_ROW, _FIRST_DATA_ROW = 0, 1, 2
# Columns whose cells Excel must keep as typed: IDs (a 19-digit number loses its last digits),
# and durations (Excel reads 3:45 as three hours and three quarters).
_TEXT_CELL_TYPES: Final = frozenset(
    {
        ColumnType.TEXT,
        ColumnType.ENUM,
        ColumnType.GRADE,
        ColumnType.STUDENT_NO,
        ColumnType.NATIONAL_ID,
        ColumnType.MOBILE,
        ColumnType.DURATION,
    }
)


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One student of the class the workbook is for."""

    student_no: str  # 学籍号, 19 characters
    name: str


def template_workbook(
    template: Template,
    *,
    title: str,
    roster: Sequence[RosterEntry] = (),
    fixed: Mapping[str, str] = _NO_FIXED,
    class_name: str | None = None,
    blank_rows: int = 50,
) -> bytes:
    """The .xlsx a teacher fills for `template`.

    `fixed`: the values the collection task fixes, by column key, as canonical text (dates
    ISO). `class_name` fills the template's class column, if it has one, and names the data
    sheet. With a roster, one locked row per student (学籍号, 姓名, class and fixed values);
    without one, `blank_rows` empty rows with the same dropdowns and messages, and the fixed
    values shown in the title and in the guide (a row holding only them would be a bad row).
    Raises InvalidInput for a fixed key the template lacks or a roster it cannot hold."""

    if blank_rows < 0:
        raise _invalid("blank_rows 不能为负数")
    layout = _Layout.of(template, roster=roster, fixed=fixed, class_name=class_name)
    buffer = io.BytesIO()
    workbook = new_workbook(buffer)
    workbook.set_properties({"title": _clip(title, 255), "comments": template.ref})
    formats = _Formats(workbook)
    data = workbook.add_worksheet(_sheet_name(class_name))
    guide = workbook.add_worksheet(GUIDE_SHEET)
    lists = _Lists(workbook)
    rows = len(roster) if roster else blank_rows
    _write_data_sheet(data, formats, lists, layout, title, roster, rows)
    _write_guide(guide, formats, layout, class_name, data.get_name())
    data.activate()
    workbook.close()
    return buffer.getvalue()


# ------------------------------------------------------------------------------------- layout


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the workbook holds, decided once: the columns, who fills which, what is fixed."""

    template: Template
    student_no_key: str | None
    name_key: str | None
    fixed: Mapping[str, str]  # column key → canonical text, the class included
    prefilled: bool  # a roster fills (and locks) the identity and fixed columns

    @classmethod
    def of(
        cls,
        template: Template,
        *,
        roster: Sequence[RosterEntry],
        fixed: Mapping[str, str],
        class_name: str | None,
    ) -> _Layout:
        keys = {column.key for column in template.columns}
        unknown = sorted(set(fixed) - keys)
        if unknown:
            raise _invalid(f"模板「{template.name}」没有这些列：{'、'.join(unknown)}")
        rule = next((r for r in template.rules if isinstance(r, RosterRule)), None)
        student_no_key = rule.student_no if rule else _first_of_type(template)
        name_key = rule.name if rule else ("name" if "name" in keys else None)
        if roster and (student_no_key is None or name_key is None):
            raise _invalid(f"模板「{template.name}」没有学籍号和姓名列，不能预填学生名单")
        identity = {student_no_key, name_key} & set(fixed)
        if identity:
            raise _invalid(f"学籍号、姓名不能作为固定值：{'、'.join(sorted(map(str, identity)))}")
        given = dict(fixed)
        if class_name is not None and CLASS_KEY in keys:
            given.setdefault(CLASS_KEY, class_name)
        # In the template's column order, so the title and the guide read like the sheet.
        values = {c.key: given[c.key] for c in template.columns if c.key in given}
        for key, value in values.items():
            column = template.column(key)
            if column.type is ColumnType.DATE and _iso_date(value) is None:
                raise _invalid(f"「{column.header}」的固定值应为日期，如 2024-11-08：{value}")
        return cls(template, student_no_key, name_key, values, bool(roster))

    def locked(self, column: Column) -> bool:
        """Whether the data cells of a column are pre-filled by the system (and locked)."""
        return self.prefilled and (
            column.key in self.fixed or column.key in (self.student_no_key, self.name_key)
        )

    def fixed_summary(self) -> str:
        """The fixed values as one line: 班级：七年级(3)班；学科：数学."""
        return "；".join(
            f"{self.template.column(key).header}：{_display(self.template.column(key), value)}"
            for key, value in self.fixed.items()
        )


def _first_of_type(template: Template) -> str | None:
    return next((c.key for c in template.columns if c.type is ColumnType.STUDENT_NO), None)


def _invalid(detail: str) -> InvalidInput:
    return InvalidInput(ErrorCode.REQUEST_INVALID, detail=detail)


def _sheet_name(class_name: str | None) -> str:
    """The data sheet's name: the class, as far as Excel allows one (31 characters, none of
    []:*?/\\, no apostrophe at either end); 数据 otherwise."""
    if not class_name:
        return DATA_SHEET
    name = _SHEET_NAME_BAD.sub("", class_name).strip().strip("'")[:_SHEET_NAME_MAX].strip("'")
    reserved = {GUIDE_SHEET.casefold(), LISTS_SHEET.casefold(), "history"}
    return name if name and name.casefold() not in reserved else DATA_SHEET


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _display(column: Column, value: str) -> str:
    """A fixed value as the teacher reads it (a grade as 七年级 rather than 7)."""
    if column.type is ColumnType.GRADE and value.strip() in GRADE_ALIASES:
        return GRADE_LABELS[GRADE_ALIASES[value.strip()]]
    return value


# ------------------------------------------------------------------------------------ formats


class _Formats:
    """The workbook's cell formats, made once each."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._cells: dict[tuple[bool, str], Any] = {}
        self.title = workbook.add_format(
            {"bold": True, "font_size": 14, "text_wrap": True, "valign": "vcenter"}
        )
        header = {"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center"}
        self.header = workbook.add_format({**header, "valign": "vcenter", "text_wrap": True})
        self.header_required = workbook.add_format(
            {**header, "valign": "vcenter", "text_wrap": True, "font_color": "#C00000"}
        )
        self.heading = workbook.add_format({"bold": True, "font_size": 12})
        self.label = workbook.add_format({"bold": True, "valign": "top"})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.warning = workbook.add_format(
            {"bold": True, "font_color": "#C00000", "text_wrap": True, "valign": "top"}
        )

    def cell(self, column: Column, *, locked: bool) -> Any:
        """Data cells: grey and locked when pre-filled, unlocked otherwise; dates as dates, IDs
        and the like as text."""
        if column.type is ColumnType.DATE:
            number_format = DATE_FORMAT
        elif column.type in _TEXT_CELL_TYPES:
            number_format = "@"
        else:
            number_format = "General"
        key = (locked, number_format)
        if key not in self._cells:
            properties: dict[str, object] = {"locked": locked, "num_format": number_format}
            if locked:
                properties["bg_color"] = "#F2F2F2"
            self._cells[key] = self._workbook.add_format(properties)
        return self._cells[key]


class _Lists:
    """The hidden sheet that holds dropdown lists too long for a validation formula."""

    def __init__(self, workbook: Any) -> None:
        self._workbook = workbook
        self._sheet: Any = None
        self._columns = 0

    def reference(self, values: Sequence[str]) -> str:
        """A formula naming a new column of the hidden sheet that holds `values`."""
        from xlsxwriter.utility import xl_rowcol_to_cell

        if self._sheet is None:
            self._sheet = self._workbook.add_worksheet(LISTS_SHEET)
            self._sheet.hide()
            self._sheet.protect()
        column = self._columns
        self._columns += 1
        for row, value in enumerate(values):
            self._sheet.write_string(row, column, neutralize(value))
        first = xl_rowcol_to_cell(0, column, row_abs=True, col_abs=True)
        last = xl_rowcol_to_cell(len(values) - 1, column, row_abs=True, col_abs=True)
        return f"='{LISTS_SHEET}'!{first}:{last}"


# --------------------------------------------------------------------------------- data sheet


def _write_data_sheet(
    sheet: Any,
    formats: _Formats,
    lists: _Lists,
    layout: _Layout,
    title: str,
    roster: Sequence[RosterEntry],
    rows: int,
) -> None:
    columns = layout.template.columns
    last_col = len(columns) - 1
    heading = title
    if layout.fixed:
        heading = f"{title}　（{layout.fixed_summary()}）"
    if last_col:
        sheet.merge_range(_TITLE_ROW, 0, _TITLE_ROW, last_col, neutralize(heading), formats.title)
    else:
        sheet.write_string(_TITLE_ROW, 0, neutralize(heading), formats.title)
    sheet.set_row(_TITLE_ROW, 36)
    sheet.set_row(_HEADER_ROW, 22)
    last_row = _FIRST_DATA_ROW + rows - 1
    for index, column in enumerate(columns):
        locked = layout.locked(column)
        cell = formats.cell(column, locked=locked)
        # The whole column takes the data format, so rows typed below the prepared ones are
        # editable too (and dates stay dates); cells written above keep their own formats.
        sheet.set_column(index, index, _width(column), cell)
        header = formats.header_required if column.required else formats.header
        sheet.write_string(_HEADER_ROW, index, neutralize(column.header), header)
        for row in range(_FIRST_DATA_ROW, last_row + 1):
            value = _prefill(layout, column, roster[row - _FIRST_DATA_ROW]) if locked else None
            _write_value(sheet, row, index, column, value, cell)
        if rows:
            _validate(sheet, lists, layout, column, index, last_row)
    frozen = 0
    if [c.key for c in columns[:2]] == [layout.student_no_key, layout.name_key]:
        frozen = 2  # 学籍号 and 姓名 stay in sight while scrolling right
    sheet.freeze_panes(_FIRST_DATA_ROW, frozen)
    sheet.set_landscape()
    sheet.repeat_rows(_HEADER_ROW)
    sheet.fit_to_pages(1, 0)
    sheet.protect(
        "",
        {
            "format_columns": True,
            "format_rows": True,
            "sort": False,
            "autofilter": False,
        },
    )


def _prefill(layout: _Layout, column: Column, student: RosterEntry) -> str:
    if column.key == layout.student_no_key:
        return student.student_no
    if column.key == layout.name_key:
        return student.name
    return layout.fixed[column.key]


def _write_value(
    sheet: Any, row: int, col: int, column: Column, value: str | None, cell_format: Any
) -> None:
    """One data cell: blank (but formatted, so every application sees it unlocked), a real
    date, a number for a numeric column, or neutralised text."""
    if value is None or not value.strip():
        sheet.write_blank(row, col, None, cell_format)
        return
    if column.type is ColumnType.DATE and (day := _iso_date(value)) is not None:
        sheet.write_datetime(row, col, day, cell_format)
        return
    if column.type in NUMERIC_TYPES - {ColumnType.DURATION}:
        number = _number(value)
        if number is not None:
            sheet.write_number(row, col, number, cell_format)
            return
    sheet.write_string(row, col, neutralize(_display(column, value)), cell_format)


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _width(column: Column) -> float:
    """Column width in Excel's units (a Chinese character takes about two)."""
    if column.type in (ColumnType.STUDENT_NO, ColumnType.NATIONAL_ID):
        return 22
    if column.type is ColumnType.DATE:
        return 12
    if column.free_text:
        return 30
    longest = max([len(column.header), *(len(v) for v in column.values)])
    return min(max(2 * longest + 3, 9), 24)


# -------------------------------------------------------------------------------- validation


def _validate(
    sheet: Any, lists: _Lists, layout: _Layout, column: Column, col: int, last_row: int
) -> None:
    """The column's input message, with the validation Excel can enforce for it."""
    options = _rule(lists, layout, column)
    options["input_title"] = _clip(f"{column.header}（{_need(column)}）", _TITLE_MAX)
    options["input_message"] = _clip("\n".join(_hints(layout, column)), _MESSAGE_MAX)
    if options["validate"] != "any":
        options["error_title"] = _clip(f"「{column.header}」填写有误", _TITLE_MAX)
        options["error_message"] = _clip(options.pop("error"), _MESSAGE_MAX)
    if sheet.data_validation(_FIRST_DATA_ROW, col, last_row, col, options) != 0:
        raise ValueError(f"Excel refused the validation of column {column.key}")


def _rule(lists: _Lists, layout: _Layout, column: Column) -> dict[str, Any]:
    """What Excel checks in a column's cells (xlsxwriter's data_validation options, with the
    error message under "error"); "any" where it cannot check the rule."""
    if layout.locked(column):
        return {"validate": "any"}
    if column.key in layout.fixed:  # no roster: the one value the task allows
        value = _display(column, layout.fixed[column.key])
        error = f"本次任务统一填写：{value}"
        if column.type is ColumnType.DATE:  # typed dates are numbers to Excel, not list text
            return {"validate": "date", "criteria": "==", "value": _iso_date(value), "error": error}
        if _inline_list([value]):
            return _dropdown(lists, [value], error)
        return {"validate": "any"}
    if column.type is ColumnType.ENUM:
        return _dropdown(lists, column.values, "请从下拉列表中选择。")
    if column.type is ColumnType.GRADE:
        grades = list(GRADE_LABELS.values())
        rule = _dropdown(lists, grades, "请从下拉列表中选择年级，如 七年级、高一。")
        rule["error_type"] = "warning"  # 7, 初一, 预备 are grades too
        return rule
    if column.type in (ColumnType.INTEGER, ColumnType.DECIMAL) and not column.statuses:
        if column.min is None and column.max is None:
            return {"validate": "any"}
        kind = "integer" if column.type is ColumnType.INTEGER else "decimal"
        bounds = _bounds(_whole(column.min), _whole(column.max))
        return {"validate": kind, **bounds, "error": f"请填写{_range(column)}。"}
    if column.type is ColumnType.DATE and (column.min_date or column.max_date):
        return {
            "validate": "date",
            **_bounds(column.min_date, column.max_date),
            "error": f"请填写{_date_limits(column, checked_by_excel=True)}的日期，如 2024-11-08。",
        }
    if column.type is ColumnType.TEXT and column.max_length:
        return {
            "validate": "length",
            "criteria": "<=",
            "value": column.max_length,
            "error": f"不能超过 {column.max_length} 个字。",
        }
    return {"validate": "any"}


def _dropdown(lists: _Lists, values: Sequence[str], error: str) -> dict[str, Any]:
    source: object = list(values)
    if not _inline_list(values):
        source = lists.reference(values)
    return {"validate": "list", "source": source, "error": error, "error_type": "stop"}


def _inline_list(values: Sequence[str]) -> bool:
    """Whether Excel can hold the list in the validation itself: at most 255 characters, and
    no value with the separator or a quote in it."""
    joined = ",".join(values)
    return len(joined) <= _LIST_FORMULA_MAX and not any("," in v or '"' in v for v in values)


def _bounds(low: object, high: object) -> dict[str, object]:
    if low is not None and high is not None:
        return {"criteria": "between", "minimum": low, "maximum": high}
    if low is not None:
        return {"criteria": ">=", "value": low}
    return {"criteria": "<=", "value": high}


def _hints(layout: _Layout, column: Column) -> Iterator[str]:
    """The input message's lines: what to write in the column, from the template."""
    if layout.locked(column):
        yield "系统已预填，不能修改。"
        return
    if column.key in layout.fixed:
        yield f"本次任务统一填写：{_display(column, layout.fixed[column.key])}"
    yield from _type_hints(column)
    if column.default is not None:
        unit = f" {column.unit}" if column.unit else ""
        yield f"不填时默认为 {column.default}{unit}。"
    if column.applies_to:
        groups = "、".join(group.label for group in column.applies_to)
        yield f"适用于：{groups}；其他学生不填。"
    if column.description:
        yield column.description


def _type_hints(column: Column) -> Iterator[str]:
    kind = column.type
    if kind is ColumnType.STUDENT_NO:
        yield "19 位学籍号：G + 18 位身份证号，或 J、L 开头的学籍号。"
    elif kind is ColumnType.NATIONAL_ID:
        yield "18 位身份证号。"
    elif kind is ColumnType.MOBILE:
        yield "11 位手机号码。"
    elif kind is ColumnType.ENUM:
        listed = "、".join(column.values)
        yield f"从下拉列表中选择：{listed}" if len(listed) <= 120 else "从下拉列表中选择。"
    elif kind is ColumnType.GRADE:
        yield "年级，如 七年级、高一（也可填 1–12）。"
    elif kind is ColumnType.DATE:
        limits = _date_limits(column)
        yield "日期，如 2024-11-08" + (f"；{limits}" if limits else "") + "。"
    elif kind is ColumnType.DURATION:
        span = ""
        if column.min is not None and column.max is not None:
            span = f"，在 {_mmss(column.min)} 至 {_mmss(column.max)} 之间"
        yield f"时间，如 3'45\"（3 分 45 秒），也可填秒数{span}{_status_words(column)}。"
    elif kind in NUMERIC_TYPES:
        yield f"填写{_range(column)}{_status_words(column)}。"
    elif column.max_length:
        yield f"不超过 {column.max_length} 个字。"


def _range(column: Column) -> str:
    """填写 0–100 的数字 without the verb: the range, the kind of number and the unit."""
    noun = "整数" if column.type is ColumnType.INTEGER else "数字"
    unit = f"（单位：{column.unit}）" if column.unit else ""
    low, high = column.min, column.max
    if low is not None and high is not None:
        dash = " 至 " if low < 0 else "–"  # -30–40 would read as a subtraction
        return f" {_fmt(low)}{dash}{_fmt(high)} 的{noun}{unit}"
    if low is not None:
        return f"不小于 {_fmt(low)} 的{noun}{unit}"
    if high is not None:
        return f"不大于 {_fmt(high)} 的{noun}{unit}"
    return f"{noun}{unit}"


def _status_words(column: Column) -> str:
    return f"，或：{'、'.join(column.statuses)}" if column.statuses else ""


def _date_limits(column: Column, *, checked_by_excel: bool = False) -> str:
    """The column's date rules in words; only its fixed bounds with `checked_by_excel`
    (today and the term are known at upload, not when the workbook is made)."""
    parts = []
    if column.min_date and column.max_date:
        parts.append(f"{column.min_date.isoformat()} 至 {column.max_date.isoformat()} 之间")
    elif column.min_date:
        parts.append(f"不早于 {column.min_date.isoformat()}")
    elif column.max_date:
        parts.append(f"不晚于 {column.max_date.isoformat()}")
    if checked_by_excel:
        return "、".join(parts)
    if column.not_future:
        parts.append("不晚于今天")
    if column.in_term:
        parts.append("在本学期内")
    return "、".join(parts)


def _need(column: Column) -> str:
    """必填 / 选填, or required only of the students a test item applies to."""
    if column.required:
        return "必填"
    return "适用学生必填" if column.applies_to else "选填"


def _mmss(seconds: float) -> str:
    return f"{int(seconds) // 60}'{int(seconds) % 60:02d}\""


def _whole(number: float | None) -> float | int | None:
    """A bound as Excel should show it: 100 rather than 100.0."""
    return int(number) if number is not None and float(number).is_integer() else number


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -------------------------------------------------------------------------------------- guide


def _write_guide(
    sheet: Any, formats: _Formats, layout: _Layout, class_name: str | None, data_sheet: str
) -> None:
    """The 说明 sheet: the template, the task's fixed values, the steps, a table of columns."""
    template = layout.template

    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 12)
    sheet.set_column(2, 2, 80)
    sheet.write_string(0, 0, f"填写说明：{template.name}", formats.heading)
    facts = [("模板", f"{template.name}（{template.id}，第 {template.version} 版）")]
    if template.description:
        facts.append(("模板说明", template.description))
    if class_name and CLASS_KEY not in layout.fixed:
        facts.append(("班级", class_name))
    if layout.fixed:
        facts.append(("本次任务固定填写", layout.fixed_summary()))
    row = 2
    for label, text in facts:
        sheet.write_string(row, 0, label, formats.label)
        sheet.merge_range(row, 1, row, 2, neutralize(text), formats.wrap)
        row += 1
    row += 1
    rows = "本班学生已列出，每名学生一行" if layout.prefilled else "每行填写一条记录"
    steps = [
        f"① 填写：在「{data_sheet}」工作表中填写，{rows}；选中单元格可看到填写提示，"
        "有下拉箭头的从列表中选择。红色表头为必填列。",
        "② 保存：保存为 Excel 文件（.xlsx）。不要修改表头，不要删除或重命名工作表。",
        "③ 上传：登录系统，在对应的数据上报任务中上传本文件。系统会逐行检查，"
        "有错误的行会在错误报告中列出，改正后再次上传即可。",
    ]
    sheet.write_string(row, 0, "填写步骤", formats.heading)
    for step in steps:
        row += 1
        sheet.merge_range(row, 0, row, 2, neutralize(step), formats.wrap)
    row += 2
    cautions = [
        "本文件含未成年人个人信息，请妥善保管：不要转发到微信群、QQ 群等聊天群，"
        "上传完成后及时删除本地文件。",
    ]
    if layout.prefilled:
        cautions.insert(
            0,
            "灰色单元格由系统预填（学籍号、姓名、班级和任务固定的内容），不能修改；"
            "如名单有误，请联系学校管理员更正学生名册后重新下载模板。",
        )
    sheet.write_string(row, 0, "注意", formats.heading)
    for caution in cautions:
        row += 1
        sheet.merge_range(row, 0, row, 2, neutralize(caution), formats.warning)
        sheet.set_row(row, 32)
    row += 2
    sheet.write_string(row, 0, "各列填写要求", formats.heading)
    row += 1
    for col, text in enumerate(("表头", "是否必填", "填写说明")):
        sheet.write_string(row, col, text, formats.header)
    for column in template.columns:
        row += 1
        sheet.write_string(row, 0, neutralize(column.header), formats.label)
        sheet.write_string(row, 1, _need(column), formats.wrap)
        hint = "；".join(h.rstrip("。") for h in _hints(layout, column)) or "—"
        sheet.write_string(row, 2, neutralize(hint), formats.wrap)
    sheet.protect("", {"format_columns": True, "format_rows": True})
