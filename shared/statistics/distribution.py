"""An exact, mergeable distribution: each distinct value with how many students have it.

Why this is the roll-up (docs/statistics.md, Roll-up): a class's distribution is recomputed from
its current records; a grade in a school is the sum of its classes' counts and a grade in the
district the sum of its schools'. Summing counts is exact and order-free, so every figure of
`shared.statistics.summary` (type-7 quartiles, the histogram, the rates) and every mid-rank
percentile is *the same number* an exact computation over all the students gives — no rank
error to state. Its size is the number of distinct values, not of students: scores sit on a
small grid (half points of 0–150: at most 301 values), fitness item scores on 20 levels, so even
a district's grade of 20,000 students is a few kilobytes.

Stored as two little-endian arrays (float64 values, ascending; uint32 counts) in one binary
attribute: compact, and read straight into numpy.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from shared.statistics._values import Values, split_valid
from shared.statistics.summary import Summary, summarize

_HEADER: Final = struct.Struct("<I")  # how many distinct values follow


@dataclass(frozen=True, slots=True, eq=False)
class Distribution:
    """Distinct finite values, ascending, and their counts (every count ≥ 1)."""

    values: npt.NDArray[np.float64]
    counts: npt.NDArray[np.int64]

    @classmethod
    def of(cls, values: Values) -> Distribution:
        """The distribution of a group's values (nulls and non-finite values left out)."""
        floats, mask = split_valid(values)
        distinct, counts = np.unique(floats[mask], return_counts=True)
        return cls(distinct.astype(np.float64), counts.astype(np.int64))

    @classmethod
    def empty(cls) -> Distribution:
        return cls(np.empty(0, np.float64), np.empty(0, np.int64))

    @classmethod
    def merge(cls, parts: Iterable[Distribution]) -> Distribution:
        """The distribution of the union of the groups (a grade from its classes)."""
        parts = [p for p in parts if p.size]
        if not parts:
            return cls.empty()
        values = np.concatenate([p.values for p in parts])
        counts = np.concatenate([p.counts for p in parts])
        distinct, index = np.unique(values, return_inverse=True)
        summed = np.bincount(index, weights=counts, minlength=distinct.size)
        return cls(distinct, np.rint(summed).astype(np.int64))

    @property
    def size(self) -> int:
        """How many distinct values."""
        return int(self.values.size)

    @property
    def count(self) -> int:
        """How many students."""
        return int(self.counts.sum())

    def expand(self) -> npt.NDArray[np.float64]:
        """Every student's value, ascending (for the summary: a grade is thousands at most)."""
        return np.repeat(self.values, self.counts)

    def summary(
        self,
        *,
        full_marks: float,
        pass_share: float = 0.6,
        excellent_share: float = 0.85,
        bins: int = 10,
        good_share: float | None = None,
    ) -> Summary:
        return summarize(
            self.expand(),
            full_marks=full_marks,
            pass_share=pass_share,
            excellent_share=excellent_share,
            bins=bins,
            good_share=good_share,
        )

    def percentile(self, value: float, *, higher_is_better: bool = True) -> float | None:
        """The mid-rank percentile rank of `value` in this group (as `percentile_ranks` gives
        it to a member): 100·(below + equal/2)/n; None for an empty group or a non-value."""
        n = self.count
        if n == 0 or not math.isfinite(value):
            return None
        at = np.searchsorted(self.values, value, side="left")
        after = np.searchsorted(self.values, value, side="right")
        below = int(self.counts[:at].sum())
        equal = int(self.counts[at:after].sum())
        if not higher_is_better:
            below = n - below - equal
        return (2 * below + equal) * 50.0 / n

    def to_bytes(self) -> bytes:
        return (
            _HEADER.pack(self.size)
            + self.values.astype("<f8").tobytes()
            + self.counts.astype("<u4").tobytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Distribution:
        (size,) = _HEADER.unpack_from(data)
        offset = _HEADER.size
        values = np.frombuffer(data, "<f8", size, offset).astype(np.float64)
        counts = np.frombuffer(data, "<u4", size, offset + 8 * size).astype(np.int64)
        return cls(values, counts)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Distribution)
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.counts, other.counts)
        )

    def __hash__(self) -> int:
        return hash(self.to_bytes())
