"""Small-cell suppression: a statistic over fewer than `min_cell` (5) students is not shown
outside the class.

A class's own teachers see their class's figures whatever its size. A school or district view
of a group with fewer than 5 counted students gets `Suppressed` instead: with 1–4 students a mean
or a pass rate all but names the students (a class of 3 with a pass rate of 0% tells everyone
each one failed), which is why statistical agencies suppress small cells in data about minors.
The replacement carries no figure at all — not the count either.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.statistics.summary import Summary

Audience = Literal["class", "school", "district"]

MIN_CELL = 5


class Suppressed(BaseModel):
    """In place of a summary too small to show to this audience."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    audience: Audience
    min_cell: int = Field(ge=1)
    reason: str


def suppression_reason(min_cell: int = MIN_CELL) -> str:
    return f"人数少于 {min_cell} 人，不予显示"


def suppress(
    summary: Summary, *, audience: Audience, min_cell: int = MIN_CELL
) -> Summary | Suppressed:
    """The summary as this audience may see it. The cell size is the number of students with a
    counted value (`summary.count`): missing values describe no one's result."""
    if min_cell < 1:
        raise ValueError("min_cell must be at least 1")
    if audience == "class" or summary.count >= min_cell:
        return summary
    return Suppressed(audience=audience, min_cell=min_cell, reason=suppression_reason(min_cell))
