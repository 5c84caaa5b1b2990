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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from shared.statistics._values import Values
    from shared.statistics.summary import Summary

# Plain Python: the API reads places from distributions (a student's place in the grade) and
# carries no numpy; only building one from an array and summarising it import numpy.
_HEADER: Final = struct.Struct("<I")  # how many distinct values follow


@dataclass(frozen=True, slots=True)
class Distribution:
    """Distinct finite values, ascending, and their counts (every count ≥ 1)."""

    values: tuple[float, ...]
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        # Plain floats and ints whatever was given (numpy arrays from a vectorized caller), so
        # that equal distributions compare equal and serialise alike; tuples (what `from_bytes`
        # and `from_counts` make) are taken as they are.
        if type(self.values) is not tuple:
            object.__setattr__(self, "values", tuple(float(v) for v in self.values))
        if type(self.counts) is not tuple:
            object.__setattr__(self, "counts", tuple(int(c) for c in self.counts))

    @classmethod
    def of(cls, values: Values) -> Distribution:
        """The distribution of a group's values (nulls and non-finite values left out)."""
        from shared.statistics._values import split_valid

        floats, mask = split_valid(values)
        return cls.from_counts(Counter(float(v) for v in floats[mask]))

    @classmethod
    def from_counts(cls, counts: Counter[float]) -> Distribution:
        ordered = sorted((v, n) for v, n in counts.items() if n > 0)
        return cls(tuple(v for v, _ in ordered), tuple(n for _, n in ordered))

    @classmethod
    def empty(cls) -> Distribution:
        return cls((), ())

    @classmethod
    def merge(cls, parts: Iterable[Distribution]) -> Distribution:
        """The distribution of the union of the groups (a grade from its classes)."""
        total: Counter[float] = Counter()
        for part in parts:
            for value, count in zip(part.values, part.counts, strict=True):
                total[value] += count
        return cls.from_counts(total)

    @property
    def size(self) -> int:
        """How many distinct values."""
        return len(self.values)

    @property
    def count(self) -> int:
        """How many students."""
        return sum(self.counts)

    def summary(
        self,
        *,
        full_marks: float,
        pass_share: float = 0.6,
        excellent_share: float = 0.85,
        bins: int = 10,
        good_share: float | None = None,
    ) -> Summary:
        """The summary of every student's value (a grade is thousands at most)."""
        import numpy as np

        from shared.statistics.summary import summarize

        expanded = np.repeat(np.array(self.values, np.float64), np.array(self.counts, np.int64))
        return summarize(
            expanded,
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
        cumulative = [0, *accumulate(self.counts)]
        at = bisect_left(self.values, value)
        after = bisect_right(self.values, value)
        below = cumulative[at]
        equal = cumulative[after] - below
        if not higher_is_better:
            below = n - below - equal
        return (2 * below + equal) * 50.0 / n

    def to_bytes(self) -> bytes:
        size = self.size
        return _HEADER.pack(size) + struct.pack(f"<{size}d{size}I", *self.values, *self.counts)

    @classmethod
    def from_bytes(cls, data: bytes) -> Distribution:
        (size,) = _HEADER.unpack_from(data)
        unpacked = struct.unpack_from(f"<{size}d{size}I", data, _HEADER.size)
        return cls(tuple(unpacked[:size]), tuple(unpacked[size:]))
