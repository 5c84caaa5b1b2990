"""A change to a stored record is judged against its template (no storage: the pure check)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.exceptions import InvalidInput
from shared.templates import TemplateRegistry
from shared.templates.record_edits import check_record_edit

FITNESS: dict[str, Any] = {
    "name": "张三",
    "gender": "男",
    "grade": 7,
    "class_name": "七年级(1)班",
    "height_cm": 150.0,
    "vital_capacity_ml": 2100,
}
FITNESS_KEY = {"student_no": "G310112201203010117", "test_date": "2024-10-15"}
QUALITY: dict[str, Any] = {
    "name": "张三",
    "organizer": "校团委",
    "witness": "王老师",
    "description": "参加社区志愿服务",
    "end_date": "2024-10-20",
    "hours": 4,
}
QUALITY_KEY = {
    "student_no": "G310112201203010117",
    "area": "创新精神与实践能力",
    "project_name": "社区志愿服务",
    "start_date": "2024-10-12",
}


def check(registry: TemplateRegistry, template: str, updates: dict[str, Any]) -> None:
    before, key = (FITNESS, FITNESS_KEY) if template == "fitness-test" else (QUALITY, QUALITY_KEY)
    check_record_edit(registry.get(template), before, updates, natural_key=key)


@pytest.mark.parametrize(
    ("template", "updates"),
    [
        ("fitness-test", {"height_cm": 151.5}),
        ("fitness-test", {"height_cm": "免测"}),  # a status word instead of the number
        ("fitness-test", {"height_cm": None, "height_cm_status": "缺测"}),
        ("fitness-test", {"vital_capacity_ml": 2300, "sit_ups": 40}),
        ("quality-record", {"end_date": "2024-10-30", "hours": 6.5, "role": None}),
        ("quality-record", {"description": "参加社区志愿服务，负责分发物资"}),
    ],
)
def test_changes_that_fit_the_template_pass(
    registry: TemplateRegistry, template: str, updates: dict[str, Any]
) -> None:
    check(registry, template, updates)


@pytest.mark.parametrize(
    ("template", "updates", "code", "field"),
    [
        # What identifies the record, or who the student is, is not changed here
        ("fitness-test", {"test_date": "2024-10-16"}, "RECORD_KEY_FIELD", "values.test_date"),
        ("fitness-test", {"name": "李四"}, "RECORD_KEY_FIELD", "values.name"),
        ("fitness-test", {"gender": "女"}, "RECORD_KEY_FIELD", "values.gender"),
        ("fitness-test", {"grade": 8}, "RECORD_KEY_FIELD", "values.grade"),
        ("quality-record", {"area": "品德发展与公民素养"}, "RECORD_KEY_FIELD", "values.area"),
        # Only the template's own columns, each of its type and range
        ("fitness-test", {"bmi": 20.1}, "RECORD_FIELD_UNKNOWN", "values.bmi"),
        ("fitness-test", {"height_cm_status": "迟到"}, "NOT_IN_LIST", "values.height_cm_status"),
        ("fitness-test", {"height_cm": 300}, "OUT_OF_RANGE", "values.height_cm"),
        ("fitness-test", {"height_cm": True}, "NOT_A_NUMBER", "values.height_cm"),
        (
            "fitness-test",
            {"vital_capacity_ml": 2100.5},
            "NOT_AN_INTEGER",
            "values.vital_capacity_ml",
        ),
        ("quality-record", {"end_date": "2024/10/30"}, "DATE_FORMAT", "values.end_date"),
        ("quality-record", {"end_date": "2024-02-30"}, "DATE_FORMAT", "values.end_date"),
        ("quality-record", {"end_date": "2024-W43-1"}, "DATE_FORMAT", "values.end_date"),
        ("quality-record", {"end_date": "2009-12-31"}, "DATE_OUT_OF_RANGE", "values.end_date"),
        ("quality-record", {"witness": None}, "REQUIRED", "values.witness"),
        ("quality-record", {"witness": " "}, "REQUIRED", "values.witness"),
        ("quality-record", {"witness": 3}, "REQUEST_INVALID", "values.witness"),
        ("quality-record", {"role": "x" * 51}, "TOO_LONG", "values.role"),
        # And the template's rules between columns still hold
        ("quality-record", {"end_date": "2024-10-01"}, "DATE_ORDER", "values.end_date"),
    ],
)
def test_changes_that_break_the_template_are_refused_naming_the_field(
    registry: TemplateRegistry, template: str, updates: dict[str, Any], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        check(registry, template, updates)
    assert caught.value.code == code
    assert caught.value.params["field"] == field
