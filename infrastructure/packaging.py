"""What Lambda runs: the project's code as one small asset, its runtime dependencies as layers
built for Lambda's arm64 Python, and the check that keeps every function under Lambda's size
limit (250 MB unzipped, function code and all its layers together).

The layers are installed with pip from the requirement specifiers in `pyproject.toml` (one
place for versions), as manylinux aarch64 wheels, so building them needs PyPI but no AWS and no
Docker. Every runtime dependency is placed exactly once: in a layer, provided by the Lambda
runtime, or vendored into the code asset (a test holds the mapping to `pyproject.toml`).

    python -m infrastructure.packaging     # build everything and print the sizes
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT: Final = Path(__file__).resolve().parent.parent
BUILD: Final = ROOT / "build" / "lambda"
# The web app's production build (`make web`), deployed to its bucket when it is there.
WEB_DIST: Final = ROOT / "web" / "dist"

PYTHON_VERSION: Final = "3.11"  # the interpreter the test suite runs on; Lambda's python3.11
PLATFORM: Final = "manylinux2014_aarch64"  # Lambda's arm64 (Graviton) machines
MIB: Final = 1024 * 1024
LAMBDA_UNZIPPED_LIMIT: Final = 250 * MIB


@dataclass(frozen=True, slots=True)
class Layer:
    name: str
    distributions: tuple[str, ...]  # names as in pyproject.toml's dependencies
    description: str


CORE: Final = Layer(
    "core",
    (
        "pydantic",
        "pydantic-settings",
        "aws-lambda-powertools",
        "pyjwt",
        "cryptography",
        "apispec",
        "xlsxwriter",
        "jinja2",
    ),
    "Models, settings, Powertools, token verification, the XLSX writer (the API hands out "
    "pre-filled templates), the message templates' Jinja2: what every function and the API "
    "import.",
)
DATA: Final = Layer(
    "data",
    ("pyarrow", "numpy", "python-calamine", "olefile", "defusedxml"),
    "Spreadsheet readers, Arrow and Parquet: the validation engine's.",
)
# Decoding photos (HEIC too) and re-encoding them without metadata: the materials function's
# alone (shared.materials.processing imports them when it runs, never at import).
MEDIA: Final = Layer(
    "media",
    ("Pillow", "pillow-heif"),
    "Pillow and pillow-heif (libheif): the materials function decodes, strips and re-encodes "
    "students' photos.",
)
LAYERS: Final = (CORE, DATA, MEDIA)

# Lambda's Python runtime ships boto3 and botocore.
PROVIDED_BY_RUNTIME: Final = ("boto3",)
# The API needs only `chalice/app.py` at run time; it is copied into the code asset as
# `chalice package` does, rather than installing Chalice's command-line dependencies.
VENDORED: Final = ("chalice",)
CHALICE_RUNTIME_FILES: Final = ("__init__.py", "app.py")

# The project's packages and modules that Lambda needs (tests, benchmarks and the local
# platform's command-line tools stay behind).
CODE_PACKAGES: Final = ("shared", "functions", "chalicelib")
CODE_MODULES: Final = ("app.py",)

# Parts of wheels nothing imports at run time: C headers and Cython sources, test suites, and
# pyarrow's Flight RPC module with its library (the system does not use it; Substrait, unused
# too, stays: pyarrow.lib links it). tests/test_infrastructure.py imports every handler from
# layers trimmed like this.
TRIM_DIRECTORIES: Final = ("__pycache__", "tests", "include")
TRIM_SUFFIXES: Final = (".pyx", ".pxd", ".pxi", ".h", ".hpp", ".cc", ".cpp")
TRIM_NAME_PARTS: Final = ("arrow_flight", "_flight")


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, Requirement]:
    """The project's runtime dependencies by canonical distribution name."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = (Requirement(spec) for spec in project["dependencies"])
    return {canonicalize_name(r.name): r for r in requirements}


def unplaced_requirements(requirements: Mapping[str, Requirement]) -> dict[str, list[str]]:
    """Runtime dependencies placed nowhere or more than once (empty when all is well)."""
    placed = [canonicalize_name(d) for layer in LAYERS for d in layer.distributions]
    placed += [canonicalize_name(d) for d in (*PROVIDED_BY_RUNTIME, *VENDORED)]
    return {
        "unplaced": sorted(set(requirements) - set(placed)),
        "placed twice": sorted({d for d in placed if placed.count(d) > 1}),
        "not a dependency": sorted(set(placed) - set(requirements)),
    }


def layer_requirements(layer: Layer, requirements: Mapping[str, Requirement]) -> list[str]:
    return [str(requirements[canonicalize_name(d)]) for d in layer.distributions]


def build_layer(layer: Layer, build: Path = BUILD, *, platform: str = PLATFORM) -> Path:
    """The layer's directory (`python/` inside, as Lambda expects), installed for `platform`
    (Lambda's arm64 unless a test asks for this machine's) unless an identical build is there."""
    specs = layer_requirements(layer, runtime_requirements())
    stamp = hashlib.sha256(
        "\n".join([platform, PYTHON_VERSION, *TRIM_NAME_PARTS, *specs]).encode()
    ).hexdigest()
    root = build / "layers" / layer.name
    stamp_file = root.with_suffix(".stamp")
    if root.is_dir() and stamp_file.is_file() and stamp_file.read_text() == stamp:
        return root
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(root / "python"),
            "--platform",
            platform,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            "--no-compile",
            *specs,
        ],
        check=True,
    )
    trim(root)
    stamp_file.write_text(stamp)
    return root


def trim(root: Path) -> None:
    """Remove what nothing imports at run time (see TRIM_*)."""
    for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.exists():
            continue
        if path.is_dir() and path.name in TRIM_DIRECTORIES:
            shutil.rmtree(path)
        elif path.is_file() and (
            path.suffix in TRIM_SUFFIXES or any(part in path.name for part in TRIM_NAME_PARTS)
        ):
            path.unlink()


def build_code(build: Path = BUILD) -> Path:
    """The code asset: the project's runtime packages, `app.py` and Chalice's runtime module,
    rebuilt from the working tree every time (it is small)."""
    root = build / "code"
    shutil.rmtree(root, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in CODE_PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    for module in CODE_MODULES:
        shutil.copy2(ROOT / module, root / module)
    import chalice

    chalice_dir = Path(chalice.__file__).parent
    (root / "chalice").mkdir()
    for name in CHALICE_RUNTIME_FILES:
        shutil.copy2(chalice_dir / name, root / "chalice" / name)
    return root


@dataclass(frozen=True, slots=True)
class Assets:
    code: Path
    layers: dict[str, Path]
    web: Path | None = None  # the web app's build; None: the stack deploys no web files


def build_assets(build: Path = BUILD, *, web: Path | None = WEB_DIST) -> Assets:
    """The Lambda assets, and the web app's build if `web` holds one (an `index.html`): the
    web app is built by `make web`, not here, and a synthesis without it is complete otherwise."""
    built = web if web is not None and (web / "index.html").is_file() else None
    return Assets(
        build_code(build), {layer.name: build_layer(layer, build) for layer in LAYERS}, built
    )


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


@dataclass(frozen=True, slots=True)
class PackageSize:
    function: str
    parts: dict[str, int]  # "code" and each layer, in bytes

    @property
    def total(self) -> int:
        return sum(self.parts.values())

    @property
    def fits(self) -> bool:
        return self.total <= LAMBDA_UNZIPPED_LIMIT


def package_sizes(assets: Assets, functions: Mapping[str, Sequence[str]]) -> list[PackageSize]:
    """Each function's unzipped size: code plus the layers it uses (by layer name)."""
    sizes = {"code": directory_size(assets.code)} | {
        name: directory_size(path) for name, path in assets.layers.items()
    }
    return [
        PackageSize(function, {part: sizes[part] for part in ("code", *layers)})
        for function, layers in functions.items()
    ]


def size_table(rows: Iterable[PackageSize]) -> str:
    lines = [f"{'function':<12} {'parts (MB unzipped)':<44} {'total':>8}  limit 250 MB"]
    for row in rows:
        parts = ", ".join(f"{name} {size / MIB:.1f}" for name, size in row.parts.items())
        verdict = "ok" if row.fits else "OVER"
        lines.append(f"{row.function:<12} {parts:<44} {row.total / MIB:>6.1f} MB  {verdict}")
    return "\n".join(lines)


def main() -> int:
    from infrastructure.functions import function_layers

    rows = package_sizes(build_assets(), function_layers())
    print(size_table(rows))
    return 0 if all(row.fits for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
