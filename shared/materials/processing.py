"""Turn one uploaded material's bytes into what may be served, or refuse it with a Chinese reason.

Pure Python, no AWS: the ``materials`` function reads the object, calls :func:`process`, and
stores what it returns. The type comes from the bytes, never from a name. Photos are decoded
under a pixel-count guard, turned upright, stripped of every piece of metadata and re-encoded as
JPEG, so the bytes a student uploaded are never the bytes anyone is served. PDFs and MP4 clips
pass through unchanged once checked.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from PIL import Image, ImageCms, ImageOps

from shared.materials.kinds import MaterialKind, RefusalCode
from shared.materials.limits import MIB, MaterialLimits

SERVED_MEDIA_TYPE = "image/jpeg"
# JPEG rather than WebP: every browser, WeChat's web view and print-to-PDF (the 纪实报告) show it;
# at 1920 px and quality 82 a phone photo is already a few hundred KB.
JPEG_QUALITY = 82
PDF_TAIL_BYTES = 1024


@dataclass(frozen=True, slots=True)
class Rendition:
    """Bytes that may be served, with their media type and (for images) their size in pixels."""

    body: bytes
    media_type: str
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True, slots=True)
class Processed:
    """A material accepted: ``served`` (and a photo's ``thumbnail``) is all that is ever served."""

    kind: MaterialKind
    detected: str  # what the bytes are, e.g. "JPEG", "HEIF", "PDF", "MP4"
    original_size: int
    served: Rendition
    thumbnail: Rendition | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    """A material refused; ``reason`` is shown to the student as is."""

    code: RefusalCode
    reason: str


# --- What the bytes are -------------------------------------------------------------------------

_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1"}
)
_OTHER_FTYP = {
    b"qt  ": "QuickTime 视频（MOV）",
    b"avif": "AVIF 图像",
    b"avis": "AVIF 图像",
    b"M4A ": "M4A 音频",
    b"3gp4": "3GP 视频",
    b"3gp5": "3GP 视频",
    b"crx ": "佳能 RAW 照片",
}
# Magic numbers of what students (or attackers) commonly send instead; only used to name a refusal.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "Windows 可执行文件"),
    (b"\x7fELF", "Linux 可执行文件"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行文件"),
    (b"\xca\xfe\xba\xbe", "macOS 可执行文件"),
    (b"#!", "脚本文件"),
    (b"PK\x03\x04", "ZIP 压缩包（或 Office 文档）"),
    (b"PK\x05\x06", "ZIP 压缩包"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"\xd0\xcf\x11\xe0", "Office 97-2003 文档"),
    (b"GIF8", "GIF 图像"),
    (b"BM", "BMP 图像"),
    (b"II*\x00", "TIFF 图像"),
    (b"MM\x00*", "TIFF 图像"),
    (b"{\\rtf", "RTF 文档"),
    (b"%!PS", "PostScript 文件"),
)


@dataclass(frozen=True, slots=True)
class _Sniffed:
    name: str  # "JPEG", "PNG", "HEIF", "PDF", "MP4", or a Chinese description of anything else
    kind: MaterialKind | None  # None: not accepted


def _sniff(data: bytes) -> _Sniffed:
    if data.startswith(b"\xff\xd8\xff"):
        return _Sniffed("JPEG", MaterialKind.PHOTO)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _Sniffed("PNG", MaterialKind.PHOTO)
    if data.startswith(b"%PDF-"):
        return _Sniffed("PDF", MaterialKind.PDF)
    if data[4:8] == b"ftyp":
        return _sniff_ftyp(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return _Sniffed("WebP 图像", None)
    head = data[:256].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml")):
        return _Sniffed("网页或 XML/SVG 文件", None)
    for magic, name in _KNOWN_OTHERS:
        if data.startswith(magic):
            return _Sniffed(name, None)
    return _Sniffed("未知类型", None)


def _sniff_ftyp(data: bytes) -> _Sniffed:
    (box_size,) = struct.unpack(">I", data[:4])
    if box_size < 16 or box_size > len(data):
        return _Sniffed("未知类型", None)
    major = data[8:12]
    brands = {major} | {data[i : i + 4] for i in range(16, box_size - 3, 4)}
    if major in _HEIF_BRANDS:
        return _Sniffed("HEIF", MaterialKind.PHOTO)
    if major in _MP4_BRANDS:
        return _Sniffed("MP4", MaterialKind.VIDEO)
    if major in _OTHER_FTYP:
        return _Sniffed(_OTHER_FTYP[major], None)
    if brands & {b"mif1", b"msf1"}:
        return _Sniffed("HEIF", MaterialKind.PHOTO)
    if brands & _MP4_BRANDS:
        return _Sniffed("MP4", MaterialKind.VIDEO)
    return _Sniffed("未知的 ISO 媒体文件", None)


# --- Processing ---------------------------------------------------------------------------------


def process(data: bytes, limits: MaterialLimits) -> Processed | Refused:
    """What may be served for one uploaded material, or why it is refused.

    A photo is served only as a fresh JPEG (long side ≤ ``limits.output_long_side``) and a
    thumbnail, without any metadata; a PDF or MP4 passes through unchanged once checked.
    """
    sniffed = _sniff(data)
    if sniffed.kind is None:
        return Refused("unsupported_type", f"不支持的文件类型：{sniffed.name}")
    cap = {
        MaterialKind.PHOTO: limits.max_photo_bytes,
        MaterialKind.PDF: limits.max_pdf_bytes,
        MaterialKind.VIDEO: limits.max_video_bytes,
    }[sniffed.kind]
    if len(data) > cap:
        return Refused(
            "too_large",
            f"文件过大：{_mib(len(data))}，{_KIND_NAMES[sniffed.kind]}不能超过 {_mib(cap)}",
        )
    if sniffed.kind is MaterialKind.PHOTO:
        return _process_photo(data, sniffed.name, limits)
    if sniffed.kind is MaterialKind.PDF:
        return _check_pdf(data)
    return _check_mp4(data)


_KIND_NAMES = {MaterialKind.PHOTO: "照片", MaterialKind.PDF: "PDF 文件", MaterialKind.VIDEO: "视频"}


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MB"


def _too_many_pixels(limits: MaterialLimits) -> Refused:
    return Refused(
        "too_many_pixels",
        f"图片像素过多（超过 {limits.max_pixels // 1_000_000} 百万像素），无法处理，"
        "请压缩或截图后重新上传",
    )


_UNDECODABLE = Refused("undecodable", "图片已损坏或格式异常，无法读取，请重新拍摄或导出后上传")


@lru_cache(maxsize=1)
def _register_heif() -> None:
    # Registered on first use, not at import: importing this module must stay cheap.
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _process_photo(data: bytes, fmt: str, limits: MaterialLimits) -> Processed | Refused:
    if fmt == "HEIF":
        _register_heif()
    try:
        with warnings.catch_warnings():
            # Pillow's own guard warns past MAX_IMAGE_PIXELS and raises past twice that.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Lazy: only the header is read here, so the size is known before any decoding.
            with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
                width, height = opened.size
                if width * height > limits.max_pixels:
                    return _too_many_pixels(limits)
                if fmt == "JPEG":
                    # Decode at 1/2, 1/4 or 1/8 scale when the output is that much smaller:
                    # a 12 MP photo then never exists in memory at full size.
                    opened.draft("RGB", _fit((width, height), limits.output_long_side))
                opened.load()
                # Down to the served size first (in place): turning, colour conversion and
                # flattening then work on at most 1920 px, never on a full-size copy.
                opened.thumbnail((limits.output_long_side,) * 2, Image.Resampling.LANCZOS)
                image = _upright_srgb(opened)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return _too_many_pixels(limits)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, MemoryError):
        return _UNDECODABLE

    image.thumbnail((limits.output_long_side,) * 2, Image.Resampling.LANCZOS)
    served = _encode(image)
    small = image.copy()
    small.thumbnail((limits.thumbnail_long_side,) * 2, Image.Resampling.LANCZOS)
    return Processed(
        kind=MaterialKind.PHOTO,
        detected=fmt,
        original_size=len(data),
        served=served,
        thumbnail=_encode(small),
    )


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _upright_srgb(image: Image.Image) -> Image.Image:
    """The image turned per its EXIF orientation, in 8-bit sRGB, with no metadata at all."""
    upright = ImageOps.exif_transpose(image)
    icc = image.info.get("icc_profile")
    if icc and upright.mode in ("RGB", "CMYK"):
        try:
            converted = ImageCms.profileToProfile(
                upright,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
            if converted is not None:
                upright = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: treat the pixels as sRGB
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        # Transparent areas become white, as they look on a page.
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    clean = upright.convert("RGB") if upright.mode != "RGB" else upright.copy()
    # Pillow's encoders fall back on ``info`` for some fields (the JPEG comment, for one):
    # nothing of the original may travel with the pixels.
    clean.info = {}
    return clean


def _encode(image: Image.Image) -> Rendition:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Rendition(out.getvalue(), SERVED_MEDIA_TYPE, image.width, image.height)


# --- PDF ----------------------------------------------------------------------------------------

# Names that make a PDF do something when opened, or carry other files, looked for in the
# file's own bytes and inside its Flate-compressed streams (object streams hide objects there);
# a stream compressed otherwise cannot be checked, and the PDF is refused (see
# docs/materials.md). #xx escapes in names are decoded first.
_UNSAFE_PDF_NAMES = {
    b"JavaScript": "含有 JavaScript 脚本",
    b"JS": "含有 JavaScript 脚本",
    b"Launch": "含有启动外部程序的动作",
    b"EmbeddedFile": "含有嵌入的附件",
    b"EmbeddedFiles": "含有嵌入的附件",
    b"RichMedia": "含有富媒体（Flash 等）内容",
}
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A stream: its dictionary's end, then its bytes up to `endstream`.
_PDF_STREAM = re.compile(rb">>\s*stream\r?\n(.*?)endstream", re.DOTALL)
# Filters a PDF writer uses for object streams besides Flate; their content cannot be read here.
_UNREADABLE_FILTERS = (b"/LZWDecode", b"/ASCII85Decode", b"/ASCIIHexDecode", b"/RunLengthDecode")
# What all of a PDF's decompressed streams may add up to (a compressed bomb is refused).
_PDF_INFLATED_MAX = 64 * MIB
_PDF_UNCHECKABLE = Refused(
    "unsafe_pdf", "PDF 文件的内容无法完成安全检查，请另存或打印为 PDF 后重试"
)


def _check_pdf(data: bytes) -> Processed | Refused:
    if b"%%EOF" not in data[-PDF_TAIL_BYTES:]:
        return Refused("not_pdf", "PDF 文件不完整或不是真正的 PDF，请重新导出后上传")
    plain = _unescaped(data)
    if b"/ObjStm" in plain and any(f in plain for f in _UNREADABLE_FILTERS):
        return _PDF_UNCHECKABLE
    unsafe = _unsafe_name(data)
    budget = _PDF_INFLATED_MAX
    for match in _PDF_STREAM.finditer(data) if unsafe is None else ():
        if _is_image(data, match.start()):
            continue  # pixels (a scanned certificate): large, and nothing in them acts
        inflated = _inflate(match.group(1), budget)
        if inflated is None:
            continue  # not Flate (an image's DCT, say): nothing that acts lives there
        if len(inflated) >= budget:
            return _PDF_UNCHECKABLE
        budget -= len(inflated)
        unsafe = _unsafe_name(inflated)
        if unsafe is not None:
            break
    if unsafe is not None:
        return Refused(
            "unsafe_pdf",
            f"PDF 文件{_UNSAFE_PDF_NAMES[unsafe]}，出于安全原因不能上传，请另存或打印为 PDF 后重试",
        )
    return Processed(
        kind=MaterialKind.PDF,
        detected="PDF",
        original_size=len(data),
        served=Rendition(data, "application/pdf"),
    )


def _unsafe_name(data: bytes) -> bytes | None:
    for match in _PDF_NAME.finditer(data):
        name = _unescaped(match.group(1))
        if name in _UNSAFE_PDF_NAMES:
            return name
    return None


def _is_image(data: bytes, stream_at: int) -> bool:
    """Whether the stream whose dictionary ends at `stream_at` is an image XObject (and not
    an object stream dressed as one: a reader would still read the objects in it)."""
    head = data[max(0, stream_at - 2048) : stream_at]
    own = _unescaped(head[head.rfind(b"obj") + 3 :] if b"obj" in head else head)
    return _IMAGE_SUBTYPE.search(own) is not None and b"/ObjStm" not in own


def _unescaped(names: bytes) -> bytes:
    """The bytes with the #xx escapes of PDF names decoded (/Obj#53tm is /ObjStm)."""
    return _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), names)


_IMAGE_SUBTYPE = re.compile(rb"/Subtype\s*/Image\b")


def _inflate(stream: bytes, limit: int) -> bytes | None:
    """A Flate stream's content, at most `limit` bytes of it; None if it is not Flate."""
    inflater = zlib.decompressobj()
    try:
        return inflater.decompress(stream, limit)
    except zlib.error:
        return None


# --- MP4 ----------------------------------------------------------------------------------------


# Boxes whose children are walked for metadata: the movie, its tracks, and a track's media
# (a phone writes its location in moov/udta, moov/meta or a track's udta/meta).
_MP4_CONTAINERS: Final = frozenset({b"moov", b"trak", b"mdia", b"minf", b"edts"})
# Metadata boxes: user data (©xyz: the location, ©day, the device), QuickTime/iTunes metadata
# (com.apple.quicktime.location.ISO6709, make, model), XMP. (uuid boxes stay: codecs use them.)
_MP4_METADATA: Final = frozenset({b"udta", b"meta", b"XMP_"})

Box = tuple[bytes, int, int, int]  # type, offset, header size, size


def _boxes(data: bytes | bytearray, start: int, end: int) -> list[Box] | None:
    """The boxes tiling data[start:end] exactly, or None when they do not (a broken file, or
    bytes trailing its boxes)."""
    boxes = []
    offset = start
    while offset < end:
        if end - offset < 8:
            return None
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:  # 64-bit size follows the type
            if end - offset < 16:
                return None
            (size,) = struct.unpack_from(">Q", data, offset + 8)
            header = 16
        elif size == 0:  # the last box runs to the end of its parent
            size = end - offset
        if size < header or offset + size > end:
            return None
        boxes.append((kind, offset, header, size))
        offset += size
    return boxes


def _check_mp4(data: bytes) -> Processed | Refused:
    """An MP4 whose top-level boxes tile the file exactly (nothing trails them), served with
    its metadata blanked: each metadata box inside the movie and its tracks becomes a `free`
    box of the same size, zeroed. Nothing moves, so the sample tables' chunk offsets (stco,
    co64) still point at the same media bytes; players skip `free` boxes."""
    top = _boxes(data, 0, len(data))
    if top is None:
        return _BROKEN_VIDEO
    served = bytearray(data)
    for kind, offset, header, size in top:
        if kind == b"moov":
            _blank_metadata(served, offset + header, offset + size)
    return Processed(
        kind=MaterialKind.VIDEO,
        detected="MP4",
        original_size=len(data),
        served=Rendition(bytes(served), "video/mp4"),
    )


def _blank_metadata(data: bytearray, start: int, end: int) -> None:
    children = _boxes(data, start, end)
    if children is None:  # a container that does not parse: left as players would read it
        return
    for kind, offset, header, size in children:
        if kind in _MP4_METADATA:
            data[offset + 4 : offset + 8] = b"free"
            data[offset + header : offset + size] = bytes(size - header)
        elif kind in _MP4_CONTAINERS:
            _blank_metadata(data, offset + header, offset + size)


_BROKEN_VIDEO = Refused("undecodable", "视频文件结构不完整或已损坏，请重新导出为 MP4 后上传")
