"""The materials function's memory holds a 12 MP photo, an HEIC and a PNG at the pixel limit.

Issue 14: "HEIC and a 12 MP photo processed within the function's memory". Each input is
processed in a fresh interpreter that imports what `process` needs, reads the file and processes
it once, as the function's first event would; its peak resident set must stay under
`MATERIALS.memory_mb` less a margin for the Lambda runtime (and the handler's own imports).

The peak is the kernel's high-water mark of the child's resident set (`VmHWM`), not `ru_maxrss`:
on Linux `ru_maxrss` survives `exec` (and subprocess spawns with vfork), so the child would
report this pytest worker's own peak, whatever other tests made it. Inputs are built here with
numpy and Pillow, fast: smooth colour upscaled from a few cells plus Gaussian sensor noise
repeated from one tile (a JPEG or HEIC encoder gains nothing from the repetition), so the camera
JPEG weighs what a phone's does. Each carries an sRGB profile, as phones' photos do: converting
it is one more full-size image in memory. Figures: `make bench` (benchmarks/bench_materials.py).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageDraw

from shared.constants import ENV_PREFIX
from shared.materials.limits import MIB, MaterialLimits
from shared.resources import MATERIALS

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        not Path("/proc/self/status").exists(), reason="VmHWM is Linux's, as Lambda is"
    ),
]

ROOT = Path(__file__).resolve().parents[1]
LIMITS = MaterialLimits()
RUNTIME_MARGIN_MB = 128  # the Lambda runtime and the handler's imports (boto3, Powertools)
BUDGET_MIB = MATERIALS.memory_mb - RUNTIME_MARGIN_MB
TWELVE_MP = (4032, 3024)
GPS_IFD = 0x8825
SHANGHAI_GPS = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 10.0)}

# The function's first event, in a fresh interpreter: the served bytes go to a file for the test
# to read back; the peak comes from the kernel.
CHILD = """
import json, re, sys
from pathlib import Path

from shared.materials.limits import MaterialLimits
from shared.materials.processing import Processed, process

source, served_to = Path(sys.argv[1]), Path(sys.argv[2])
result = process(source.read_bytes(), MaterialLimits())
status = Path("/proc/self/status").read_text()
if isinstance(result, Processed):
    served_to.write_bytes(result.served.body)
print(json.dumps({
    "outcome": type(result).__name__,
    "detected": getattr(result, "detected", None),
    "refusal": getattr(result, "reason", None),
    "peak_kib": int(re.search(r"^VmHWM:\\s+(\\d+) kB", status, re.MULTILINE)[1]),
}))
"""


# --- Builders -----------------------------------------------------------------------------------


def _camera_photo(size: tuple[int, int], seed: int) -> Image.Image:
    """Smooth colour (bicubic from a few cells) under sensor noise of sigma 6, one tile repeated."""
    rng = np.random.default_rng(seed)
    width, height = size
    cells = rng.integers(20, 236, (4, 5, 3), dtype=np.uint8)
    smooth = Image.fromarray(cells, "RGB").resize(size, Image.Resampling.BICUBIC)
    tile = rng.normal(0, 6, (256, 256, 3)).astype(np.int16)
    noise = np.tile(tile, (-(-height // 256), -(-width // 256), 1))[:height, :width]
    pixels = np.asarray(smooth, dtype=np.int16) + noise
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


def _exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    exif[GPS_IFD] = SHANGHAI_GPS
    return exif.tobytes()


def _srgb() -> bytes:
    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def _save(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _camera_jpeg() -> bytes:
    photo = _camera_photo(TWELVE_MP, seed=1)
    data = _save(
        photo, "JPEG", quality=92, subsampling=2, exif=_exif_with_gps(), icc_profile=_srgb()
    )
    # A phone's 12 MP JPEG weighs 2.5-6 MB; a flat test image would be a fraction of that.
    assert 2 * MIB < len(data) < 8 * MIB, len(data)
    return data


def _heic() -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    photo = _camera_photo(TWELVE_MP, seed=2)
    try:
        data = _save(
            photo,
            "HEIF",
            quality=50,
            exif=_exif_with_gps(),
            icc_profile=_srgb(),
            enc_params={"preset": "ultrafast"},
        )
    except (KeyError, OSError, RuntimeError, ValueError) as exc:  # pragma: no cover
        pytest.skip(f"libheif here has no HEVC (x265) encoder to build an HEIC: {exc}")
    assert data[4:12] == b"ftypheic"
    return data


def _png_at_the_pixel_limit() -> bytes:
    """The most pixels a photo may declare, in the costliest mode: RGBA with transparency (it is
    flattened on white, one more full-size copy). What the decoder needs depends on the pixels
    and the mode, not the content, so the content is smooth and the file well under its cap."""
    width = 8000
    size = (width, LIMITS.max_pixels // width)
    assert size[0] * size[1] == LIMITS.max_pixels
    cells = np.random.default_rng(3).integers(0, 256, (3, 4, 3), dtype=np.uint8)
    image = Image.fromarray(cells, "RGB").resize(size, Image.Resampling.BICUBIC).convert("RGBA")
    ImageDraw.Draw(image).rectangle((0, 0, width, 200), fill=(0, 0, 0, 0))  # a cut-out edge
    return _save(image, "PNG", compress_level=1, icc_profile=_srgb())


# --- The child ----------------------------------------------------------------------------------


def _processed_in_a_fresh_process(data: bytes, folder: Path) -> tuple[dict[str, Any], Path]:
    source, served = folder / "upload", folder / "served.jpg"
    source.write_bytes(data)
    # The district's limits are the defaults here, whatever a test's environment overrides.
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX + "MATERIAL_")}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(served)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, served


# --- Tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "detected", "served_size"),
    [
        pytest.param(_camera_jpeg, "JPEG", (1920, 1440), id="12MP-camera-jpeg"),
        pytest.param(_heic, "HEIF", (1920, 1440), id="12MP-heic"),
        pytest.param(_png_at_the_pixel_limit, "PNG", (1920, 1200), id="40MP-rgba-png"),
    ],
)
def test_a_large_photo_is_processed_within_the_functions_memory(
    build: Callable[[], bytes],
    detected: str,
    served_size: tuple[int, int],
    tmp_path: Path,
) -> None:
    # Given a large photo, with GPS in its EXIF where the format carries it
    data = build()
    with Image.open(io.BytesIO(data)) as original:
        assert original.width * original.height >= TWELVE_MP[0] * TWELVE_MP[1]
        if detected != "PNG":
            assert original.getexif().get_ifd(GPS_IFD)
    assert len(data) <= LIMITS.max_photo_bytes

    # When the function's fresh process handles it
    figures, served_path = _processed_in_a_fresh_process(data, tmp_path)

    # Then it was processed, and the process's peak stayed within the function's memory
    assert figures["outcome"] == "Processed", figures["refusal"]
    assert figures["detected"] == detected
    peak_mib = figures["peak_kib"] / 1024
    assert peak_mib < BUDGET_MIB, f"peak {peak_mib:.0f} MiB, budget {BUDGET_MIB} MiB"
    # and what is served is a JPEG of at most 1920 px on its long side, without EXIF
    with Image.open(served_path) as served:
        assert served.format == "JPEG"
        assert served.size == served_size
        assert max(served.size) <= LIMITS.output_long_side
        assert dict(served.getexif()) == {}
        assert "exif" not in served.info
        assert "icc_profile" not in served.info
    assert b"Exif\x00\x00" not in served_path.read_bytes()
