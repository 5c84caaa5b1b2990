"""Where the engine spends its time on one file: `python -m benchmarks.profile_engine FILE`.

Runs `validate_bytes` plus the error report once to warm up, then once under pyinstrument
(if installed: `pip install pyinstrument`; it shows the engine's worker threads' time under
the calls that wait for them) or else cProfile (`--cprofile` forces it), and prints the
profile. `--serial` runs the column checks in the calling thread instead of the engine's
pool, so that the profile shows where their time goes (the total is then the CPU time of a
single core, not the wall time with two).
Use a file the benchmark wrote (`--data-dir` keeps them).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path
from typing import Any

from benchmarks.data import TODAY


def run_once(data: bytes, name: str, template: Any) -> None:
    from shared.ingest import validate_bytes
    from shared.ingest.report import report_csv, report_xlsx

    result = validate_bytes(data, template, filename=name, today=TODAY, term=None)
    (report_xlsx if name.endswith(".xlsx") else report_csv)(result)


def _run_pool_tasks_inline() -> None:
    """Make the engine's thread pool run each task at once, in the calling thread."""
    from concurrent.futures import Executor, Future

    from shared.ingest import engine

    class Inline(Executor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
            future: Future[Any] = Future()
            future.set_result(fn(*args, **kwargs))
            return future

    engine._pool = lambda: Inline()  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead of pyinstrument")
    parser.add_argument("--top", type=int, default=30, help="cProfile: lines to print")
    parser.add_argument("--serial", action="store_true", help="column checks in this thread")
    args = parser.parse_args(argv)
    if args.serial:
        _run_pool_tasks_inline()

    from shared.templates import builtin_registry

    template = builtin_registry().get("fitness-test")
    data = args.file.read_bytes()
    run_once(data, args.file.name, template)  # warm-up
    try:
        from pyinstrument import Profiler
    except ImportError:
        args.cprofile = True
    if args.cprofile:
        profile = cProfile.Profile()
        profile.runcall(run_once, data, args.file.name, template)
        stats = pstats.Stats(profile)
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)
        return 0
    profiler = Profiler(interval=0.0005)
    profiler.start()
    run_once(data, args.file.name, template)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
