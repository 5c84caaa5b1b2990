"""Synthetic fitness-test files for the benchmark, with a fixed seed and known mistakes.

One list of rows (the 20 columns of `growth.sample.FITNESS_HEADER`, 序号 and 备注 included) is
written as UTF-8 CSV, GB18030 CSV and XLSX, and a prefix of it as the smaller slice the slow
peers run on. About 1% of the rows carry one injected mistake each, of the kinds real uploads
have; `Injected` records where, so that each validator's findings can be scored against them.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Final

from growth.sample import (
    FITNESS_HEADER,
    IdAllocator,
    Student,
    class_name,
    csv_bytes,
    fitness_rows,
    make_student,
)

TEST_DAY: Final = date(2024, 10, 25)  # the day every row says it was tested
TODAY: Final = date(2024, 12, 31)  # "today" for the validators (dates after it are future)
XLSX_TITLE: Final = "闵行区 2024 学年学生体质健康测试汇总"
CLASS_SIZE: Final = 40
CLASSES_PER_GRADE: Final = 12
CONSTANT_MEMORY_ROWS: Final = 200_000  # larger workbooks are written in constant memory
WARM_ROWS: Final = 200  # rows of the small files each measurement warms up on

COL: Final = {header: i for i, header in enumerate(FITNESS_HEADER)}
DURATIONS: Final = ("50米×8往返跑", "800米跑", "1000米跑")
# Columns Excel users keep as numbers (the rest are text or times such as 3'45").
NUMERIC: Final = (
    "序号",
    "身高",
    "体重",
    "肺活量",
    "50米跑",
    "坐位体前屈",
    "一分钟跳绳",
    "一分钟仰卧起坐",
    "立定跳远",
    "引体向上",
)
# The injected mistakes, and the engine code that names each one.
KIND_CODES: Final = {
    "check_digit": "STUDENT_NO_CHECK_DIGIT",
    "impossible_date": "DATE_INVALID",
    "out_of_range": "OUT_OF_RANGE",
    "not_a_number": "NOT_A_NUMBER",
    "bad_duration": "DURATION_FORMAT",
    "not_in_list": "NOT_IN_LIST",
    "missing_required": "REQUIRED",
    "duplicate": "DUPLICATE_ROW",
}
_ISO_DATE: Final = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMBER: Final = re.compile(r"^-?\d+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Injected:
    """One injected mistake: a 0-based data row, the column (header as written), its kind."""

    index: int
    column: str
    kind: str


@dataclass(frozen=True, slots=True)
class Dataset:
    csv: Path  # UTF-8, no BOM, header on row 1
    csv_gb18030: Path  # the same rows in GB18030, as Excel on Chinese Windows saves them
    csv_slice: Path  # the first `slice_rows` rows (UTF-8), for the slow peers
    xlsx: Path  # the first `xlsx_rows` rows, typed cells, a merged title on row 1
    warm: dict[str, Path]  # small files of each kind, for warming up a process
    rows: int
    slice_rows: int
    xlsx_rows: int
    injected: list[Injected]


def make_students(count: int, seed: int) -> list[Student]:
    """`count` students in grades 1–9, 40 to a class; one ID allocator, so 学籍号 are unique."""
    rng = random.Random(seed)
    ids = IdAllocator()
    students: list[Student] = []
    while len(students) < count:  # one school after another until there are enough
        for grade in range(1, 10):
            for number in range(1, CLASSES_PER_GRADE + 1):
                klass = class_name(grade, number)
                students += [make_student(rng, grade, klass, ids) for _ in range(CLASS_SIZE)]
    return students[:count]


def make_rows(count: int, seed: int, error_rate: float) -> tuple[list[list[str]], list[Injected]]:
    rows = fitness_rows(random.Random(seed + 1), make_students(count, seed), TEST_DAY)
    injected = inject_errors(rows, error_rate, random.Random(seed + 2))
    return rows, injected


# ------------------------------------------------------------------------------ mistakes


def _flip_check_char(value: str, rng: random.Random) -> str:
    return value[:-1] + rng.choice([c for c in "0123456789X" if c != value[-1]])


_Edit = Callable[[list[str], random.Random], str]  # changes a row, returns the column


def _check_digit(row: list[str], rng: random.Random) -> str:
    row[COL["学籍号"]] = _flip_check_char(row[COL["学籍号"]], rng)
    return "学籍号"


def _impossible_date(row: list[str], rng: random.Random) -> str:
    row[COL["测试日期"]] = rng.choice(("2024-02-30", "2024-09-31", "2024-13-01"))
    return "测试日期"


def _out_of_range(row: list[str], rng: random.Random) -> str:
    column, value = rng.choice((("身高", "300"), ("体重", "250"), ("肺活量", "12000")))
    row[COL[column]] = value
    return column


def _not_a_number(row: list[str], rng: random.Random) -> str:
    column = rng.choice(("体重", "50米跑", "坐位体前屈"))
    row[COL[column]] = rng.choice(("四十五", "abc", "45..2", "7,5"))
    return column


def _bad_duration(row: list[str], rng: random.Random) -> str:
    column = next(c for c in DURATIONS if row[COL[c]])
    row[COL[column]] = rng.choice(("4'75\"", "3分", "四分十秒"))
    return column


def _not_in_list(row: list[str], rng: random.Random) -> str:
    row[COL["性别"]] = rng.choice(("M", "F", "男生"))
    return "性别"


def _missing_required(row: list[str], rng: random.Random) -> str:
    row[COL["姓名"]] = ""
    return "姓名"


_EDITS: Final[dict[str, _Edit]] = {
    "check_digit": _check_digit,
    "impossible_date": _impossible_date,
    "out_of_range": _out_of_range,
    "not_a_number": _not_a_number,
    "bad_duration": _bad_duration,
    "not_in_list": _not_in_list,
    "missing_required": _missing_required,
}


def inject_errors(rows: list[list[str]], rate: float, rng: random.Random) -> list[Injected]:
    """Give about `rate` of the rows one mistake each, spread evenly over the kinds (each
    mistake in a row of its own, so that what a validator reports can be matched to it).
    A bad run time needs a row with a timed run (grade 5 and up); a file without one gets
    none of that kind."""
    per_kind = max(1, round(len(rows) * rate / len(KIND_CODES)))
    anywhere = list(range(len(rows)))
    rng.shuffle(anywhere)
    timed = [i for i in anywhere if any(rows[i][COL[c]] for c in DURATIONS)]
    used: set[int] = set()

    def take(pool: list[int], start: list[int]) -> int | None:
        """The next unused row of `pool` (`start` keeps the position between calls)."""
        while start[0] < len(pool):
            index = pool[start[0]]
            start[0] += 1
            if index not in used:
                used.add(index)
                return index
        return None

    position, timed_position = [0], [0]
    injected: list[Injected] = []
    for kind, edit in _EDITS.items():
        for _ in range(per_kind):
            if kind == "bad_duration":
                index = take(timed, timed_position)
            else:
                index = take(anywhere, position)
            if index is None:
                break
            injected.append(Injected(index, edit(rows[index], rng), kind))
    # A copy-paste duplicate: a later row repeats an earlier clean row (its 序号 kept).
    for _ in range(per_kind):
        first, second = take(anywhere, position), take(anywhere, position)
        if first is None or second is None:
            break
        source, target = min(first, second), max(first, second)
        rows[target] = [rows[target][0], *rows[source][1:]]
        injected.append(Injected(target, "学籍号", "duplicate"))
    injected.sort(key=lambda i: i.index)
    return injected


# ------------------------------------------------------------------------------ writing files


def write_xlsx(path: Path, rows: list[list[str]], title: str = XLSX_TITLE) -> None:
    """An .xlsx as teachers' files are: a merged title, then typed cells (numbers as numbers,
    test dates as dates); what cannot be a number or a date stays text. Text goes to the
    shared-strings table as Excel writes it, except above `CONSTANT_MEMORY_ROWS` rows, where
    xlsxwriter's constant-memory mode writes inline strings instead (a larger sheet XML)."""
    import xlsxwriter

    numeric = {COL[c] for c in NUMERIC}
    date_col = COL["测试日期"]
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": len(rows) > CONSTANT_MEMORY_ROWS,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet("体测成绩")
    day_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, len(FITNESS_HEADER) - 1, title, workbook.add_format({"bold": True}))
    sheet.write_row(1, 0, FITNESS_HEADER)
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row):
            if not value:
                continue
            if c in numeric and _NUMBER.match(value):
                sheet.write_number(r, c, float(value))
            elif c == date_col and (day := _real_date(value)) is not None:
                sheet.write_datetime(r, c, day, day_format)
            else:
                sheet.write_string(r, c, value)
    workbook.close()


def _real_date(value: str) -> date | None:
    match = _ISO_DATE.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def write_dataset(
    folder: Path,
    *,
    rows: int,
    xlsx_rows: int,
    slice_rows: int,
    seed: int,
    error_rate: float,
    log: Callable[[str], None] = print,
) -> Dataset:
    """Generate the rows once and write every file the benchmark reads into `folder`."""
    import time

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data, injected = make_rows(rows, seed, error_rate)
    log(f"generated {rows:,} rows, {len(injected):,} injected mistakes ({_since(started)})")
    xlsx_rows, slice_rows = min(xlsx_rows, rows), min(slice_rows, rows)
    paths = {
        "csv": folder / f"fitness-{rows}.csv",
        "csv_gb18030": folder / f"fitness-{rows}-gb18030.csv",
        "csv_slice": folder / f"fitness-{slice_rows}.csv",
        "xlsx": folder / f"fitness-{xlsx_rows}.xlsx",
    }
    started = time.perf_counter()
    paths["csv"].write_bytes(csv_bytes(FITNESS_HEADER, data, encoding="utf-8"))
    paths["csv_gb18030"].write_bytes(csv_bytes(FITNESS_HEADER, data, encoding="gb18030"))
    paths["csv_slice"].write_bytes(csv_bytes(FITNESS_HEADER, data[:slice_rows], encoding="utf-8"))
    log(f"wrote CSV files ({_since(started)})")
    started = time.perf_counter()
    write_xlsx(paths["xlsx"], data[:xlsx_rows])
    log(f"wrote {xlsx_rows:,}-row XLSX ({_since(started)})")
    warm = {
        "csv": folder / "warm.csv",
        "csv_gb18030": folder / "warm-gb18030.csv",
        "xlsx": folder / "warm.xlsx",
    }
    warm["csv"].write_bytes(csv_bytes(FITNESS_HEADER, data[:WARM_ROWS], encoding="utf-8"))
    warm["csv_gb18030"].write_bytes(csv_bytes(FITNESS_HEADER, data[:WARM_ROWS], encoding="gb18030"))
    write_xlsx(warm["xlsx"], data[:WARM_ROWS])
    (folder / "injected.json").write_text(
        json.dumps([asdict(i) for i in injected], ensure_ascii=False), encoding="utf-8"
    )
    return Dataset(
        **paths,
        warm=warm,
        rows=rows,
        slice_rows=slice_rows,
        xlsx_rows=xlsx_rows,
        injected=injected,
    )


def _since(started: float) -> str:
    import time

    return f"{time.perf_counter() - started:.1f} s"
