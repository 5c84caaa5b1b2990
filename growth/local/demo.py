"""`growth local demo` (and `make demo`): the upload pipeline's whole story, with nobody at the
keyboard, over real HTTP against the local platform.

The district sets a task; teachers ask for presigned POSTs and upload a clean sheet, a sheet
with the mistakes real files have, its corrected re-upload, and hostile files; the demo waits
for the pipeline, prints each outcome, asks the API for the task's completion and DuckDB for the
lake's accepted rows per class; then the reminders' story (growth/local/demo_reminders.py:
exactly the people behind are told, once), another system pushing scores
(demo_integration.py), a 写实记录 through review, 公示 and 归档 (demo_quality.py), and a fault
report and a satisfaction survey (demo_operations.py), then stops.
Exit 0 only if every outcome is the expected one.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from growth.local.platform import Platform, PlatformConfig
from growth.local.seed import DemoDistrict, DemoSize, plan_district
from growth.local.state import LocalError
from growth.sample import (
    RENAMED_PDF,
    SCORE_HEADER,
    csv_bytes,
    inflating_xlsx,
    score_rows,
    xlsx_bytes,
)
from growth.textui import table

if TYPE_CHECKING:
    from shared.statistics.summary import Summary

DEMO_SIZE: Final = DemoSize(schools=2, classes_per_grade=2, students_per_class=30)
TERM: Final = "2024-2025-1"
EXAM_DAY: Final = date(2024, 11, 12)
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINAL: Final = frozenset({"accepted", "partial", "rejected", "ignored"})
EXIT_MISMATCH: Final = 1
EXIT_ERROR: Final = 2


class Seat(NamedTuple):
    """A student as a score sheet names them."""

    student_no: str
    name: str
    class_name: str


@dataclass(frozen=True)
class Expected:
    """What should become of an upload: the final status, (accepted, rejected) row counts
    when the file was read, and the codes reported (errors and warnings). `http` is the API's
    answer to the upload request itself when it should refuse (nothing is uploaded then);
    `parts` how many class parts a school workbook should become."""

    status: str
    counts: tuple[int, int] | None = None
    codes: frozenset[str] = frozenset()
    http: int | None = None
    parts: int = 0


@dataclass(frozen=True)
class Sources:
    """What a file may be made from: the district's plan, and the API (a template to fill)."""

    plan: DemoDistrict
    client: Client
    task_id: str


@dataclass(frozen=True)
class Upload:
    """One upload of the story. `class_id` None: a school admin's workbook for the whole
    school. `replays`: post another file with the upload request of that earlier upload."""

    title: str
    login: str
    class_id: str | None
    filename: str
    content_type: str
    body: Callable[[Sources], bytes]
    expected: Expected
    replays: str | None = None


@dataclass
class Outcome:
    upload: Upload
    status: str
    counts: tuple[int, int] | None = None
    codes: frozenset[str] = frozenset()
    http: int | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    parts: int = 0

    @property
    def as_expected(self) -> bool:
        expected = self.upload.expected
        return (
            self.status == expected.status
            and self.http == expected.http
            and (expected.counts is None or self.counts == expected.counts)
            and self.codes == expected.codes
            and self.parts == expected.parts
        )


# ----------------------------------------------------------------------------- the files


def seats(plan: DemoDistrict, class_id: str) -> list[Seat]:
    names = {k.id: k.name for k in plan.classes}
    return [
        Seat(s.student_no, s.name, names[s.class_id])
        for s in plan.students
        if s.class_id == class_id
    ]


def clean_sheet(class_id: str) -> Callable[[Sources], bytes]:
    def build(sources: Sources) -> bytes:
        rng = random.Random(class_id)  # noqa: S311 - sample scores
        rows = score_rows(rng, seats(sources.plan, class_id), "数学", "期中考试", EXAM_DAY)
        return xlsx_bytes(SCORE_HEADER, rows, title="2024学年第一学期 数学期中考试成绩")

    return build


def sheet_with_mistakes(class_id: str, *, fixed: bool) -> Callable[[Sources], bytes]:
    """The class's scores as Excel saves a CSV (GB18030), with three mistakes unless `fixed`:
    a 学籍号 with its last two digits swapped, a score above the full mark, a date that does
    not exist."""

    def build(sources: Sources) -> bytes:
        rng = random.Random(class_id)  # noqa: S311 - sample scores
        rows = score_rows(rng, seats(sources.plan, class_id), "数学", "期中考试", EXAM_DAY)
        if not fixed:
            number = rows[2][0]
            rows[2][0] = number[:-2] + number[-1] + number[-2]
            rows[5][6] = "105"
            rows[9][5] = "2024/9/31"
        return csv_bytes(SCORE_HEADER, rows, encoding="gb18030")

    return build


def other_class_sheet(class_id: str) -> Callable[[Sources], bytes]:
    """Another class's sheet, picked by mistake: every student belongs elsewhere."""
    return clean_sheet(class_id)


def zip_bomb(class_id: str) -> Callable[[Sources], bytes]:
    """A small .xlsx whose worksheet inflates to 300 MB."""

    def build(sources: Sources) -> bytes:
        return inflating_xlsx(clean_sheet(class_id)(sources), 300 << 20)

    return build


def filled_template(login: str, class_id: str) -> Callable[[Sources], bytes]:
    """导出模板 → 填写: the task's template for the class, downloaded through the API (its
    roster and the task's fixed values already in it), filled in as a teacher would in Excel
    (the subject and each score typed into the unlocked cells)."""

    def build(sources: Sources) -> bytes:
        import io

        import openpyxl  # type: ignore[import-untyped]  # a dev tool: the demo fills like Excel

        path = f"/v1/tasks/{sources.task_id}/template?class_id={class_id}"
        response = sources.client.call(login, "GET", path)
        if response.status_code != 200:
            raise LocalError(f"下载模板失败（{response.status_code}）：{response.text}")
        book = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = book.worksheets[0]
        header_row = next(
            r for r in range(1, 6) if str(sheet.cell(r, 1).value or "").lstrip("*") == "学籍号"
        )
        header = [str(c.value or "").lstrip("*") for c in sheet[header_row]]
        rng = random.Random(f"template:{class_id}")  # noqa: S311 - sample scores
        row = header_row + 1
        while sheet.cell(row, 1).value:
            sheet.cell(row, header.index("学科") + 1, "数学")
            sheet.cell(row, header.index("得分") + 1, rng.randint(60, 100))
            row += 1
        filled = io.BytesIO()
        book.save(filled)
        return filled.getvalue()

    return build


def wide_sheet(class_id: str) -> Callable[[Sources], bytes]:
    """A head teacher's own score sheet: 学号, 姓名, then one column per subject and 总分;
    no 学籍号, no 班级, no 考核类型 or 日期 (the task fixes those)."""

    def build(sources: Sources) -> bytes:
        rng = random.Random(f"wide:{class_id}")  # noqa: S311 - sample scores
        rows = []
        for student in (s for s in sources.plan.students if s.class_id == class_id):
            scores = [rng.randint(55, 100) for _ in range(3)]
            rows.append(
                [student.school_no or "", student.name, *map(str, scores), str(sum(scores))]
            )
        header = ["学号", "姓名", "语文", "数学", "英语", "总分"]
        return csv_bytes(header, rows, encoding="gb18030")

    return build


# A school admin's workbook: one sheet per class, named the ways schools name classes.
WORKBOOK_SHEETS: Final = {
    "sch2-6-1": "预备(1)班",
    "sch2-6-2": "六年级2班",
    "sch2-8-1": "初二(1)班",
    "sch2-8-2": "八年级（2）班",
    "sch2-9-1": "初三1班",
    "sch2-9-2": "九(2)班",
}


def school_workbook(sources: Sources) -> bytes:
    """Six classes' 数学 scores, a sheet each (学号 typed as a number, 姓名, 数学: two
    students of one name are told apart by their 学号), and a 说明 sheet in front."""
    from growth.sample import xlsx_book

    sheets: list[tuple[str, list[list[object]]]] = [("说明", [["各班一张表，表名为班级"]])]
    for class_id, sheet in WORKBOOK_SHEETS.items():
        rng = random.Random(f"workbook:{class_id}")  # noqa: S311 - sample scores
        students = [s for s in sources.plan.students if s.class_id == class_id]
        rows: list[list[object]] = [
            [int(s.school_no or 0), s.name, rng.randint(50, 100)] for s in students
        ]
        sheets.append((sheet, [["学号", "姓名", "数学"], *rows]))
    return xlsx_book(sheets)


def scenario() -> list[Upload]:
    math1, math7 = "teacher-sch1-1-math", "teacher-sch2-7-math"
    return [
        Upload(
            "一年级(1)班 数学成绩（干净的 Excel）",
            math1,
            "sch1-1-1",
            "一年级1班数学期中.xlsx",
            XLSX,
            clean_sheet("sch1-1-1"),
            Expected("accepted", (30, 0)),
        ),
        Upload(
            "一年级(2)班 数学成绩（GB18030 CSV，有 3 处错误）",
            math1,
            "sch1-1-2",
            "一年级2班数学期中.csv",
            "text/csv",
            sheet_with_mistakes("sch1-1-2", fixed=False),
            Expected(
                "partial",
                (27, 3),
                frozenset({"STUDENT_NO_CHECK_DIGIT", "SCORE_ABOVE_FULL_MARKS", "DATE_INVALID"}),
            ),
        ),
        Upload(
            "一年级(2)班 改正后重新上传（整体替换上一次）",
            math1,
            "sch1-1-2",
            "一年级2班数学期中（改）.csv",
            "text/csv",
            sheet_with_mistakes("sch1-1-2", fixed=True),
            Expected("accepted", (30, 0)),
        ),
        Upload(
            "一年级(1)班 误传：改了扩展名的 PDF（原有数据不受影响）",
            math1,
            "sch1-1-1",
            "一年级1班数学期中（新）.xlsx",
            XLSX,
            lambda plan: RENAMED_PDF,
            Expected("rejected", codes=frozenset({"FILE_NOT_SPREADSHEET"})),
        ),
        Upload(
            "七年级(1)班 压缩炸弹（0.3 MB 解压成 300 MB）",
            math7,
            "sch2-7-1",
            "七年级1班.xlsx",
            XLSX,
            zip_bomb("sch2-7-1"),
            Expected("rejected", codes=frozenset({"FILE_ZIP_BOMB"})),
        ),
        Upload(
            "七年级(2)班 传错文件：整张表是七年级(1)班的学生",
            math7,
            "sch2-7-2",
            "七年级2班数学期中.xlsx",
            XLSX,
            other_class_sheet("sch2-7-1"),
            Expected("rejected", (0, 30), frozenset({"NOT_IN_ROSTER", "FILE_NO_VALID_ROWS"})),
        ),
        Upload(
            # Not theirs to see: the API answers as if the class did not exist (no probing).
            "一年级数学老师为别校的七年级(1)班上传（无权）",
            math1,
            "sch2-7-1",
            "七年级1班.xlsx",
            XLSX,
            clean_sheet("sch2-7-1"),
            Expected("refused", http=404),
        ),
        Upload(
            "二年级(1)班 数学老师下载预填模板，填好后上传",
            "teacher-sch1-2-math",
            "sch1-2-1",
            "二年级1班期中成绩.xlsx",
            XLSX,
            filled_template("teacher-sch1-2-math", "sch1-2-1"),
            Expected("accepted", (30, 0)),
        ),
        Upload(
            "二年级(2)班 班主任自己的成绩表（姓名 + 语文/数学/英语 + 总分，无学籍号）",
            "teacher-sch1-2-2",
            "sch1-2-2",
            "二年级2班期中成绩.csv",
            "text/csv",
            wide_sheet("sch1-2-2"),
            Expected("accepted", (90, 0), frozenset({"FILE_DERIVED_COLUMN"})),
        ),
        Upload(
            "第二所学校 校管理员上传全校工作簿（每班一张表，共六个班）",
            "admin-sch2",
            None,
            "全校期中数学成绩.xlsx",
            XLSX,
            school_workbook,
            Expected("accepted", (180, 0), frozenset({"SHEET_RESULT"}), parts=6),
        ),
        Upload(
            "二年级(1)班 用同一个上传表单再传一个文件（表单已用过）",
            "teacher-sch1-2-math",
            "sch1-2-1",
            "二年级1班期中成绩（又一份）.xlsx",
            XLSX,
            clean_sheet("sch1-2-1"),
            Expected("ignored", codes=frozenset({"UPLOAD_REUSED"})),
            replays="二年级(1)班 数学老师下载预填模板，填好后上传",
        ),
    ]


# The lake's accepted rows per class once the scenario is done: the re-upload replaced the
# partial one, the rejected and ignored uploads changed nothing, the wide sheet brought three
# subjects, the school workbook six classes.
EXPECTED_LAKE: Final = {
    "sch1-1-1": 30,
    "sch1-1-2": 30,
    "sch1-2-1": 30,
    "sch1-2-2": 90,
    **dict.fromkeys(WORKBOOK_SHEETS, 30),
}


# ------------------------------------------------------------------------------ the run


class Client:
    """The API over HTTP as one demo login."""

    def __init__(self, platform: Platform) -> None:
        import requests

        if platform.endpoints is None:
            raise LocalError("本地平台尚未启动")
        self._platform = platform
        self._base = platform.endpoints.api_url
        self._session = requests.Session()

    def call(self, login: str, method: str, path: str, **kwargs: Any) -> Any:
        token = self._platform.state.mint_token(login)
        return self._session.request(
            method,
            f"{self._base}{path}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            **kwargs,
        )

    def ok(self, login: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(login, method, path, **kwargs)
        if response.status_code >= 300:
            raise LocalError(f"{method} {path} 返回 {response.status_code}：{response.text}")
        return response.json()

    def district_score_task(self, title: str) -> dict[str, Any]:
        """The district admin sets an academic-score task for every class, this term, due in
        30 days, fixing the kind of assessment and its date (期中考试 on EXAM_DAY); returns
        the task."""
        deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
        task: dict[str, Any] = self.ok(
            "district",
            "POST",
            "/v1/tasks",
            json={
                "template_id": "academic-score",
                "term": TERM,
                "title": title,
                "deadline": deadline,
                "scope": {"kind": "district"},
                "fixed": {"assessment_type": "期中考试", "assessment_date": EXAM_DAY.isoformat()},
            },
        )
        return task

    def post_file(self, upload: dict[str, Any], filename: str, body: bytes, kind: str) -> None:
        response = self._session.post(
            upload["url"], data=upload["fields"], files={"file": (filename, body, kind)}, timeout=60
        )
        if response.status_code >= 300:
            raise LocalError(f"上传到预签名地址失败（{response.status_code}）：{response.text}")

    def close(self) -> None:
        self._session.close()


def run_scenario(platform: Platform, uploads: Sequence[Upload], wait_s: float) -> list[Outcome]:
    plan = plan_district(platform.config.district_code, platform.config.demo)
    client = Client(platform)
    try:
        task = client.district_score_task("2024学年第一学期期中成绩")
        print(
            f"区管理员发布任务「{task['title']}」（{task['id']}），全区 {TERM} 学期，"
            f"固定考核类型为期中考试、考核日期为 {EXAM_DAY}。\n"
        )
        sources = Sources(plan, client, task["id"])
        forms: dict[str, dict[str, Any]] = {}
        outcomes = [_upload(client, sources, upload, forms, wait_s) for upload in uploads]
        _print_completion(client, task["id"])
        return outcomes
    finally:
        client.close()


def _upload(
    client: Client,
    sources: Sources,
    upload: Upload,
    forms: dict[str, dict[str, Any]],
    wait_s: float,
) -> Outcome:
    print(f"· {upload.login}：{upload.title}", flush=True)
    started = time.monotonic()
    if upload.replays is not None:
        return _replay(client, sources, upload, forms[upload.replays], started, wait_s)
    request: dict[str, Any] = {"filename": upload.filename, "content_type": upload.content_type}
    if upload.class_id is not None:
        request["class_id"] = upload.class_id
    path = f"/v1/tasks/{sources.task_id}/submissions"
    asked = client.call(upload.login, "POST", path, json=request)
    if asked.status_code >= 300:
        problem = asked.json()
        outcome = Outcome(upload, "refused", http=asked.status_code)
        outcome.notes.append(problem.get("detail") or problem.get("title", ""))
        return outcome
    answer = asked.json()
    forms[upload.title] = answer
    client.post_file(answer["upload"], upload.filename, upload.body(sources), upload.content_type)
    path = f"/v1/submissions/{answer['submission']['id']}"
    while True:
        submission = client.ok(upload.login, "GET", path)
        if submission["status"] in FINAL:
            break
        if time.monotonic() - started > wait_s:
            return Outcome(upload, f"未在 {wait_s:.0f} 秒内完成（{submission['status']}）")
        time.sleep(0.2)
    return _outcome(upload, submission, started)


def _replay(
    client: Client,
    sources: Sources,
    upload: Upload,
    form: dict[str, Any],
    started: float,
    wait_s: float,
) -> Outcome:
    """Post another file with an upload request already used, then wait for the school's
    list of the task's submissions to show it as ignored."""
    client.post_file(form["upload"], upload.filename, upload.body(sources), upload.content_type)
    first = form["submission"]["id"]
    path = f"/v1/tasks/{sources.task_id}/submissions?class_id={upload.class_id}"
    admin = "admin-" + upload.class_id.split("-")[0] if upload.class_id else "district"
    while True:
        listed = client.ok(admin, "GET", path)["items"]
        ignored = [s for s in listed if s["status"] == "ignored" and s["id"] != first]
        if ignored:
            return _outcome(upload, ignored[0], started)
        if time.monotonic() - started > wait_s:
            return Outcome(upload, f"未在 {wait_s:.0f} 秒内出现“已忽略”的上报")
        time.sleep(0.2)


def _outcome(upload: Upload, submission: dict[str, Any], started: float) -> Outcome:
    counts = submission["counts"]
    outcome = Outcome(
        upload,
        submission["status"],
        counts=(counts["accepted"], counts["rejected"]) if counts else None,
        codes=frozenset(g["code"] for g in submission["error_summary"]),
        seconds=time.monotonic() - started,
        parts=len(submission.get("parts") or []),
    )
    outcome.notes += [
        f"{g['code']} ×{g['count']}（第 {g['first_row']} 行起）：{g['example']}"
        if g["code"] != "SHEET_RESULT"
        else g["example"]
        for g in submission["error_summary"]
    ]
    if submission.get("error_report"):
        outcome.notes.append("错误报告可下载（预签名链接）")
    return outcome


def _print_completion(client: Client, task_id: str) -> None:
    completion = client.ok("district", "GET", f"/v1/tasks/{task_id}/completion")
    total = completion["total"]
    print(
        f"\n任务完成情况（区管理员所见）：应交 {total['expected']} 份（每班每科一份），"
        f"已交 {total['received']} 份（{total['rate']:.0%}）"
    )


@dataclass(frozen=True)
class LakeView:
    counts: dict[str, int]  # accepted rows per class
    columns: list[str]


PERSONAL_COLUMNS: Final = frozenset({"name", "student_no", "national_id", "student_id"})


def print_class_statistics(class_id: str = "sch1-1-1") -> Summary:
    """A class's 数学 distribution from the lake and one student's position, as the statistics
    (shared/statistics) compute them: what a teacher's class page and a family's band show."""
    from shared.aws import AwsClients
    from shared.lake.query import LakeQuery
    from shared.settings import AwsSettings, PipelineSettings
    from shared.statistics.ranks import band, percentile_ranks
    from shared.statistics.summary import summarize

    clients = AwsClients(AwsSettings())
    try:
        with LakeQuery(clients.s3, PipelineSettings().lake_bucket) as lake:
            rows = lake.arrow(CLASS_SCORES_SQL, [class_id])
    finally:
        clients.s3.close()
    scores = rows.column("score")
    summary = summarize(scores, full_marks=float(rows.column("full_marks")[0].as_py()))
    ranks = percentile_ranks(scores)
    print(
        f"\n{class_id} 数学期中成绩的分布（统计模块，按数据湖）：{summary.count} 人，"
        f"平均 {summary.mean:.1f}，中位数 {summary.median:.1f}（Q1 {summary.q1:.1f}，"
        f"Q3 {summary.q3:.1f}），标准差 {summary.std:.1f}，"
        f"及格率 {summary.pass_rate:.0%}，优秀率 {summary.excellent_rate:.0%}"
    )
    print(
        "  分数段 "
        + "  ".join(
            f"{lo:.0f}–{hi:.0f}:{n}"
            for lo, hi, n in zip(
                summary.histogram.edges,
                summary.histogram.edges[1:],
                summary.histogram.counts,
                strict=False,
            )
            if n
        )
    )
    print(
        f"  一名学生 {scores[0].as_py():.1f} 分：班级百分位 {ranks[0]:.0f}，"
        f"家长看到的是「班级{band(float(ranks[0]))}」，而不是同学的分数"
    )
    return summary


CLASS_SCORES_SQL: Final = (
    "SELECT student_key, score, full_marks FROM records_academic_score "
    "WHERE class = ? AND subject = '数学' AND assessment_type = '期中考试' "
    "AND score IS NOT NULL ORDER BY student_key"
)


def read_lake() -> LakeView:
    """Accepted rows per class and the table's columns, by DuckDB over the Parquet objects."""
    from shared.aws import AwsClients
    from shared.lake.query import LakeQuery
    from shared.settings import AwsSettings, PipelineSettings

    clients = AwsClients(AwsSettings())
    try:
        with LakeQuery(clients.s3, PipelineSettings().lake_bucket) as lake:
            counts = lake.rows(LAKE_SQL)
            columns = lake.rows("SELECT column_name FROM (DESCRIBE records_academic_score)")
            return LakeView({str(k): int(n) for k, n in counts}, [str(c) for (c,) in columns])
    finally:
        clients.s3.close()


LAKE_SQL: Final = "SELECT class, count(*) FROM records_academic_score GROUP BY class ORDER BY 1"


STATUS_ZH: Final = {
    "accepted": "通过",
    "partial": "部分通过",
    "rejected": "拒收",
    "refused": "拒绝请求",
    "ignored": "已忽略",
}


def report(outcomes: Sequence[Outcome], lake: LakeView) -> bool:
    rows = []
    for o in outcomes:
        counts = f"{o.counts[0]} / {o.counts[1]}" if o.counts else "—"
        status = STATUS_ZH.get(o.status, o.status) + (f"（HTTP {o.http}）" if o.http else "")
        expected = STATUS_ZH.get(o.upload.expected.status, o.upload.expected.status)
        rows.append(
            [
                o.upload.title,
                status,
                counts,
                ", ".join(sorted(o.codes)) or "—",
                f"{o.seconds:.1f} s" if o.seconds else "—",
                "✓" if o.as_expected else f"✗ 应为{expected}",
            ]
        )
    print("\n各次上传的结果：")
    print(table(["上传", "结果", "通过 / 拒收行", "问题类型", "用时", "符合预期"], rows))
    for o in outcomes:
        if o.notes:
            print(f"\n{o.upload.title}：")
            for note in o.notes:
                print(f"  {note}")
    print("\n数据湖（DuckDB 读 Parquet，即本地的 Athena）：")
    print(f"  {LAKE_SQL}")
    print(table(["班级", "行数"], [[k, v] for k, v in lake.counts.items()] or [["（空）", 0]]))
    print(f"\n  列：{', '.join(lake.columns)}")
    personal = PERSONAL_COLUMNS & set(lake.columns)
    print("  学生以假名键 student_key 出现，没有姓名、身份证号或学籍号。" if not personal else "")
    lake_ok = lake.counts == EXPECTED_LAKE and not personal
    if lake.counts != EXPECTED_LAKE:
        print(f"✗ 数据湖应为 {EXPECTED_LAKE}")
    if personal:
        print(f"✗ 数据湖中出现了个人信息列：{sorted(personal)}")
    return lake_ok and all(o.as_expected for o in outcomes)


@contextmanager
def quiet_functions(config: PlatformConfig) -> Iterator[None]:
    """The functions' own INFO lines (Powertools loggers, named after the function's service)
    would bury the demo's story; their warnings and errors still show. A Powertools logger sets
    its level when its handler is imported (at the platform's start), from
    POWERTOOLS_LOG_LEVEL: that is set too, or the level set here would be overwritten."""
    loggers = [logging.getLogger(function.name) for function in config.functions]
    # The API's line for each error answer (its request id) too: the story shows the answers.
    loggers.append(logging.getLogger("chalicelib.problems"))
    levels = [logger.level for logger in loggers]
    before = os.environ.get(POWERTOOLS_LOG_LEVEL)
    os.environ[POWERTOOLS_LOG_LEVEL] = "WARNING"
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        if before is None:
            os.environ.pop(POWERTOOLS_LOG_LEVEL, None)
        else:
            os.environ[POWERTOOLS_LOG_LEVEL] = before


POWERTOOLS_LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"


STATISTICS_CLASS: Final = "sch1-1-1"


def _statistics(platform: Platform, lake: Summary, wait_s: float) -> bool:
    from growth.local.demo_statistics import statistics_story

    client = Client(platform)
    try:
        plan = plan_district(platform.config.district_code, platform.config.demo)
        return statistics_story(
            client,
            plan,
            class_id=STATISTICS_CLASS,
            term=TERM,
            assessment=f"数学~期中考试~{EXAM_DAY.isoformat()}",
            lake=lake,
            wait_s=wait_s,
        )
    finally:
        client.close()


def _roster(platform: Platform) -> bool:
    from growth.local.demo_roster import roster_story

    return roster_story(platform.config.district_code, TERM)


def _remind(platform: Platform, wait_s: float) -> bool:
    from growth.local.demo_reminders import remind_story

    client = Client(platform)
    try:
        plan = plan_district(platform.config.district_code, platform.config.demo)
        return remind_story(platform, client, plan, wait_s)
    finally:
        client.close()


def _integration(platform: Platform, wait_s: float) -> bool:
    from growth.local.demo_integration import integration_story

    client = Client(platform)
    try:
        plan = plan_district(platform.config.district_code, platform.config.demo)
        return integration_story(platform, client, plan, class_id=STATISTICS_CLASS, wait_s=wait_s)
    finally:
        client.close()


def _quality(platform: Platform, wait_s: float) -> bool:
    from growth.local.demo_quality import quality_story

    client = Client(platform)
    try:
        plan = plan_district(platform.config.district_code, platform.config.demo)
        return quality_story(client, plan, class_id=STATISTICS_CLASS, wait_s=wait_s)
    finally:
        client.close()


def _operations(platform: Platform) -> bool:
    from growth.local.demo_operations import operations_story

    client = Client(platform)
    try:
        plan = plan_district(platform.config.district_code, platform.config.demo)
        return operations_story(client, plan, district_code=platform.config.district_code)
    finally:
        client.close()


def run(*, port: int, state_dir: Path | None, wait_s: float = 120.0) -> int:
    """Start the platform (any free port unless `port`), play the scenario, stop."""
    with tempfile.TemporaryDirectory(prefix="growth-demo-") as scratch:
        config = PlatformConfig(state_dir=state_dir or Path(scratch), port=port, demo=DEMO_SIZE)
        print("正在启动本地平台并生成演示区……", flush=True)
        started = time.monotonic()
        try:
            # Quiet first: the functions finishing while the platform stops stay quiet too.
            with quiet_functions(config), Platform(config) as platform:
                ends = platform.endpoints
                assert ends is not None
                took = time.monotonic() - started
                print(f"已启动（{took:.1f} 秒）：API {ends.api_url}，moto {ends.moto_url}\n")
                outcomes = run_scenario(platform, scenario(), wait_s)
                good = report(outcomes, read_lake())
                lake_figures = print_class_statistics(STATISTICS_CLASS)
                good &= _statistics(platform, lake_figures, wait_s)
                good &= _roster(platform)
                good &= _remind(platform, wait_s)
                good &= _integration(platform, wait_s)
                good &= _quality(platform, wait_s)
                good &= _operations(platform)
        except LocalError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return EXIT_ERROR
    print("\n演示完成：每个结果都符合预期。" if good else "\n演示失败：有结果不符合预期。")
    return 0 if good else EXIT_MISMATCH
