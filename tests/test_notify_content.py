"""The zh-CN messages: both kinds render as text and HTML, with the subject, the deadline in
words and the copy note; and their context cannot carry anything about a student."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from shared.notify import DigestItem, SummaryRow, SummaryTask, render
from shared.notify.content import CHINA, stage

NOW = datetime(2024, 11, 7, 8, 30, tzinfo=CHINA)  # a Thursday morning
FRIDAY_5PM = datetime(2024, 11, 8, 17, 0, tzinfo=CHINA)
WEB = "https://growth.example.cn"


def item(task: str, class_name: str, subject: str, deadline: datetime) -> DigestItem:
    return DigestItem(task, class_name, subject, deadline, f"{WEB}/upload?task={task}")


ITEMS = [
    item("期中成绩", "七年级(4)班", "数学", FRIDAY_5PM),
    item("期中成绩", "七年级(3)班", "数学", FRIDAY_5PM),
    item("体质健康测试", "七年级(3)班", "", FRIDAY_5PM + timedelta(days=2)),
]


def test_a_teachers_digest_lists_every_missing_upload_with_its_link() -> None:
    message = render("reminder_digest", items=ITEMS, now=NOW, recipient_name="王老师")
    assert message.subject == "【数据上报提醒】期中成绩 等2项任务待上报（截止 11月8日）"
    text = message.text
    assert text.startswith("王老师：您好！")
    assert "1. 期中成绩（截止 11月8日（周五）17:00，明天截止）" in text
    assert "2. 体质健康测试（截止 11月10日（周日）17:00，距截止还有3天）" in text
    # one line per class and subject, in order, each with its upload link
    assert text.index("七年级(3)班 数学") < text.index("七年级(4)班 数学")
    assert f"七年级(3)班 数学：{WEB}/upload?task=期中成绩" in text
    assert "抄送" not in text
    assert message.html is not None
    assert message.html.count("去上传") == 3
    assert "明天截止" in message.html


def test_a_single_overdue_task_says_so_in_the_subject_and_body() -> None:
    after = FRIDAY_5PM + timedelta(days=1, hours=1)
    message = render("reminder_digest", items=ITEMS[:1], now=after)
    assert message.subject == "【数据上报提醒】期中成绩 已逾期（截止 11月8日）"
    assert "已逾期1天" in message.text
    assert "尽快上传" in message.text
    assert message.text.startswith("您好！")


def test_the_school_admins_copy_carries_the_copy_note() -> None:
    message = render("reminder_digest", items=ITEMS, now=NOW, recipient_name="李校长", copy=True)
    assert message.subject.startswith("【数据上报提醒】（抄送）期中成绩")
    assert "抄送您作为学校管理员" in message.text
    assert message.html is not None
    assert "抄送您作为学校管理员" in message.html


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (FRIDAY_5PM - timedelta(days=3, hours=8), "距截止还有3天"),
        (FRIDAY_5PM - timedelta(hours=32), "明天截止"),
        (FRIDAY_5PM - timedelta(hours=8), "今天截止"),
        (FRIDAY_5PM + timedelta(hours=1), "已逾期"),
        (FRIDAY_5PM + timedelta(days=2), "已逾期2天"),
    ],
)
def test_the_stage_in_words_counts_calendar_days_in_beijing(now: datetime, words: str) -> None:
    assert stage(FRIDAY_5PM, now) == words


def test_deadlines_in_utc_are_shown_in_beijing_time() -> None:
    utc = FRIDAY_5PM.astimezone(UTC)
    message = render("reminder_digest", items=[item("期中成绩", "七年级(3)班", "", utc)], now=NOW)
    assert "11月8日（周五）17:00" in message.text


def test_html_escapes_what_it_shows() -> None:
    hostile = item("<script>alert(1)</script>", "七年级(3)班", "数学", FRIDAY_5PM)
    message = render("reminder_digest", items=[hostile], now=NOW)
    assert message.html is not None
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<script>" in message.text  # plain text is not HTML: shown as written


def test_the_district_summary_lists_the_schools_behind() -> None:
    task = SummaryTask(
        "期中成绩",
        FRIDAY_5PM,
        f"{WEB}/completion/t-1",
        (
            SummaryRow("闵行区实验中学", 2, 12),
            SummaryRow("七宝中学", 0, 10),
            SummaryRow("莘庄中学", 5, 11),
        ),
    )
    message = render("district_summary", tasks=[task], now=FRIDAY_5PM + timedelta(hours=15))
    assert message.subject == "【数据上报汇总】期中成绩 已截止，2所学校未完成（截止 11月8日）"
    text = message.text
    assert "全区未上报 7 / 应上报 33" in text
    assert text.index("莘庄中学：未上报 5 / 应上报 11") < text.index("闵行区实验中学：未上报 2")
    assert "七宝中学" not in text
    assert "其余 1 所学校已全部完成" in text
    assert f"{WEB}/completion/t-1" in text
    assert message.html is not None
    assert "查看完成情况" in message.html


def test_the_context_has_no_field_for_a_student() -> None:
    # The items carry exactly what a message may show: classes, subjects, counts.
    assert [f.name for f in dataclasses.fields(DigestItem)] == [
        "task_title",
        "class_name",
        "subject",
        "deadline",
        "url",
    ]
    assert [f.name for f in dataclasses.fields(SummaryRow)] == [
        "school_name",
        "missing",
        "expected",
    ]
    # Anything else is refused: an unknown field, a dict in place of an item
    with pytest.raises(TypeError, match="student_name"):
        render("reminder_digest", items=ITEMS, now=NOW, student_name="张三")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="DigestItem"):
        render(
            "reminder_digest",
            items=[{"task_title": "期中成绩", "student_name": "张三"}],  # type: ignore[list-item]
            now=NOW,
        )
    with pytest.raises(TypeError):
        DigestItem("期中成绩", "七年级(3)班", "数学", FRIDAY_5PM, WEB, "张三")  # type: ignore[call-arg]


def test_times_must_be_aware_and_kinds_known() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        item("期中成绩", "七年级(3)班", "", datetime(2024, 11, 8, 17))
    with pytest.raises(ValueError, match="no message kind"):
        render("newsletter", items=ITEMS, now=NOW)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="at least one"):
        render("reminder_digest", items=[], now=NOW)
