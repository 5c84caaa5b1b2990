"""One measurement in a fresh process: `python -m benchmarks.worker STAGE FILE WARM_FILE`.

The process imports what the stage needs, reads the file into memory, runs the stage once on
a small file of the same kind (lazy imports, template and schema set-up); then runs the stage
on the real file once untimed (so that the timed run finds a warm allocator, as a warm Lambda
would) and once timed. It prints one JSON object.

Memory is the kernel's peak resident set (`VmHWM`), not tracemalloc: Arrow allocates outside
Python's allocator, where tracemalloc does not look. The peak is reset (`/proc/self/clear_refs`)
just before the first full-size run, so the stage's figure is its own high-water mark above the
process as it stood (imports done, file bytes loaded). `ru_maxrss` would not do: on Linux it
survives `exec`, so a worker would inherit the benchmark parent's peak.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.data import COL, TODAY
from benchmarks.peers import Finding

TEMPLATE_ID = "fitness-test"


@dataclass(slots=True)
class Outcome:
    rows: int  # data rows the stage saw (a check that every stage read the same file)
    findings: Callable[[], list[Finding]] | None = None


Stage = Callable[[bytes, Path], Outcome]


def _template() -> Any:
    from shared.templates import builtin_registry

    return builtin_registry().get(TEMPLATE_ID)


def pyarrow_csv(encoding: str) -> Stage:
    """The limit: pyarrow's CSV parser, every column as string, one thread, defaults else."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(len(COL))]

    def run(data: bytes, path: Path) -> Outcome:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                use_threads=False, skip_rows=1, column_names=names, encoding=encoding
            ),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
        return Outcome(table.num_rows)

    return run


def calamine_xlsx() -> Stage:
    """The limit: a bare python-calamine read of the first sheet into Python values."""
    import python_calamine

    def run(data: bytes, path: Path) -> Outcome:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python()
        return Outcome(len(rows) - 2)  # a title row and the header

    return run


def engine(report: str) -> Stage:
    """The system: `validate_bytes` plus the teacher's error report (CSV or XLSX)."""
    from shared.ingest import validate_bytes
    from shared.ingest.report import report_csv, report_xlsx

    template = _template()
    write = report_csv if report == "csv" else report_xlsx

    def run(data: bytes, path: Path) -> Outcome:
        result = validate_bytes(data, template, filename=path.name, today=TODAY, term=None)
        write(result)
        if result.file_errors:
            raise RuntimeError(f"file rejected: {result.file_errors}")

        def findings() -> list[Finding]:
            return [(e.row, e.column or "", e.code.value) for e in result.row_errors]

        return Outcome(result.rows_total, findings)

    return run


def pandera_csv() -> Stage:
    from benchmarks.peers import pandera_findings, pandera_schema, run_pandera

    schema = pandera_schema(_template(), TODAY)

    def run(data: bytes, path: Path) -> Outcome:
        cases, _report, rows = run_pandera(data, schema)
        return Outcome(rows, lambda: pandera_findings(cases))

    return run


def frictionless_csv() -> Stage:
    from benchmarks.peers import (
        frictionless_checks,
        frictionless_descriptor,
        frictionless_findings,
        run_frictionless,
    )

    template = _template()
    descriptor = frictionless_descriptor(template, list(COL), TODAY)

    def run(data: bytes, path: Path) -> Outcome:
        report, _csv = run_frictionless(path, descriptor, frictionless_checks(template))
        rows = sum(task.stats.get("rows", 0) for task in report.tasks)
        return Outcome(rows, lambda: frictionless_findings(report))

    return run


STAGES: dict[str, Callable[[], Stage]] = {
    "pyarrow-csv": lambda: pyarrow_csv("utf8"),
    "pyarrow-csv-gb18030": lambda: pyarrow_csv("gb18030"),
    "calamine-xlsx": calamine_xlsx,
    "engine-csv": lambda: engine("csv"),
    "engine-xlsx": lambda: engine("xlsx"),
    "pandera-csv": pandera_csv,
    "frictionless-csv": frictionless_csv,
}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def measure(stage_name: str, path: Path, warm: Path, findings_out: Path | None) -> dict[str, Any]:
    stage = STAGES[stage_name]()
    data = path.read_bytes()
    stage(warm.read_bytes(), warm)
    gc.collect()
    reset = _reset_peak()
    base = _status_kib("VmRSS")
    stage(data, path)  # untimed: a warm allocator and warm caches for the timed run
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = stage(data, path)
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started  # all threads: above `seconds` if parallel
    peak = _status_kib("VmHWM")
    if findings_out is not None and outcome.findings is not None:
        findings_out.write_text(json.dumps(outcome.findings(), ensure_ascii=False), "utf-8")
    return {
        "stage": stage_name,
        "file": path.name,
        "rows": outcome.rows,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rss_base_mib": base / 1024,
        "rss_peak_mib": peak / 1024,
        "peak_reset": reset,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stage", choices=sorted(STAGES))
    parser.add_argument("file", type=Path)
    parser.add_argument("warm", type=Path, help="a small file of the same kind to warm up on")
    parser.add_argument("--findings", type=Path, help="write the stage's findings here (JSON)")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.stage, args.file, args.warm, args.findings)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
