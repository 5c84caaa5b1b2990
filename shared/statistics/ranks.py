"""Each student's percentile rank in a group, and the band shown to families.

Percentile rank (the mid-rank definition): for a value v in a group of n counted values,

    PR(v) = 100 · (below + equal / 2) / n

where `below` is how many values in the group are strictly below v and `equal` how many equal
it (v included). Why this one: tied values get the same rank (no one is ranked above a classmate
with the same score by the accident of input order), and it is symmetric — reversing the order
maps PR to 100 - PR, so "higher is better" and "lower is better" metrics are treated alike. It
never reaches 0 or 100: a lone student is at 50, the top of 40 distinct values at 98.75.

Nulls and non-finite values are not ranked (NaN in the result) and are not part of n.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from shared.statistics._values import Values


def percentile_ranks(values: Values, *, higher_is_better: bool = True) -> npt.NDArray[np.float64]:
    """The mid-rank percentile of every value within the group, in input order (float64, NaN
    where the value is null or non-finite). With `higher_is_better=False` (a timed run) the
    fastest time ranks highest."""
    import numpy as np

    from shared.statistics._values import split_valid

    floats, mask = split_valid(values)
    result = np.full(floats.shape, np.nan, dtype=np.float64)
    valid = floats[mask] if higher_is_better else -floats[mask]
    n = valid.size
    if n == 0:
        return result
    ordered = np.sort(valid)
    below = np.searchsorted(ordered, valid, side="left")
    equal = np.searchsorted(ordered, valid, side="right") - below
    # (2·below + equal)·50 / n: integers until the one division, so a rank exactly on a band's
    # boundary (say 90) comes out exactly, not as 90.00000000000001 or 89.99999999999999.
    result[mask] = (2 * below + equal) * 50.0 / n
    return result


# The bands shown to students and families: (lowest percentile rank in the band, label), best
# first. 前 10% is PR ≥ 90 — the student scores at or above about 90% of the group.
BANDS: tuple[tuple[float, str], ...] = (
    (90.0, "前 10%"),
    (75.0, "前 25%"),
    (50.0, "前 50%"),
    (0.0, "后 50%"),
)


def band(percentile: float) -> str:
    """The band for a percentile rank in [0, 100] (boundaries belong to the better band):
    前 10% (≥ 90), 前 25% (≥ 75), 前 50% (≥ 50), 后 50% (< 50). Families see this, never a rank
    or a classmate's value; prefix the scope for display (班级前 25%, 年级前 50%)."""
    if not (math.isfinite(percentile) and 0 <= percentile <= 100):
        raise ValueError(f"a percentile rank is in [0, 100], not {percentile!r}")
    for lowest, label in BANDS:
        if percentile >= lowest:
            return label
    raise AssertionError("unreachable: the last band starts at 0")
