"""Validation throughput beside its limits and its peers, measured in one run.

What is measured (PERFORMANCE.md, "What the project must reach"):

* CSV: `validate_bytes` on the fitness-test template plus building the teacher's CSV error
  report, on a 500,000-row, 20-column file, against a raw pyarrow parse of the same bytes
  (`pyarrow.csv.read_csv`, every column as string, one thread, as the engine's reader uses).
  Target: within 3× the raw parse. The same again for the file saved as GB18030 (what Excel
  on Chinese Windows writes), against pyarrow decoding GB18030 itself.
* XLSX: `validate_bytes` plus the XLSX error report against a bare python-calamine read of
  the same workbook. Target: within 1.5×. (Default 100,000 rows: calamine reads ~40 k rows/s.)
* Peers, same file and same rules (see `benchmarks.peers`): pandera on the full CSV, and
  frictionless (pure Python, row by row) on a prefix of it, beside the engine on that prefix.
  Target: the engine is faster. Each peer's time includes reading the file and materialising
  its error report, as the engine's does.
* Error specificity: every validator is scored against the same injected mistakes (see
  `benchmarks.specificity`).

How: the data are generated with a fixed seed (`benchmarks.data`). Each figure is the median
of `--repeats` rounds; in every round each stage runs in a fresh process (`benchmarks.worker`)
that warms up, runs the stage once untimed and once timed, and reports its peak RSS. Rounds
interleave the stages so that a noisy neighbour slows a limit and the engine alike; compare
the ratios, not the absolute times. Results are printed and appended as JSON lines to
`bench-results/validation.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.data import Dataset, write_dataset
from benchmarks.peers import Finding
from benchmarks.specificity import Score, render, score
from benchmarks.table import table

ROOT = Path(__file__).resolve().parents[1]


@dataclass(slots=True)
class Measurement:
    key: str  # stable name in the JSON lines, e.g. "csv-utf8/engine"
    group: str  # the file, as printed
    label: str  # the stage, as printed
    stage: str  # a `benchmarks.worker` stage
    file: Path
    warm: Path
    rows: int
    validator: str | None = None  # name in the specificity table, if its findings are scored
    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    rss_peak_mib: float = 0.0
    rss_delta_mib: float = 0.0
    findings: list[Finding] | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.median


@dataclass(frozen=True, slots=True)
class Comparison:
    engine: str  # key of the engine measurement
    reference: str  # key of the limit or peer it is held against
    target: float  # engine time ÷ reference time must not exceed this
    what: str  # "limit" or "peer"


def plan(data: Dataset, peers: bool, xlsx: bool) -> tuple[list[Measurement], list[Comparison]]:
    csv_group = f"CSV UTF-8 ({data.csv.stat().st_size / 1e6:.1f} MB)"
    gb_group = f"CSV GB18030 ({data.csv_gb18030.stat().st_size / 1e6:.1f} MB)"
    slice_group = f"CSV UTF-8, first {data.slice_rows:,} rows"
    xlsx_group = f"XLSX ({data.xlsx.stat().st_size / 1e6:.1f} MB)"
    warm = data.warm
    m = [
        Measurement("csv-utf8/pyarrow", csv_group, "pyarrow read_csv (limit)", "pyarrow-csv",
                    data.csv, warm["csv"], data.rows),
        Measurement("csv-utf8/engine", csv_group, "engine + CSV report", "engine-csv",
                    data.csv, warm["csv"], data.rows, validator="engine"),
        Measurement("csv-gb18030/pyarrow", gb_group, "pyarrow read_csv gb18030 (limit)",
                    "pyarrow-csv-gb18030", data.csv_gb18030, warm["csv_gb18030"], data.rows),
        Measurement("csv-gb18030/engine", gb_group, "engine + CSV report", "engine-csv",
                    data.csv_gb18030, warm["csv_gb18030"], data.rows),
    ]  # fmt: skip
    c = [
        Comparison("csv-utf8/engine", "csv-utf8/pyarrow", 3.0, "limit"),
        Comparison("csv-gb18030/engine", "csv-gb18030/pyarrow", 3.0, "limit"),
    ]
    if xlsx:
        m += [
            Measurement("xlsx/calamine", xlsx_group, "calamine to_python (limit)",
                        "calamine-xlsx", data.xlsx, warm["xlsx"], data.xlsx_rows),
            Measurement("xlsx/engine", xlsx_group, "engine + XLSX report", "engine-xlsx",
                        data.xlsx, warm["xlsx"], data.xlsx_rows),
        ]  # fmt: skip
        c.append(Comparison("xlsx/engine", "xlsx/calamine", 1.5, "limit"))
    if peers:
        m += [
            Measurement("csv-utf8/pandera", csv_group, "pandera (same rules)", "pandera-csv",
                        data.csv, warm["csv"], data.rows, validator="pandera"),
            Measurement("csv-slice/engine", slice_group, "engine + CSV report", "engine-csv",
                        data.csv_slice, warm["csv"], data.slice_rows,
                        validator="engine (prefix)"),
            Measurement("csv-slice/frictionless", slice_group, "frictionless (same rules)",
                        "frictionless-csv", data.csv_slice, warm["csv"], data.slice_rows,
                        validator="frictionless"),
        ]  # fmt: skip
        c += [
            Comparison("csv-utf8/engine", "csv-utf8/pandera", 1.0, "peer"),
            Comparison("csv-slice/engine", "csv-slice/frictionless", 1.0, "peer"),
        ]
    return m, c


def run_worker(measurement: Measurement, findings: Path | None) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.worker",
        measurement.stage,
        str(measurement.file),
        str(measurement.warm),
    ]
    if findings is not None:
        command += ["--findings", str(findings)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{measurement.key} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["rows"] != measurement.rows:
        raise SystemExit(f"{measurement.key} saw {result['rows']} rows, not {measurement.rows}")
    return result


def measure_all(measurements: list[Measurement], repeats: int, scratch: Path) -> None:
    for round_ in range(repeats):
        for m in measurements:
            findings = None
            if m.validator and round_ == 0:
                findings = scratch / (m.key.replace("/", "-") + ".json")
            result = run_worker(m, findings)
            m.seconds.append(result["seconds"])
            m.cpu_seconds.append(result["cpu_seconds"])
            m.rss_peak_mib = max(m.rss_peak_mib, result["rss_peak_mib"])
            delta = result["rss_peak_mib"] - result["rss_base_mib"]
            m.rss_delta_mib = max(m.rss_delta_mib, delta)
            if findings is not None:
                saved = json.loads(findings.read_text("utf-8"))
                m.findings = [(int(row), str(col), str(label)) for row, col, label in saved]
            print(
                f"  round {round_ + 1}/{repeats}  {m.key:<24} {result['seconds']:8.3f} s",
                file=sys.stderr,
                flush=True,
            )


def ratio(by_key: dict[str, Measurement], c: Comparison) -> float:
    """Engine time per row ÷ reference time per row (same file, so the same rows)."""
    return by_key[c.engine].median / by_key[c.reference].median


def render_table(measurements: list[Measurement], comparisons: list[Comparison]) -> str:
    by_key = {m.key: m for m in measurements}
    against = {c.reference: c for c in comparisons}
    rows = []
    for m in measurements:
        c = against.get(m.key)
        verdict = ["", "", ""]
        if c is not None:
            r = ratio(by_key, c)
            verdict = [f"{r:.2f}×", f"≤{c.target:g}×", "PASS" if r <= c.target else "FAIL"]
        rows.append(
            [
                m.group,
                m.label,
                f"{m.rows:,}",
                f"{m.median:.3f}",
                f"{statistics.median(m.cpu_seconds):.3f}",
                f"{m.rows_per_s:,.0f}",
                f"{m.rss_peak_mib:,.0f}",
                f"+{m.rss_delta_mib:,.0f}",
                *verdict,
            ]
        )
    return table(
        [
            "file",
            "stage",
            "rows",
            "median s",
            "CPU s",
            "rows/s",
            "peak RSS MiB",
            "stage Δ MiB",
            "engine ÷ this",
            "target",
            "result",
        ],
        rows,
        right=2,
    )


def git_commit(paths: tuple[str, ...] = ("shared", "growth")) -> str | None:
    """The commit measured, marked dirty when `paths` (what the figures depend on) changed."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("-dirty" if dirty else "")


def json_lines(
    measurements: list[Measurement], comparisons: list[Comparison], context: dict[str, Any]
) -> list[dict[str, Any]]:
    """One line per figure: each throughput, then each ratio with its target."""
    by_key = {m.key: m for m in measurements}
    lines = [
        {
            "name": m.key,
            "rows": m.rows,
            "seconds": round(m.median, 4),
            "rows_per_s": round(m.rows_per_s),
            "ratio": None,
            "limit": None,
            "target": None,
            "pass": None,
            "runs": [round(s, 4) for s in m.seconds],
            "cpu_seconds": round(statistics.median(m.cpu_seconds), 4),
            "peak_rss_mib": round(m.rss_peak_mib, 1),
            "stage_rss_mib": round(m.rss_delta_mib, 1),
            **context,
        }
        for m in measurements
    ]
    for c in comparisons:
        r = ratio(by_key, c)
        engine = by_key[c.engine]
        lines.append(
            {
                "name": f"{c.engine}-vs-{c.reference.split('/')[1]}",
                "rows": engine.rows,
                "seconds": round(engine.median, 4),
                "rows_per_s": round(engine.rows_per_s),
                "ratio": round(r, 3),
                "limit": c.reference,
                "target": c.target,
                "pass": r <= c.target,
                **context,
            }
        )
    return lines


def versions() -> str:
    names = ["pyarrow", "python-calamine", "pandas", "pandera", "frictionless", "numpy"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return f"Python {platform.python_version()}, " + ", ".join(found)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_validation",
        description="Validation throughput beside pyarrow, calamine, pandera and frictionless.",
    )
    parser.add_argument("--rows", type=int, help="CSV data rows (default 500,000)")
    parser.add_argument("--xlsx-rows", type=int, help="XLSX data rows (default 100,000)")
    parser.add_argument(
        "--frictionless-rows", type=int, help="rows of the prefix frictionless runs on (50,000)"
    )
    parser.add_argument("--repeats", type=int, help="rounds; each figure is a median (3)")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--no-peers", action="store_true", help="skip pandera and frictionless")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the XLSX figures")
    parser.add_argument("--data-dir", type=Path, help="keep the generated files here")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    small = args.quick
    args.rows = args.rows or (20_000 if small else 500_000)
    args.xlsx_rows = args.xlsx_rows or (5_000 if small else 100_000)
    args.frictionless_rows = args.frictionless_rows or (5_000 if small else 50_000)
    args.repeats = args.repeats or (1 if small else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    print(versions())
    with tempfile.TemporaryDirectory(prefix="bench-validation-") as tmp:
        folder = args.data_dir or Path(tmp)
        data = write_dataset(
            folder,
            rows=args.rows,
            xlsx_rows=args.xlsx_rows,
            slice_rows=args.frictionless_rows,
            seed=args.seed,
            error_rate=args.error_rate,
        )
        measurements, comparisons = plan(data, peers=not args.no_peers, xlsx=not args.no_xlsx)
        print(f"measuring: {args.repeats} round(s), each stage in a fresh process", flush=True)
        measure_all(measurements, args.repeats, Path(tmp))
    commit = git_commit()
    print()
    print(
        f"Validation throughput: fitness-test template, 20 columns, "
        f"{len(data.injected):,} injected mistakes (~{args.error_rate:.0%}), seed {args.seed}; "
        f"median of {args.repeats} round(s); commit {commit or 'unknown'}"
    )
    print(render_table(measurements, comparisons))
    print(
        "engine ÷ this: the engine's time on the same file divided by this stage's time "
        "(a limit: at most the target; a peer: below 1× means the engine is faster).\n"
        "CPU s: process CPU time of the timed run, all threads (above the wall time when a "
        "stage runs work in parallel).\n"
        "peak RSS: the measuring process at its highest; stage Δ: above the same process "
        "just before the stage first ran on the file (imports and the file bytes excluded)."
    )
    scores: list[Score] = [
        score(m.validator, m.findings, data.injected, m.rows)
        for m in measurements
        if m.validator and m.findings is not None
    ]
    if scores:
        print()
        print("Error specificity (a mistake is caught when reported at its row and column):")
        print(render(scores))
    timestamp = datetime.now(UTC).isoformat(timespec="seconds")
    context = {
        "timestamp": timestamp,
        "commit": commit,
        "seed": args.seed,
        "repeats": args.repeats,
        "python": platform.python_version(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "validation.jsonl"
    with log.open("a", encoding="utf-8") as out:
        for line in json_lines(measurements, comparisons, context):
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"\nappended to {log} ({time.perf_counter() - started:.0f} s in all)")
    by_key = {m.key: m for m in measurements}
    missed = [c for c in comparisons if ratio(by_key, c) > c.target]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
