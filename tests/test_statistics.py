"""The pure statistics core (shared.statistics) against exact computations: summary figures
against DuckDB (`quantile_cont`, `avg`, `stddev_samp`) on random data with ties, nulls and
non-finite values; percentile ranks against a brute-force count; histogram bins against exact
rational arithmetic; small-cell suppression and the bands at their boundaries."""

from __future__ import annotations

import math
from fractions import Fraction

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from shared.statistics import (
    BANDS,
    Summary,
    Suppressed,
    band,
    percentile_ranks,
    summarize,
    suppress,
)

SEEDS = (0, 1, 2, 7, 42)
SIZES = (1, 2, 5, 40, 1000)


def _group(seed: int, size: int, full_marks: int = 100) -> list[float | None]:
    """`size` finite scores in [0, full_marks] in half points (many ties; the ends included),
    shuffled with about 10% nulls, NaNs and infinities."""
    rng = np.random.default_rng(seed)
    scores: list[float | None] = [
        float(v) / 2 for v in rng.integers(0, 2 * full_marks + 1, size=size)
    ]
    if size >= 5:
        scores[0], scores[1] = 0.0, float(full_marks)  # the closed ends of the histogram
    junk: list[float | None] = [None, float("nan"), float("inf"), float("-inf")]
    scores += [junk[i % 4] for i in range(max(1, size // 10))]
    rng.shuffle(scores)
    return scores


def _finite(values: list[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _duckdb_figures(values: list[float | None]) -> dict[str, float | None]:
    # DuckDB skips NULLs but would count NaN as a value: the reference gets the junk as NULL.
    cleaned = [v if v is not None and math.isfinite(v) else None for v in values]
    db = duckdb.connect()
    db.register("scores", pa.table({"v": pa.array(cleaned, pa.float64())}))
    rows = db.execute(
        "SELECT count(v), avg(v), quantile_cont(v, 0.25), quantile_cont(v, 0.5),"
        " quantile_cont(v, 0.75), min(v), max(v), stddev_samp(v) FROM scores"
    ).fetchall()
    db.close()
    row = rows[0]
    assert row is not None
    names = ("count", "mean", "q1", "median", "q3", "min", "max", "std")
    return dict(zip(names, row, strict=True))


def _close(actual: float | None, expected: float | None) -> bool:
    if expected is None:
        return actual is None
    return actual is not None and math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_summary_equals_duckdb(seed: int, size: int) -> None:
    values = _group(seed, size)
    summary = summarize(values, full_marks=100)
    expected = _duckdb_figures(values)

    assert summary.count == expected["count"] == size
    assert summary.missing == len(values) - size
    for name in ("mean", "q1", "median", "q3", "min", "max", "std"):
        assert _close(getattr(summary, name), expected[name]), name
    if size == 1:
        assert summary.std is None


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
def test_histogram_and_rates_against_exact_arithmetic(seed: int, size: int) -> None:
    full_marks, bins = 150, 10
    values = _group(seed, size, full_marks=full_marks)
    summary = summarize(values, full_marks=full_marks, bins=bins)
    finite = _finite(values)

    expected = [0] * bins
    for v in finite:
        expected[min(math.floor(Fraction(v) * bins / full_marks), bins - 1)] += 1
    assert list(summary.histogram.counts) == expected
    assert sum(summary.histogram.counts) == summary.count
    assert summary.histogram.edges == tuple(15.0 * i for i in range(bins + 1))
    assert summary.pass_count == sum(Fraction(v) >= Fraction(3, 5) * full_marks for v in finite)
    assert summary.excellent_count == sum(
        Fraction(v) >= Fraction(17, 20) * full_marks for v in finite
    )
    assert _close(summary.pass_rate, summary.pass_count / size)


def test_histogram_closed_last_bin_and_edges() -> None:
    summary = summarize([0, 9.5, 10, 99.5, 100, 100], full_marks=100, bins=10)
    assert summary.histogram.counts == (2, 1, 0, 0, 0, 0, 0, 0, 0, 3)
    assert summary.histogram.out_of_range == 0
    # A value on an inner edge opens the next bin; one outside [0, full_marks] is counted in
    # the nearest end bin and flagged.
    outside = summarize([-1, 101, 20], full_marks=100, bins=5)
    assert outside.histogram.counts == (1, 1, 0, 0, 1)
    assert outside.histogram.out_of_range == 2


def test_marks_exactly_on_the_pass_and_excellent_lines_count() -> None:
    # 0.6·100 is 60.00000000000001 in floating point; 60 must still pass.
    summary = summarize([59.5, 60, 84.5, 85], full_marks=100)
    assert (summary.pass_count, summary.excellent_count) == (3, 1)
    assert summary.pass_rate == 0.75
    assert summarize([127.5, 127], full_marks=150).excellent_count == 1


@pytest.mark.parametrize("values", [[], [None], [None, float("nan"), float("inf")]])
def test_a_group_without_values_gives_an_empty_summary(values: list[float | None]) -> None:
    summary = summarize(values, full_marks=100)
    assert summary.is_empty
    assert summary.count == 0
    assert summary.missing == len(values)
    assert summary.mean is summary.median is summary.std is summary.min is None
    assert summary.pass_rate is None
    assert summary.excellent_rate is None
    assert summary.histogram.counts == (0,) * 10


def test_arrow_and_numpy_inputs_agree_with_lists() -> None:
    values = _group(3, 40)
    from_list = summarize(values, full_marks=100)
    chunked = pa.chunked_array(
        [pa.array(values[:20], pa.float64()), pa.array(values[20:], pa.float64())]
    )
    assert summarize(chunked, full_marks=100) == from_list
    assert summarize(pa.array(values, pa.float64()), full_marks=100) == from_list
    as_numpy = np.array([math.nan if v is None else v for v in values])
    assert summarize(as_numpy, full_marks=100) == from_list
    integers = pa.array([1, None, 3], pa.int32())
    assert summarize(integers, full_marks=10).count == 2


def test_summary_is_frozen_and_round_trips() -> None:
    summary = summarize([1, 2, 3, 4, 5], full_marks=10)
    assert Summary.model_validate_json(summary.model_dump_json()) == summary
    with pytest.raises(ValueError, match="frozen"):
        summary.count = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [{"full_marks": 0}, {"full_marks": math.nan}, {"full_marks": 100, "pass_share": 1.5}],
)
def test_invalid_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        summarize([1, 2], **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- percentile ranks


def _brute_force_ranks(values: list[float | None], higher_is_better: bool) -> list[float | None]:
    finite = _finite(values)
    out: list[float | None] = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(None)
            continue
        below = sum((w < v) if higher_is_better else (w > v) for w in finite)
        equal = sum(w == v for w in finite)
        out.append(100 * (below + equal / 2) / len(finite))
    return out


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("higher_is_better", [True, False])
def test_percentile_ranks_equal_brute_force(seed: int, size: int, higher_is_better: bool) -> None:
    values = _group(seed, size)
    ranks = percentile_ranks(values, higher_is_better=higher_is_better)
    expected = _brute_force_ranks(values, higher_is_better)
    assert len(ranks) == len(values)
    for got, want in zip(ranks.tolist(), expected, strict=True):
        if want is None:
            assert math.isnan(got)
        else:
            assert math.isclose(got, want, rel_tol=1e-12)


def test_percentile_rank_properties() -> None:
    assert percentile_ranks([70]).tolist() == [50.0]
    assert percentile_ranks([80, 80, 80]).tolist() == [50.0, 50.0, 50.0]  # ties rank alike
    ranks = percentile_ranks([10, 30, 20, 30])
    assert ranks.tolist() == [12.5, 75.0, 37.5, 75.0]  # input order kept
    # Symmetric: reversing the order maps PR to 100 - PR.
    reversed_ranks = percentile_ranks([10, 30, 20, 30], higher_is_better=False)
    assert (ranks + reversed_ranks).tolist() == [100.0] * 4
    assert percentile_ranks([]).size == 0
    assert math.isnan(percentile_ranks([None])[0])


def test_a_rank_on_a_band_boundary_is_exact() -> None:
    # 20 scores, 17 below a tied pair: (17 + 2/2) / 20 = 90% exactly, which a naive
    # 0.9 * 100 (90.00000000000001) or 18 / 20 * 100 would not guarantee at every boundary.
    scores = [*range(17), 50, 50, 99]
    ranks = percentile_ranks(scores)
    assert ranks[17] == 90.0
    assert band(float(ranks[17])) == "前 10%"


# ------------------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("percentile", "label"),
    [
        (100, "前 10%"),
        (90, "前 10%"),
        (89.999, "前 25%"),
        (75, "前 25%"),
        (74.999, "前 50%"),
        (50, "前 50%"),
        (49.999, "后 50%"),
        (0, "后 50%"),
    ],
)
def test_bands_at_their_boundaries(percentile: float, label: str) -> None:
    assert band(percentile) == label


@pytest.mark.parametrize("percentile", [-0.1, 100.1, math.nan, math.inf])
def test_band_refuses_what_is_not_a_percentile(percentile: float) -> None:
    with pytest.raises(ValueError, match="percentile rank"):
        band(percentile)


def test_bands_are_ordered_best_first_down_to_zero() -> None:
    lows = [low for low, _ in BANDS]
    assert lows == sorted(lows, reverse=True)
    assert lows[-1] == 0


# ------------------------------------------------------------------------------- suppression


@pytest.mark.parametrize("audience", ["class", "school", "district"])
def test_small_cells_are_suppressed_outside_the_class(audience: str) -> None:
    four = summarize([60, 70, 80, 90, None, None, None], full_marks=100)  # nulls are no one
    five = summarize([60, 70, 80, 90, 100], full_marks=100)

    assert suppress(five, audience=audience) == five  # type: ignore[arg-type]
    shown = suppress(four, audience=audience)  # type: ignore[arg-type]
    if audience == "class":
        assert shown == four
    else:
        assert isinstance(shown, Suppressed)
        assert shown.reason == "人数少于 5 人，不予显示"
        assert shown.audience == audience
        # No figure survives, the count included.
        assert "4" not in shown.model_dump_json()


def test_empty_group_and_other_thresholds() -> None:
    empty = summarize([], full_marks=100)
    assert isinstance(suppress(empty, audience="district"), Suppressed)
    assert suppress(empty, audience="class") == empty
    ten = summarize(range(10), full_marks=100)
    suppressed = suppress(ten, audience="school", min_cell=11)
    assert isinstance(suppressed, Suppressed)
    assert suppressed.reason == "人数少于 11 人，不予显示"
    assert suppress(ten, audience="school", min_cell=10) == ten
