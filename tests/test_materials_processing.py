"""The processing core of students' materials: only re-encoded, metadata-free images are served.

Every input is built here with Pillow (no binary fixtures).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image, ImageFile
from PIL.PngImagePlugin import PngInfo

from shared.materials.kinds import MaterialKind
from shared.materials.limits import MaterialLimits
from shared.materials.processing import Processed, Refused, process

LIMITS = MaterialLimits()
GPS_IFD = 0x8825
ORIENTATION = 0x0112
SHANGHAI_GPS = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 10.0)}


# --- Builders -----------------------------------------------------------------------------------


def _photo(size: tuple[int, int]) -> Image.Image:
    """A photo-like image (noise over colour) that does not compress to nothing."""
    noise = Image.effect_noise(size, 40)
    return Image.merge(
        "RGB",
        (
            noise,
            Image.linear_gradient("L").resize(size),
            noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        ),
    )


def _jpeg(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", **params)
    return out.getvalue()


def _png(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", **params)
    return out.getvalue()


def _exif_with_gps(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Apple"  # Make
    exif[GPS_IFD] = SHANGHAI_GPS
    return exif.tobytes()


def _with_declared_size(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR claiming another size (and a valid CRC): a decompression bomb."""
    assert png[12:16] == b"IHDR"
    ihdr = b"IHDR" + struct.pack(">II", width, height) + png[24:29]
    return png[:8] + png[8:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + png[33:]


def _mp4(payload_size: int) -> bytes:
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isom" + b"mp41"
    return ftyp + struct.pack(">I4s", 8 + payload_size, b"mdat") + b"\x00" * payload_size


def _pdf(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R"
        + body
        + b">>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def _accepted(result: Processed | Refused) -> Processed:
    assert isinstance(result, Processed), result
    return result


def _refused(result: Processed | Refused) -> Refused:
    assert isinstance(result, Refused), result
    return result


def _read_back(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def _assert_no_metadata(body: bytes) -> None:
    image = _read_back(body)
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert "exif" not in image.info
    assert "xmp" not in image.info
    assert "icc_profile" not in image.info
    assert "comment" not in image.info
    assert b"Exif\x00\x00" not in body


# --- Photos -------------------------------------------------------------------------------------


def test_exif_and_gps_are_gone_and_the_photo_is_upright() -> None:
    # Given a landscape-stored phone photo (red on top) whose EXIF says "rotate 90° clockwise",
    # with the school's GPS position in it
    stored = _photo((4032, 3024))
    stored.paste((255, 0, 0), (0, 0, 4032, 1512))
    data = _jpeg(stored, quality=92, exif=_exif_with_gps(orientation=6), comment=b"home address")
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)  # the input does carry GPS

    # When it is processed
    result = _accepted(process(data, LIMITS))

    # Then neither the served image nor the thumbnail has any metadata
    assert result.thumbnail is not None
    for rendition in (result.served, result.thumbnail):
        assert rendition.media_type == "image/jpeg"
        _assert_no_metadata(rendition.body)
        assert b"home address" not in rendition.body
    # and it is portrait, turned so that what was the top (red) is now on the right
    served = _read_back(result.served.body)
    assert served.size == (1440, 1920) == (result.served.width, result.served.height)
    red_right = served.getpixel((1400, 960))
    other_left = served.getpixel((40, 960))
    assert isinstance(red_right, tuple)
    assert isinstance(other_left, tuple)
    assert red_right[0] > 200
    assert red_right[1] < 60
    assert other_left[0] < 200 or other_left[1] > 60
    thumb = _read_back(result.thumbnail.body)
    assert max(thumb.size) == 320
    assert thumb.width < thumb.height


def test_a_12_megapixel_photo_is_processed_and_gets_much_smaller() -> None:
    # Given a 12 MP phone photo
    data = _jpeg(_photo((4000, 3000)), quality=92)

    # When it is processed
    result = _accepted(process(data, LIMITS))

    # Then the served copy is 1920 px on its long side and a fraction of the original's bytes
    assert result.kind is MaterialKind.PHOTO
    assert result.detected == "JPEG"
    assert (result.served.width, result.served.height) == (1920, 1440)
    assert result.original_size == len(data)
    assert result.served.size < len(data) / 3
    assert result.thumbnail is not None
    assert (result.thumbnail.width, result.thumbnail.height) == (320, 240)
    assert result.thumbnail.size < result.served.size


def test_png_text_chunks_with_a_fake_position_are_gone() -> None:
    # Given a PNG whose text chunks carry a position and a comment
    info = PngInfo()
    info.add_text("GPS", "31.230416,121.473701")
    info.add_itxt("Comment", "家庭住址：某某路 1 号")
    info.add_text("XML:com.adobe.xmp", "<x:xmpmeta>secret</x:xmpmeta>")
    data = _png(_photo((800, 600)), pnginfo=info)
    assert Image.open(io.BytesIO(data)).info["GPS"]

    # When it is processed
    result = _accepted(process(data, LIMITS))

    # Then none of it reaches the served bytes
    assert result.detected == "PNG"
    assert result.thumbnail is not None
    for rendition in (result.served, result.thumbnail):
        _assert_no_metadata(rendition.body)
        for secret in (b"31.230416", "某某路".encode(), b"xmpmeta", b"GPS"):
            assert secret not in rendition.body


def test_a_transparent_png_is_served_on_white() -> None:
    data = _png(Image.new("RGBA", (50, 40), (0, 0, 0, 0)))

    result = _accepted(process(data, LIMITS))

    served = _read_back(result.served.body)
    assert served.mode == "RGB"
    pixel = served.getpixel((25, 20))
    assert isinstance(pixel, tuple)
    assert min(pixel) > 245


def test_heic_is_decoded_and_served_as_a_clean_jpeg() -> None:
    # Given an HEIC photo with GPS in its EXIF, as an iPhone takes them
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    try:
        _photo((1024, 768)).save(out, format="HEIF", quality=90, exif=_exif_with_gps())
    except (KeyError, OSError, RuntimeError, ValueError) as exc:  # pragma: no cover
        pytest.skip(f"libheif here has no HEVC (x265) encoder to build an HEIC: {exc}")
    data = out.getvalue()
    assert data[4:12] == b"ftypheic"

    # When it is processed
    result = _accepted(process(data, LIMITS))

    # Then it is served as a JPEG of the same size, without EXIF or GPS
    assert result.detected == "HEIF"
    assert (result.served.width, result.served.height) == (1024, 768)
    _assert_no_metadata(result.served.body)


def test_a_truncated_photo_is_refused() -> None:
    data = _jpeg(_photo((640, 480)))

    refused = _refused(process(data[: len(data) // 2], LIMITS))

    assert refused.code == "undecodable"
    assert "无法读取" in refused.reason


# --- Decompression bombs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(8000, 6000, id="48MP-over-our-limit"),
        pytest.param(30000, 30000, id="900MP-over-pillows-own-limit"),
    ],
)
def test_a_decompression_bomb_is_refused_before_decoding(
    width: int, height: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tiny PNG file that declares a huge image
    bomb = _with_declared_size(_png(Image.new("1", (8, 8))), width, height)
    assert len(bomb) < 200
    assert struct.unpack(">II", bomb[16:24]) == (width, height)
    # and a decoder that must never run
    decoded: list[bool] = []

    def load(self: ImageFile.ImageFile) -> None:
        decoded.append(True)
        raise AssertionError("decoded a decompression bomb")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)

    # When it is processed
    refused = _refused(process(bomb, LIMITS))

    # Then it is refused for its pixel count, without having been decoded
    assert refused.code == "too_many_pixels"
    assert "像素过多" in refused.reason
    assert decoded == []


def test_the_pixel_limit_is_the_districts() -> None:
    data = _jpeg(_photo((1000, 1000)))

    refused = _refused(process(data, MaterialLimits(max_pixels=999_999)))

    assert refused.code == "too_many_pixels"
    assert isinstance(process(data, MaterialLimits(max_pixels=1_000_000)), Processed)


# --- Polyglots ----------------------------------------------------------------------------------


def test_a_jpeg_with_a_zip_appended_is_served_without_the_zip() -> None:
    # Given a JPEG with a ZIP archive glued on (a valid image and a valid archive at once)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    data = _jpeg(_photo((640, 480))) + archive.getvalue()
    assert zipfile.is_zipfile(io.BytesIO(data))

    # When it is processed
    result = _accepted(process(data, LIMITS))

    # Then what is served is only the re-encoded image
    assert result.thumbnail is not None
    for rendition in (result.served, result.thumbnail):
        assert b"PK\x03\x04" not in rendition.body
        assert b"<script>" not in rendition.body
        assert not zipfile.is_zipfile(io.BytesIO(rendition.body))
        assert rendition.body.endswith(b"\xff\xd9")
    assert result.served.body != data[: result.served.size]


def test_a_pdf_header_carrying_html_and_javascript_is_refused() -> None:
    data = _pdf(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>") + b"<html><script>x</script>"
    data += b"\n%%EOF\n"

    refused = _refused(process(data, LIMITS))

    assert refused.code == "unsafe_pdf"
    assert "JavaScript" in refused.reason


# --- Other types --------------------------------------------------------------------------------


def _zip_bytes() -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("photo.jpg", b"not really")
    return archive.getvalue()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "可执行文件", id="exe"),
        pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "可执行文件", id="elf"),
        pytest.param(_zip_bytes(), "ZIP", id="zip"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", "GIF", id="gif"),
        pytest.param(b"<!DOCTYPE html><script>x</script>", "网页", id="html"),
        pytest.param(
            struct.pack(">I4s4sI", 20, b"ftyp", b"qt  ", 0) + b"qt  ", "MOV", id="quicktime"
        ),
        pytest.param(b"just some text", "未知类型", id="text"),
    ],
)
def test_other_types_are_refused_by_what_they_look_like(data: bytes, named: str) -> None:
    # The name a file arrives with plays no part: only its bytes are read.
    refused = _refused(process(data, LIMITS))

    assert refused.code == "unsupported_type"
    assert refused.reason.startswith("不支持的文件类型：")
    assert named in refused.reason


def test_a_photo_over_its_cap_is_refused_before_decoding() -> None:
    data = _jpeg(_photo((640, 480)))

    refused = _refused(process(data, MaterialLimits(max_photo_bytes=len(data) - 1)))

    assert refused.code == "too_large"
    assert "照片不能超过" in refused.reason


# --- PDF ----------------------------------------------------------------------------------------


def test_a_plain_pdf_passes_unchanged() -> None:
    data = _pdf()

    result = _accepted(process(data, LIMITS))

    assert result.kind is MaterialKind.PDF
    assert result.served.body == data
    assert result.served.media_type == "application/pdf"
    assert result.thumbnail is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"/Names<</JavaScript 3 0 R>>", id="javascript"),
        pytest.param(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>", id="openaction-js"),
        pytest.param(b"/AA<</O<</JS 4 0 R>>>>", id="js"),
        pytest.param(b"/J#61vaScript 3 0 R", id="hex-escaped-name"),
        pytest.param(b"/OpenAction<</S/Launch/F(cmd.exe)>>", id="launch"),
        pytest.param(b"/Names<</EmbeddedFiles 5 0 R>>", id="embedded-files"),
        pytest.param(b"/Annots[<</Subtype/RichMedia>>]", id="richmedia"),
    ],
)
def test_a_pdf_that_acts_or_carries_files_is_refused(body: bytes) -> None:
    refused = _refused(process(_pdf(body), LIMITS))

    assert refused.code == "unsafe_pdf"
    assert "不能上传" in refused.reason


def _pdf_with_object_stream(objects: bytes, *, filter_: bytes = b"/FlateDecode") -> bytes:
    """A PDF 1.5 whose catalog's actions live in a compressed object stream, as PDF writers
    pack objects: the names are nowhere in the file's own bytes."""
    packed = zlib.compress(objects) if filter_ == b"/FlateDecode" else objects
    stream = (
        b"3 0 obj<</Type/ObjStm/N 1/First 4/Filter" + filter_
        + b"/Length " + str(len(packed)).encode() + b">>stream\n" + packed + b"\nendstream endobj\n"
    )  # fmt: skip
    return _pdf(b"/OpenAction 4 0 R").replace(b"trailer", stream + b"trailer")


def test_a_pdf_hiding_javascript_in_an_object_stream_is_refused() -> None:
    data = _pdf_with_object_stream(b"4 0 <</S/JavaScript/JS(app.launchURL('x'))>>")
    assert b"JavaScript" not in data  # only compressed

    refused = _refused(process(data, LIMITS))

    assert refused.code == "unsafe_pdf"
    assert "JavaScript" in refused.reason


def test_a_pdf_with_harmless_compressed_streams_passes() -> None:
    data = _pdf_with_object_stream(b"4 0 <</Type/Font/Subtype/Type1/BaseFont/Helvetica>>")

    assert _accepted(process(data, LIMITS)).served.body == data


def test_an_object_stream_dressed_as_an_image_is_still_read() -> None:
    data = _pdf_with_object_stream(b"4 0 <</S/JavaScript/JS(x)>>")
    disguised = data.replace(b"/Type/ObjStm", b"/Type/Obj#53tm/Subtype/Image")

    assert _refused(process(disguised, LIMITS)).code == "unsafe_pdf"


def test_a_pdf_whose_object_streams_cannot_be_read_is_refused() -> None:
    data = _pdf_with_object_stream(b"4 0 <</S/JavaScript>>", filter_=b"/LZWDecode")

    assert _refused(process(data, LIMITS)).code == "unsafe_pdf"


def test_a_pdf_inflating_past_its_budget_is_refused() -> None:
    # A stream of 80 MB of zeros compresses to ~80 KB: checking it must not hold 80 MB
    data = _pdf_with_object_stream(b"\x00" * (80 * 1024 * 1024))
    assert len(data) < 200_000

    assert _refused(process(data, LIMITS)).code == "unsafe_pdf"


def test_a_scanned_pdf_with_large_images_is_not_inflated() -> None:
    # A scanned page: a Flate image of 100 MB of pixels, beyond what streams may inflate to
    pixels = zlib.compress(b"\xff" * (100 * 1024 * 1024))
    image = (
        b"5 0 obj<</Type/XObject/Subtype/Image/Width 10000/Height 3500/BitsPerComponent 8"
        b"/ColorSpace/DeviceRGB/Filter/FlateDecode/Length " + str(len(pixels)).encode()
        + b">>stream\n" + pixels + b"\nendstream endobj\n"
    )  # fmt: skip
    data = _pdf().replace(b"trailer", image + b"trailer")

    assert _accepted(process(data, LIMITS)).served.body == data


def test_a_pdf_without_its_end_is_refused() -> None:
    data = _pdf()[:-7] + b"\n" + b" " * 2000 + b"%%EOF"
    assert isinstance(process(data, LIMITS), Processed)  # %%EOF in the last KB is enough

    refused = _refused(process(_pdf().replace(b"%%EOF", b"") + b" " * 2000, LIMITS))

    assert refused.code == "not_pdf"


def test_a_pdf_over_its_cap_is_refused() -> None:
    data = _pdf()

    refused = _refused(process(data, MaterialLimits(max_pdf_bytes=len(data) - 1)))

    assert refused.code == "too_large"


# --- MP4 ----------------------------------------------------------------------------------------


def test_an_mp4_without_metadata_passes_unchanged() -> None:
    data = _mp4(4096)

    result = _accepted(process(data, LIMITS))

    assert result.kind is MaterialKind.VIDEO
    assert result.detected == "MP4"
    assert result.served.body == data
    assert result.served.media_type == "video/mp4"


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _phone_mp4() -> bytes:
    """A clip laid out as phones write it (fast start: moov before mdat), with its location in
    the movie's user data (©xyz, as Android and QuickTime write it), QuickTime metadata (as an
    iPhone writes it) and a track's user data; stco points at the media in mdat."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isom" + b"mp41"
    location = b"+31.2304+121.4737/"
    udta = _box(b"udta", _box(b"\xa9xyz", struct.pack(">HH", len(location), 0x15C7) + location))
    keys = b"com.apple.quicktime.location.ISO6709"
    meta = _box(b"meta", b"\x00" * 4 + _box(b"keys", keys) + _box(b"ilst", location))
    media = b"\x11" * 512
    mvhd = _box(b"mvhd", b"\x00" * 100)

    def moov(chunk_offset: int) -> bytes:
        stco = _box(b"stco", struct.pack(">III", 0, 1, chunk_offset))
        stbl = _box(b"stbl", stco)
        minf = _box(b"minf", stbl)
        mdia = _box(b"mdia", _box(b"mdhd", b"\x00" * 24) + minf)
        trak = _box(b"trak", _box(b"tkhd", b"\x00" * 84) + mdia + _box(b"udta", location))
        return _box(b"moov", mvhd + trak + udta + meta)

    # Where mdat's payload starts once moov is in place (its size does not depend on it).
    start = len(ftyp) + len(moov(0)) + 8
    return ftyp + moov(start) + _box(b"mdat", media)


def test_an_mp4_is_served_without_its_location_and_its_media_where_it_was() -> None:
    # Given a phone clip with its location in three places
    data = _phone_mp4()
    assert data.count(b"+31.2304+121.4737/") == 3

    result = _accepted(process(data, LIMITS))

    # Then the served clip has no location, no metadata box, and the same length
    served = result.served.body
    assert b"+31.2304+121.4737" not in served
    assert b"com.apple.quicktime" not in served
    assert b"udta" not in served
    assert b"meta" not in served
    assert len(served) == len(data)
    # And the media, the chunk offset and every other box are where they were
    (offset,) = struct.unpack_from(">I", served, served.index(b"stco") + 12)
    assert served[offset : offset + 512] == b"\x11" * 512
    assert served.index(b"mdat") == data.index(b"mdat")
    assert served.index(b"mvhd") == data.index(b"mvhd")
    assert served.count(b"free") == 3


def test_an_oversized_mp4_is_refused() -> None:
    data = _mp4(4096)

    refused = _refused(process(data, MaterialLimits(max_video_bytes=4096)))

    assert refused.code == "too_large"
    assert "视频不能超过" in refused.reason


def test_an_mp4_with_bytes_trailing_its_boxes_is_refused() -> None:
    refused = _refused(process(_mp4(64) + _zip_bytes(), LIMITS))

    assert refused.code == "undecodable"


# --- Limits -------------------------------------------------------------------------------------


def test_limits_default_to_the_districts_policy_and_follow_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert LIMITS.max_photo_bytes == 20 * 1024 * 1024
    assert LIMITS.max_pdf_bytes == 10 * 1024 * 1024
    assert LIMITS.max_video_bytes == 50 * 1024 * 1024
    assert (LIMITS.max_pixels, LIMITS.output_long_side, LIMITS.thumbnail_long_side) == (
        40_000_000,
        1920,
        320,
    )

    monkeypatch.setenv("GROWTH_MATERIAL_MAX_VIDEO_BYTES", "1000")

    assert MaterialLimits().max_video_bytes == 1000
