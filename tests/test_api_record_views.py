"""A record says what it is: every key field and value under its template's Chinese label, with
its unit and the text a page prints, a short title, and the uploader's and editors' names — so
a student sees "数学 · 期中考试 · 2024-11-05: 88 分", not "数学 88". Never the columns that
identify the student (学籍号, 姓名, 班级, personal columns)."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from shared.db.directory import DirectoryRepository
from shared.domain.models import Provenance, Record, User, record_id_for
from tests.api_world import NOW, TERM, World, api_world
from tests.db_helpers import district_template

ACADEMIC = [
    # key, label, value, unit, text, in_key
    ("subject", "学科", "数学", "", "数学", True),
    ("assessment_type", "考核类型", "期中考试", "", "期中考试", True),
    ("assessment_date", "考核日期", "2024-11-05", "", "2024-11-05", True),
    ("score", "得分", 88.0, "分", "88 分", False),
    ("full_marks", "满分", 100.0, "分", "100 分", False),
]


@pytest.fixture
def world() -> Iterator[World]:
    with api_world() as built:
        yield built


def _fields(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (f["key"], f["label"], f["value"], f["unit"], f["text"], f["in_key"])
        for f in record["fields"]
    ]


def _record_of(
    world: World, student_id: str, template_id: str, version: int, **parts: Any
) -> Record:
    student = world.repos.directory.get_student(student_id)
    key = {"student_no": student.student_no, **parts["key"]}
    return Record(
        id=record_id_for(template_id, TERM, key),
        student_id=student.id,
        school_id=student.school_id,
        class_id=student.class_id,
        template_id=template_id,
        template_version=version,
        term=TERM,
        natural_key=key,
        values=parts["values"],
        subject=parts.get("subject"),
        provenance=Provenance(
            submission_id="sub-2",
            uploaded_by=parts.get("uploaded_by", "T1"),
            uploaded_at=NOW,
            source_key="uploads/A/task/sub-2/source",
            source_row=4,
        ),
    )


def test_a_record_names_its_exam_with_labels_units_and_a_title(world: World) -> None:
    # Given S1's 数学 mid-term record (88 of 100), uploaded by 王老师
    # When S1's guardian opens it
    response = world.call("G1", "GET", f"/v1/records/{world.records['S1']}")
    assert response.status_code == 200
    record = response.json_body["record"]
    # Then it says which exam, in the template's column order, each field labelled
    assert _fields(record) == ACADEMIC
    assert record["title"] == "数学 · 期中考试 · 2024-11-05"
    assert record["template_name"] == "学业成绩"
    assert record["provenance"]["uploaded_by_name"] == "王老师"
    # And the old shape is still there for pages that read it
    assert record["subject"] == "数学"
    assert record["values"]["score"] == 88.0
    # And nothing in it identifies the student beyond their pseudonymous id
    s1 = world.repos.directory.get_student("S1")
    assert s1.student_no not in json.dumps(response.json_body, ensure_ascii=False)
    assert not {"student_no", "name", "class_name"} & {f["key"] for f in record["fields"]}


@pytest.mark.parametrize(
    ("caller", "path"),
    [
        ("U1", "/v1/students/S1/records"),
        ("T1", f"/v1/classes/A1/records?template=academic-score&term={TERM}"),
        ("SA", f"/v1/schools/A/records?template=academic-score&term={TERM}"),
        ("D", f"/v1/schools/A/records?template=academic-score&term={TERM}"),
    ],
)
def test_every_listing_shows_records_the_same_way(world: World, caller: str, path: str) -> None:
    response = world.call(caller, "GET", path)
    assert response.status_code == 200
    items = response.json_body["items"]
    assert items
    for item in items:
        assert _fields(item) == ACADEMIC
        assert item["title"] == "数学 · 期中考试 · 2024-11-05"
        assert item["provenance"]["uploaded_by_name"] == "王老师"


def test_a_correction_shows_its_record_and_who_changed_it_by_name(world: World) -> None:
    # Given a guardian's flag answered by the teacher
    flag = world.call(
        "G1", "POST", f"/v1/records/{world.records['S1']}/corrections", {"reason": "分数有误"}
    )
    assert flag.status_code == 201
    assert _fields(flag.json_body["record"]) == ACADEMIC
    url = f"/v1/corrections/{flag.json_body['correction']['id']}"
    fixed = world.call("T1", "POST", f"{url}/correct", {"values": {"score": 92}})
    assert fixed.status_code == 200
    # When the guardian looks at it
    detail = world.call("G1", "GET", url).json_body
    # Then the record shows the new score and the change names the teacher
    score = next(f for f in detail["record"]["fields"] if f["key"] == "score")
    assert (score["value"], score["text"]) == (92, "92 分")
    assert detail["change"]["changed_by_name"] == "王老师"
    history = world.call("G1", "GET", f"/v1/records/{world.records['S1']}").json_body["history"]
    assert [h["changed_by_name"] for h in history] == ["王老师"]


def test_a_status_word_stands_for_the_missing_number(world: World) -> None:
    # Given the teacher records that S1 missed the exam
    path = f"/v1/records/{world.records['S1']}/changes"
    body = {"values": {"score": None, "score_status": "缺考"}, "reason": "当天缺考"}
    changed = world.call("T1", "POST", path, body)
    assert changed.status_code == 201, changed.json_body
    # Then the score field prints the status word, with no unit
    score = next(f for f in changed.json_body["record"]["fields"] if f["key"] == "score")
    assert (score["value"], score["unit"], score["text"]) == (None, "分", "缺考")


def test_a_removed_uploader_is_named_neutrally(world: World) -> None:
    # Given a record uploaded by someone no longer in the directory
    record = _record_of(
        world,
        "S1",
        "academic-score",
        1,
        key={"subject": "语文", "assessment_type": "单元测验", "assessment_date": "2024-10-09"},
        values={"score": 75.5, "full_marks": 100.0},
        subject="语文",
        uploaded_by="T-GONE",
    )
    world.repos.records.put_records([record])
    # When S1 reads it
    view = world.call("U1", "GET", f"/v1/records/{record.id}").json_body["record"]
    # Then it reads well all the same
    assert view["provenance"]["uploaded_by"] == "T-GONE"
    assert view["provenance"]["uploaded_by_name"] == "已删除的用户"
    assert view["title"] == "语文 · 单元测验 · 2024-10-09"
    assert next(f["text"] for f in view["fields"] if f["key"] == "score") == "75.5 分"


def test_a_district_template_labels_its_records_and_personal_columns_stay_out(
    world: World,
) -> None:
    # Given a district template (a 阅读记录 shaped like 综合素质写实记录, with a 证明人 column
    # marked personal) and a record of it that still carries the witness's name
    world.repos.collection.put_template(district_template(1))
    record = _record_of(
        world,
        "S1",
        "reading-log",
        1,
        key={
            "area": "修习课程与学业成绩",
            "project_name": "共读《红岩》",
            "start_date": "2024-10-08",
        },
        values={"end_date": None, "hours": 6.0, "organizer": "语文组", "witness": "张老师"},
    )
    world.repos.records.put_records([record])
    # When S1 reads it
    view = world.call("U1", "GET", f"/v1/records/{record.id}").json_body["record"]
    # Then its fields carry the district template's labels, and the witness is not among them
    assert [(f["label"], f["text"], f["in_key"]) for f in view["fields"]] == [
        ("领域", "修习课程与学业成绩", True),
        ("项目名称", "共读《红岩》", True),
        ("开始日期", "2024-10-08", True),
        ("结束日期", "", False),
        ("时长(小时)", "6 小时", False),
        ("组织单位", "语文组", False),
    ]
    assert view["title"] == "修习课程与学业成绩 · 共读《红岩》 · 2024-10-08"
    assert view["template_name"] == "阅读记录"


def test_a_record_keyed_by_one_field_is_titled_with_its_template(world: World) -> None:
    record = _record_of(
        world,
        "S1",
        "fitness-test",
        1,
        key={"test_date": "2024-10-10"},
        values={"height_cm": 152.5, "height_cm_status": None, "pull_ups": None},
    )
    world.repos.records.put_records([record])
    view = world.call("U1", "GET", f"/v1/records/{record.id}").json_body["record"]
    assert view["title"] == "体质健康测试 · 2024-10-10"
    assert [(f["label"], f["text"]) for f in view["fields"]] == [
        ("测试日期", "2024-10-10"),
        ("身高", "152.5 厘米"),
        ("引体向上", ""),
    ]


@dataclasses.dataclass
class _CountingDirectory:
    """The directory, counting the users it is asked for."""

    inner: DirectoryRepository
    user_reads: Counter[str] = dataclasses.field(default_factory=Counter)

    def get_user(self, user_id: str) -> User:
        self.user_reads[user_id] += 1
        return self.inner.get_user(user_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_page_reads_each_uploader_once(world: World) -> None:
    # Given five more records of S1 uploaded by T1, and one by T2
    for n in range(5):
        world.repos.records.put_records(
            [
                _record_of(
                    world,
                    "S1",
                    "academic-score",
                    1,
                    key={
                        "subject": "数学",
                        "assessment_type": "作业",
                        "assessment_date": f"2024-10-0{n + 1}",
                    },
                    values={"score": 90.0 + n, "full_marks": 100.0},
                    subject="数学",
                    uploaded_by="T2" if n == 0 else "T1",
                )
            ]
        )
    counting = _CountingDirectory(world.repos.directory)
    world.context.repos = dataclasses.replace(world.repos, directory=counting)
    # When S1's guardian lists S1's records
    items = world.call("G1", "GET", "/v1/students/S1/records").json_body["items"]
    # Then each uploader was read once (the caller's own read is the authentication's)
    assert len(items) == 6
    assert {i["provenance"]["uploaded_by_name"] for i in items} == {"王老师", "李老师"}
    assert counting.user_reads == Counter({"T1": 1, "T2": 1})
