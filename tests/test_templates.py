"""Templates are data: the built-in four load and are exported as JSON Schema, and a new
template defined in a file works without any code."""

from __future__ import annotations

import json

import jsonschema
import pytest

from shared.exceptions import InvalidInput, TemplateInvalid
from shared.ingest import validate_bytes
from shared.templates import TemplateRegistry, load_toml, record_schema
from shared.templates.model import Template

EXPECTED_HEADERS = {
    "roster-students": [
        "学籍号",
        "姓名",
        "性别",
        "出生日期",
        "身份证号",
        "年级",
        "班级",
        "学号",
        "监护人姓名",
        "监护人手机",
        "监护人同意",
    ],
    "academic-score": [
        "学籍号",
        "姓名",
        "班级",
        "学科",
        "考核类型",
        "考核日期",
        "得分",
        "满分",
        "备注",
    ],
    "quality-record": [
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
    ],
}
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


def test_the_four_builtin_templates_have_the_headers_the_district_asked_for(
    registry: TemplateRegistry,
) -> None:
    for template_id, headers in EXPECTED_HEADERS.items():
        assert [c.header for c in registry.get(template_id).columns] == headers
    fitness = [c.header for c in registry.get("fitness-test").columns]
    assert set(FITNESS_ITEMS) <= set(fitness)
    assert {"学籍号", "姓名", "性别", "年级", "测试日期"} <= set(fitness)


def test_unique_keys(registry: TemplateRegistry) -> None:
    assert registry.get("roster-students").unique == ["student_no"]
    assert registry.get("academic-score").unique == [
        "student_no",
        "subject",
        "assessment_type",
        "assessment_date",
    ]


def test_unknown_template_names_the_available_ones(registry: TemplateRegistry) -> None:
    with pytest.raises(InvalidInput) as caught:
        registry.get("no-such-thing")
    assert "academic-score" in caught.value.message_zh


def test_json_schema_export_accepts_a_good_record_and_rejects_bad_ones(
    registry: TemplateRegistry,
) -> None:
    schema = record_schema(registry.get("academic-score"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    good = {
        "student_no": "G310112201001011233",
        "name": "张三",
        "class_name": "七年级(1)班",
        "subject": "数学",
        "assessment_type": "期中考试",
        "assessment_date": "2024-11-05",
        "score": 95,
    }
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({**good, "score": "缺考"})) == []
    for bad in (
        {**good, "subject": "体育课"},
        {**good, "score": -1},
        {**good, "student_no": "123"},
        {k: v for k, v in good.items() if k != "name"},
        {**good, "colour": "red"},
    ):
        assert list(validator.iter_errors(bad)), bad
    assert schema["properties"]["score"]["title"] == "得分"
    assert json.dumps(schema, ensure_ascii=False)  # serialisable as published


NEW_TEMPLATE = """
id = "reading-log"
version = 1
name = "课外阅读记录"
unique = ["student_no", "book"]

[[columns]]
key = "student_no"
header = "学籍号"
type = "student_no"
required = true

[[columns]]
key = "book"
header = "书名"
type = "text"
required = true
max_length = 50

[[columns]]
key = "pages"
header = "页数"
type = "integer"
min = 1
max = 2000
"""


def test_a_new_template_needs_no_code(today: object) -> None:
    # Given a template defined only as data
    template = load_toml(NEW_TEMPLATE, source="reading-log.toml")
    # When a file is validated against it
    csv = "学籍号,书名,页数\nG310112201001011233,西游记,300\nG310112201001011233,红楼梦,abc\n"
    result = validate_bytes(csv.encode(), template, today=today)  # type: ignore[arg-type]
    # Then its rules apply
    assert result.status == "partial"
    assert [(e.row, e.code.value) for e in result.row_errors] == [(3, "NOT_A_NUMBER")]
    assert result.accepted is not None
    assert result.accepted.column("pages").to_pylist() == [300]


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ('unique = ["student_no", "author"]', "author"),
        ('type = "integer"\nmin = 10\nmax = 1', "min > max"),
        ('header = "学籍号"\ntype = "text"', "names two columns"),
    ],
)
def test_broken_template_definitions_are_refused_with_the_reason(
    change: str, complaint: str
) -> None:
    if change.startswith("unique"):
        text = NEW_TEMPLATE.replace('unique = ["student_no", "book"]', change)
    elif "min = 10" in change:
        text = NEW_TEMPLATE.replace('type = "integer"\nmin = 1\nmax = 2000', change)
    else:
        text = NEW_TEMPLATE.replace('header = "书名"\ntype = "text"', change)
    with pytest.raises(TemplateInvalid) as caught:
        load_toml(text, source="reading-log.toml")
    assert complaint in str(caught.value)
    assert "reading-log.toml" in str(caught.value)


def test_two_definitions_of_one_version_are_refused(registry: TemplateRegistry) -> None:
    template = registry.get("academic-score")
    with pytest.raises(TemplateInvalid):
        TemplateRegistry([template, template])


def test_latest_version_wins_and_old_versions_stay_reachable(registry: TemplateRegistry) -> None:
    old = registry.get("academic-score")
    newer = Template.model_validate({**old.model_dump(), "version": 2, "name": "学业成绩（新）"})
    extended = registry.with_templates([newer])
    assert extended.get("academic-score").version == 2
    assert extended.get("academic-score", 1).name == "学业成绩"
