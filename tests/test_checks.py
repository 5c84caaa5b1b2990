"""Cell checks per column type and the template rules, each shown on a small file."""

from __future__ import annotations

import pytest

from shared.ingest import Roster
from tests.helpers import codes, run, sid

SCORE = ["学籍号", "姓名", "班级", "学科", "考核类型", "考核日期", "得分", "满分", "备注"]


def score_row(date: str = "2024-11-05", score: str = "95", **changes: str) -> list[str]:
    row = {
        "学籍号": sid(),
        "姓名": "张三",
        "班级": "七年级(1)班",
        "学科": "数学",
        "考核类型": "期中考试",
        "考核日期": date,
        "得分": score,
        "满分": "",
        "备注": "",
    }
    row.update(changes)
    return [row[h] for h in SCORE]


@pytest.mark.parametrize(
    "written",
    [
        "2024-11-05",
        "2024/11/5",
        "2024.11.5",
        "2024年11月5日",
        "20241105",
        "2024 年 11 月 5 日",
        "２０２４－１１－０５",
        "2024-11-05 08:30",
    ],
)
def test_dates_in_the_forms_schools_type_are_accepted(written: str) -> None:
    result = run("academic-score", SCORE, [score_row(date=written)])
    assert result.status == "accepted", codes(result)
    assert str(result.accepted.column("assessment_date")[0]) == "2024-11-05"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("2024-02-30", "DATE_INVALID"),
        ("2023-02-29", "DATE_INVALID"),
        ("2024-13-01", "DATE_INVALID"),
        ("11/5/2024", "DATE_AMBIGUOUS"),
        ("5.11.24", "DATE_AMBIGUOUS"),
        ("24-11-5", "DATE_AMBIGUOUS"),
        ("45601", "DATE_SERIAL"),
        ("下周一", "DATE_FORMAT"),
        ("2024-11", "DATE_FORMAT"),
        ("2025-01-05", "DATE_IN_FUTURE"),
        ("2009-12-31", "DATE_OUT_OF_RANGE"),
    ],
)
def test_bad_dates_are_refused_with_a_specific_code(written: str, code: str) -> None:
    result = run("academic-score", SCORE, [score_row(), score_row(date=written)])
    assert codes(result) == [(3, "考核日期", code)]


def test_dates_outside_the_term_are_refused_only_when_a_term_is_given() -> None:
    rows = [score_row(date="2024-11-05"), score_row(date="2024-07-01")]
    assert codes(run("academic-score", SCORE, rows)) == []
    in_term = run("academic-score", SCORE, rows, term="2024-2025-1")
    assert codes(in_term) == [(3, "考核日期", "DATE_OUTSIDE_TERM")]
    assert "2024-08-01 至 2025-01-31" in in_term.row_errors[0].message


@pytest.mark.parametrize(
    ("score", "full", "code"),
    [
        ("缺考", "", None),
        ("免考", "", None),
        ("95分", "", None),
        ("１００", "", None),
        ("105", "", "SCORE_ABOVE_FULL_MARKS"),
        ("105", "120", None),
        ("-1", "", "OUT_OF_RANGE"),
        ("九十", "", "NOT_A_NUMBER"),
        ("#DIV/0!", "", "CELL_ERROR"),
        ("", "", "REQUIRED"),
    ],
)
def test_scores_are_numbers_up_to_full_marks_or_a_status(
    score: str, full: str, code: str | None
) -> None:
    result = run("academic-score", SCORE, [score_row(score=score, **{"满分": full})])
    assert [c for _, _, c in codes(result)] == ([code] if code else [])


def test_a_status_is_kept_apart_from_the_score() -> None:
    result = run(
        "academic-score", SCORE, [score_row(score="缺考"), score_row(score="88", 学科="语文")]
    )
    table = result.accepted
    assert table is not None
    assert table.column("score").to_pylist() == [None, 88.0]
    assert table.column("score_status").to_pylist() == ["缺考", None]
    assert table.column("full_marks").to_pylist() == [100.0, 100.0]  # the template default


def test_enum_aliases_map_to_the_catalogue_value() -> None:
    result = run("academic-score", SCORE, [score_row(学科="道法", 考核类型="期末")])
    assert result.accepted is not None
    assert result.accepted.column("subject").to_pylist() == ["道德与法治"]
    assert result.accepted.column("assessment_type").to_pylist() == ["期末考试"]


ROSTER = [
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


def roster_row(**changes: str) -> list[str]:
    student_no = sid(day=5, seq=11)  # a boy born 2012-03-05
    row = {
        "学籍号": student_no,
        "姓名": "李雷",
        "性别": "男",
        "出生日期": "2012-03-05",
        "身份证号": student_no[1:],
        "年级": "初一",
        "班级": "七年级(1)班",
        "监护人姓名": "李父",
        "监护人手机": "13812345678",
        "监护人同意": "是",
    }
    row.update(changes)
    return [row[h] for h in ROSTER]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"身份证号": sid(day=5, seq=11)[1:].lower()}, []),
        ({"身份证号": ""}, []),
        ({"性别": "女"}, [("性别", "ID_MISMATCH_GENDER")]),
        ({"出生日期": "2012-03-06"}, [("出生日期", "ID_MISMATCH_BIRTH_DATE")]),
        ({"身份证号": sid(day=6, seq=11)[1:]}, [("身份证号", "ID_MISMATCH_STUDENT_NO")]),
        ({"身份证号": "310112120305011"}, [("身份证号", "NATIONAL_ID_LEGACY")]),
        ({"身份证号": "3.10112E+17"}, [("身份证号", "ID_AS_NUMBER")]),
        ({"身份证号": sid(day=5, seq=11)[1:-3] + "000"}, [("身份证号", "ID_AS_NUMBER")]),
        ({"学籍号": sid(day=5, seq=11)[:-1] + "0"}, [("学籍号", "STUDENT_NO_CHECK_DIGIT")]),
        ({"学籍号": "12345"}, [("学籍号", "STUDENT_NO_FORMAT")]),
        ({"监护人手机": "+86 138-1234-5678"}, []),
        ({"监护人手机": "1381234567"}, [("监护人手机", "MOBILE_FORMAT")]),
        ({"年级": "2024级"}, [("年级", "NOT_IN_LIST")]),
        ({"监护人同意": "已同意"}, []),
        ({"姓名": "李" * 31}, [("姓名", "TOO_LONG")]),
    ],
)
def test_roster_identity_checks(changes: dict[str, str], expected: list[tuple[str, str]]) -> None:
    result = run("roster-students", ROSTER, [roster_row(**changes)])
    assert [(column, code) for _, column, code in codes(result)] == expected


def test_a_birth_date_inside_the_student_number_must_be_real() -> None:
    bad = "G31011220230229" + "0011"  # 2023-02-29 does not exist
    result = run("roster-students", ROSTER, [roster_row(), roster_row(学籍号=bad, 身份证号="")])
    assert [c for _, _, c in codes(result)] in (
        [("STUDENT_NO_CHECK_DIGIT")],
        [("STUDENT_NO_BIRTH_DATE")],
    )


FITNESS = [
    "学籍号",
    "姓名",
    "性别",
    "年级",
    "测试日期",
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


def fitness_row(grade: str, gender: str, day: int = 1, **items: str) -> list[str]:
    base = {
        "学籍号": sid(day=day, seq=11 if gender == "男" else 12),
        "姓名": "韩梅梅",
        "性别": gender,
        "年级": grade,
        "测试日期": "2024-10-25",
        "身高": "150.5",
        "体重": "40.2",
        "肺活量": "2100",
        "50米跑": "8.9",
        "坐位体前屈": "10.5",
    }
    base.update(items)
    return [base.get(h, "") for h in FITNESS]


def test_fitness_items_depend_on_grade_and_gender() -> None:
    rows = [
        fitness_row("二年级", "女", 一分钟跳绳="120"),
        fitness_row(
            "五年级", "男", 2, 一分钟跳绳="150", 一分钟仰卧起坐="35", **{"50米×8往返跑": "1'50\""}
        ),
        fitness_row("初二", "男", 立定跳远="210", 引体向上="6", **{"1000米跑": "4分05秒"}),
        fitness_row("初二", "女", 3, 立定跳远="170", 一分钟仰卧起坐="40", **{"800米跑": "3'55\""}),
    ]
    result = run("fitness-test", FITNESS, rows)
    assert codes(result) == []
    table = result.accepted
    assert table is not None
    assert table.column("shuttle_run_50x8_s").to_pylist() == [None, 110.0, None, None]
    assert table.column("run_1000m_s").to_pylist() == [None, None, 245.0, None]
    assert table.column("run_800m_s").to_pylist() == [None, None, None, 235.0]


def test_a_missing_required_item_names_the_group_and_a_stray_item_is_a_warning() -> None:
    rows = [
        fitness_row("初二", "男", 立定跳远="210", **{"1000米跑": "4'05\""}, 一分钟跳绳="100"),
        fitness_row("初二", "男", 2, 立定跳远="210", 引体向上="免测", **{"1000米跑": "4'05\""}),
    ]
    result = run("fitness-test", FITNESS, rows)
    assert codes(result) == [
        (2, "一分钟跳绳", "ITEM_NOT_APPLICABLE"),
        (2, "引体向上", "ITEM_REQUIRED_FOR_GROUP"),
    ]
    assert "八年级男生" in result.row_errors[1].message
    assert result.rows_rejected == 1  # the warning alone does not reject row 3
    table = result.accepted
    assert table is not None
    assert table.column("pull_ups_status").to_pylist() == ["免测"]


@pytest.mark.parametrize(
    ("written", "seconds", "code"),
    [
        ("3'45\"", 225.0, None),
        ("3′45″", 225.0, None),
        ("3分45秒", 225.0, None),
        ("225", 225.0, None),
        ("0:03:45", 225.0, None),
        ("3'75\"", None, "DURATION_FORMAT"),
        ("快", None, "DURATION_FORMAT"),
        ("15'00\"", None, "OUT_OF_RANGE"),
    ],
)
def test_run_times(written: str, seconds: float | None, code: str | None) -> None:
    row = fitness_row("初一", "女", 立定跳远="170", 一分钟仰卧起坐="40", **{"800米跑": written})
    result = run("fitness-test", FITNESS, [row])
    assert [c for _, _, c in codes(result)] == ([code] if code else [])
    if seconds is not None:
        assert result.accepted is not None
        assert result.accepted.column("run_800m_s").to_pylist() == [seconds]


def test_numbers_with_units_and_full_width_digits() -> None:
    row = fitness_row(
        "二年级", "男", 身高="１２５.５cm", 体重="25公斤", 肺活量="1,200", 一分钟跳绳="99次"
    )
    result = run("fitness-test", FITNESS, [row])
    assert codes(result) == []
    table = result.accepted
    assert table is not None
    assert (table.column("height_cm")[0].as_py(), table.column("weight_kg")[0].as_py()) == (
        125.5,
        25,
    )
    assert table.column("vital_capacity_ml").to_pylist() == [1200]


def test_integers_must_be_whole() -> None:
    result = run("fitness-test", FITNESS, [fitness_row("二年级", "男", 一分钟跳绳="99.5")])
    assert codes(result) == [(2, "一分钟跳绳", "NOT_AN_INTEGER")]


QUALITY = [
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


def test_quality_records_end_after_they_start() -> None:
    good = [
        sid(),
        "张三",
        "创新精神",
        "科技节",
        "2024-10-01",
        "2024-10-03",
        "6",
        "校团委",
        "",
        "王老师",
        "参加科技节\n制作了水火箭",
    ]
    bad = [*good[:4], "2024-10-05", "2024-10-03", *good[6:]]
    bad[3] = "科技节2"
    result = run("quality-record", QUALITY, [good, bad])
    assert codes(result) == [(3, "结束日期", "DATE_ORDER")]
    table = result.accepted
    assert table is not None
    assert table.column("area").to_pylist() == ["创新精神与实践能力"]
    assert table.column("description").to_pylist() == ["参加科技节\n制作了水火箭"]


def test_roster_check_names_the_expected_name_and_class() -> None:
    roster_result = run("roster-students", ROSTER, [roster_row()])
    roster = Roster.from_result(roster_result)
    student_no = sid(day=5, seq=11)
    rows = [
        score_row(学籍号=student_no, 姓名="李雷"),
        score_row(学籍号=student_no, 姓名="李蕾", 学科="语文"),
        score_row(学籍号=student_no, 姓名="李雷", 班级="七年级(2)班", 学科="英语"),
        score_row(学籍号=sid(day=9), 姓名="王五", 学科="英语"),
    ]
    result = run("academic-score", SCORE, rows, roster=roster)
    assert codes(result) == [
        (3, "姓名", "ROSTER_NAME_MISMATCH"),
        (4, "班级", "ROSTER_CLASS_MISMATCH"),
        (5, "学籍号", "NOT_IN_ROSTER"),
    ]
    assert "李雷" in result.row_errors[0].message
    assert "七年级(1)班" in result.row_errors[1].message


def test_a_run_time_typed_with_a_decimal_point_is_a_format_mistake() -> None:
    # Given 800 m typed as 3.45 (meaning 3'45"), and 50 m typed as 9.5 seconds
    row = fitness_row("初一", "女", 立定跳远="170", 一分钟仰卧起坐="40", **{"800米跑": "3.45"})
    result = run("fitness-test", FITNESS, [row])
    # Then the run time is a format mistake, not "out of range"
    assert codes(result) == [(2, "800米跑", "DURATION_FORMAT")]
    assert "不要写成 3.45" in result.row_errors[0].message
