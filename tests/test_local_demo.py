"""`growth local demo` (make demo): the whole scenario over HTTP, green only when every outcome is
the expected one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from growth.local import demo


@pytest.fixture
def fresh_function() -> Iterator[None]:
    from functions.progress import app as progress_app
    from functions.statistics import app as statistics_app
    from functions.validate import app as validate_app

    # The functions' container state is per process; this run's is built on this platform.
    caches = (validate_app, progress_app, statistics_app)
    for app in caches:
        app.application.cache_clear()
    yield
    for app in caches:
        app.application.cache_clear()


@pytest.mark.usefixtures("fresh_function")
# Healthy: about a minute and a half on a 2-core machine (its eight stories, the last the
# operations'), longer beside the rest of the suite. The demo waits up to 120 s for each upload,
# so a broken function would take it 10 minutes to report; this fails it in six.
@pytest.mark.timeout(360)
def test_the_demo_runs_the_scenario_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When the demo runs on any free port
    code = demo.run(port=0, state_dir=tmp_path)
    out = capsys.readouterr().out
    # Then every upload ended as expected and the lake holds the accepted rows per class
    assert code == 0, out
    assert "演示完成：每个结果都符合预期。" in out
    # The functions' own INFO lines stay out of the story
    assert '"level":"INFO"' not in out
    # And the reminders reached exactly the people behind, once, then the district
    reminded = [
        "✓ 截止前一天",
        "✓ 再运行一次：不重复发送",
        "✓ 截止后：校管理员各一封，区管理员一封汇总",
    ]
    assert all(line in out for line in reminded), out
    # And the statistics function's figures for a class equal the lake's exact ones
    assert "  ✓ 与数据湖上的精确计算完全一致" in out
    assert "家长在“成长分析”里看到：" in out
    # And the district's roster exported as OneRoster 1.2 and imported back writes nothing
    assert "✓ 再导入同一个数据包：通过校验，没有写入任何变化" in out
    # And the score system, a machine client, pushes a batch twice under one key: taken once
    assert "接受 29 条，拒绝 1 条" in out
    assert "✓ 同一幂等键重发一次：得到同一个批次，没有重复导入" in out
    # And a first-grader's 写实记录 with two photos goes through review, 公示, 异议 and 归档
    assert "已去除 EXIF 与定位" in out
    assert "同班同学的家长在公示中看到这条记录并提出异议" in out
    assert "✓ 写实记录完成了全部流程" in out
    # And a fault report answered within the day, a survey answered once, counted and rated
    assert "须在" in out
    assert "超时检查（三天后）：超过一日未响应的报修 0 件" in out
    assert "同一位家长再次答卷：HTTP 409" in out
    assert "闵行区实验小学  家长  6     83.3%" in out
    assert "✓ 报修一日响应与满意度调查如预期" in out
    assert out.count("✓") == len(demo.scenario()) + len(reminded) + 5
    assert "sch1-1-1  30" in out
    # And a class's distribution and one student's band, as the statistics compute them
    assert "sch1-1-1 数学期中成绩的分布（统计模块，按数据湖）：30 人" in out
    assert "家长看到的是「班级前" in out or "家长看到的是「班级后" in out
    assert "sch1-1-2  30" in out
    # And the platform is gone: the demo's state directory holds the logins it made
    assert (tmp_path / "users.json").is_file()


def outcome(upload: demo.Upload, status: str, counts: tuple[int, int] | None) -> demo.Outcome:
    return demo.Outcome(upload, status, counts=counts, codes=upload.expected.codes)


def test_a_single_unexpected_outcome_fails_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    uploads = demo.scenario()
    expected = [
        demo.Outcome(
            u,
            u.expected.status,
            counts=u.expected.counts,
            codes=u.expected.codes,
            http=u.expected.http,
            parts=u.expected.parts,
        )
        for u in uploads
    ]
    lake = demo.LakeView(dict(demo.EXPECTED_LAKE), ["student_key", "score"])
    assert demo.report(expected, lake)
    # A partial upload that came back accepted
    wrong = [*expected]
    wrong[1] = outcome(uploads[1], "accepted", (30, 0))
    assert not demo.report(wrong, lake)
    # A school workbook that became fewer class parts than it has class sheets
    workbook = next(i for i, u in enumerate(uploads) if u.class_id is None)
    short = [*expected]
    short[workbook] = demo.Outcome(
        uploads[workbook],
        "accepted",
        counts=uploads[workbook].expected.counts,
        codes=uploads[workbook].expected.codes,
        parts=5,
    )
    assert not demo.report(short, lake)
    # Rows of the replaced upload left in the lake
    assert not demo.report(expected, demo.LakeView({"sch1-1-1": 30, "sch1-1-2": 57}, []))
    # A name column in the lake
    assert not demo.report(expected, demo.LakeView(dict(demo.EXPECTED_LAKE), ["name"]))
    assert "个人信息列" in capsys.readouterr().out
