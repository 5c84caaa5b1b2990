"""What a file is, decided from its bytes (never from its name or declared content type)."""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum
from typing import Final

from shared.error_codes import ErrorCode
from shared.exceptions import FileRejected

OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC: Final = b"PK\x03\x04"
EMPTY_ZIP_MAGIC: Final = b"PK\x05\x06"

# Well-known binary formats people upload by mistake, with the name a teacher recognises.
_OTHER_MAGIC: Final = (
    (b"%PDF", "PDF 文档"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"BM", "BMP 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"{\\rtf", "RTF 文档"),
    (b"<!DOCTYPE html", "网页文件"),
    (b"<html", "网页文件"),
)

# Parts that tell an Office Open XML package apart.
_OOXML_KINDS: Final = (
    ("word/document.xml", "Word 文档（.docx）"),
    ("ppt/presentation.xml", "PowerPoint 演示文稿（.pptx）"),
)


class FileKind(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    XLS = "xls"


def sniff(data: bytes) -> FileKind:
    """Classify `data`, or raise FileRejected saying what it is instead."""
    blank = b" \t\r\n\x00"
    if not data[:65536].strip(blank) and not data.strip(blank):  # the full scan only if needed
        raise FileRejected(ErrorCode.FILE_EMPTY)
    head = data[:16]
    if head.startswith(ZIP_MAGIC) or head.startswith(EMPTY_ZIP_MAGIC):
        return _sniff_zip(data)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    for magic, name in _OTHER_MAGIC:
        if head.lower().startswith(magic.lower()):
            raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected=name)
    if _looks_binary(data[:8192]):
        raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected="无法识别的二进制文件")
    return FileKind.CSV


def _sniff_zip(data: bytes) -> FileKind:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="压缩结构损坏") from exc
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names:
            raise FileRejected(
                ErrorCode.FILE_NOT_SPREADSHEET, detected="Excel 二进制工作簿（.xlsb）"
            )
        return FileKind.XLSX
    for part, name in _OOXML_KINDS:
        if part in names:
            raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected=name)
    raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected="ZIP 压缩包")


def _sniff_ole(data: bytes) -> FileKind:
    """OLE2 compound files hold legacy .xls workbooks, .doc files, and encrypted .xlsx."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except (OSError, ValueError) as exc:
        raise FileRejected(ErrorCode.FILE_CORRUPT, detail="复合文档结构损坏") from exc
    with ole:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    if {"EncryptionInfo", "EncryptedPackage"} & streams:
        raise FileRejected(ErrorCode.FILE_ENCRYPTED)
    if {"Workbook", "Book"} & streams:
        return FileKind.XLS
    if "WordDocument" in streams:
        raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected="Word 文档（.doc）")
    raise FileRejected(ErrorCode.FILE_NOT_SPREADSHEET, detected="Office 复合文档")


def _looks_binary(head: bytes) -> bool:
    """NUL bytes mean binary, unless the text is UTF-16 (every other byte NUL for ASCII)."""
    if b"\x00" not in head:
        return False
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return False
    even, odd = head[0::2], head[1::2]
    return not (odd.count(0) > 0.3 * len(odd) or even.count(0) > 0.3 * len(even))
