"""What processing students' photos costs and saves: bytes in and out, time, peak memory.

docs/materials.md / issue 14: every photo a student uploads is re-encoded (JPEG q82, long side
1920, a 320 px thumbnail, no metadata) by `shared.materials.processing.process`, in the
`materials` function (`shared.resources.MATERIALS`); the issue asks for "HEIC and a 12 MP photo
processed within the function's memory", and the doc leaves open whether WebP would be worth a
second format.

Inputs (fixed seeds, generated into a temporary folder first; generating is not timed): phone
photos as cameras write them — 12 MP (4032×3024) JPEGs at quality 92 with 4:2:0 chroma, EXIF
with GPS and an sRGB profile, one stored landscape with EXIF orientation 6 (a portrait shot);
12 MP HEICs with EXIF; two phone screenshots as PNG; a 12 MP photo saved as PNG. The content is
photographic, not flat colour (which would compress unrealistically): 1/f-like luminance and
colour fields (large smooth areas, texture at every scale), soft-edged shapes, and per-pixel
Gaussian sensor noise, so a camera JPEG weighs 2.4-3.9 MB, as a 12 MP phone JPEG does. The
original sizes are printed so the reader can judge.

- Per input: original, served and thumbnail bytes, the share saved, and the wall and CPU
  seconds of one `process` call (median of `--repeats`, after a warm-up call on small inputs
  of every format, as a warm function's container would be).
- WebP: the same 1920-px rendition (the very image `process` hands its encoder) encoded by
  Pillow at quality 80, method 4; its bytes beside the JPEG's, and each one's PSNR against the
  rendition so that "smaller" is not read as "smaller at the same quality"; and the WebP at the
  lowest quality whose PSNR reaches the JPEG's (the same fidelity).
- Totals: bytes in → out, and the storage of 1,000 students × `--photos` photos at this mix,
  keeping originals vs served + thumbnails (JPEG, or WebP served).
- Peak memory: one `process` call on each of the largest inputs (a 12 MP JPEG, a 12 MP HEIC,
  40 MP PNGs and a 40 MP HEIC at the pixel limit), each in a fresh child process that imports
  the processing core (and, being this module, numpy: the figures lean pessimistic), then reads
  the file and processes it; then the rest of one SQS batch (`batch_size` calls in all) to show
  that nothing accumulates. The peak is the kernel's high-water mark of
  the child's resident set (`VmHWM`), beside `MATERIALS.memory_mb` less a margin for the Lambda
  runtime. Not `ru_maxrss`: on Linux it survives `exec` (and subprocess uses vfork), so a child
  would report the benchmark parent's own peak (see benchmarks/worker.py).

Run: `python -m benchmarks.bench_materials [--repeats 3] [--photos 20]`.
Appends one JSON line per figure to `bench-results/materials.jsonl`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter, ImageFont

from benchmarks.table import table

if TYPE_CHECKING:
    from shared.materials.limits import MaterialLimits

ROOT = Path(__file__).resolve().parents[1]
CAMERA_QUALITY = 92  # what phone cameras write
HEIC_QUALITY = 50  # x265 at this quality gives an iPhone-sized HEIC (1.5-3 MB at 12 MP)
WEBP_QUALITY = 80
WEBP_METHOD = 4
STUDENTS = 1_000
RUNTIME_MARGIN_MB = 128  # the Lambda runtime's own share of the function's memory
ORIENTATION = 0x0112
GPS_IFD = 0x8825
SHANGHAI_GPS = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 28.0, 10.0)}


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    what: str
    path: Path
    expected: str  # "Processed", or the refusal code expected


# ------------------------------------------------------------------------------- the inputs


def _field(rng: np.random.Generator, size: tuple[int, int], cells: int, amp: float) -> Any:
    """Smooth random relief: `cells` across, bicubic between them, amplitude `amp`."""
    w, h = size
    across, down = cells, max(2, cells * h // w)
    coarse = rng.normal(0, amp, (down, across)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse, "F").resize(size, Image.Resampling.BICUBIC))


def scene(seed: int, size: tuple[int, int], noise: float, light: float = 1.0) -> Image.Image:
    """A photograph-like RGB image: luminance with a 1/f-like spectrum (strong coarse relief,
    weaker and weaker finer texture, as natural scenes have), smooth colour, soft-edged shapes,
    then per-pixel Gaussian sensor noise of sigma `noise`; `light` < 1 is a dim scene."""
    rng = np.random.default_rng(seed)
    w, h = size
    luma = np.full((h, w), 120 * light, np.float32)
    for cells, amp in ((4, 40), (16, 20), (64, 10), (256, 6), (w // 4, 4)):
        luma += _field(rng, size, cells, amp * light)
    chroma = [128 + _field(rng, size, 6, 18) + _field(rng, size, 48, 5) for _ in range(2)]
    planes = [Image.fromarray(p.clip(0, 255).astype(np.uint8), "L") for p in (luma, *chroma)]
    image = Image.merge("YCbCr", planes).convert("RGB")
    shapes = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _ in range(25):
        x0, y0 = int(rng.integers(0, w)), int(rng.integers(0, h))
        x1, y1 = x0 + int(rng.integers(w // 20, w // 4)), y0 + int(rng.integers(h // 20, h // 4))
        r, g, b = (int(c * light) for c in rng.integers(30, 230, 3))
        fill = (r, g, b, int(rng.integers(120, 230)))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill)
    shapes = shapes.filter(ImageFilter.GaussianBlur(max(1, w // 2000)))
    image.paste(shapes, mask=shapes)
    if noise:
        pixels = np.asarray(image, dtype=np.float32)
        pixels += rng.normal(0, noise, pixels.shape).astype(np.float32)
        image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")
    return image


def screenshot(seed: int, size: tuple[int, int], photos: bool = True) -> Image.Image:
    """A phone screenshot: a status bar, a feed of text cards (and photos), a tab bar."""
    rng = np.random.default_rng(seed)
    w, h = size
    image = Image.new("RGB", size, (242, 242, 247))
    draw = ImageDraw.Draw(image)
    text_px = max(12, w // 28)
    font = ImageFont.load_default(size=text_px)
    draw.rectangle((0, 0, w, h // 18), fill=(255, 255, 255))
    draw.text((w // 20, h // 60), "9:41", fill=(0, 0, 0), font=font)
    words = ["growth", "record", "class", "practice", "award", "sports", "music", "volunteer"]
    y, margin, photo = h // 14, w // 24, 0
    while y < h - h // 8:
        if photos and rng.random() < 0.35:
            tall = int(w * 0.62)
            image.paste(scene(seed * 31 + photo, (w - 2 * margin, tall), noise=2), (margin, y))
            photo += 1
            y += tall + margin
            continue
        lines = int(rng.integers(2, 5))
        line_h = text_px * 3 // 2
        card_h = lines * line_h + 2 * margin
        draw.rounded_rectangle(
            (margin, y, w - margin, y + card_h), radius=margin, fill=(255, 255, 255)
        )
        for i in range(lines):
            text = " ".join(rng.choice(words, int(rng.integers(3, 6))))
            draw.text((2 * margin, y + margin + i * line_h), text, fill=(40, 40, 40), font=font)
        y += card_h + margin
    draw.rectangle((0, h - h // 12, w, h), fill=(250, 250, 250))
    for i in range(4):
        cx = w * (2 * i + 1) // 8
        draw.ellipse(
            (cx - w // 30, h - h // 18, cx + w // 30, h - h // 18 + w // 15), fill=(0, 122, 255)
        )
    return image


def exif(orientation: int = 1) -> bytes:
    tags = Image.Exif()
    tags[0x010F] = "Apple"  # Make
    tags[0x0110] = "iPhone 13"  # Model
    tags[0x0132] = "2024:10:18 15:42:07"  # DateTime
    tags[ORIENTATION] = orientation
    tags[GPS_IFD] = SHANGHAI_GPS
    return tags.tobytes()


def srgb_profile() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return bytes(profile.tobytes())


def encoded(image: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def camera_jpeg(image: Image.Image, orientation: int = 1) -> bytes:
    return encoded(
        image,
        "JPEG",
        quality=CAMERA_QUALITY,
        subsampling=2,  # 4:2:0, as cameras write
        exif=exif(orientation),
        icc_profile=srgb_profile(),
    )


def heic(image: Image.Image) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    return encoded(
        image,
        "HEIF",
        quality=HEIC_QUALITY,
        exif=exif(),
        icc_profile=srgb_profile(),
        enc_params={"preset": "ultrafast"},  # the size is x265's at any preset; only faster
    )


def samples(folder: Path) -> tuple[list[Sample], list[Sample]]:
    """(the photos compared, the largest inputs whose memory is measured), written to files."""
    made: list[Sample] = []

    def add(name: str, what: str, data: bytes, expected: str = "Processed") -> Sample:
        path = folder / name
        path.write_bytes(data)
        made.append(Sample(name, what, path, expected))
        return made[-1]

    twelve = (4032, 3024)
    day = scene(1, twelve, noise=6)
    jpeg = add("camera-day.jpg", "JPEG 12 MP, q92 4:2:0, EXIF+GPS", camera_jpeg(day))
    add("camera-bright.jpg", "JPEG 12 MP, clean light", camera_jpeg(scene(2, twelve, noise=4)))
    add("camera-dim.jpg", "JPEG 12 MP, dim, noisy", camera_jpeg(scene(3, twelve, 8, 0.6)))
    portrait = "JPEG 12 MP, portrait (EXIF orientation 6)"
    add("camera-portrait.jpg", portrait, camera_jpeg(scene(4, twelve, noise=6), orientation=6))
    first_heic = add("iphone-day.heic", "HEIC 12 MP, EXIF+GPS", heic(day))
    add("iphone-indoor.heic", "HEIC 12 MP, indoor", heic(scene(5, twelve, 7, 0.8)))
    add(
        "screenshot-ios.png",
        "PNG screenshot 1170×2532",
        encoded(screenshot(6, (1170, 2532)), "PNG"),
    )
    add(
        "screenshot-android.png",
        "PNG screenshot 1080×2400",
        encoded(screenshot(7, (1080, 2400)), "PNG"),
    )
    add("photo-as.png", "PNG 12 MP (a photo saved as PNG)", encoded(day, "PNG"), "too_large")
    compared = list(made)

    # At the pixel limit (8000×5000 = 40 MP): a poster or a stitched screenshot, text and one
    # noise-free photo. A 40 MP photo as PNG would be far over the 20 MB photo cap, refused
    # before decoding; the memory a decode takes depends on the pixels, not the content.
    limit = (8000, 5000)
    poster = screenshot(8, limit, photos=False)
    poster.paste(scene(9, (2400, 1800), noise=0), (4000, 1500))
    png = add(
        "limit-rgb.png", "PNG 40 MP, RGB + ICC", encoded(poster, "PNG", icc_profile=srgb_profile())
    )
    rgba = poster.convert("RGBA")
    ImageDraw.Draw(rgba).rectangle((0, 0, limit[0], 200), fill=(0, 0, 0, 0))  # a cut-out edge
    rgba_png = add(
        "limit-rgba.png", "PNG 40 MP, RGBA (transparent)", encoded(rgba, "PNG", compress_level=1)
    )
    limit_heic = add("limit.heic", "HEIC 40 MP", heic(poster))
    return compared, [jpeg, first_heic, png, rgba_png, limit_heic]


# ------------------------------------------------------------------------------ measuring


@dataclass(frozen=True, slots=True)
class Webp:
    """The same rendition as WebP: at the fixed quality, and at the JPEG's own PSNR."""

    size: int  # bytes at WEBP_QUALITY
    psnr: float
    cpu_s: float  # encoding at WEBP_QUALITY
    matched_quality: int  # the lowest quality whose PSNR reaches the JPEG's
    matched_size: int


@dataclass(frozen=True, slots=True)
class Measured:
    sample: Sample
    outcome: str  # "Processed" or the refusal code
    original: int
    served: int = 0
    served_px: tuple[int, int] = (0, 0)
    thumbnail: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    jpeg_psnr: float = 0.0
    webp: Webp | None = None

    @property
    def out(self) -> int:
        return self.served + self.thumbnail


def limits() -> MaterialLimits:
    from shared.materials.limits import MaterialLimits

    return MaterialLimits()


def warm_up() -> None:
    """One call per format on a small image: lazy imports, HEIF registration, first allocations."""
    from shared.materials.processing import process

    small = scene(99, (640, 480), noise=6)
    for data in (camera_jpeg(small), encoded(small, "PNG"), heic(small)):
        process(data, limits())


def measure(sample: Sample, repeats: int) -> Measured:
    from shared.materials.processing import Processed, process

    data = sample.path.read_bytes()
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = process(data, limits())
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    if not isinstance(result, Processed):
        return Measured(sample, result.code, len(data))
    assert result.thumbnail is not None
    assert result.served.width is not None
    assert result.served.height is not None
    rendition = served_rendition(data)
    jpeg_psnr = psnr(rendition, result.served.body)
    return Measured(
        sample,
        "Processed",
        len(data),
        result.served.size,
        (result.served.width, result.served.height),
        result.thumbnail.size,
        statistics.median(walls),
        statistics.median(cpus),
        jpeg_psnr,
        webp(rendition, jpeg_psnr),
    )


def served_rendition(data: bytes) -> Image.Image:
    """The 1920-px image `process` hands its JPEG encoder (its first call), pixels for pixels:
    the WebP alternative is encoded from exactly what the JPEG was. A spy, in an untimed call."""
    from shared.materials import processing

    with mock.patch.object(processing, "_encode", wraps=processing._encode) as encode:
        processing.process(data, limits())
    image: Image.Image = encode.call_args_list[0].args[0]
    return image


def webp(rendition: Image.Image, jpeg_psnr: float) -> Webp:
    started = time.process_time()
    fixed = encoded(rendition, "WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD)
    cpu = time.process_time() - started
    # Quality numbers of two codecs are not comparable: find the WebP as faithful as the JPEG
    # (PSNR is monotonic enough in quality for a bisection).
    low, high, matched = 0, 100, (100, b"")
    while low <= high:
        quality = (low + high) // 2
        body = encoded(rendition, "WEBP", quality=quality, method=WEBP_METHOD)
        if psnr(rendition, body) >= jpeg_psnr:
            matched, high = (quality, body), quality - 1
        else:
            low = quality + 1
    if not matched[1]:  # not even at 100: WebP's best
        matched = (100, encoded(rendition, "WEBP", quality=100, method=WEBP_METHOD))
    return Webp(len(fixed), psnr(rendition, fixed), cpu, matched[0], len(matched[1]))


def psnr(reference: Image.Image, body: bytes) -> float:
    """Peak signal-to-noise ratio (dB) of an encoding against the pixels it was made from."""
    with Image.open(io.BytesIO(body)) as decoded:
        got = np.asarray(decoded.convert("RGB"), dtype=np.float64)
    mse = float(np.mean((np.asarray(reference, dtype=np.float64) - got) ** 2))
    return 10 * float(np.log10(255**2 / mse)) if mse else float("inf")


# ------------------------------------------------------------------ the child: a container


def status_mb(key: str) -> float:
    """A figure of /proc/self/status (VmRSS, VmHWM), in MiB."""
    text = Path("/proc/self/status").read_text(encoding="ascii")
    found = re.search(rf"^{key}:\s+(\d+) kB", text, re.MULTILINE)
    assert found is not None, key
    return int(found[1]) / 1024


def child(path: Path, calls: int) -> dict[str, Any]:
    """What one `process` call (then a batch of them) takes above the process after imports."""
    from shared.materials.limits import MaterialLimits
    from shared.materials.processing import Processed, process

    baseline, imports_peak = status_mb("VmRSS"), status_mb("VmHWM")
    data = path.read_bytes()
    wall = time.perf_counter()
    result = process(data, MaterialLimits())
    wall = time.perf_counter() - wall
    peak = status_mb("VmHWM")
    for _ in range(calls - 1):
        process(data, MaterialLimits())
    processed = isinstance(result, Processed)
    return {
        "outcome": "Processed" if processed else getattr(result, "code", "?"),
        "input_mb": len(data) / 2**20,
        "seconds": wall,
        "baseline_mb": baseline,
        "imports_peak_mb": imports_peak,
        "peak_mb": peak,
        "batch_peak_mb": status_mb("VmHWM"),
        "after_batch_rss_mb": status_mb("VmRSS"),
        "calls": calls,
        # For comparison only: inherited through exec (the module docstring).
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run_child(path: Path, calls: int) -> dict[str, Any]:
    command = ["--child", str(path), "--calls", str(calls)]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_materials", *command],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise SystemExit(f"the child failed on {path.name}:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def imports_mb(*modules: str) -> float | None:
    """The resident set of a fresh interpreter once `modules` are imported (None: they fail)."""
    code = (
        "import importlib, re, sys\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *modules],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return int(done.stdout.split()[-1]) / 1024 if done.returncode == 0 else None


# ------------------------------------------------------------------------------- reporting


def mb(n: float) -> str:
    return f"{n / 1e6:,.2f}"


def kb(n: float) -> str:
    return f"{n / 1e3:,.0f}"


def change(new: float, old: float) -> str:
    return f"{100 * (new - old) / old:+.0f}%" if old else ""


def photo_rows(measured: list[Measured]) -> list[list[str]]:
    rows = []
    for m in measured:
        if m.webp is None:
            refused = f"refused: {m.outcome}"
            rows.append([m.sample.name, m.sample.what, refused, mb(m.original), *[""] * 5])
            continue
        saved = f"{100 * (m.original - m.out) / m.original:.0f}%"
        rows.append(
            [
                m.sample.name,
                m.sample.what,
                "×".join(map(str, m.served_px)),
                mb(m.original),
                kb(m.served),
                f"{m.thumbnail / 1e3:,.1f}",
                saved,
                f"{m.wall_s:.2f}",
                f"{m.cpu_s:.2f}",
            ]
        )
    return rows


def webp_rows(measured: list[Measured]) -> list[list[str]]:
    rows = []
    for m in measured:
        if m.webp is None:
            continue
        w = m.webp
        rows.append(
            [
                m.sample.name,
                f"{kb(m.served)} ({m.jpeg_psnr:.1f})",
                f"{kb(w.size)} ({w.psnr:.1f})",
                change(w.size, m.served),
                f"q{w.matched_quality}: {kb(w.matched_size)}",
                change(w.matched_size, m.served),
                f"{w.cpu_s:.2f}",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_materials")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per photo")
    parser.add_argument("--photos", type=int, default=20, help="photos per student (projection)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--calls", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.calls)))
        return 0

    from benchmarks.bench_validation import git_commit
    from shared.materials.processing import JPEG_QUALITY
    from shared.resources import MATERIALS

    budget_mb = MATERIALS.memory_mb - RUNTIME_MARGIN_MB
    with tempfile.TemporaryDirectory(prefix="bench-materials-") as tmp:
        print("generating the photos (not timed) ...")
        started = time.perf_counter()
        compared, largest = samples(Path(tmp))
        print(f"  {len(compared) + len(largest)} files in {time.perf_counter() - started:.0f} s")
        warm_up()
        print(f"processing each {args.repeats} times, and its WebP alternative ...")
        measured = [measure(s, args.repeats) for s in compared]
        print(f"peak memory, a fresh process per input ({MATERIALS.batch_size} calls each) ...")
        memory = [(s, run_child(s.path, MATERIALS.batch_size)) for s in largest]
        core_mb = imports_mb("shared.materials.processing", "shared.materials.limits")
        handler_mb = imports_mb("functions.materials.handler", "shared.materials.processing")

    print(
        f"\nServed: JPEG q{JPEG_QUALITY}, long side {limits().output_long_side}, thumbnail "
        f"{limits().thumbnail_long_side}, no metadata; wall and CPU seconds of one `process` "
        f"call (median of {args.repeats}). Saved: 1 − (served + thumbnail) / original."
    )
    header = [
        "input", "what", "served px", "original MB", "served KB", "thumb KB", "saved",
        "wall s", "CPU s",
    ]  # fmt: skip
    print(table(header, photo_rows(measured), right=3))

    print(
        f"\nWebP instead of the served JPEG, from the same 1920-px rendition (Pillow, method "
        f"{WEBP_METHOD}): at quality {WEBP_QUALITY}, and at the lowest quality whose PSNR "
        "reaches the JPEG's. KB (PSNR dB against the rendition)."
    )
    header = [
        "input", f"JPEG q{JPEG_QUALITY}", f"WebP q{WEBP_QUALITY}", "vs JPEG", "WebP at JPEG's PSNR",
        "vs JPEG", "WebP CPU s",
    ]  # fmt: skip
    print(table(header, webp_rows(measured)))

    accepted = [m for m in measured if m.webp is not None]
    webps = [m.webp for m in accepted if m.webp is not None]
    total_in = sum(m.original for m in accepted)
    total_out = sum(m.out for m in accepted)
    total_served = sum(m.served for m in accepted)
    total_thumbs = sum(m.thumbnail for m in accepted)
    total_webp = sum(w.size for w in webps)
    total_matched = sum(w.matched_size for w in webps)
    photos = STUDENTS * args.photos
    per_photo = {
        "originals": total_in / len(accepted),
        "served JPEG + thumbnail": total_out / len(accepted),
        f"served WebP q{WEBP_QUALITY} + thumbnail": (total_webp + total_thumbs) / len(accepted),
        "served WebP at JPEG's PSNR + thumbnail": (total_matched + total_thumbs) / len(accepted),
    }
    print(
        f"\nTotals over the {len(accepted)} accepted photos: {mb(total_in)} MB in → "
        f"{mb(total_out)} MB out (served {mb(total_served)} + thumbnails {mb(total_thumbs)}), "
        f"{100 * (total_in - total_out) / total_in:.0f}% saved. Served as WebP: "
        f"{change(total_webp, total_served)} at q{WEBP_QUALITY}, "
        f"{change(total_matched, total_served)} at the JPEG's PSNR."
    )
    for m in measured:
        if m.webp is None:
            print(f"Refused: {m.sample.name}, {m.sample.what}, {mb(m.original)} MB: {m.outcome}.")
    rows = [
        [what, f"{per / 1e6:,.2f}", f"{per * photos / 1e9:,.1f}"] for what, per in per_photo.items()
    ]
    print(f"\nStorage for {STUDENTS:,} students × {args.photos} photos at this mix:")
    print(table(["kept", "MB a photo", "GB"], rows))

    verdicts = {f"photo/{m.sample.name}": m.outcome == m.sample.expected for m in measured}
    mem_rows = []
    for sample, figures in memory:
        ok = figures["outcome"] == "Processed" and figures["batch_peak_mb"] < budget_mb
        verdicts[f"peak/{sample.name}"] = ok
        mem_rows.append(
            [
                sample.name,
                sample.what,
                f"{figures['input_mb']:.1f}",
                f"{figures['baseline_mb']:.0f}",
                f"{figures['peak_mb']:.0f}",
                f"{figures['peak_mb'] - figures['baseline_mb']:.0f}",
                f"{figures['batch_peak_mb']:.0f}",
                f"{figures['seconds']:.2f}",
                f"< {budget_mb}",
                "PASS" if ok else "FAIL",
            ]
        )
    print(
        f"\nPeak memory (VmHWM, MiB) of a fresh process: after imports, after one `process` call "
        f"(and what the call added), after {MATERIALS.batch_size} calls (one SQS batch). "
        f"MATERIALS.memory_mb = {MATERIALS.memory_mb}, less {RUNTIME_MARGIN_MB} for the "
        "Lambda runtime:"
    )
    mem_header = [
        "input", "what", "file MB", "imports", "peak", "call adds", "batch peak", "wall s",
        "budget", "",
    ]  # fmt: skip
    print(table(mem_header, mem_rows, right=2))
    if core_mb is not None and handler_mb is not None:
        print(
            f"Imports alone: the processing core {core_mb:.0f} MiB, with the materials "
            f"function's handler {handler_mb:.0f} MiB."
        )
    wrong = [name for name, ok in verdicts.items() if not ok]
    print(f"\n{'FAIL: ' + ', '.join(wrong) if wrong else 'PASS'}")

    stamp = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(("shared/materials",)),
    }
    lines: list[dict[str, Any]] = [
        {
            "name": f"materials/photo/{m.sample.name}",
            "outcome": m.outcome,
            "original_bytes": m.original,
            "served_bytes": m.served,
            "thumbnail_bytes": m.thumbnail,
            "jpeg_psnr_db": round(m.jpeg_psnr, 2),
            "webp_bytes": m.webp.size if m.webp else None,
            "webp_psnr_db": round(m.webp.psnr, 2) if m.webp else None,
            "webp_matched_quality": m.webp.matched_quality if m.webp else None,
            "webp_matched_bytes": m.webp.matched_size if m.webp else None,
            "seconds": round(m.wall_s, 3),
            "cpu_seconds": round(m.cpu_s, 3),
            "pass": verdicts[f"photo/{m.sample.name}"],
        }
        for m in measured
    ]
    lines.append(
        {
            "name": "materials/totals",
            "photos": len(accepted),
            "bytes_in": total_in,
            "bytes_out": total_out,
            "served_bytes": total_served,
            "thumbnail_bytes": total_thumbs,
            "webp_served_bytes": total_webp,
            "webp_matched_served_bytes": total_matched,
            "saved_share": round((total_in - total_out) / total_in, 4),
            "students": STUDENTS,
            "photos_per_student": args.photos,
            "projected_gb": {k: round(v * photos / 1e9, 2) for k, v in per_photo.items()},
        }
    )
    lines += [
        {
            "name": f"materials/peak/{sample.name}",
            **{k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()},
            "memory_mb": MATERIALS.memory_mb,
            "target_mb": budget_mb,
            "pass": verdicts[f"peak/{sample.name}"],
        }
        for sample, figures in memory
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "materials.jsonl"
    with log.open("a", encoding="utf-8") as out:
        for line in lines:
            out.write(json.dumps({**line, **stamp}, ensure_ascii=False) + "\n")
    print(f"appended to {log}")
    return 0 if not wrong else 1


if __name__ == "__main__":
    raise SystemExit(main())
