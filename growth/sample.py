"""A generated sample district: schools, classes, students with valid IDs and realistic names,
and the spreadsheets their teachers would upload — clean, or with the mistakes real files have.

Deterministic for a seed, so the demo, the tests and the benchmark see the same data.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

from shared.grades import GRADE_LABELS
from shared.ids import make_national_id

MINHANG = "310112"  # region code of Minhang District, Shanghai
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN = (
    "子梓涵浩宇欣怡轩泽一诺思雨嘉俊博文晨睿佳可萱若彤悦晗宸铭奕昊瑞天乐安琪心语妍熙航哲昕然辰逸"
    "晓雪婷静宁远志强明华丽芳敏杰磊伟娜琳颖斌楠彬凯皓煜锦言书墨蕊瑶菲"
)
SCHOOL_NAMES = ("闵行区实验小学", "闵行区莘庄中学", "闵行区七宝第二中学", "闵行区华漕学校")
SUBJECTS = ("语文", "数学", "英语")
# A PDF someone renamed .xlsx, as happens when the wrong attachment is picked.
RENAMED_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


@dataclass(frozen=True, slots=True)
class Student:
    student_no: str
    national_id: str
    name: str
    gender: str
    birth_date: date
    grade: int
    class_name: str
    guardian_name: str
    guardian_mobile: str
    consent: str


@dataclass(frozen=True, slots=True)
class School:
    name: str
    students: tuple[Student, ...]


def class_name(grade: int, number: int) -> str:
    return f"{GRADE_LABELS[grade]}({number})班"


class IdAllocator:
    """Unique national IDs for a district: per birth date, the next free sequence number of
    the right parity (odd for boys, even for girls, as GB 11643 says)."""

    def __init__(self) -> None:
        self._used: dict[tuple[date, bool], int] = {}

    def allocate(self, born: date, male: bool) -> str:
        count = self._used.get((born, male), 0)
        while count >= 500:  # this birth date is full for this gender: take the next day
            born += timedelta(days=1)
            count = self._used.get((born, male), 0)
        self._used[(born, male)] = count + 1
        return make_national_id(MINHANG, born, count * 2 + (1 if male else 0))


def make_student(
    rng: random.Random, grade: int, klass: str, ids: IdAllocator, year: int = 2024
) -> Student:
    gender = rng.choice("男女")
    born = date(year - 6 - grade, 9, 1) + timedelta(days=rng.randrange(365))
    national_id = ids.allocate(born, gender == "男")
    born = date(int(national_id[6:10]), int(national_id[10:12]), int(national_id[12:14]))
    surname = rng.choice(SURNAMES)
    name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    parent = surname + "".join(rng.choice(GIVEN) for _ in range(2))
    mobile = (
        rng.choice(("138", "139", "150", "186", "137", "159", "177"))
        + f"{rng.randrange(10**8):08d}"
    )
    return Student(
        student_no="G" + national_id,
        national_id=national_id,
        name=name,
        gender=gender,
        birth_date=born,
        grade=grade,
        class_name=klass,
        guardian_name=parent,
        guardian_mobile=mobile,
        consent="是" if rng.random() < 0.95 else "否",
    )


def make_school(
    rng: random.Random,
    name: str,
    grades: Sequence[int],
    classes: int,
    size: int,
    ids: IdAllocator,
    year: int = 2024,
) -> School:
    """A school's students; `ids` is shared by every school of a district."""
    students = []
    for grade in grades:
        for number in range(1, classes + 1):
            klass = class_name(grade, number)
            students += [make_student(rng, grade, klass, ids, year) for _ in range(size)]
    return School(name, tuple(students))


def make_district(seed: int = 2024, classes: int = 2, size: int = 30) -> list[School]:
    rng = random.Random(seed)
    ids = IdAllocator()
    layouts = ((1, 2, 3, 4, 5), (6, 7, 8, 9), (6, 7, 8, 9), (1, 2, 3, 4, 5, 6, 7, 8, 9))
    return [
        make_school(rng, n, g, classes, size, ids)
        for n, g in zip(SCHOOL_NAMES, layouts, strict=True)
    ]


# ------------------------------------------------------------------------------ rows per template

ROSTER_HEADER = [
    "学籍号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "年级",
    "班级",
    "监护人姓名",
    "监护人手机",
    "监护人同意",
]
SCORE_HEADER = ["学籍号", "姓名", "班级", "学科", "考核类型", "考核日期", "得分", "满分", "备注"]
FITNESS_ITEMS = [
    "身高",
    "体重",
    "肺活量",
    "50米跑",
    "坐位体前屈",
    "一分钟跳绳",
    "一分钟仰卧起坐",
    "50米×8往返跑",
    "立定跳远",
    "引体向上",
    "800米跑",
    "1000米跑",
]
FITNESS_HEADER = [
    "序号",
    "学籍号",
    "姓名",
    "性别",
    "年级",
    "班级",
    "测试日期",
    *FITNESS_ITEMS,
    "备注",
]
QUALITY_HEADER = [
    "学籍号",
    "姓名",
    "领域",
    "项目名称",
    "开始日期",
    "结束日期",
    "时长(小时)",
    "组织单位",
    "角色",
    "证明人",
    "描述",
]


def roster_rows(students: Sequence[Student]) -> list[list[str]]:
    return [
        [
            s.student_no,
            s.name,
            s.gender,
            s.birth_date.isoformat(),
            s.national_id,
            GRADE_LABELS[s.grade],
            s.class_name,
            s.guardian_name,
            s.guardian_mobile,
            s.consent,
        ]
        for s in students
    ]


class Pupil(Protocol):
    """What a score sheet says of a student (a sample student, or a seated one)."""

    @property
    def student_no(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def class_name(self) -> str: ...


def score_rows(
    rng: random.Random, students: Sequence[Pupil], subject: str, kind: str, day: date
) -> list[list[str]]:
    rows = []
    for s in students:
        roll = rng.random()
        score = "缺考" if roll < 0.01 else f"{min(100, max(30, rng.gauss(82, 10))):.0f}"
        rows.append(
            [
                s.student_no,
                s.name,
                s.class_name,
                subject,
                kind,
                f"{day:%Y/%-m/%-d}",
                score,
                "100",
                "",
            ]
        )
    return rows


def _mmss(seconds: float) -> str:
    return f"{int(seconds // 60)}'{int(seconds % 60):02d}\""


def fitness_rows(rng: random.Random, students: Sequence[Student], day: date) -> list[list[str]]:
    rows = []
    for n, s in enumerate(students, start=1):
        boy, g = s.gender == "男", s.grade
        height = 115 + g * 5.5 + rng.gauss(0, 5)
        items = {
            "身高": f"{height:.1f}",
            "体重": f"{(height / 100) ** 2 * rng.gauss(18, 2.5):.1f}",
            "肺活量": str(max(400, int(700 + g * 230 * (1.15 if boy else 1) + rng.gauss(0, 200)))),
            "50米跑": f"{max(6.2, 11.5 - g * 0.35 + rng.gauss(0, 0.6)):.1f}",
            "坐位体前屈": f"{rng.gauss(8 if boy else 12, 5):.1f}",
        }
        if g <= 6:
            items["一分钟跳绳"] = str(int(max(20, rng.gauss(80 + g * 18, 25))))
        if 3 <= g <= 6 or (g >= 7 and not boy):
            items["一分钟仰卧起坐"] = str(int(max(5, rng.gauss(30 + g, 8))))
        if g in (5, 6):
            items["50米×8往返跑"] = _mmss(rng.gauss(110, 10))
        if g >= 7:
            items["立定跳远"] = f"{rng.gauss(200 if boy else 165, 20):.0f}"
            if boy:
                items["引体向上"] = str(max(0, int(rng.gauss(5, 4))))
                items["1000米跑"] = _mmss(rng.gauss(250, 25))
            else:
                items["800米跑"] = _mmss(rng.gauss(230, 20))
        rows.append(
            [
                str(n),
                s.student_no,
                s.name,
                s.gender,
                GRADE_LABELS[g],
                s.class_name,
                day.isoformat(),
                *[items.get(i, "") for i in FITNESS_ITEMS],
                "",
            ]
        )
    return rows


QUALITY_PROJECTS = (
    ("品德发展与公民素养", "社区志愿服务", "莘庄镇社区服务中心", "志愿者"),
    ("身心健康与艺术素养", "校合唱团演出", "校团委", "团员"),
    ("创新精神与实践能力", "青少年科技创新大赛", "闵行区科协", "项目负责人"),
    ("修习课程与学业成绩", "数学拓展课", "教务处", "学员"),
)


def quality_rows(rng: random.Random, students: Sequence[Student], day: date) -> list[list[str]]:
    rows = []
    for s in students:
        area, project, organizer, role = rng.choice(QUALITY_PROJECTS)
        start = day - timedelta(days=rng.randrange(60))
        rows.append(
            [
                s.student_no,
                s.name,
                area,
                project,
                start.isoformat(),
                (start + timedelta(days=rng.randrange(3))).isoformat(),
                str(rng.choice((2, 4, 6, 8))),
                organizer,
                role,
                rng.choice(("王老师", "李老师")),
                f"参加{project}，认真完成了各项任务。",
            ]
        )
    return rows


# ------------------------------------------------------------------------------ writing files


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    encoding: str = "utf-8-sig",
    title: str | None = None,
) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    if title:
        writer.writerow([title] + [""] * (len(header) - 1))
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    sheet: str = "Sheet1",
) -> bytes:
    """An .xlsx as Excel users make it: an optional merged title row above the header."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    ws = workbook.add_worksheet(sheet)
    top = 0
    if title:
        ws.merge_range(0, 0, 0, len(header) - 1, title, workbook.add_format({"bold": True}))
        top = 1
    _write_rows(ws, [list(header), *rows], top)
    workbook.close()
    return buffer.getvalue()


def xlsx_book(sheets: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> bytes:
    """A workbook of several sheets, each given as (name, rows), as a school keeps one sheet
    per class."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    for name, rows in sheets:
        _write_rows(workbook.add_worksheet(name), rows, 0)
    workbook.close()
    return buffer.getvalue()


def _write_rows(ws: Any, rows: Sequence[Sequence[object]], top: int) -> None:
    for r, row in enumerate(rows, start=top):
        for c, value in enumerate(row):
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)


def inflating_xlsx(data: bytes, size: int, *, part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A zip bomb: the package with `part` replaced by a worksheet padded with `size` zero
    bytes, written in streamed chunks (building it never holds the inflated part in memory)."""
    chunk = bytes(1 << 22)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for info in source.infolist():
            if info.filename != part:
                package.writestr(info.filename, source.read(info.filename))
                continue
            target = zipfile.ZipInfo(part, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_DEFLATED
            with package.open(target, "w", force_zip64=size > 0x7FFF0000) as stream:
                stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet><sheetData>')
                for _ in range(size // len(chunk)):
                    stream.write(chunk)
                stream.write(bytes(size % len(chunk)))
                stream.write(b"</sheetData></worksheet>")
    return out.getvalue()


def with_mistakes(
    rows: list[list[str]], header: Sequence[str], rng: random.Random
) -> Iterator[str]:
    """Put the mistakes real files have into a few rows; yield a description of each."""
    col = {h: i for i, h in enumerate(header)}
    picks = rng.sample(range(len(rows)), k=min(6, len(rows)))
    edits: list[tuple[str, Callable[[str], str], str]] = [
        (
            "学籍号",
            lambda v: v[:-2] + v[-1] + v[-2] if v[-1] != v[-2] else v[:-1] + "0",
            "学籍号末两位颠倒",
        ),
        ("姓名", lambda v: "", "姓名为空"),
        ("得分", lambda v: "105", "得分超过满分"),
        ("考核日期", lambda v: "2024/9/31", "不存在的日期"),
        ("学科", lambda v: "体育课", "学科写法不对"),
        ("得分", lambda v: "九十", "得分不是数字"),
    ]
    for row_index, (name, change, what) in zip(picks, edits, strict=False):
        if name in col:
            rows[row_index][col[name]] = change(rows[row_index][col[name]])
            yield what


def fitness_mistakes(rows: list[list[str]], students: Sequence[Student]) -> Iterator[str]:
    """The mistakes fitness sheets have: a required item left empty, a run time typed as a
    decimal, full-width digits, an item entered for a student who does not take it."""
    col = {h: i for i, h in enumerate(FITNESS_HEADER)}
    boys = [i for i, s in enumerate(students) if s.grade >= 7 and s.gender == "男"]
    girls = [i for i, s in enumerate(students) if s.grade >= 7 and s.gender == "女"]
    small = [i for i, s in enumerate(students) if s.grade <= 2]
    if len(boys) > 2 and girls and small:
        rows[boys[0]][col["引体向上"]] = ""
        yield "初中男生缺引体向上"
        rows[boys[1]][col["1000米跑"]] = "4.05"
        yield "1000米跑写成小数"
        rows[girls[0]][col["身高"]] = "１６２．５"
        yield "全角数字（可以识别）"
        rows[small[0]][col["立定跳远"]] = "120"
        yield "低年级填了不测的立定跳远（提示，不导入）"


def write_sample_district(out: Path, seed: int = 2024) -> list[Path]:
    """Write a school's roster and the uploads of a term for a sample district into `out`."""
    rng = random.Random(seed)
    schools = make_district(seed)
    out.mkdir(parents=True, exist_ok=True)
    school = schools[1]
    klass = [s for s in school.students if s.class_name == school.students[0].class_name]
    files: dict[str, bytes] = {
        "roster-莘庄中学.xlsx": xlsx_bytes(
            ROSTER_HEADER, roster_rows(school.students), title=f"{school.name} 学生名册"
        ),
        "scores-clean.csv": csv_bytes(
            SCORE_HEADER,
            score_rows(rng, klass, "数学", "期中考试", date(2024, 11, 12)),
            encoding="gb18030",
        ),
    }
    messy = score_rows(rng, klass, "语文", "单元测验", date(2024, 10, 18))
    list(with_mistakes(messy, SCORE_HEADER, rng))
    files["scores-with-mistakes.csv"] = csv_bytes(
        SCORE_HEADER,
        messy,
        encoding="gb18030",
        title=f"{school.name} {klass[0].class_name} 语文单元测验",
    )
    everyone = [s for sch in schools for s in sch.students]
    fitness = fitness_rows(rng, everyone, date(2024, 10, 25))
    list(fitness_mistakes(fitness, everyone))
    files["district-fitness.xlsx"] = xlsx_bytes(
        FITNESS_HEADER, fitness, title="闵行区 2024 学年学生体质健康测试汇总"
    )
    files["quality-records.csv"] = csv_bytes(
        QUALITY_HEADER, quality_rows(rng, klass, date(2024, 11, 20))
    )
    files["scores-renamed.xlsx"] = RENAMED_PDF
    paths = []
    for name, data in files.items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths
