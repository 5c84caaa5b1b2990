"""One group's distribution of one metric (a class's 数学 scores, a grade's 50 米跑 times):
count, mean, quartiles, spread, a histogram over [0, full_marks], pass and excellent rates.

Definitions (docs/statistics.md):

- Quantiles (median, Q1, Q3) use linear interpolation between order statistics, Hyndman & Fan
  type 7: for sorted values x[0..n-1] and p in [0, 1], h = (n - 1)·p, and the quantile is
  x[⌊h⌋] + (h - ⌊h⌋)·(x[⌊h⌋+1] - x[⌊h⌋]). This is numpy's default, DuckDB's `quantile_cont` and
  Excel's QUARTILE.INC, so a figure here equals the analyst's figure in SQL.
- The standard deviation is the sample one (divisor n - 1; DuckDB's `stddev_samp`), None for
  fewer than 2 values.
- Nulls, NaN and ±∞ are not values: they are left out of every figure and counted in `missing`.
- A group with no values gives an empty summary (count 0, figures None), never an exception.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.statistics._values import Values

# numpy (and pyarrow, for Arrow input) are imported by the functions that compute: the models
# here are what the API shows, and the API's package carries neither.


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Histogram(_Model):
    """Counts in `len(counts)` equal bins over [0, full_marks]: bin i holds
    edges[i] <= v < edges[i+1], and the last bin is closed (it holds v == full_marks).

    A value below 0 is counted in the first bin and one above full_marks in the last (validation
    upstream should prevent both), so the counts always sum to the summary's count;
    `out_of_range` says how many were so placed."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    out_of_range: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _shape(self) -> Histogram:
        if len(self.edges) != len(self.counts) + 1:
            raise ValueError("a histogram has one more edge than bins")
        return self


class Summary(_Model):
    """One metric over one group. Figures are None when the group has no values (count 0)."""

    count: int = Field(ge=0, description="Values counted: finite, non-null.")
    missing: int = Field(ge=0, description="Nulls and non-finite values, left out.")
    full_marks: float = Field(gt=0)
    pass_share: float = Field(ge=0, le=1)
    excellent_share: float = Field(ge=0, le=1)
    mean: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    min: float | None = None
    max: float | None = None
    std: float | None = Field(None, description="Sample standard deviation (n - 1); None if n < 2.")
    histogram: Histogram
    pass_count: int = Field(0, ge=0)
    excellent_count: int = Field(0, ge=0)
    good_share: float | None = Field(
        None, ge=0, le=1, description="The fitness standard's 良好 mark (0.8); None: no such band."
    )
    good_count: int = Field(0, ge=0, description="At or above the 良好 mark (优秀 included).")

    @property
    def pass_mark(self) -> float:
        return self.pass_share * self.full_marks

    @property
    def excellent_mark(self) -> float:
        return self.excellent_share * self.full_marks

    @property
    def pass_rate(self) -> float | None:
        """Share of counted values at or above the pass mark; None for an empty group."""
        return self.pass_count / self.count if self.count else None

    @property
    def excellent_rate(self) -> float | None:
        return self.excellent_count / self.count if self.count else None

    @property
    def good_rate(self) -> float | None:
        """优良率: the share at or above the 良好 mark; None without one or for an empty group."""
        if self.good_share is None or not self.count:
            return None
        return self.good_count / self.count

    @property
    def is_empty(self) -> bool:
        return self.count == 0


def histogram(valid: npt.NDArray[np.float64], *, full_marks: float, bins: int = 10) -> Histogram:
    """`bins` equal bins over [0, full_marks], the last one closed. Membership is decided
    against the published edges themselves, so a chart's bar and its label never disagree."""
    import numpy as np

    if bins < 1:
        raise ValueError("bins must be at least 1")
    # full_marks·i/bins: one rounding per edge, and exact for the usual (integer) cases.
    edges = np.array([full_marks * i / bins for i in range(bins + 1)], dtype=np.float64)
    index = np.searchsorted(edges, valid, side="right") - 1
    out_of_range = int(np.count_nonzero((valid < 0) | (valid > full_marks)))
    index = np.clip(index, 0, bins - 1)  # v == full_marks falls in the last (closed) bin
    counts = np.bincount(index, minlength=bins)
    return Histogram(
        edges=tuple(float(e) for e in edges),
        counts=tuple(int(c) for c in counts),
        out_of_range=out_of_range,
    )


def _at_least_share(valid: npt.NDArray[np.float64], share: float, full_marks: float) -> int:
    # Compared as shares, v / full_marks >= share, not v >= share·full_marks: 0.6·100 is
    # 60.00000000000001 in floating point, and 60 would fail; 60/100 rounds to the same double
    # as the literal 0.6, so a value exactly on the mark always counts.
    import numpy as np

    return int(np.count_nonzero(valid / full_marks >= share))


def summarize(
    values: Values,
    *,
    full_marks: float,
    pass_share: float = 0.6,
    excellent_share: float = 0.85,
    bins: int = 10,
    good_share: float | None = None,
) -> Summary:
    """The summary of one metric over one group; see the module's definitions."""
    import numpy as np

    from shared.statistics._values import split_valid

    if not (math.isfinite(full_marks) and full_marks > 0):
        raise ValueError("full_marks must be a positive number")
    if not (0 <= pass_share <= 1 and 0 <= excellent_share <= 1):
        raise ValueError("pass_share and excellent_share are shares in [0, 1]")
    floats, mask = split_valid(values)
    valid = floats[mask]
    count = int(valid.size)
    base = {
        "count": count,
        "missing": int(floats.size - count),
        "full_marks": float(full_marks),
        "pass_share": pass_share,
        "excellent_share": excellent_share,
        "good_share": good_share,
        "histogram": histogram(valid, full_marks=full_marks, bins=bins),
    }
    if count == 0:
        return Summary.model_validate(base)
    q1, median, q3 = (float(q) for q in np.quantile(valid, [0.25, 0.5, 0.75], method="linear"))
    return Summary.model_validate(
        base
        | {
            "mean": float(np.mean(valid)),
            "median": median,
            "q1": q1,
            "q3": q3,
            "min": float(np.min(valid)),
            "max": float(np.max(valid)),
            "std": float(np.std(valid, ddof=1)) if count >= 2 else None,
            "pass_count": _at_least_share(valid, pass_share, full_marks),
            "excellent_count": _at_least_share(valid, excellent_share, full_marks),
            "good_count": (
                0 if good_share is None else _at_least_share(valid, good_share, full_marks)
            ),
        }
    )
