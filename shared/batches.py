"""A JSON batch's envelope: `{"term", "school_id", "class_id", "task_id"?, "records": [...]}`,
and an NDJSON upload's records (one a line; its envelope is its submission's).

Reading it needs nothing but `json`, so the API checks a machine client's batch while the
client waits (size, JSON, shape) without the engine's numpy and pyarrow, which its package does
not carry. The records themselves are the engine's (`shared.ingest.json_reader`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.settings import IngestLimits, ingest_limits

_WHITESPACE: Final = b" \t\r\n"


@dataclass(frozen=True, slots=True)
class RecordBatch:
    """A batch's body as sent: the records (each still any JSON value) and what it is for."""

    records: list[Any]
    term: str | None = None
    school_id: str | None = None
    class_id: str | None = None
    task_id: str | None = None


def looks_like_batch(data: bytes) -> bool:
    """Whether a file is a JSON batch rather than a spreadsheet: its first character (after a
    BOM and blanks) opens a JSON object, which no template's header does."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip(_WHITESPACE)[:1] == b"{"


def parse_batch(data: bytes, limits: IngestLimits | None = None) -> RecordBatch:
    """A batch's body, checked for size and shape; raises FileRejected with what is wrong."""
    limits = limits or ingest_limits()
    if len(data) > limits.max_json_bytes:
        raise FileRejected(
            ErrorCode.JSON_TOO_LARGE, size=_mib(len(data)), limit=_mib(limits.max_json_bytes)
        )
    try:
        body = json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FileRejected(
            ErrorCode.JSON_INVALID, line=exc.lineno, col=exc.colno, detail=exc.msg
        ) from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FileRejected(ErrorCode.JSON_INVALID, line=1, col=1, detail=str(exc)[:100]) from exc
    if not isinstance(body, dict):
        raise _shape("（整个内容）", "一个 JSON 对象", body)
    if "records" not in body:
        raise _shape("/records", "记录的数组", None)
    records = body["records"]
    if not isinstance(records, list):
        raise _shape("/records", "记录的数组", records)
    texts: dict[str, str | None] = {}
    for name in ("term", "school_id", "class_id", "task_id"):
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise _shape(f"/{name}", "字符串", value)
        texts[name] = value
    return RecordBatch(
        records, texts["term"], texts["school_id"], texts["class_id"], texts["task_id"]
    )


def parse_ndjson(data: bytes, limits: IngestLimits | None = None) -> list[Any]:
    """An NDJSON upload's records (`POST /v1/ingest/{template_id}/uploads`): one JSON value a
    line, in order (UTF-8, a BOM allowed; lines end in LF or CRLF). Blank lines are skipped and
    not counted, so a record's index is its place among the non-blank lines. A line that is not
    JSON rejects the whole file (FileRejected NDJSON_LINE_INVALID with its 1-based line number
    in the file, blank lines counted); a line that is JSON but not an object is passed on as a
    record (the reader's JSON_RECORD_NOT_OBJECT). More than `max_rows` records is
    FILE_TOO_MANY_ROWS. The file's size is the caller's to bound (`max_file_bytes`)."""
    limits = limits or ingest_limits()
    records: list[Any] = []
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip(_WHITESPACE):
            continue
        if len(records) == limits.max_rows:
            raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=limits.max_rows)
        try:
            records.append(json.loads(line.decode(), parse_constant=_no_constant))
        except json.JSONDecodeError as exc:
            raise FileRejected(
                ErrorCode.NDJSON_LINE_INVALID, line=number, col=exc.colno, detail=exc.msg
            ) from exc
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise FileRejected(
                ErrorCode.NDJSON_LINE_INVALID, line=number, col=1, detail=str(exc)[:100]
            ) from exc
    return records


def kind(value: Any) -> str:
    """What a JSON value is, in the words of the messages."""
    if value is None:
        return "空值 null"
    if isinstance(value, bool):
        return f"布尔值 {'true' if value else 'false'}"
    if isinstance(value, dict):
        return "对象"
    if isinstance(value, list):
        return "数组"
    if isinstance(value, str):
        return "字符串"
    return "数字"


def _shape(pointer: str, expected: str, actual: Any) -> FileRejected:
    actual_text = "缺失" if actual is None and pointer == "/records" else kind(actual)
    return FileRejected(
        ErrorCode.JSON_BATCH_SHAPE, pointer=pointer, expected=expected, actual=actual_text
    )


def _no_constant(name: str) -> None:
    raise ValueError(f"JSON 不允许 {name}")


def _mib(size: int) -> str:
    return f"{size / (1 << 20):.1f} MB"
