"""Cold start: what importing the validation path costs, beside the boto3 floor.

PERFORMANCE.md: "Measured in a fresh process with bytecode compiled: ... the validation
function adds under 500 ms on top of that boto3 floor." The floor here is what any function
of the project pays before doing anything: boto3 with a session and the clients the pipeline
uses (S3 and DynamoDB). Each figure is the median over fresh interpreters of the time from
just before the first import to the end of the snippet, measured inside the child (the
interpreter's own start-up is shown separately, as process wall time).

A first, untimed run of every snippet writes the bytecode (PYTHONDONTWRITEBYTECODE is removed
from the children's environment), so what is measured is the Lambda case: .pyc files shipped.
pandas is made unimportable in the children (a meta-path finder refuses it) except in the
last row: it is not a runtime dependency, but the bench extra installs it, and pyarrow imports
pandas on the first `pa.array` call whenever it can (an "AWS SDK for pandas" layer would ship
it). The engine imports pyarrow.csv, calamine and xlsxwriter lazily, on first use, so importing
`shared.ingest.engine` alone understates a cold invocation; the "first validation" rows
include those lazy imports (and validating a 200-row file, a few milliseconds).

Run: `python -m benchmarks.bench_imports [--repeats 7]`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.table import table

ROOT = Path(__file__).resolve().parents[1]
CLIENTS = (
    "import boto3\n"
    "session = boto3.Session(region_name='cn-north-1')\n"
    "session.client('s3'); session.client('dynamodb')\n"
)
VALIDATE = (
    "from datetime import date\n"
    "from shared.ingest import validate_bytes\n"
    "from shared.ingest.report import report_{kind}\n"
    "from shared.templates import builtin_registry\n"
    "result = validate_bytes(open({path!r}, 'rb').read(), "
    "builtin_registry().get('fitness-test'), today=date(2024, 12, 31))\n"
    "report_{kind}(result)\n"
)
NO_PANDAS = (
    "import sys\n"
    "class _NoPandas:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] == 'pandas':\n"
    "            raise ImportError('pandas is not shipped with the functions')\n"
    "sys.meta_path.insert(0, _NoPandas())\n"
)
TARGET_MS = 500.0  # what the validation function may add on top of the floor


@dataclass(frozen=True, slots=True)
class Snippet:
    key: str
    label: str
    code: str
    pandas: bool = False  # whether `import pandas` may succeed in the child


def snippets(csv_path: Path, xlsx_path: Path) -> list[Snippet]:
    validate_csv = VALIDATE.format(kind="csv", path=str(csv_path))
    validate_xlsx = VALIDATE.format(kind="xlsx", path=str(xlsx_path))
    return [
        Snippet("python", "bare interpreter (nothing imported)", "pass\n"),
        Snippet("boto3", "import boto3", "import boto3\n"),
        Snippet("floor", "boto3 + session + S3 and DynamoDB clients (floor)", CLIENTS),
        Snippet("engine", "import shared.ingest.engine", "import shared.ingest.engine\n"),
        Snippet("engine-csv", "engine + first validation, CSV (+ report)", validate_csv),
        Snippet("engine-xlsx", "engine + first validation, XLSX (+ report)", validate_xlsx),
        Snippet("cli", "import growth.cli", "import growth.cli\n"),
        Snippet(
            "function-import",
            "floor + import functions.validate.handler (the Lambda's own cold start)",
            CLIENTS + "import functions.validate.handler\n",
        ),
        Snippet("api-import", "floor + import app (the API Lambda)", CLIENTS + "import app\n"),
        Snippet("function-csv", "floor + engine + first CSV validation", CLIENTS + validate_csv),
        Snippet("function-xlsx", "floor + engine + first XLSX validation", CLIENTS + validate_xlsx),
        Snippet(
            "function-csv-pandas",
            "the same (CSV), pandas importable",
            CLIENTS + validate_csv,
            pandas=True,
        ),
    ]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("AWS_DEFAULT_REGION", "cn-north-1")
    return env


def _timed(code: str, pandas: bool) -> str:
    # pyarrow imports pandas on the first `pa.array` call whenever pandas can be imported; the
    # deployed functions do not ship it, so by default the child behaves as if it were absent.
    block = "" if pandas else NO_PANDAS
    return (
        block
        + "import time\n_t0 = time.perf_counter()\n"
        + code
        + "\nprint(f'IMPORT_MS {(time.perf_counter() - _t0) * 1000:.3f}')\n"
    )


def run_once(
    code: str, pandas: bool = False, extra: Sequence[str] = ()
) -> tuple[float, float, str]:
    """(in-process ms, whole-process wall ms, stderr) of one fresh interpreter."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *extra, "-c", _timed(code, pandas)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    wall = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"snippet failed:\n{code}\n{done.stderr[-3000:]}")
    match = re.search(r"IMPORT_MS ([\d.]+)", done.stdout)
    assert match is not None
    return float(match[1]), wall, done.stderr


def import_profile(code: str, top: int = 12) -> list[tuple[str, float]]:
    """Packages a snippet loads, by cumulative import time (ms, including what each imports
    first): every top-level package at the point it is first imported, at any depth."""
    _, _, stderr = run_once(code, extra=["-X", "importtime"])
    found: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if match and ("." not in match[3] or match[3].startswith("shared.")):
            found.append((match[2].replace(" ", "·")[::2] + match[3], int(match[1]) / 1000))
    return sorted(found, key=lambda f: -f[1])[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_imports", description=None)
    parser.add_argument("--repeats", type=int, default=7, help="fresh interpreters per figure")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    args = parser.parse_args(argv)

    from benchmarks.bench_validation import git_commit
    from benchmarks.data import WARM_ROWS, make_rows, write_xlsx
    from growth.sample import FITNESS_HEADER, csv_bytes

    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        rows, _ = make_rows(WARM_ROWS, seed=2024, error_rate=0.01)
        csv_path, xlsx_path = Path(tmp) / "small.csv", Path(tmp) / "small.xlsx"
        csv_path.write_bytes(csv_bytes(FITNESS_HEADER, rows, encoding="utf-8"))
        write_xlsx(xlsx_path, rows)
        plan = snippets(csv_path, xlsx_path)
        for snippet in plan:  # untimed: writes the bytecode, fills the page cache
            run_once(snippet.code, snippet.pandas)
        results: dict[str, tuple[float, float]] = {}
        for snippet in plan:
            runs = [run_once(snippet.code, snippet.pandas)[:2] for _ in range(args.repeats)]
            results[snippet.key] = (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
            )
        profile = import_profile(next(s.code for s in plan if s.key == "engine-xlsx"))

    floor = results["floor"][0]
    rows_out = []
    for snippet in plan:
        ms, wall = results[snippet.key]
        extra = f"+{ms - floor:,.0f}" if snippet.key.startswith(("function", "api")) else ""
        rows_out.append([snippet.label, f"{ms:,.0f}", f"{wall:,.0f}", extra])
    print(f"Cold start, median of {args.repeats} fresh interpreters (bytecode compiled)")
    print(table(["what", "in-process ms", "process wall ms", "over floor ms"], rows_out))
    verdicts = []
    for key in ("function-import", "function-csv", "function-xlsx", "function-csv-pandas"):
        added = results[key][0] - floor
        verdicts.append((key, added, added < TARGET_MS))
        print(
            f"{key}: adds {added:,.0f} ms on top of the boto3 floor "
            f"(target < {TARGET_MS:.0f} ms): {'PASS' if added < TARGET_MS else 'FAIL'}"
        )
    api = results["api-import"][0]
    print(
        f"api-import: {api / floor:.2f}× the boto3 floor (target ≤ 1.3×): "
        f"{'PASS' if api <= 1.3 * floor else 'FAIL'}"
    )
    print("\nengine + first XLSX validation: packages by cumulative import time (-X importtime;")
    print("dots show nesting, a package's time includes what it imports first):")
    print(table(["module", "ms"], [[name, f"{ms:,.1f}"] for name, ms in profile]))

    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "imports.jsonl"
    stamp = {"timestamp": datetime.now(UTC).isoformat(timespec="seconds"), "commit": git_commit()}
    with log.open("a", encoding="utf-8") as out:
        for snippet in plan:
            ms, wall = results[snippet.key]
            line = {"name": f"import/{snippet.key}", "ms": round(ms, 1), "wall_ms": round(wall, 1)}
            out.write(json.dumps({**line, **stamp}) + "\n")
        for key, added, ok in verdicts:
            line = {"name": f"import/{key}-over-floor", "ms": round(added, 1)}
            out.write(json.dumps({**line, "target": TARGET_MS, "pass": ok, **stamp}) + "\n")
    print(f"\nappended to {log}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
