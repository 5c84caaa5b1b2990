"""`growth ops cost`: the yearly AWS cost of the deployed design (shared/operations/cost.py):
the arithmetic on cases computed by hand, how the cost moves with the district, storage that
accumulates, the budget share, the price file and its override, and the command itself."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from growth.cli import main
from shared import resources
from shared.exceptions import InvalidInput
from shared.operations.cost import (
    BUDGET_CNY,
    SERVICES,
    District,
    average_stock,
    estimate,
    flows,
    stored,
    unmodelled_functions,
)
from shared.operations.figures import FIGURES, Figure, record_copies, runs_per_day
from shared.operations.prices import DEFAULT_PRICES, PRICE_KEYS, PriceList, load_prices

DISTRICT = District(students=100_000, schools=150, photos_per_student=20)


def price_file(tmp_path: Path, **cny: float) -> Path:
    """The default price list with every price 0 but those given, all marked verified."""
    document: dict[str, Any] = json.loads(DEFAULT_PRICES.read_text(encoding="utf-8"))
    for key, price in document["prices"].items():
        price["cny"] = cny.get(key, 0.0)
        price["verified"] = True
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def only(tmp_path: Path, **cny: float) -> PriceList:
    return load_prices(price_file(tmp_path, **cny))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["ops", "cost", *args])
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------- arithmetic, by hand


def test_validate_gb_seconds_are_uploads_times_seconds_times_memory() -> None:
    # Given a district of 400 students in one school: 10 classes of 40
    district = District(students=400, schools=1, photos_per_student=0)

    # When its year is modelled
    validate = next(fn for fn in flows(district).functions if fn.name == "validate")

    # Then: 10 classes × 70 assessments = 700 class files, and 20% of them uploaded again
    assert validate.invocations == pytest.approx(840)
    # each 0.35 s of own work + 30 AWS requests × 10 ms + 5% cold starts × 0.7 s
    assert validate.seconds_each == pytest.approx(0.35 + 0.30 + 0.035)
    # at the 2048 MB of shared/resources.py: 840 × 0.685 s × 2 GB
    assert resources.VALIDATE.memory_mb == 2048
    assert validate.gb_s == pytest.approx(1150.8)


def test_lambda_cost_is_gb_seconds_times_the_price(tmp_path: Path) -> None:
    # Given prices where only a GB-second of Lambda costs anything: ¥0.0001
    prices = only(tmp_path, lambda_gb_s_arm=0.0001)

    # When the district's cost is estimated
    report = estimate(DISTRICT, prices)

    # Then Lambda costs its GB-seconds × ¥0.0001, and nothing else costs anything
    gb_s = sum(fn.gb_s for fn in report.flows.functions)
    year = report.years[0]
    assert year.by_service["Lambda"] == pytest.approx(gb_s * 0.0001)
    assert year.total_cny == pytest.approx(gb_s * 0.0001)


def test_a_price_per_million_is_divided_by_a_million(tmp_path: Path) -> None:
    # Given ¥11.1538 per million write request units and nothing else priced
    prices = only(tmp_path, dynamodb_write_request_units=11.1538)

    # When estimated
    year = estimate(DISTRICT, prices).years[0]

    # Then DynamoDB costs its write units / 1,000,000 × 11.1538
    (line,) = [i for i in year.items if i.price_key == "dynamodb_write_request_units"]
    assert line.cny == pytest.approx(line.quantity / 1_000_000 * 11.1538)
    assert year.by_service["DynamoDB"] == pytest.approx(line.cny)


def test_a_record_is_written_to_the_table_and_each_of_its_three_indexes() -> None:
    # A 550-byte record fits one 1 KB write unit; the base table and three ALL indexes
    assert FIGURES.record_item_bytes.value <= 1024
    assert record_copies() == 4


def test_the_reminders_schedule_fires_28_times_a_day() -> None:
    # cron(0/30 7-20 * * ? *): minutes 0 and 30 of the hours 7 to 20 (14 hours)
    assert runs_per_day("cron(0/30 7-20 * * ? *)") == 28
    assert runs_per_day("cron(0 3 * * ? *)") == 1
    with pytest.raises(ValueError, match="daily cron"):
        runs_per_day("rate(5 minutes)")


# --------------------------------------------------------------- what is stored


def test_what_is_kept_for_good_accumulates_year_after_year() -> None:
    # A steady 365 GB a year, kept: on average half a year's worth in year 1, 2.5 in year 3
    assert average_stock(365.0, 1) == pytest.approx(182.5)
    assert average_stock(365.0, 3) == pytest.approx(912.5)


def test_what_expires_after_a_week_holds_a_week_of_inflow() -> None:
    # Originals expire after 7 days (+1 for the previous version): 8 days of uploads held,
    # the same in year 2 as in year 5
    week = average_stock(365.0, 2, until_day=8)
    assert week == pytest.approx(8.0)
    assert average_stock(365.0, 5, until_day=8) == pytest.approx(week)


def test_served_photos_move_to_infrequent_access_after_90_days() -> None:
    # Year 1, a GB a day: Standard holds at most 90 days' worth, IA what is older
    in_ia = average_stock(365.0, 1, from_day=90)
    in_standard = average_stock(365.0, 1, until_day=90)
    # Σ over days t = 90.5 … 364.5 of (t − 90), divided by 365
    assert in_ia == pytest.approx(37_812.5 / 365)
    assert in_standard + in_ia == pytest.approx(average_stock(365.0, 1))


def test_tables_buckets_and_the_bill_grow_each_year() -> None:
    # Given the district over five years
    report = estimate(DISTRICT)

    # Then what is stored, and so what it costs, grows every year
    years = report.years
    for before, after in itertools.pairwise(years):
        assert after.stored.dynamodb_gb > before.stored.dynamodb_gb
        assert after.stored.s3_ia_gb > before.stored.s3_ia_gb
        assert after.stored.lake_gb > before.stored.lake_gb
        assert after.by_service["DynamoDB"] > before.by_service["DynamoDB"]
        assert after.by_service["S3"] > before.by_service["S3"]
        assert after.total_cny > before.total_cny
    # while the flows (requests, compute) are the same every year
    assert {y.by_service["Lambda"] for y in years} == {years[0].by_service["Lambda"]}


def test_photo_originals_do_not_accumulate(tmp_path: Path) -> None:
    # Given only S3 Standard priced, and two districts that differ in photos only
    with_photos = District(students=10_000, schools=20, photos_per_student=20, years=5)
    without = with_photos.model_copy(update={"photos_per_student": 0})
    flow_with, flow_without = flows(with_photos), flows(without)

    # When Standard's bytes are compared year by year
    def photos_in_standard(year: int) -> float:
        return (
            stored(with_photos, year, flow_with).s3_standard_gb
            - stored(without, year, flow_without).s3_standard_gb
        )

    # Then the photos' Standard share grows by the thumbnails alone (originals expire after a
    # week; served copies go to IA after 90 days)
    thumbnails_a_year = 10_000 * 20 * FIGURES.photo_thumbnail_bytes.value / 1024**3
    assert photos_in_standard(4) - photos_in_standard(3) == pytest.approx(thumbnails_a_year)


# --------------------------------------------------------------- how it moves with the district


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        (
            District(students=50_000, schools=150, photos_per_student=20),
            District(students=100_000, schools=150, photos_per_student=20),
        ),
        (
            District(students=100_000, schools=150, photos_per_student=0),
            District(students=100_000, schools=150, photos_per_student=20),
        ),
        (
            District(students=100_000, schools=150, photos_per_student=20),
            District(students=100_000, schools=150, photos_per_student=40),
        ),
    ],
)
def test_more_students_or_photos_cost_more_every_year(smaller: District, larger: District) -> None:
    small, large = estimate(smaller), estimate(larger)
    for a, b in zip(small.years, large.years, strict=True):
        assert b.total_cny > a.total_cny
        assert b.by_service["S3"] > a.by_service["S3"]


# --------------------------------------------------------------- the budget


def test_the_share_is_the_total_over_55000(tmp_path: Path) -> None:
    # Given alarms priced so that the stack's 36 alarms for 12 months cost exactly the budget
    assert FIGURES.alarms.value == 36
    prices = only(tmp_path, cloudwatch_alarms=BUDGET_CNY / (36 * 12))

    # When estimated
    report = estimate(DISTRICT, prices)

    # Then each year costs 55,000 and is 100% of the budget
    assert report.budget_cny == 55_000
    for year in report.years:
        assert year.total_cny == pytest.approx(55_000)
        assert year.budget_share == pytest.approx(1.0)


# --------------------------------------------------------------- the prices


def test_the_default_prices_are_cny_in_a_china_region_with_a_page_each() -> None:
    prices = load_prices()
    assert prices.currency == "CNY"
    assert prices.region == "cn-northwest-1"
    assert set(PRICE_KEYS) <= set(prices.prices)
    for price in prices.prices.values():
        assert price.source_url.startswith("https://www.amazonaws.cn/")
        assert price.note  # what it is based on
    # the verified ones are the two found on the official pages
    assert {k for k, p in prices.prices.items() if p.verified} == {
        "dynamodb_write_request_units",
        "cloudwatch_alarms",
    }


def test_a_price_file_missing_a_price_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a price file without the Lambda request price
    path = price_file(tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["prices"]["lambda_requests"]
    path.write_text(json.dumps(document), encoding="utf-8")

    # When the command is given it
    code, out, err = run(
        capsys,
        "--students",
        "1000",
        "--schools",
        "2",
        "--photos-per-student",
        "1",
        "--prices",
        str(path),
    )

    # Then it is refused, naming what is missing
    assert code == 2
    assert out == ""
    assert "lambda_requests" in err
    assert "缺少" in err


def test_a_price_file_in_another_currency_is_refused(tmp_path: Path) -> None:
    path = price_file(tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["currency"] = "USD"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_prices(path)
    assert "currency" in refused.value.message_zh


def test_an_unreadable_price_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "--students",
        "1000",
        "--schools",
        "2",
        "--photos-per-student",
        "1",
        "--prices",
        str(tmp_path / "none.json"),
    )
    assert code == 2
    assert "无法读取文件" in err


def test_prices_override_replaces_the_default_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a price file where only the CloudWatch alarm costs anything (¥1 a month)
    path = price_file(tmp_path, cloudwatch_alarms=1.0)

    # When the command is given it
    code, out, err = run(
        capsys,
        "--students",
        "100000",
        "--schools",
        "150",
        "--photos-per-student",
        "20",
        "--prices",
        str(path),
        "--json",
    )

    # Then every year costs 36 alarms × 12 months × ¥1, and no price is flagged unverified
    assert code == 0
    report = json.loads(out)
    assert [y["total_cny"] for y in report["years"]] == pytest.approx([432.0] * 5)
    assert report["unverified_prices"] == []
    assert report["warning"] == ""
    assert err == ""


# --------------------------------------------------------------- the command


def test_the_table_shows_each_service_each_year_the_total_and_the_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # When the bureau asks for a district of 100,000 students, 150 schools, 20 photos each
    code, out, _ = run(
        capsys, "--students", "100000", "--schools", "150", "--photos-per-student", "20"
    )

    # Then a table of every service for years 1–5, the total and the share of 55,000
    assert code == 0
    report = estimate(DISTRICT)
    for year in range(1, 6):
        assert f"第{year}年" in out
    for service in SERVICES:
        assert any(line.startswith(service) for line in out.splitlines())
    total_line = next(line for line in out.splitlines() if line.startswith("合计"))
    assert f"{report.years[4].total_cny:,.0f}" in total_line
    share_line = next(line for line in out.splitlines() if line.startswith("占运维预算"))
    assert "55,000" in share_line
    assert f"{report.years[0].budget_share:.1%}" in share_line
    # and then every figure it used with its source, and every price with its page
    assert "所用数据" in out
    for row in report.figures:
        assert row.source in out
    for price in report.prices:
        assert price.source_url in out


def test_unverified_prices_are_named_in_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the default prices, most of which could not be checked on an official page
    code, out, _ = run(capsys, "--students", "1000", "--schools", "2", "--photos-per-student", "1")

    # Then a warning line names each of them
    assert code == 0
    (warning,) = [line for line in out.splitlines() if line.startswith("警告")]
    unverified = load_prices().unverified()
    assert unverified
    for key in unverified:
        assert key in warning
    assert "dynamodb_write_request_units" not in warning


def test_json_output_has_years_services_figures_and_prices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # When asked for JSON over three years
    code, out, err = run(
        capsys,
        "--students",
        "20000",
        "--schools",
        "30",
        "--photos-per-student",
        "10",
        "--years",
        "3",
        "--json",
    )

    # Then one JSON object: the district, each year per service with its total and share
    assert code == 0
    report = json.loads(out)
    assert report["district"] == {
        "students": 20_000,
        "schools": 30,
        "photos_per_student": 10.0,
        "years": 3,
    }
    assert [y["year"] for y in report["years"]] == [1, 2, 3]
    for year in report["years"]:
        assert set(year["by_service"]) == set(SERVICES)
        assert year["total_cny"] == pytest.approx(sum(year["by_service"].values()))
        assert year["budget_share"] == pytest.approx(year["total_cny"] / 55_000)
        assert {"service", "item", "quantity", "unit", "price_key", "cny"} <= set(year["items"][0])
        assert {"dynamodb_gb", "s3_standard_gb", "s3_ia_gb"} <= set(year["stored"])
    # the usage it was computed from, per function with its GB-seconds
    functions = {fn["name"]: fn for fn in report["flows"]["functions"]}
    assert {f.name for f in resources.FUNCTIONS} | {"api"} == set(functions)
    assert functions["validate"]["memory_mb"] == resources.VALIDATE.memory_mb
    assert functions["validate"]["gb_s"] > 0
    # every figure with its kind and source; every price with its page and whether checked
    assert report["figures"]
    for row in report["figures"]:
        assert row["source"]
        assert row["kind"] in {"measured", "counted", "design", "aws", "assumed"}
    assert {p["key"] for p in report["prices"]} == set(PRICE_KEYS)
    assert report["region"] == "cn-northwest-1"
    assert report["currency"] == "CNY"
    # the unverified prices are listed, and warned about on stderr (stdout stays JSON)
    assert report["unverified_prices"]
    assert report["warning"].startswith("警告")
    assert err.strip() == report["warning"]


@pytest.mark.parametrize(
    "args",
    [
        ("--students", "0", "--schools", "1", "--photos-per-student", "1"),
        ("--students", "10", "--schools", "0", "--photos-per-student", "1"),
        ("--students", "10", "--schools", "1", "--photos-per-student", "-1"),
        ("--students", "10", "--schools", "1", "--photos-per-student", "1", "--years", "0"),
    ],
)
def test_a_district_that_cannot_be_is_refused(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert "错误" in err


# --------------------------------------------------------------- figures stay true to the code


def test_the_api_memory_figure_is_the_stacks() -> None:
    from infrastructure.stack import API_MEMORY_MB

    assert FIGURES.api_memory_mb.value == API_MEMORY_MB


def test_every_figure_says_where_it_comes_from() -> None:
    for name in type(FIGURES).model_fields:
        figure = getattr(FIGURES, name)
        assert isinstance(figure, Figure)
        assert figure.source
        assert figure.label


def test_every_function_of_the_design_is_in_the_model() -> None:
    # A function added to shared/resources.py needs its invocations modelled here
    assert unmodelled_functions() == []
    assert flows(DISTRICT).unmodelled_functions == []
