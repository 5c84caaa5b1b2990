"""Refuse hostile XLSX packages before any parser sees them (R15, R16).

A workbook is a ZIP of XML parts. Before calamine reads it we check, from the central directory
and by inflating each part ourselves in bounded chunks:

* the number of parts, their declared total size and each large part's inflate ratio (bombs);
* that each part inflates to exactly its declared size (a lying header is a bomb too);
* that no XML part declares a DOCTYPE or entities (billion laughs, XXE);
* that no worksheet addresses a cell beyond the row and column limits. calamine builds a dense
  grid spanning the highest row and column it meets, so one cell at XFD1048576 would ask for
  17 billion cells; we refuse that before it can happen.

Inflating costs a fraction of parsing (zlib runs at hundreds of MB/s), and it is the only check
that does not trust the attacker's own numbers.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import Final

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected
from shared.settings import IngestLimits
from shared.text import column_letter

_CHUNK: Final = 1 << 20
_PROLOG_LIMIT: Final = 1 << 16  # the root element must start within the first 64 KiB
_RATIO_FLOOR: Final = 1 << 20  # the ratio check applies to parts that inflate beyond 1 MiB
_LOCAL_HEADER: Final = struct.Struct("<4s5H3I2H")
_DECLARATION: Final = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_BIG_ROW: Final = re.compile(rb'\br="[A-Z]{0,3}(\d{7,})"')


def check_xlsx(data: bytes, limits: IngestLimits) -> None:
    """Raise FileRejected if the package is a bomb, declares XML entities, or is too large."""
    archive = _open(data)
    infos = archive.infolist()
    if len(infos) > limits.max_zip_entries:
        raise _bomb(f"包含 {len(infos)} 个内部文件")
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_uncompressed_bytes:
        raise _bomb(f"解压后将达到 {declared // (1 << 20)} MB")
    too_far = _beyond_columns_pattern(limits.max_columns)
    for info in infos:
        if info.is_dir():
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise _bomb(f"压缩比高达 {ratio:.0f} 倍")
        _scan_part(data, info, limits, too_far)


def _scan_part(
    data: bytes, info: zipfile.ZipInfo, limits: IngestLimits, too_far: re.Pattern[bytes]
) -> None:
    """Inflate one part: XML parts must not declare entities, worksheets must stay in bounds."""
    name = info.filename
    is_sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
    is_xml = is_sheet or name.endswith((".xml", ".rels", ".vml"))
    rows, tail, prolog, prolog_done = 0, b"", b"", not is_xml
    for chunk in _inflate(data, info):
        if not prolog_done:
            prolog += chunk
            prolog_done = _check_prolog(prolog, name)
        if is_sheet:
            window = tail + chunk
            rows += chunk.count(b"<row ") + chunk.count(b"<row>")
            if _BIG_ROW.search(window) or rows > limits.max_rows + limits.header_search_rows:
                raise FileRejected(ErrorCode.FILE_TOO_MANY_ROWS, limit=limits.max_rows)
            if too_far.search(window):
                raise FileRejected(ErrorCode.FILE_TOO_MANY_COLUMNS, limit=limits.max_columns)
            tail = window[-64:]
    if not prolog_done:
        _check_prolog(prolog, name, final=True)


def _open(data: bytes) -> zipfile.ZipFile:
    import io

    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏") from exc


def _bomb(detail: str) -> FileRejected:
    return FileRejected(ErrorCode.FILE_ZIP_BOMB, detail=detail)


def _check_prolog(prolog: bytes, part: str, *, final: bool = False) -> bool:
    """True once the root element has started with no DOCTYPE before it; raise on a DOCTYPE."""
    root = _root_start(prolog)
    head = prolog if root is None else prolog[:root]
    if _DECLARATION.search(head):
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    if root is not None or final:
        return True
    if len(prolog) > _PROLOG_LIMIT:
        raise FileRejected(ErrorCode.FILE_XML_ENTITY, part=part)
    return False


def _root_start(xml: bytes) -> int | None:
    """Offset of the first element tag (a '<' not followed by '?' or '!'), if seen yet."""
    pos = 0
    while True:
        pos = xml.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(xml):
            return None
        if xml[pos + 1] not in b"?!":
            return pos
        pos += 1


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Yield the part's bytes in chunks, stopping at its declared size; raise if it lies."""
    start = _data_offset(data, info)
    payload = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise _bomb("内部文件大小不一致")
        for offset in range(0, len(payload), _CHUNK):
            yield bytes(payload[offset : offset + _CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="使用了不支持的压缩方式")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    produced = 0
    pending = bytes(payload)
    try:
        while pending and not inflater.eof:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            produced += len(chunk)
            if produced > info.file_size:
                raise _bomb("内部文件实际大小超过声明")
            yield chunk
    except zlib.error as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩数据损坏") from exc
    if produced != info.file_size:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="内部文件不完整")


def _data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    header = data[info.header_offset : info.header_offset + _LOCAL_HEADER.size]
    if len(header) != _LOCAL_HEADER.size:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏")
    name_length, extra_length = int(fields[-2]), int(fields[-1])
    return info.header_offset + _LOCAL_HEADER.size + name_length + extra_length


def _beyond_columns_pattern(max_columns: int) -> re.Pattern[bytes]:
    """A regex matching any cell reference whose column is past `max_columns` (1 ≤ max ≤ 702)."""
    last = column_letter(min(max_columns, 702) - 1)
    alternatives = [r"[A-Z]{4}", r"[A-Z]{3}"]
    if len(last) == 1:
        alternatives.append("[A-Z]{2}")
        if last != "Z":
            alternatives.append(f"[{chr(ord(last) + 1)}-Z]")
    else:
        first, second = last[0], last[1]
        if first != "Z":
            alternatives.append(f"[{chr(ord(first) + 1)}-Z][A-Z]")
        if second != "Z":
            alternatives.append(f"{first}[{chr(ord(second) + 1)}-Z]")
    return re.compile(rb'<c r="(?:' + "|".join(alternatives).encode() + rb")\d")
