"""体质健康测试 scored by 《国家学生体质健康标准（2014年修订）》: worked examples computed by hand
from the tables in shared/fitness/data (boundaries, a timed item, bonuses, BMI bands, 缺测 and
免测), the vectorized derivation held to the one-student scorer, and an upload through the
pipeline whose records and lake rows carry the scores."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from growth.sample import FITNESS_HEADER, csv_bytes
from shared.fitness import (
    ABSENT,
    EXEMPT,
    NotScored,
    assess,
    bmi,
    bmi_band,
    bonus_points,
    derive,
    derived_columns,
    derived_keys,
    fitness_grade,
    score_item,
    scored_items,
    standard,
)
from shared.grades import GRADE_LABELS
from tests.authz.collection import school_task
from tests.pipeline_world import LAKE, PipelineWorld, body_of, pipeline_world

# ------------------------------------------------------------------------- single items


def test_a_result_on_a_levels_standard_earns_that_level() -> None:
    # Given 一年级男生's 肺活量 standards (80 points: 1300 ml; 78 points: 1240 ml)
    # When results exactly on, just below and far above a standard are scored
    # Then meeting a standard earns its level, falling short the level below
    assert score_item("vital_capacity_ml", 1, "男", 1300) == 80
    assert score_item("vital_capacity_ml", 1, "男", 1299) == 78
    assert score_item("vital_capacity_ml", 1, "男", 1700) == 100
    assert score_item("vital_capacity_ml", 1, "男", 9000) == 100
    # …and below the 10-point standard (500 ml) the item scores 0
    assert score_item("vital_capacity_ml", 1, "男", 500) == 10
    assert score_item("vital_capacity_ml", 1, "男", 499) == 0


def test_a_timed_item_scores_lower_times_higher() -> None:
    # Given 初二女生's 50米跑 standards (100: 8.0 s, 95: 8.1 s … 10: 11.8 s)
    # Then a time on a standard earns it, a hundredth slower the next level down
    assert score_item("sprint_50m_s", 8, "女", 8.0) == 100
    assert score_item("sprint_50m_s", 8, "女", 8.01) == 95
    assert score_item("sprint_50m_s", 8, "女", 7.2) == 100
    assert score_item("sprint_50m_s", 8, "女", 11.8) == 10
    assert score_item("sprint_50m_s", 8, "女", 11.9) == 0
    # …and 800米跑 in seconds: 3'30" = 210 s is 初二女生's 100 points, 3'31" is 95
    assert score_item("run_800m_s", 8, "女", 210) == 100
    assert score_item("run_800m_s", 8, "女", 211) == 95


def test_levels_the_standard_leaves_blank_are_never_earned() -> None:
    # Given 高二男生's 引体向上: 80 points at 13, no 78, 76 at 12 (the 78, 74, 70, 66, 62
    # cells of the standard are blank)
    assert score_item("pull_ups", 11, "男", 13) == 80
    assert score_item("pull_ups", 11, "男", 12) == 76
    assert score_item("pull_ups", 11, "男", 11) == 72
    # …and 初一男生 has no 20 or 10 points: one pull-up is 30, none is 0
    assert score_item("pull_ups", 7, "男", 1) == 30
    assert score_item("pull_ups", 7, "男", 0) == 0


def test_an_item_the_standard_does_not_score_for_the_group_is_refused_by_name() -> None:
    # Given items and groups the standard has no table for
    # When they are asked for, Then each is refused, naming what is missing
    with pytest.raises(NotScored, match="一分钟跳绳"):
        score_item("rope_skipping", 8, "男", 150)  # 初中 do not skip
    with pytest.raises(NotScored, match="引体向上"):
        score_item("pull_ups", 8, "女", 5)  # girls do sit-ups
    with pytest.raises(NotScored, match="13"):
        score_item("vital_capacity_ml", 13, "男", 4000)  # no 13th grade
    with pytest.raises(NotScored):
        assess(7, "男女", {})
    with pytest.raises(NotScored, match="'long_jump'"):
        score_item("long_jump", 7, "男", 200)


# ---------------------------------------------------------------------------------- BMI


def test_bmi_is_rounded_half_up_to_one_decimal() -> None:
    assert bmi(120, 22) == 15.3  # 15.277…
    assert bmi(200, 61) == 15.3  # exactly 15.25
    assert bmi(150, 33.75) == 15.0
    with pytest.raises(ValueError, match="height"):
        bmi(0, 30)


def test_bmi_bands_include_their_printed_bounds() -> None:
    # Given 一年级男生's bands: 低体重 ≤13.4, 正常 13.5–18.1, 超重 18.2–20.3, 肥胖 ≥20.4
    bands = {value: bmi_band(1, "男", value) for value in (13.4, 13.5, 18.1, 18.2, 20.3, 20.4)}
    assert bands == {
        13.4: ("低体重", 80),
        13.5: ("正常", 100),
        18.1: ("正常", 100),
        18.2: ("超重", 80),
        20.3: ("超重", 80),
        20.4: ("肥胖", 60),
    }
    # …and 初二女生's 超重 ends at 24.8, 肥胖 starts at 24.9
    assert bmi_band(8, "女", 24.8) == ("超重", 80)
    assert bmi_band(8, "女", 24.9) == ("肥胖", 60)


# -------------------------------------------------------------------------------- bonus


def test_bonus_is_for_results_beyond_the_100_point_standard() -> None:
    # 一分钟跳绳 (一年级男生, 100 points at 109): a point per 2 more, at most 20
    assert bonus_points("rope_skipping", 1, "男", 109) == 0
    assert bonus_points("rope_skipping", 1, "男", 110) == 0
    assert bonus_points("rope_skipping", 1, "男", 111) == 1
    assert bonus_points("rope_skipping", 1, "男", 149) == 20
    assert bonus_points("rope_skipping", 1, "男", 300) == 20
    # 1000米跑 (高二男生, 100 points at 205 s): 4 s faster 1 point … 35 s faster 10
    assert bonus_points("run_1000m_s", 11, "男", 201) == 1
    assert bonus_points("run_1000m_s", 11, "男", 200) == 1
    assert bonus_points("run_1000m_s", 11, "男", 182) == 6  # 23 s faster
    assert bonus_points("run_1000m_s", 11, "男", 170) == 10
    assert bonus_points("run_1000m_s", 11, "男", 150) == 10
    # 一分钟仰卧起坐 (初二女生, 100 at 51): +2 → 1, +4 → 2, +6 → 3, +7 → 4 … +13 → 10
    assert [bonus_points("sit_ups", 8, "女", 51 + n) for n in (1, 2, 4, 6, 7, 13)] == [
        0,
        1,
        2,
        3,
        4,
        10,
    ]
    # Items and groups without a bonus: 一分钟仰卧起坐 in 小学, 50米跑, a result below 100
    assert bonus_points("sit_ups", 5, "女", 80) == 0
    assert bonus_points("sprint_50m_s", 11, "男", 5.0) == 0
    assert bonus_points("pull_ups", 11, "男", 16) == 0


# ------------------------------------------------------------------------ worked examples


def test_a_first_grade_boy() -> None:
    # Given a 一年级男生: BMI 22/1.2² = 15.3 (正常, 100); 肺活量 1300 exactly on 80; 50米跑
    # 10.65 s, slower than 10.6 (80) so 78; 坐位体前屈 16.1 exactly on 100; 一分钟跳绳 129,
    # 20 beyond the 100-point 109 so 10 bonus points
    result = assess(
        1,
        "男",
        {
            "height_cm": 120.0,
            "weight_kg": 22.0,
            "vital_capacity_ml": 1300,
            "sprint_50m_s": 10.65,
            "sit_and_reach_cm": 16.1,
            "rope_skipping": 129,
        },
    )
    # Then each item is scored, weighted 15/15/20/30/20 into 92.6, plus 10 → 102.6, 优秀
    assert result.scores == {
        "bmi": 100,
        "vital_capacity_ml": 80,
        "sprint_50m_s": 78,
        "sit_and_reach_cm": 100,
        "rope_skipping": 100,
    }
    assert (result.bmi, result.bmi_band) == (15.3, "正常")
    assert result.bonus == {"rope_skipping": 10}
    # (100×15 + 80×15 + 78×20 + 100×30 + 100×20) / 100 = 92.6
    assert (result.standard_score, result.bonus_score, result.total_score) == (92.6, 10, 102.6)
    assert result.fitness_grade == "优秀"


def test_an_eighth_grade_girl_with_an_item_not_taken() -> None:
    # Given a 初二女生 who did not take 50米跑 (缺测): BMI 62/1.58² = 24.8 (超重, 80);
    # 肺活量 2499, 1 ml short of 80, so 78; 坐位体前屈 15.9 on 80; 立定跳远 200 on 100;
    # 一分钟仰卧起坐 55, 4 beyond 51, so 100 and 2 bonus points; 800米跑 210 s on 100, no bonus
    result = assess(
        8,
        "女",
        {
            "height_cm": 158.0,
            "weight_kg": 62.0,
            "vital_capacity_ml": 2499,
            "sprint_50m_s": None,
            "sit_and_reach_cm": 15.9,
            "standing_long_jump_cm": 200,
            "sit_ups": 55,
            "run_800m_s": 210,
        },
        statuses={"sprint_50m_s": ABSENT},
    )
    # Then 50米跑 scores 0 and still weighs 20: 80×15 + 78×15 + 0 + 80×10 + 100×10 + 100×10
    # + 100×20 = 7170 → 71.7, plus 2 → 73.7, 及格
    assert result.scores == {
        "bmi": 80,
        "vital_capacity_ml": 78,
        "sprint_50m_s": 0,
        "sit_and_reach_cm": 80,
        "standing_long_jump_cm": 100,
        "sit_ups": 100,
        "run_800m_s": 100,
    }
    assert result.bmi_band == "超重"
    assert result.absent == ("sprint_50m_s",)
    assert result.bonus == {"sit_ups": 2, "run_800m_s": 0}
    assert (result.standard_score, result.bonus_score, result.total_score) == (71.7, 2, 73.7)
    assert result.fitness_grade == "及格"


def test_an_eleventh_grade_boy() -> None:
    # Given a 高二男生: BMI 70/1.75² = 22.9 (正常); 肺活量 3500 (70 from 3400); 50米跑 7.25 s
    # (85 at 7.3); 坐位体前屈 10.5 on 72; 立定跳远 239 (78 from 236); 引体向上 12 (76, the
    # 78 cell is blank); 1000米跑 3'20" = 200 s, 5 s under 205 → 100 and 1 bonus point
    result = assess(
        11,
        "男",
        {
            "height_cm": 175.0,
            "weight_kg": 70.0,
            "vital_capacity_ml": 3500,
            "sprint_50m_s": 7.25,
            "sit_and_reach_cm": 10.5,
            "standing_long_jump_cm": 239,
            "pull_ups": 12,
            "run_1000m_s": 200,
            "rope_skipping": 200,  # not an item of 高中: ignored
        },
    )
    assert result.scores == {
        "bmi": 100,
        "vital_capacity_ml": 70,
        "sprint_50m_s": 85,
        "sit_and_reach_cm": 72,
        "standing_long_jump_cm": 78,
        "pull_ups": 76,
        "run_1000m_s": 100,
    }
    # 100×15 + 70×15 + 85×20 + 72×10 + 78×10 + 76×10 + 100×20 = 8510 → 85.1, + 1 → 86.1
    assert (result.standard_score, result.bonus_score, result.total_score) == (85.1, 1, 86.1)
    assert result.fitness_grade == "良好"
    derived = result.derived_values()
    assert list(derived) == list(derived_keys())
    assert derived["run_1000m_s_score"] == 100.0
    assert derived["rope_skipping_score"] is None  # not scored in 高中
    assert (derived["total_score"], derived["fitness_grade"]) == (86.1, "良好")


def test_a_student_exempted_from_an_item_is_not_graded() -> None:
    # Given a 五年级女生 exempted (免测) from 50米×8往返跑, every other item taken
    values = {
        "height_cm": 145.0,
        "weight_kg": 36.0,
        "vital_capacity_ml": 2250,
        "sprint_50m_s": 8.3,
        "sit_and_reach_cm": 19.8,
        "rope_skipping": 158,
        "sit_ups": 48,
        "shuttle_run_50x8_s": None,
    }
    result = assess(5, "女", values, statuses={"shuttle_run_50x8_s": EXEMPT})
    # Then the items taken are scored, the exempt one is empty, and there is no total or
    # grade: the standard records such a student as 免测
    assert result.scores["shuttle_run_50x8_s"] is None
    assert result.scores["rope_skipping"] == 100
    assert result.exempt == ("shuttle_run_50x8_s",)
    assert (result.standard_score, result.total_score, result.fitness_grade) == (None,) * 3
    # …while the same student with the item simply missing (缺测) is graded, with 0 for it
    absent = assess(5, "女", values)
    assert absent.scores["shuttle_run_50x8_s"] == 0
    assert (absent.standard_score, absent.fitness_grade) == (90.0, "优秀")


def test_the_grade_follows_the_years_total() -> None:
    assert [fitness_grade(t) for t in (120.0, 90.0, 89.9, 80.0, 79.9, 60.0, 59.9, 0.0)] == [
        "优秀",
        "优秀",
        "良好",
        "良好",
        "及格",
        "及格",
        "不及格",
        "不及格",
    ]


def test_the_weights_of_each_group_make_100_percent_of_its_items() -> None:
    # Then every grade and gender is scored on BMI and its items, weighted to 100%
    tables = standard()
    for grade in range(1, 13):
        for gender in ("男", "女"):
            assert sum(tables.weights_of(grade, gender).values()) == 100
    assert scored_items(2, "女") == (
        "bmi",
        "vital_capacity_ml",
        "sprint_50m_s",
        "sit_and_reach_cm",
        "rope_skipping",
    )
    assert scored_items(12, "男")[-2:] == ("pull_ups", "run_1000m_s")


def test_every_data_file_names_its_source() -> None:
    # Given the package's data files
    folder = resources.files("shared.fitness") / "data"
    for name in ("single-items", "bmi", "weights", "bonus"):
        source = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))["source"]
        # Then each names the standard and the repository, path and commit it was taken from,
        # and what it was checked against
        assert "教体艺〔2014〕5号" in source["standard"]
        assert set(source["transcribed_from"]) >= {"repository", "path", "commit"}
        assert len(source["transcribed_from"]["commit"]) == 40
        assert source["cross_checked_with"]


# ----------------------------------------------------------- the derivation, whole tables


def random_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Fitness rows as the engine types them, for every grade and gender: results on, near
    and far from standards, some 缺测 and some 免测, items a group does not take empty."""
    rng = random.Random(seed)
    tables = standard()
    rows = []
    for _ in range(count):
        grade, gender = rng.randint(1, 12), rng.choice(["男", "女"])
        row: dict[str, Any] = {"grade": grade, "gender": gender}
        taken = set(tables.weights_of(grade, gender)) | {"height_cm", "weight_kg"}
        for key in ["height_cm", "weight_kg", *tables.items]:
            value, status = None, None
            if key in taken:
                roll = rng.random()
                if roll < 0.04:
                    status = EXEMPT
                elif roll < 0.08:
                    status = ABSENT
                elif key == "height_cm":
                    value = round(rng.uniform(105, 195), 1)
                elif key == "weight_kg":
                    value = round(rng.uniform(16, 95), 1)
                else:
                    given = [t for t in tables.items[key].thresholds[grade, gender] if t]
                    low, high = min(given), max(given)
                    if rng.random() < 0.5:
                        value = rng.choice(given) + rng.choice([0, 0, 0.1, -0.1, 1, -1, 13, -40])
                    else:
                        value = round(rng.uniform(low - (high - low) / 3, high * 1.2), 1)
            row[key], row[f"{key}_status"] = value, status
        rows.append(row)
    return rows


def test_the_derivation_over_a_table_agrees_with_scoring_each_student() -> None:
    # Given thousands of rows of every grade and gender
    rows = random_rows(3000, seed=2014)
    table = pa.table(
        {
            key: pa.array([r[key] for r in rows], type=pa.int8() if key == "grade" else None)
            for key in rows[0]
        }
    )
    # When the table is derived at once
    derived = derive("fitness-test", table).select(list(derived_keys())).to_pylist()
    # Then each row has exactly what scoring its student alone gives
    for row, got in zip(rows, derived, strict=True):
        statuses = {k.removesuffix("_status"): v for k, v in row.items() if k.endswith("_status")}
        alone = assess(row["grade"], row["gender"], row, statuses=statuses)
        assert got == alone.derived_values(), row
    # …and every grade of the scale occurs
    assert {r["fitness_grade"] for r in derived} == {"优秀", "良好", "及格", "不及格", None}


def test_only_the_fitness_template_has_a_derivation() -> None:
    table = pa.table({"grade": pa.array([7], pa.int8()), "gender": ["男"]})
    assert derive("academic-score", table) is table
    assert derived_columns("academic-score") == ()
    assert [c.key for c in derived_columns("fitness-test")] == list(derived_keys())
    # …and rows whose grade or gender the standard does not know get empty scores
    odd = pa.table({"grade": pa.array([0, 7], pa.int8()), "gender": ["男", "未知"]})
    assert derive("fitness-test", odd).column("total_score").null_count == 2


# ------------------------------------------------------------------- an upload, imported


@pytest.fixture
def pw(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    with pipeline_world(monkeypatch) as built:
        yield built


def fitness_file(pw: PipelineWorld) -> bytes:
    """Class A1's fitness results: S1 (初一男生, every item) and S1b (初一男生, 1000米跑 缺测)."""
    directory = pw.world.repos.directory
    rows = []
    for sid, run in (("S1", "3'40\""), ("S1b", "缺测")):
        student = directory.get_student(sid)
        items = {
            "身高": "160.0",
            "体重": "50.0",
            "肺活量": "3640",
            "50米跑": "7.8",
            "坐位体前屈": "17.6",
            "立定跳远": "225",
            "引体向上": "15",
            "1000米跑": run,
        }
        header_items = FITNESS_HEADER[7:-1]
        rows.append(
            [
                "1",
                student.student_no,
                student.name,
                "男",
                GRADE_LABELS[7],
                "七年级(1)班",
                "2024-11-05",
                *[items.get(h, "") for h in header_items],
                "",
            ]
        )
    return csv_bytes(FITNESS_HEADER, rows)


def import_class_file(pw: PipelineWorld) -> str:
    """A fitness task for class A1, its file uploaded and imported; the submission's id."""
    task = school_task("A", "A1") | {"template_id": "fitness-test", "title": "体测"}
    response = pw.world.call("SA", "POST", "/v1/tasks", task)
    assert response.status_code == 201, response.json_body
    started = pw.request_upload("SA", response.json_body["id"], "A1", content_type="text/csv")
    record = pw.upload(started["upload"]["fields"]["key"], fitness_file(pw))
    assert pw.deliver(body_of(record)) == {"batchItemFailures": []}
    return str(started["submission"]["id"])


def test_an_uploaded_fitness_file_becomes_records_and_lake_rows_with_scores(
    pw: PipelineWorld,
) -> None:
    # Given a fitness task for class A1 and the class's file, imported by the validate function
    submission_id = import_class_file(pw)
    seen = pw.world.call("SA", "GET", f"/v1/submissions/{submission_id}")
    assert seen.json_body["status"] == "accepted", seen.json_body
    # Then each record carries its scores: S1 took everything (1000米跑 3'40" = 220 s, 100
    # points at 235 s and 15 s under it → 3 bonus points; 15 pull-ups, 2 beyond 13 → 2)
    page = pw.world.repos.records.list_class_records("A1", "fitness-test", "2024-2025-1", limit=9)
    records = {r.student_id: r for r in page.items}
    s1, s1b = records["S1"].values, records["S1b"].values
    assert (s1["bmi"], s1["bmi_score"], s1["run_1000m_s_score"]) == (19.5, 100, 100)
    assert (s1["bonus_score"], s1["standard_score"], s1["total_score"]) == (5, 100, 105)
    assert s1["fitness_grade"] == "优秀"
    assert s1["rope_skipping_score"] is None  # not an item of 初中
    # …S1b's 缺测 1000米跑 scores 0 of its 20%: 80.0, plus the 2 pull-up points
    assert (s1b["run_1000m_s_score"], s1b["total_score"], s1b["fitness_grade"]) == (0, 82, "良好")
    # …and the lake's rows hold the same, typed
    (part,) = pw.s3.list_objects_v2(Bucket=LAKE, Prefix="records/template=fitness-test/")[
        "Contents"
    ]
    body = pw.s3.get_object(Bucket=LAKE, Key=part["Key"])["Body"].read()
    lake = pq.read_table(io.BytesIO(body))
    assert lake.schema.field("total_score").type == pa.float64()
    assert lake.schema.field("fitness_grade").type == pa.string()
    by_student = {r["student_key"]: r for r in lake.to_pylist()}
    assert (by_student["S1"]["total_score"], by_student["S1"]["fitness_grade"]) == (105.0, "优秀")
    assert (by_student["S1b"]["total_score"], by_student["S1b"]["fitness_grade"]) == (82.0, "良好")
    # …while the record's page lists the template's fields only, the scores beside them
    view = pw.world.call("U1", "GET", f"/v1/records/{records['S1'].id}").json_body["record"]
    assert [f["key"] for f in view["fields"]][:3] == ["test_date", "height_cm", "weight_kg"]
    assert not any(f["key"].endswith("_score") for f in view["fields"])
    assert view["values"]["fitness_grade"] == "优秀"


def test_a_corrected_result_moves_its_score_the_total_and_the_grade(pw: PipelineWorld) -> None:
    # Given the class's fitness file imported (S1: 1000米跑 220 s, 105 points, 优秀)
    import_class_file(pw)
    page = pw.world.repos.records.list_class_records("A1", "fitness-test", "2024-2025-1", limit=9)
    before = next(r for r in page.items if r.student_id == "S1")
    # When the head teacher corrects the run: 300 s, not 220 s
    changed = pw.world.call(
        "T1",
        "POST",
        f"/v1/records/{before.id}/changes",
        {"values": {"run_1000m_s": 300}, "reason": "计时录入错误"},
    )
    assert changed.status_code == 201, changed.json_body
    # Then the record's scores are those the standard gives the corrected results
    after = pw.world.repos.records.get_record(before.id).values
    # (graded by the class it was tested in and the student's gender, from the roster)
    grade = pw.world.repos.directory.get_class("A1").grade
    gender = pw.world.repos.directory.get_student("S1").gender
    derived = set(derived_keys())
    results = {
        k: float(v)
        for k, v in after.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
        if k not in derived
    }
    expected = assess(grade, gender, results)
    assert after["run_1000m_s_score"] == expected.scores["run_1000m_s"]
    assert after["run_1000m_s_score"] < before.values["run_1000m_s_score"]
    assert after["total_score"] == expected.total_score
    assert after["fitness_grade"] == expected.fitness_grade
    assert after["total_score"] < before.values["total_score"]
