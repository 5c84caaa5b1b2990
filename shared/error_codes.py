"""The error-code catalogue: stable code → Chinese message → English message.

Every error a user can see is listed here once. Codes never change meaning once published
(clients and saved reports refer to them); messages may be reworded. Messages are
`str.format` templates; the parameters each one uses are named in braces.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Severity = Literal["error", "warning"]


class ErrorCode(StrEnum):
    # Whole-file problems: the file is rejected and nothing in it is imported.
    FILE_EMPTY = "FILE_EMPTY"
    FILE_HEADER_ONLY = "FILE_HEADER_ONLY"
    FILE_NOT_SPREADSHEET = "FILE_NOT_SPREADSHEET"
    FILE_ENCRYPTED = "FILE_ENCRYPTED"
    FILE_ZIP_BOMB = "FILE_ZIP_BOMB"
    FILE_XML_ENTITY = "FILE_XML_ENTITY"
    FILE_CORRUPT = "FILE_CORRUPT"
    FILE_ENCODING = "FILE_ENCODING"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_TOO_MANY_ROWS = "FILE_TOO_MANY_ROWS"
    FILE_TOO_MANY_COLUMNS = "FILE_TOO_MANY_COLUMNS"
    FILE_TOO_MANY_CELLS = "FILE_TOO_MANY_CELLS"
    FILE_NO_SHEET = "FILE_NO_SHEET"
    FILE_NO_HEADER = "FILE_NO_HEADER"
    FILE_MISSING_COLUMNS = "FILE_MISSING_COLUMNS"
    FILE_DUPLICATE_COLUMN = "FILE_DUPLICATE_COLUMN"
    FILE_NO_VALID_ROWS = "FILE_NO_VALID_ROWS"
    FILE_PROCESSING_FAILED = "FILE_PROCESSING_FAILED"
    FILE_NO_CLASS_SHEET = "FILE_NO_CLASS_SHEET"
    FILE_NO_CLASS_SHEETS = "FILE_NO_CLASS_SHEETS"
    UPLOAD_REUSED = "UPLOAD_REUSED"
    # Whole-file warnings: the file is read, the user is told.
    FILE_EXTRA_COLUMN = "FILE_EXTRA_COLUMN"
    FILE_UNNAMED_COLUMN = "FILE_UNNAMED_COLUMN"
    FILE_OTHER_SHEETS = "FILE_OTHER_SHEETS"
    FILE_DERIVED_COLUMN = "FILE_DERIVED_COLUMN"
    FILE_SHEETS_NOT_CLASSES = "FILE_SHEETS_NOT_CLASSES"
    SHEET_RESULT = "SHEET_RESULT"
    ROWS_REPLACE_OTHER_TASK = "ROWS_REPLACE_OTHER_TASK"
    # Row problems: the row is rejected (errors) or kept with a note (warnings).
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    NOT_IN_LIST = "NOT_IN_LIST"
    NOT_A_NUMBER = "NOT_A_NUMBER"
    NOT_AN_INTEGER = "NOT_AN_INTEGER"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    CELL_ERROR = "CELL_ERROR"
    DATE_FORMAT = "DATE_FORMAT"
    DATE_AMBIGUOUS = "DATE_AMBIGUOUS"
    DATE_INVALID = "DATE_INVALID"
    DATE_SERIAL = "DATE_SERIAL"
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
    DATE_IN_FUTURE = "DATE_IN_FUTURE"
    DATE_OUTSIDE_TERM = "DATE_OUTSIDE_TERM"
    DATE_ORDER = "DATE_ORDER"
    DURATION_FORMAT = "DURATION_FORMAT"
    STUDENT_NO_FORMAT = "STUDENT_NO_FORMAT"
    STUDENT_NO_CHECK_DIGIT = "STUDENT_NO_CHECK_DIGIT"
    STUDENT_NO_BIRTH_DATE = "STUDENT_NO_BIRTH_DATE"
    NATIONAL_ID_FORMAT = "NATIONAL_ID_FORMAT"
    NATIONAL_ID_LEGACY = "NATIONAL_ID_LEGACY"
    NATIONAL_ID_CHECK_DIGIT = "NATIONAL_ID_CHECK_DIGIT"
    NATIONAL_ID_BIRTH_DATE = "NATIONAL_ID_BIRTH_DATE"
    ID_AS_NUMBER = "ID_AS_NUMBER"
    MOBILE_FORMAT = "MOBILE_FORMAT"
    SCORE_ABOVE_FULL_MARKS = "SCORE_ABOVE_FULL_MARKS"
    ID_MISMATCH_BIRTH_DATE = "ID_MISMATCH_BIRTH_DATE"
    ID_MISMATCH_GENDER = "ID_MISMATCH_GENDER"
    ID_MISMATCH_STUDENT_NO = "ID_MISMATCH_STUDENT_NO"
    ITEM_REQUIRED_FOR_GROUP = "ITEM_REQUIRED_FOR_GROUP"
    ITEM_NOT_APPLICABLE = "ITEM_NOT_APPLICABLE"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    ROW_TOO_MANY_CELLS = "ROW_TOO_MANY_CELLS"
    NOT_IN_ROSTER = "NOT_IN_ROSTER"
    ROSTER_NAME_MISMATCH = "ROSTER_NAME_MISMATCH"
    ROSTER_CLASS_MISMATCH = "ROSTER_CLASS_MISMATCH"
    STUDENT_AMBIGUOUS = "STUDENT_AMBIGUOUS"
    TASK_VALUE_CONFLICT = "TASK_VALUE_CONFLICT"
    SUBJECT_NOT_TAUGHT = "SUBJECT_NOT_TAUGHT"
    # A JSON batch of records (POST /v1/ingest/{template}): the batch, then one record's values.
    JSON_INVALID = "JSON_INVALID"
    JSON_TOO_LARGE = "JSON_TOO_LARGE"
    JSON_BATCH_SHAPE = "JSON_BATCH_SHAPE"
    JSON_NO_RECORDS = "JSON_NO_RECORDS"
    JSON_TOO_MANY_RECORDS = "JSON_TOO_MANY_RECORDS"
    JSON_TOO_MANY_FIELDS = "JSON_TOO_MANY_FIELDS"
    JSON_RECORD_NOT_OBJECT = "JSON_RECORD_NOT_OBJECT"
    JSON_RECORD_EMPTY = "JSON_RECORD_EMPTY"
    JSON_VALUE_NOT_SCALAR = "JSON_VALUE_NOT_SCALAR"
    JSON_ID_AS_NUMBER = "JSON_ID_AS_NUMBER"
    JSON_FIELD_REPEATED = "JSON_FIELD_REPEATED"
    # Where a pushed batch goes (shared.integration.ingest): its class, task and term.
    INGEST_FIELD_REQUIRED = "INGEST_FIELD_REQUIRED"
    INGEST_CLASS_REQUIRED = "INGEST_CLASS_REQUIRED"
    INGEST_TEMPLATE_NOT_SUPPORTED = "INGEST_TEMPLATE_NOT_SUPPORTED"
    INGEST_NO_TASK = "INGEST_NO_TASK"
    INGEST_TASK_AMBIGUOUS = "INGEST_TASK_AMBIGUOUS"
    INGEST_TASK_TEMPLATE = "INGEST_TASK_TEMPLATE"
    INGEST_BATCH_MISMATCH = "INGEST_BATCH_MISMATCH"
    # Problems with what a caller asked for (command-line arguments, API input).
    TEMPLATE_NOT_FOUND = "TEMPLATE_NOT_FOUND"
    TEMPLATE_INVALID = "TEMPLATE_INVALID"
    TERM_INVALID = "TERM_INVALID"
    ROSTER_REJECTED = "ROSTER_REJECTED"
    REPORT_FORMAT = "REPORT_FORMAT"
    PAGE_TOKEN_INVALID = "PAGE_TOKEN_INVALID"  # noqa: S105 - an error code, not a secret
    UPLOAD_TYPE = "UPLOAD_TYPE"
    FORBIDDEN = "FORBIDDEN"
    REQUEST_INVALID = "REQUEST_INVALID"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    INPUT_UNREADABLE = "INPUT_UNREADABLE"
    # Authentication: who the caller is (what they may do is the access policy's business).
    AUTH_MISSING = "AUTH_MISSING"
    AUTH_INVALID = "AUTH_INVALID"
    AUTH_UNAVAILABLE = "AUTH_UNAVAILABLE"
    # Machine clients (shared.access.clients): what a verified client may not do.
    CLIENT_DISABLED = "CLIENT_DISABLED"
    # A school that left the system (School.closed_on): its staff, new staff, new tasks.
    SCHOOL_CLOSED = "SCHOOL_CLOSED"
    CLIENT_SCOPE = "CLIENT_SCOPE"
    CLIENT_TOKEN_KIND = "CLIENT_TOKEN_KIND"  # noqa: S105 - an error code, not a secret
    IDEMPOTENCY_KEY_MISSING = "IDEMPOTENCY_KEY_MISSING"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    IDEMPOTENCY_IN_PROGRESS = "IDEMPOTENCY_IN_PROGRESS"
    CHANGE_CURSOR_INVALID = "CHANGE_CURSOR_INVALID"
    # Stored data: what the database says about a request (shared.db maps its errors to these).
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    STUDENT_NO_TAKEN = "STUDENT_NO_TAKEN"
    STATE_CONFLICT = "STATE_CONFLICT"
    CONCURRENT_CHANGE = "CONCURRENT_CHANGE"
    RECORD_UNCHANGED = "RECORD_UNCHANGED"
    RECORD_KEY_FIELD = "RECORD_KEY_FIELD"
    TASK_TARGETS_INVALID = "TASK_TARGETS_INVALID"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    # Collecting data: templates, collection tasks, submissions.
    TEMPLATE_BUILTIN = "TEMPLATE_BUILTIN"
    TEMPLATE_RETIRED = "TEMPLATE_RETIRED"
    TASK_DEADLINE_PAST = "TASK_DEADLINE_PAST"
    TASK_FIXED_INVALID = "TASK_FIXED_INVALID"
    TASK_CLOSED = "TASK_CLOSED"
    # Corrections (纠错) and changes to records.
    CORRECTION_OPEN = "CORRECTION_OPEN"
    CORRECTION_NO_TEACHER = "CORRECTION_NO_TEACHER"
    RECORD_FIELD_UNKNOWN = "RECORD_FIELD_UNKNOWN"
    # 写实记录, their materials, review and 公示 (shared.materials).
    ENTRY_NOT_EDITABLE = "ENTRY_NOT_EDITABLE"
    ENTRY_TOO_MANY_STEPS = "ENTRY_TOO_MANY_STEPS"
    ENTRY_TOO_MANY_ATTACHMENTS = "ENTRY_TOO_MANY_ATTACHMENTS"
    ENTRY_ATTACHMENTS_PENDING = "ENTRY_ATTACHMENTS_PENDING"
    ENTRY_NO_REVIEWER = "ENTRY_NO_REVIEWER"
    ENTRY_WRONG_TEMPLATE = "ENTRY_WRONG_TEMPLATE"
    MATERIAL_NOT_READY = "MATERIAL_NOT_READY"
    NOTICE_NOT_OPEN = "NOTICE_NOT_OPEN"
    NOTICE_NOT_OVER = "NOTICE_NOT_OVER"
    OBJECTION_OWN_ENTRY = "OBJECTION_OWN_ENTRY"
    OBJECTION_OPEN = "OBJECTION_OPEN"
    # Fault reports (报修, shared.operations.faults).
    FAULT_TAKEN = "FAULT_TAKEN"
    FAULT_TOO_MANY_STEPS = "FAULT_TOO_MANY_STEPS"
    # Satisfaction surveys (好差评, shared.operations.surveys).
    SURVEY_ALREADY_ANSWERED = "SURVEY_ALREADY_ANSWERED"
    SURVEY_NOT_OPEN = "SURVEY_NOT_OPEN"
    SURVEY_NOT_ASKED = "SURVEY_NOT_ASKED"
    SURVEY_SETTINGS_INVALID = "SURVEY_SETTINGS_INVALID"
    # Reminders: the district's settings and school calendar.
    REMINDER_TIME_QUIET = "REMINDER_TIME_QUIET"
    REMINDER_TIME_INVALID = "REMINDER_TIME_INVALID"
    CALENDAR_INVALID = "CALENDAR_INVALID"
    # OneRoster 1.2 CSV rosters (shared.integration.oneroster): the bundle, then its rows.
    ONEROSTER_NOT_ZIP = "ONEROSTER_NOT_ZIP"
    ONEROSTER_MANIFEST_MISSING = "ONEROSTER_MANIFEST_MISSING"
    ONEROSTER_VERSION = "ONEROSTER_VERSION"
    ONEROSTER_1_1_AS_1_2 = "ONEROSTER_1_1_AS_1_2"
    ONEROSTER_FILE_MISSING = "ONEROSTER_FILE_MISSING"
    ONEROSTER_FILE_NOT_LISTED = "ONEROSTER_FILE_NOT_LISTED"
    ONEROSTER_DUPLICATE_ID = "ONEROSTER_DUPLICATE_ID"
    ONEROSTER_UNKNOWN_REFERENCE = "ONEROSTER_UNKNOWN_REFERENCE"
    ONEROSTER_ROW_INVALID = "ONEROSTER_ROW_INVALID"
    ONEROSTER_GRADE = "ONEROSTER_GRADE"
    ONEROSTER_USER_IDS = "ONEROSTER_USER_IDS"
    ONEROSTER_STUDENT_NO_MISSING = "ONEROSTER_STUDENT_NO_MISSING"
    ONEROSTER_NO_HOMEROOM = "ONEROSTER_NO_HOMEROOM"
    ONEROSTER_TWO_HOMEROOMS = "ONEROSTER_TWO_HOMEROOMS"
    ONEROSTER_NO_DEMOGRAPHICS = "ONEROSTER_NO_DEMOGRAPHICS"
    ONEROSTER_NOT_IMPORTED = "ONEROSTER_NOT_IMPORTED"
    ONEROSTER_NOT_DELETED = "ONEROSTER_NOT_DELETED"
    ONEROSTER_NO_ASSIGNMENT = "ONEROSTER_NO_ASSIGNMENT"
    ONEROSTER_STUDENTS_ABSENT = "ONEROSTER_STUDENTS_ABSENT"
    # A roster bundle a machine client pushed (POST /v1/roster/imports): whose it may be.
    ONEROSTER_SCHOOL_NOT_ALLOWED = "ONEROSTER_SCHOOL_NOT_ALLOWED"
    ONEROSTER_SCHOOL_CLOSED = "ONEROSTER_SCHOOL_CLOSED"
    # An NDJSON upload of records (POST /v1/ingest/{template_id}/uploads): a line not JSON.
    NDJSON_LINE_INVALID = "NDJSON_LINE_INVALID"


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    severity: Severity
    zh: str
    en: str


_E: Severity = "error"
_W: Severity = "warning"

CATALOGUE: dict[ErrorCode, CatalogueEntry] = {
    ErrorCode.FILE_EMPTY: CatalogueEntry(_E, "文件是空的，没有任何内容。", "The file is empty."),
    ErrorCode.FILE_HEADER_ONLY: CatalogueEntry(
        _E, "文件只有表头，没有数据行。", "The file has a header row but no data rows."
    ),
    ErrorCode.FILE_NOT_SPREADSHEET: CatalogueEntry(
        _E,
        "这不是电子表格文件（检测到：{detected}）。请上传 Excel（.xlsx/.xls）或 CSV 文件。",
        "This is not a spreadsheet (detected: {detected}). Upload an Excel or CSV file.",
    ),
    ErrorCode.FILE_ENCRYPTED: CatalogueEntry(
        _E,
        "工作簿设置了打开密码，系统无法读取。请在 Excel 中取消密码后重新上传。",
        "The workbook is password-protected. Remove the password and upload it again.",
    ),
    ErrorCode.FILE_ZIP_BOMB: CatalogueEntry(
        _E,
        "文件的压缩结构异常（{detail}），出于安全原因拒收。请用 Excel 另存为新文件后重新上传。",
        "The file's compressed structure is abnormal ({detail}); refused for safety.",
    ),
    ErrorCode.FILE_XML_ENTITY: CatalogueEntry(
        _E,
        "文件内部含有 XML 实体声明（{part}），出于安全原因拒收。"
        "请用 Excel 另存为新文件后重新上传。",
        "The file declares XML entities ({part}); refused for safety.",
    ),
    ErrorCode.FILE_CORRUPT: CatalogueEntry(
        _E,
        "文件已损坏或格式不完整，无法读取（{detail}）。请用 Excel 打开确认后另存再上传。",
        "The file is damaged or incomplete and cannot be read ({detail}).",
    ),
    ErrorCode.FILE_ENCODING: CatalogueEntry(
        _E,
        "无法识别文件的文字编码。请用 Excel 另存为“CSV UTF-8”或 .xlsx 格式后重新上传。",
        "The text encoding of the file is not recognised.",
    ),
    ErrorCode.FILE_TOO_LARGE: CatalogueEntry(
        _E,
        "文件大小为 {size}，超过上限 {limit}。请拆分成多个文件上传。",
        "The file is {size}, over the limit of {limit}.",
    ),
    ErrorCode.FILE_TOO_MANY_ROWS: CatalogueEntry(
        _E,
        "文件超过 {limit} 行数据的上限。请拆分成多个文件上传。",
        "The file has more than {limit} data rows.",
    ),
    ErrorCode.FILE_TOO_MANY_COLUMNS: CatalogueEntry(
        _E,
        "文件超过 {limit} 列的上限。请删除多余的列后重新上传。",
        "The file has more than {limit} columns.",
    ),
    ErrorCode.FILE_TOO_MANY_CELLS: CatalogueEntry(
        _E,
        "文件的行数乘列数超过 {limit} 个单元格的上限（可能有很远处的单元格被误填）。"
        "请删除多余的行列或拆分成多个文件上传。",
        "The sheet spans more than {limit} cells (rows × columns).",
    ),
    ErrorCode.FILE_NO_SHEET: CatalogueEntry(
        _E, "工作簿中没有可读取的工作表。", "The workbook has no readable worksheet."
    ),
    ErrorCode.FILE_NO_HEADER: CatalogueEntry(
        _E,
        "在前 {rows} 行中找不到表头：没有一列的列名与模板「{template}」相符。"
        "请使用模板中的列名（如：{examples}）。",
        "No header row found in the first {rows} rows matching template {template}.",
    ),
    ErrorCode.FILE_MISSING_COLUMNS: CatalogueEntry(
        _E,
        "缺少必填列：{columns}。请按模板补齐这些列后重新上传。",
        "Required columns are missing: {columns}.",
    ),
    ErrorCode.FILE_DUPLICATE_COLUMN: CatalogueEntry(
        _E,
        "列「{field}」出现了不止一次（第 {letters} 列），系统无法判断该用哪一列。请删除多余的列。",
        "Column {field} appears more than once (columns {letters}).",
    ),
    ErrorCode.FILE_NO_VALID_ROWS: CatalogueEntry(
        _E,
        "没有任何一行数据通过校验，文件未导入。请按错误报告修改后重新上传。",
        "No row passed validation; nothing was imported.",
    ),
    ErrorCode.FILE_PROCESSING_FAILED: CatalogueEntry(
        _E,
        "系统多次处理该文件都没有成功，运维人员已收到告警；修复后会自动重新校验，无需重新上传。",
        "Processing this file failed repeatedly; the operators were alerted and will have it "
        "validated again once fixed. No need to upload it again.",
    ),
    ErrorCode.FILE_EXTRA_COLUMN: CatalogueEntry(
        _W,
        "列「{column}」不在模板中，其内容未导入。",
        "Column {column} is not in the template; its values were not imported.",
    ),
    ErrorCode.FILE_UNNAMED_COLUMN: CatalogueEntry(
        _W,
        "第 {letter} 列有数据但没有列名，其内容未导入。",
        "Column {letter} has data but no header; its values were not imported.",
    ),
    ErrorCode.FILE_DERIVED_COLUMN: CatalogueEntry(
        _W,
        "列「{column}」是由各科成绩计算得出的，已忽略（未作为学科导入）。",
        "Column {column} is derived from the subjects' scores and was ignored.",
    ),
    ErrorCode.ROWS_REPLACE_OTHER_TASK: CatalogueEntry(
        _W,
        "{count} 行将覆盖其他任务（{tasks}）中的已有数据：同一学生、同一次考核只保留一个值，"
        "以本次上报为准，原来的值保留在修改历史中。",
        "{count} rows replace data reported in other tasks ({tasks}); the old values stay in "
        "the records' history.",
    ),
    ErrorCode.UPLOAD_REUSED: CatalogueEntry(
        _E,
        "这份文件是用一次已经用过的上传申请再次提交的（该申请的第一份文件已接收，上报编号 "
        "{submission}），因此没有处理。如需重新上传，请在系统中重新点击“上传”。",
        "This file was posted with an upload request that had already been used (submission "
        "{submission}); it was not processed. Start a new upload instead.",
    ),
    ErrorCode.FILE_NO_CLASS_SHEETS: CatalogueEntry(
        _E,
        "全校上传的工作簿须每个班级一张工作表、表名为班级名称（如 七年级(3)班），"
        "但没有一张工作表对应本任务中的班级（现有：{sheets}）。",
        "A school workbook needs one sheet per class named after it; none matches a class "
        "of this task (sheets: {sheets}).",
    ),
    ErrorCode.FILE_SHEETS_NOT_CLASSES: CatalogueEntry(
        _W,
        "工作表（{sheets}）不是本任务中的班级（或与另一张表重复），未读取。",
        "Sheets {sheets} name no class of this task (or repeat one) and were not read.",
    ),
    ErrorCode.SHEET_RESULT: CatalogueEntry(
        _W,
        "工作表「{sheet}」：{status}，导入 {accepted} 行，拒收 {rejected} 行。",
        "Sheet {sheet}: {status}, {accepted} rows imported, {rejected} rejected.",
    ),
    ErrorCode.FILE_NO_CLASS_SHEET: CatalogueEntry(
        _E,
        "工作簿按班级分表，但没有「{class_name}」的工作表（现有：{sheets}）。请确认选择的文件和班级。",
        "The workbook has one sheet per class, but none for {class_name} (sheets: {sheets}).",
    ),
    ErrorCode.FILE_OTHER_SHEETS: CatalogueEntry(
        _W,
        "只读取了工作表「{sheet}」，其他工作表（{others}）未读取。",
        "Only sheet {sheet} was read; other sheets ({others}) were ignored.",
    ),
    ErrorCode.REQUIRED: CatalogueEntry(_E, "「{column}」不能为空。", "{column} is required."),
    ErrorCode.TOO_LONG: CatalogueEntry(
        _E, "「{column}」超过 {max_length} 个字。", "{column} is longer than {max_length}."
    ),
    ErrorCode.NOT_IN_LIST: CatalogueEntry(
        _E,
        "「{column}」的值不在可选范围内。可选：{values}。",
        "{column} is not one of the allowed values: {values}.",
    ),
    ErrorCode.NOT_A_NUMBER: CatalogueEntry(
        _E, "「{column}」应填写数字{statuses}。", "{column} must be a number{statuses}."
    ),
    ErrorCode.NOT_AN_INTEGER: CatalogueEntry(
        _E, "「{column}」应填写整数。", "{column} must be a whole number."
    ),
    ErrorCode.OUT_OF_RANGE: CatalogueEntry(
        _E,
        "「{column}」应在 {min} 到 {max}{unit} 之间。",
        "{column} must be between {min} and {max}{unit}.",
    ),
    ErrorCode.CELL_ERROR: CatalogueEntry(
        _E,
        "「{column}」是 Excel 公式错误值，请检查公式或直接填写数值。",
        "{column} holds an Excel formula error value.",
    ),
    ErrorCode.DATE_FORMAT: CatalogueEntry(
        _E,
        "「{column}」不是可识别的日期。请写成 2024-09-01、2024/9/1 或 2024年9月1日。",
        "{column} is not a recognisable date; write it like 2024-09-01.",
    ),
    ErrorCode.DATE_AMBIGUOUS: CatalogueEntry(
        _E,
        "「{column}」的日期有歧义（年份不是四位或不在最前）。"
        "请写成 2024-09-01 这样年份在前的格式。",
        "{column} is ambiguous; write the four-digit year first, like 2024-09-01.",
    ),
    ErrorCode.DATE_INVALID: CatalogueEntry(
        _E, "「{column}」是不存在的日期。", "{column} is not a real calendar date."
    ),
    ErrorCode.DATE_SERIAL: CatalogueEntry(
        _E,
        "「{column}」看起来是 Excel 的日期序号而不是日期。"
        "请把该列设置为“日期”格式，或写成 2024-09-01。",
        "{column} looks like an Excel date serial number, not a date.",
    ),
    ErrorCode.DATE_OUT_OF_RANGE: CatalogueEntry(
        _E,
        "「{column}」应在 {min} 到 {max} 之间。",
        "{column} must be between {min} and {max}.",
    ),
    ErrorCode.DATE_IN_FUTURE: CatalogueEntry(
        _E, "「{column}」晚于今天（{today}）。", "{column} is after today ({today})."
    ),
    ErrorCode.DATE_OUTSIDE_TERM: CatalogueEntry(
        _E,
        "「{column}」不在 {term} 学期内（{start} 至 {end}）。",
        "{column} is outside term {term} ({start} to {end}).",
    ),
    ErrorCode.DATE_ORDER: CatalogueEntry(
        _E, "「{column}」早于「{other}」。", "{column} is earlier than {other}."
    ),
    ErrorCode.DURATION_FORMAT: CatalogueEntry(
        _E,
        "「{column}」应写成“分'秒”（如 3'45\"，不要写成 3.45）或秒数（如 225）{statuses}。",
        "{column} must be minutes'seconds (3'45\") or seconds{statuses}.",
    ),
    ErrorCode.STUDENT_NO_FORMAT: CatalogueEntry(
        _E,
        "学籍号格式不对：应为 19 位，G 或 J 加 18 位身份证号样式的号码，或 L 加 18 位临时号。",
        "The student number must be 19 characters: G or J + an 18-character ID, or L + 18.",
    ),
    ErrorCode.STUDENT_NO_CHECK_DIGIT: CatalogueEntry(
        _E,
        "学籍号中的身份证号校验位不对，可能有数字输错或前后颠倒。",
        "The check digit of the ID inside the student number is wrong.",
    ),
    ErrorCode.STUDENT_NO_BIRTH_DATE: CatalogueEntry(
        _E,
        "学籍号中的出生日期（第 8–15 位）不是真实日期。",
        "The birth date inside the student number is not a real date.",
    ),
    ErrorCode.NATIONAL_ID_FORMAT: CatalogueEntry(
        _E,
        "身份证号应为 18 位：17 位数字加 1 位数字或 X。",
        "A national ID has 18 characters: 17 digits and a digit or X.",
    ),
    ErrorCode.NATIONAL_ID_LEGACY: CatalogueEntry(
        _E,
        "这是 15 位的旧身份证号，请填写 18 位身份证号。",
        "This is a 15-digit legacy ID; give the 18-character ID.",
    ),
    ErrorCode.NATIONAL_ID_CHECK_DIGIT: CatalogueEntry(
        _E,
        "身份证号校验位不对，可能有数字输错或前后颠倒。",
        "The check digit of the national ID is wrong.",
    ),
    ErrorCode.NATIONAL_ID_BIRTH_DATE: CatalogueEntry(
        _E,
        "身份证号中的出生日期（第 7–14 位）不是真实日期。",
        "The birth date inside the national ID is not a real date.",
    ),
    ErrorCode.ID_AS_NUMBER: CatalogueEntry(
        _E,
        "「{column}」被 Excel 存成了数字，长号码的末几位已经丢失。"
        "请把该列设置为“文本”格式后重新录入号码。",
        "{column} was stored by Excel as a number and its last digits are lost; "
        "format the column as text and re-enter it.",
    ),
    ErrorCode.MOBILE_FORMAT: CatalogueEntry(
        _E,
        "「{column}」应为 11 位中国大陆手机号（1 开头）。",
        "{column} must be an 11-digit mainland mobile number.",
    ),
    ErrorCode.SCORE_ABOVE_FULL_MARKS: CatalogueEntry(
        _E,
        "「{column}」高于「{other}」。",
        "{column} is higher than {other}.",
    ),
    ErrorCode.ID_MISMATCH_BIRTH_DATE: CatalogueEntry(
        _E,
        "「{column}」与身份证号中的出生日期不一致。",
        "{column} does not match the birth date in the national ID.",
    ),
    ErrorCode.ID_MISMATCH_GENDER: CatalogueEntry(
        _E,
        "「{column}」与身份证号中的性别不一致。",
        "{column} does not match the gender in the national ID.",
    ),
    ErrorCode.ID_MISMATCH_STUDENT_NO: CatalogueEntry(
        _E,
        "「{column}」与学籍号中的身份证号不一致。",
        "{column} does not match the ID inside the student number.",
    ),
    ErrorCode.ITEM_REQUIRED_FOR_GROUP: CatalogueEntry(
        _E,
        "「{column}」是{group}的必测项目，不能为空（确实未测请填“{statuses}”）。",
        "{column} is required for {group}.",
    ),
    ErrorCode.ITEM_NOT_APPLICABLE: CatalogueEntry(
        _W,
        "「{column}」不是{group}的测试项目，该值未导入。",
        "{column} is not tested for {group}; the value was not imported.",
    ),
    ErrorCode.DUPLICATE_ROW: CatalogueEntry(
        _E,
        "与第 {first_row} 行重复（{key} 相同），只保留第一次出现的行。",
        "Repeats row {first_row} (same {key}); only the first is kept.",
    ),
    ErrorCode.ROW_TOO_MANY_CELLS: CatalogueEntry(
        _E,
        "这一行的单元格比表头多，可能有未加引号的逗号，整行被拒收。",
        "This row has more cells than the header (an unquoted comma?).",
    ),
    ErrorCode.NOT_IN_ROSTER: CatalogueEntry(
        _E, "学生名册中没有{who}。", "The roster has no such student ({who})."
    ),
    ErrorCode.STUDENT_AMBIGUOUS: CatalogueEntry(
        _E,
        "名册中有不止一名学生与此行相符：{candidates}。请填写学籍号，或加一列学号（或性别）区分。",
        "More than one student in the roster fits this row: {candidates}. Add the student "
        "number (or the school number, or gender) to tell them apart.",
    ),
    ErrorCode.TASK_VALUE_CONFLICT: CatalogueEntry(
        _E,
        "本任务的「{column}」为「{expected}」，此处与之不符。请改正，或删除这一列（按任务自动填写）。",
        "This task fixes {column} to {expected}; the cell says otherwise.",
    ),
    ErrorCode.SUBJECT_NOT_TAUGHT: CatalogueEntry(
        _E,
        "您不是本班「{subject}」的任课教师，不能上报该学科的数据（请由任课教师或班主任上报）。",
        "You do not teach {subject} in this class; its teacher or the head teacher reports it.",
    ),
    ErrorCode.JSON_INVALID: CatalogueEntry(
        _E,
        "内容不是有效的 JSON（第 {line} 行第 {col} 列：{detail}）。",
        "The body is not valid JSON (line {line}, column {col}: {detail}).",
    ),
    ErrorCode.JSON_TOO_LARGE: CatalogueEntry(
        _E,
        "这批数据大小为 {size}，超过上限 {limit}。请分批提交，或改用 NDJSON 文件上传。",
        "The batch is {size}, over the limit of {limit}; split it or upload NDJSON.",
    ),
    ErrorCode.JSON_BATCH_SHAPE: CatalogueEntry(
        _E,
        "{pointer} 应为{expected}，实际是{actual}。",
        "{pointer} must be {expected}, not {actual}.",
    ),
    ErrorCode.JSON_NO_RECORDS: CatalogueEntry(
        _E, "“records”中没有任何记录。", "The batch has no records."
    ),
    ErrorCode.JSON_TOO_MANY_RECORDS: CatalogueEntry(
        _E,
        "一批最多 {limit} 条记录，这批有 {count} 条。请分批提交，或改用 NDJSON 文件上传"
        "（POST /v1/ingest/<模板编号>/uploads，每行一条记录）。",
        "A batch holds at most {limit} records, this one {count}; split it or upload NDJSON "
        "(POST /v1/ingest/<template id>/uploads).",
    ),
    ErrorCode.JSON_TOO_MANY_FIELDS: CatalogueEntry(
        _E,
        "记录中出现了超过 {limit} 个不同的字段名。请只发送模板中的字段。",
        "The records use more than {limit} distinct field names.",
    ),
    ErrorCode.JSON_RECORD_NOT_OBJECT: CatalogueEntry(
        _E,
        '每条记录应为一个 JSON 对象（{{"字段": 值}}），这条是{actual}。',
        "Each record must be a JSON object, this one is {actual}.",
    ),
    ErrorCode.JSON_RECORD_EMPTY: CatalogueEntry(
        _E, "这条记录没有任何字段。", "The record has no fields."
    ),
    ErrorCode.JSON_VALUE_NOT_SCALAR: CatalogueEntry(
        _E,
        "「{column}」应为字符串或数字，不能是{actual}。",
        "{column} must be a string or a number, not {actual}.",
    ),
    ErrorCode.JSON_ID_AS_NUMBER: CatalogueEntry(
        _E,
        "「{column}」应以字符串发送：号码写成 JSON 数字，长号码的末几位可能已经丢失。",
        "{column} must be sent as a string: as a JSON number a long ID may lose its last digits.",
    ),
    ErrorCode.JSON_FIELD_REPEATED: CatalogueEntry(
        _E,
        "「{column}」在这条记录中出现了不止一次（{keys}），无法判断该用哪一个。",
        "{column} appears more than once in the record ({keys}).",
    ),
    ErrorCode.INGEST_FIELD_REQUIRED: CatalogueEntry(
        _E,
        "这批数据缺少“{field}”：{reason}。",
        "The batch lacks {field}.",
    ),
    ErrorCode.INGEST_CLASS_REQUIRED: CatalogueEntry(
        _E,
        "数据须按班级提交：请在“class_id”中写明班级的编号（不接受整个学校的一批数据）。",
        "Batches are per class: name the class in class_id (no batch for a whole school).",
    ),
    ErrorCode.INGEST_TEMPLATE_NOT_SUPPORTED: CatalogueEntry(
        _E,
        "模板「{template}」的数据不能通过数据推送接口提交：{reason}。",
        "Records of template {template} cannot be pushed as a batch.",
    ),
    ErrorCode.INGEST_NO_TASK: CatalogueEntry(
        _E,
        "学期 {term} 没有包含该班级、正在进行的「{template_name}」（{template}）数据上报任务，"
        "这批数据无处提交。请在区或学校布置任务后再提交。",
        "No open collection task of template {template} for term {term} covers the class.",
    ),
    ErrorCode.INGEST_TASK_AMBIGUOUS: CatalogueEntry(
        _E,
        "学期 {term} 有多个包含该班级、正在进行的「{template_name}」数据上报任务（{tasks}），"
        "请在“task_id”中写明提交给哪一个。",
        "Several open tasks of template {template} for term {term} cover the class; "
        "name one in task_id.",
    ),
    ErrorCode.INGEST_TASK_TEMPLATE: CatalogueEntry(
        _E,
        "数据上报任务「{title}」收集的是模板「{task_template}」的数据，不是「{template}」。",
        "Task {title} collects template {task_template}, not {template}.",
    ),
    ErrorCode.INGEST_BATCH_MISMATCH: CatalogueEntry(
        _E,
        "这批数据的“{field}”为“{value}”，与{what}（{expected}）不一致，整批未导入。",
        "The batch's {field} is {value}, not {expected} as its submission says.",
    ),
    ErrorCode.ROSTER_NAME_MISMATCH: CatalogueEntry(
        _E,
        "姓名与学生名册不一致（名册中为「{expected}」）。",
        "The name does not match the roster (roster: {expected}).",
    ),
    ErrorCode.ROSTER_CLASS_MISMATCH: CatalogueEntry(
        _E,
        "班级与学生名册不一致（名册中为「{expected}」）。",
        "The class does not match the roster (roster: {expected}).",
    ),
    ErrorCode.TEMPLATE_NOT_FOUND: CatalogueEntry(
        _E,
        "没有编号为「{template}」的模板。可用模板：{available}。",
        "No template {template}. Available: {available}.",
    ),
    ErrorCode.TEMPLATE_INVALID: CatalogueEntry(
        _E, "模板定义有误：{detail}", "The template definition is invalid: {detail}"
    ),
    ErrorCode.TERM_INVALID: CatalogueEntry(
        _E,
        "学期「{term}」格式不对，应写成 2024-2025-1（学年-学年-第几学期）。",
        "Term {term} is invalid; write it like 2024-2025-1.",
    ),
    ErrorCode.ROSTER_REJECTED: CatalogueEntry(
        _E,
        "学生名册文件无法使用：{detail}",
        "The roster file cannot be used: {detail}",
    ),
    ErrorCode.REPORT_FORMAT: CatalogueEntry(
        _E,
        "错误报告只能保存为 .xlsx 或 .csv 文件（收到：{path}）。",
        "The error report must be a .xlsx or .csv file (got {path}).",
    ),
    ErrorCode.PAGE_TOKEN_INVALID: CatalogueEntry(
        _E,
        "翻页标记无效或已过期，请从第一页重新查询。",
        "The page token is invalid or has expired; start again from the first page.",
    ),
    ErrorCode.FORBIDDEN: CatalogueEntry(
        _E, "您的角色不能执行此操作。", "Your role may not take this action."
    ),
    ErrorCode.REQUEST_INVALID: CatalogueEntry(
        _E, "请求内容有误：{detail}", "The request is invalid: {detail}"
    ),
    ErrorCode.INTERNAL_ERROR: CatalogueEntry(
        _E,
        "系统内部错误，已记录，请稍后重试（编号 {request_id}）。",
        "Internal error, logged (request {request_id}).",
    ),
    ErrorCode.UPLOAD_TYPE: CatalogueEntry(
        _E,
        "只能上传 Excel（.xlsx/.xls）或 CSV 文件。",
        "Only Excel (.xlsx/.xls) or CSV files can be uploaded (allowed types: {allowed}).",
    ),
    ErrorCode.INPUT_UNREADABLE: CatalogueEntry(
        _E, "无法读取文件「{path}」：{detail}", "Cannot read file {path}: {detail}"
    ),
    ErrorCode.AUTH_MISSING: CatalogueEntry(
        _E, "请先登录。", "Sign in first: the request carries no bearer token."
    ),
    ErrorCode.AUTH_INVALID: CatalogueEntry(
        _E,
        "登录凭证无效或已过期，请重新登录。",
        "The sign-in token is invalid or has expired; sign in again.",
    ),
    ErrorCode.AUTH_UNAVAILABLE: CatalogueEntry(
        _E,
        "暂时无法验证登录状态，请稍后重试。",
        "The sign-in service's keys cannot be fetched right now; try again shortly.",
    ),
    ErrorCode.CLIENT_DISABLED: CatalogueEntry(
        _E,
        "该对接系统已被区管理员停用，请联系区教育局。",
        "This machine client has been disabled by the district administrator.",
    ),
    ErrorCode.SCHOOL_CLOSED: CatalogueEntry(
        _E,
        "该学校已停用本系统，不能再登录、添加教职工或布置任务；数据仍保留。如有疑问请联系区教育局。",
        "This school has stopped using the system: no sign-in, new staff or new tasks; its data "
        "is kept.",
    ),
    ErrorCode.CLIENT_SCOPE: CatalogueEntry(
        _E,
        "该对接系统没有「{scope}」权限，请联系区管理员调整授权。",
        "This machine client is not granted the scope {scope}.",
    ),
    ErrorCode.CLIENT_TOKEN_KIND: CatalogueEntry(
        _E,
        "此接口供对接系统调用，须使用客户端凭证（client credentials）获取的访问令牌；"
        "个人登录请使用网页端。",
        "This route is for machine clients: use an access token from the client-credentials "
        "grant, not a person's ID token.",
    ),
    ErrorCode.IDEMPOTENCY_KEY_MISSING: CatalogueEntry(
        _E,
        "请在请求头 Idempotency-Key 中提供幂等键（如一个 UUID），重试时使用同一个键。",
        "Send an Idempotency-Key header (e.g. a UUID) and repeat it on retries.",
    ),
    ErrorCode.IDEMPOTENCY_KEY_INVALID: CatalogueEntry(
        _E,
        "幂等键须为不超过 {limit} 个字符的可打印 ASCII 文本。",
        "The Idempotency-Key must be printable ASCII of at most {limit} characters.",
    ),
    ErrorCode.IDEMPOTENCY_KEY_REUSED: CatalogueEntry(
        _E,
        "该幂等键已用于另一份请求内容；新的请求请使用新的幂等键。",
        "This Idempotency-Key was used with a different payload; use a new key for a new request.",
    ),
    ErrorCode.IDEMPOTENCY_IN_PROGRESS: CatalogueEntry(
        _E,
        "使用该幂等键的上一次请求仍在处理中，请稍后再试。",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
    ),
    ErrorCode.CHANGE_CURSOR_INVALID: CatalogueEntry(
        _E,
        "变更游标（since）无效、已过期，或不是发给本对接系统和该模板的；"
        "请使用上次应答中的 next 继续读取。",
        "The change cursor (since) is invalid, has expired, or was issued to another client or "
        "template; send the `next` of your last answer.",
    ),
    # Messages about stored things name them with `entity_zh` / `entity` (see `Entity`).
    ErrorCode.NOT_FOUND: CatalogueEntry(
        _E, "找不到该{entity_zh}，或您无权查看。", "The {entity} was not found."
    ),
    ErrorCode.ALREADY_EXISTS: CatalogueEntry(
        _E, "该{entity_zh}已经存在，不能重复创建。", "The {entity} already exists."
    ),
    ErrorCode.STUDENT_NO_TAKEN: CatalogueEntry(
        _E,
        "该学籍号已登记在另一名学生名下，一个学籍号只能对应一名学生。请核对学籍号。",
        "The student number is already registered to another student.",
    ),
    ErrorCode.STATE_CONFLICT: CatalogueEntry(
        _E,
        "该{entity_zh}当前为“{current_zh}”，不能改为“{target_zh}”。",
        "The {entity} is {current} and cannot become {target}.",
    ),
    ErrorCode.CONCURRENT_CHANGE: CatalogueEntry(
        _E,
        "该{entity_zh}刚刚被其他人修改过，请刷新后重试。",
        "The {entity} was changed by someone else meanwhile; reload it and try again.",
    ),
    ErrorCode.RECORD_UNCHANGED: CatalogueEntry(
        _E, "新的值与记录中的值相同，记录没有修改。", "The new values equal the recorded ones."
    ),
    ErrorCode.RECORD_KEY_FIELD: CatalogueEntry(
        _E,
        "「{field}」是识别这条记录的字段，不能直接修改；请在上报文件中改正后重新上报。",
        "{field} identifies the record and cannot be changed; re-upload it instead.",
    ),
    ErrorCode.TASK_TARGETS_INVALID: CatalogueEntry(
        _E, "数据上报任务的上报对象有误：{detail}", "The task's targets are invalid: {detail}"
    ),
    ErrorCode.STORAGE_UNAVAILABLE: CatalogueEntry(
        _E,
        "数据服务暂时繁忙，请稍后重试。",
        "The data store is throttling or unavailable; retry shortly.",
    ),
    ErrorCode.TEMPLATE_BUILTIN: CatalogueEntry(
        _E,
        "「{template}」是系统内置模板，随系统发布：不能新建同编号的区级模板，也不能停用。",
        "{template} is a built-in template: it cannot be redefined or retired.",
    ),
    ErrorCode.TEMPLATE_RETIRED: CatalogueEntry(
        _E,
        "模板「{template}」已停用，不能再用于新的数据上报任务，也不能发布新版本。",
        "Template {template} is retired: no new collection tasks or versions may use it.",
    ),
    ErrorCode.TASK_FIXED_INVALID: CatalogueEntry(
        _E,
        "任务指定的值有误：{detail}",
        "A value the task fixes is invalid: {detail}",
    ),
    ErrorCode.TASK_DEADLINE_PAST: CatalogueEntry(
        _E,
        "截止时间必须晚于当前时间（{now}）。",
        "The deadline must be in the future (now: {now}).",
    ),
    ErrorCode.TASK_CLOSED: CatalogueEntry(
        _E,
        "数据上报任务「{title}」已截止，不能再上报。",
        "The collection task {title} is closed: no more submissions.",
    ),
    ErrorCode.CORRECTION_OPEN: CatalogueEntry(
        _E,
        "您对这条记录的纠错还在处理中，请等老师答复后再提交。",
        "You already have an open correction of this record; wait for its answer.",
    ),
    ErrorCode.CORRECTION_NO_TEACHER: CatalogueEntry(
        _E,
        "这条记录所在的班级还没有任课教师或班主任，暂时无人处理纠错，请联系学校。",
        "The record's class has no teacher or head teacher to answer a correction.",
    ),
    ErrorCode.RECORD_FIELD_UNKNOWN: CatalogueEntry(
        _E,
        "「{column}」不是模板「{template}」中的一项，不能修改。",
        "{column} is not a column of template {template}.",
    ),
    ErrorCode.ENTRY_NOT_EDITABLE: CatalogueEntry(
        _E,
        "这条写实记录当前为“{status_zh}”，不能再修改；只有草稿和被退回的记录可以修改。",
        "The entry is {status_zh}: only drafts and returned entries may be changed.",
    ),
    ErrorCode.ENTRY_TOO_MANY_STEPS: CatalogueEntry(
        _E,
        "这条写实记录的修改和审核次数已达上限，请新建一条记录。",
        "The entry has reached its most steps; write a new one.",
    ),
    ErrorCode.ENTRY_TOO_MANY_ATTACHMENTS: CatalogueEntry(
        _E,
        "每条写实记录最多 {limit} 个附件。",
        "An entry has at most {limit} attachments.",
    ),
    ErrorCode.ENTRY_ATTACHMENTS_PENDING: CatalogueEntry(
        _E,
        "还有附件正在上传处理或未通过检查（{files}），请等待处理完成或删除后再提交。",
        "Some attachments are still being processed or were refused ({files}).",
    ),
    ErrorCode.ENTRY_NO_REVIEWER: CatalogueEntry(
        _E,
        "你所在的班级还没有班主任，暂时无人审核写实记录，请联系学校。",
        "The class has no head teacher to review entries.",
    ),
    ErrorCode.ENTRY_WRONG_TEMPLATE: CatalogueEntry(
        _E,
        "写实记录须按模板「{template}」填写。",
        "Entries are written in template {template}.",
    ),
    ErrorCode.MATERIAL_NOT_READY: CatalogueEntry(
        _E,
        "该附件{detail}，暂时不能查看。",
        "The attachment cannot be viewed: {detail}.",
    ),
    ErrorCode.NOTICE_NOT_OPEN: CatalogueEntry(
        _E,
        "这条写实记录不在公示期内，不能提出异议。",
        "The entry is not in an open notice window.",
    ),
    ErrorCode.NOTICE_NOT_OVER: CatalogueEntry(
        _E,
        "公示期尚未结束或仍有未处理的异议，暂不能归档。",
        "The notice window is not over or an objection is still open.",
    ),
    ErrorCode.OBJECTION_OWN_ENTRY: CatalogueEntry(
        _E,
        "不能对自己（或自己孩子）的写实记录提出异议；如需修改，请联系班主任退回。",
        "One does not object to one's own (or one's child's) entry.",
    ),
    ErrorCode.OBJECTION_OPEN: CatalogueEntry(
        _E,
        "您对这条写实记录的异议还在处理中，请等老师答复。",
        "You already have an open objection to this entry.",
    ),
    ErrorCode.FAULT_TAKEN: CatalogueEntry(
        _E,
        "这条报修已由其他运维人员负责；如需接手，请改为指派。",
        "Another operator owns the report; assign it instead.",
    ),
    ErrorCode.FAULT_TOO_MANY_STEPS: CatalogueEntry(
        _E,
        "这条报修的处理记录已达上限，请新提交一条报修。",
        "The report has reached its most steps; report anew.",
    ),
    ErrorCode.SURVEY_ALREADY_ANSWERED: CatalogueEntry(
        _E,
        "您已经参加过本次满意度调查，每人每次只能评价一次。感谢您的评价！",
        "You have already answered this survey: once per person.",
    ),
    ErrorCode.SURVEY_NOT_OPEN: CatalogueEntry(
        _E,
        "满意度调查（{opens_on} 至 {closes_on}）{when}，现在不能提交评价。",
        "The survey ({opens_on} to {closes_on}) is not open.",
    ),
    ErrorCode.SURVEY_NOT_ASKED: CatalogueEntry(
        _E,
        "本次满意度调查面向学校教职工、学生家长和四年级及以上学生，您不在调查范围内。",
        "The survey asks school staff, guardians and students from grade 4 only.",
    ),
    ErrorCode.SURVEY_SETTINGS_INVALID: CatalogueEntry(
        _E,
        "满意度调查时间设置有误：{detail}",
        "The survey periods are invalid: {detail}",
    ),
    ErrorCode.REMINDER_TIME_QUIET: CatalogueEntry(
        _E,
        "提醒时间 {time} 在免打扰时段（{start}–{end}）内：免打扰时段内不发送任何提醒，"
        "请改为其他时间。",
        "The reminder time {time} is inside the quiet hours ({start}-{end}).",
    ),
    ErrorCode.REMINDER_TIME_INVALID: CatalogueEntry(
        _E,
        "提醒时间有误：{detail}",
        "A reminder time is invalid: {detail}",
    ),
    ErrorCode.CALENDAR_INVALID: CatalogueEntry(
        _E,
        "校历有误：{detail}",
        "The school calendar is invalid: {detail}",
    ),
    ErrorCode.ONEROSTER_NOT_ZIP: CatalogueEntry(
        _E,
        "这不是 OneRoster 数据包：OneRoster 名册应为包含 manifest.csv 等 CSV 文件的 zip 压缩包"
        "（{detail}）。",
        "This is not a OneRoster bundle: a zip of CSV files with manifest.csv ({detail}).",
    ),
    ErrorCode.ONEROSTER_MANIFEST_MISSING: CatalogueEntry(
        _E,
        "压缩包中没有 manifest.csv，无法判断这是哪个版本的 OneRoster 名册（压缩包中有：{files}）。",
        "The zip has no manifest.csv (it holds: {files}).",
    ),
    ErrorCode.ONEROSTER_VERSION: CatalogueEntry(
        _E,
        "manifest.csv 中的 oneroster.version 为「{version}」，本系统只接受 OneRoster 1.2 名册。"
        "请让导出系统按 1.2 版导出。",
        "oneroster.version is {version}; only OneRoster 1.2 bundles are accepted.",
    ),
    ErrorCode.ONEROSTER_1_1_AS_1_2: CatalogueEntry(
        _E,
        "manifest.csv 声明为 OneRoster 1.2，但 users.csv 是 1.1 的格式（含有 {columns} 列；"
        "1.2 的角色在 roles.csv 中）。请让导出系统按 1.2 版导出。",
        "The manifest says 1.2 but users.csv is in the 1.1 format (columns {columns}).",
    ),
    ErrorCode.ONEROSTER_FILE_MISSING: CatalogueEntry(
        _E,
        "manifest.csv 声明提供该文件（{mode}），但压缩包中没有它。",
        "The manifest provides this file ({mode}) but the zip lacks it.",
    ),
    ErrorCode.ONEROSTER_FILE_NOT_LISTED: CatalogueEntry(
        _W,
        "manifest.csv 没有声明提供该文件（或声明为 absent），其内容未读取。",
        "The manifest does not provide this file (or marks it absent); it was not read.",
    ),
    ErrorCode.ONEROSTER_DUPLICATE_ID: CatalogueEntry(
        _E,
        "sourcedId「{value}」与第 {first_row} 行重复，同一文件中每个 sourcedId 只能出现一次。",
        "sourcedId {value} repeats row {first_row}.",
    ),
    ErrorCode.ONEROSTER_UNKNOWN_REFERENCE: CatalogueEntry(
        _E,
        "「{column}」引用的{target}「{value}」在名册和系统中都不存在。",
        "{column} refers to a {target} {value} that is neither in the bundle nor stored.",
    ),
    ErrorCode.ONEROSTER_ROW_INVALID: CatalogueEntry(
        _E,
        "这一行的内容不符合系统要求（{fields}），未导入。",
        "This row does not fit the system's rules ({fields}); it was not imported.",
    ),
    ErrorCode.ONEROSTER_GRADE: CatalogueEntry(
        _E,
        "班级的年级（grades）应为 01 至 12 中的一个（CEDS 年级代码），"
        "或不填而在班级名称中写明年级（如 七年级(3)班）。",
        "A homeroom's grades must be one of 01 to 12 (or empty, with the grade in its title).",
    ),
    ErrorCode.ONEROSTER_USER_IDS: CatalogueEntry(
        _E,
        "userIds 应写成 {{类型:号码}} 的列表，如 {{学籍号:G310112201201010012}}。",
        "userIds must be a list of {{type:identifier}}.",
    ),
    ErrorCode.ONEROSTER_STUDENT_NO_MISSING: CatalogueEntry(
        _E,
        "学生缺少学籍号：请在 userIds 中写上 {{学籍号:…}}（上海名册约定）。",
        "The student has no student number: add it to userIds (Shanghai profile).",
    ),
    ErrorCode.ONEROSTER_NO_HOMEROOM: CatalogueEntry(
        _E,
        "学生没有编入任何班级：enrollments.csv 中应有该学生在一个 homeroom 班级中的 student 记录。",
        "The student is enrolled in no homeroom class.",
    ),
    ErrorCode.ONEROSTER_TWO_HOMEROOMS: CatalogueEntry(
        _E,
        "该学生已在第 {first_row} 行编入另一个班级，一名学生只能属于一个班级（homeroom）。",
        "The student is already enrolled in another homeroom (row {first_row}).",
    ),
    ErrorCode.ONEROSTER_NO_DEMOGRAPHICS: CatalogueEntry(
        _E,
        "缺少学生的性别和出生日期：请在 demographics.csv 中填写 sex 和 birthDate，"
        "或在 userIds 中提供身份证号。",
        "The student's sex and birth date are missing (demographics.csv or a national ID).",
    ),
    ErrorCode.ONEROSTER_NOT_IMPORTED: CatalogueEntry(
        _W,
        "该用户的角色（{roles}）在本系统中没有对应的身份，未导入。",
        "The user's roles ({roles}) have no counterpart here; not imported.",
    ),
    ErrorCode.ONEROSTER_NOT_DELETED: CatalogueEntry(
        _W,
        "该行标记为删除（tobedeleted），但系统不删除学校、班级和学生（已有数据引用它们），保留原状。",
        "Marked tobedeleted, but schools, classes and students are never deleted; kept.",
    ),
    ErrorCode.ONEROSTER_NO_ASSIGNMENT: CatalogueEntry(
        _W,
        "无法确定该教学班对应的班级或学科（请填写 metadata.cn.homeroom 和 subjects），"
        "任课安排未导入。",
        "The scheduled class's homeroom or subject is unknown; no assignment was imported.",
    ),
    ErrorCode.ONEROSTER_STUDENTS_ABSENT: CatalogueEntry(
        _W,
        "{school} 有 {count} 名学生不在本次全量名册中：他们的信息保留原状，未删除。",
        "{count} students of {school} are not in this bulk roster; they were kept unchanged.",
    ),
    ErrorCode.ONEROSTER_SCHOOL_NOT_ALLOWED: CatalogueEntry(
        _E,
        "数据包涉及本对接系统无权管理的学校（{schools}），整个数据包未导入。"
        "请只提交本系统负责学校的名册，或请区管理员调整该对接系统的学校范围。",
        "The bundle touches schools this machine client may not ({schools}); nothing was imported.",
    ),
    ErrorCode.ONEROSTER_SCHOOL_CLOSED: CatalogueEntry(
        _E,
        "数据包涉及已停用的学校（{schools}），整个数据包未导入。如该校重新使用本系统，请先由运维恢复该校。",
        "The bundle touches schools that are closed ({schools}); nothing was imported.",
    ),
    ErrorCode.NDJSON_LINE_INVALID: CatalogueEntry(
        _E,
        "NDJSON 文件第 {line} 行不是有效的 JSON（第 {col} 列：{detail}），整个文件未导入。"
        "每行应为一条记录（一个 JSON 对象），以换行分隔。",
        "Line {line} of the NDJSON file is not valid JSON (column {col}: {detail}); "
        "nothing was imported.",
    ),
}


def message(code: ErrorCode, /, **params: object) -> str:
    """The Chinese user-facing message for `code`, filled with `params` (missing ones blank)."""
    return CATALOGUE[code].zh.format_map(_Blank(params))


def message_en(code: ErrorCode, /, **params: object) -> str:
    """The English message (logs, operators, developers)."""
    return CATALOGUE[code].en.format_map(_Blank(params))


def severity(code: ErrorCode) -> Severity:
    return CATALOGUE[code].severity


class _Blank(dict[str, object]):
    """format_map helper: a parameter nobody supplied renders as empty, never as a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


class Entity(StrEnum):
    """The stored things that messages name (NOT_FOUND, ALREADY_EXISTS, ...)."""

    SCHOOL = "school"
    SCHOOL_CLASS = "class"
    USER = "user"
    TEACHING_ASSIGNMENT = "teaching assignment"
    STUDENT = "student"
    GUARDIAN_LINK = "guardian link"
    TEMPLATE = "template"
    COLLECTION_TASK = "collection task"
    SUBMISSION = "submission"
    RECORD = "record"
    CORRECTION = "correction"
    AUDIT_EVENT = "audit event"
    NOTIFICATION = "notification"
    REMINDER_SETTINGS = "reminder settings"
    SCHOOL_CALENDAR = "school calendar"
    STATISTIC = "statistic"
    WARNING_RULES = "warning rules"
    MACHINE_CLIENT = "machine client"
    ROSTER_IMPORT = "roster import"
    QUALITY_ENTRY = "quality entry"
    ATTACHMENT = "attachment"
    OBJECTION = "objection"
    QUALITY_SETTINGS = "quality settings"
    HEARTBEAT = "heartbeat"
    FAULT_REPORT = "fault report"
    SURVEY = "survey"
    SURVEY_ANSWER = "survey answer"
    SURVEY_FOLLOW_UP = "survey follow-up"
    SURVEY_SETTINGS = "survey settings"

    @property
    def zh(self) -> str:
        return _ENTITY_ZH[self]


_ENTITY_ZH: dict[Entity, str] = {
    Entity.MACHINE_CLIENT: "对接系统",
    Entity.SCHOOL: "学校",
    Entity.SCHOOL_CLASS: "班级",
    Entity.USER: "用户",
    Entity.TEACHING_ASSIGNMENT: "任课安排",
    Entity.STUDENT: "学生",
    Entity.GUARDIAN_LINK: "监护关系",
    Entity.TEMPLATE: "模板",
    Entity.COLLECTION_TASK: "数据上报任务",
    Entity.SUBMISSION: "上报",
    Entity.RECORD: "记录",
    Entity.CORRECTION: "纠错",
    Entity.AUDIT_EVENT: "审计事件",
    Entity.NOTIFICATION: "提醒发送记录",
    Entity.REMINDER_SETTINGS: "提醒设置",
    Entity.SCHOOL_CALENDAR: "校历",
    Entity.STATISTIC: "统计",
    Entity.WARNING_RULES: "预警规则",
    Entity.ROSTER_IMPORT: "名册导入",
    Entity.QUALITY_ENTRY: "写实记录",
    Entity.ATTACHMENT: "附件",
    Entity.OBJECTION: "异议",
    Entity.QUALITY_SETTINGS: "综评设置",
    Entity.HEARTBEAT: "定时运行记录",
    Entity.FAULT_REPORT: "报修",
    Entity.SURVEY: "满意度调查",
    Entity.SURVEY_ANSWER: "评价",
    Entity.SURVEY_FOLLOW_UP: "差评跟进",
    Entity.SURVEY_SETTINGS: "满意度调查设置",
}
