"""Pure statistics over one group's values (a class, a grade): distribution summaries,
percentile ranks and bands, small-cell suppression. numpy and pyarrow only, no storage, no AWS;
definitions in docs/statistics.md."""

from shared.statistics.ranks import BANDS, band, percentile_ranks
from shared.statistics.summary import Histogram, Summary, histogram, summarize
from shared.statistics.suppression import MIN_CELL, Audience, Suppressed, suppress

__all__ = [
    "BANDS",
    "MIN_CELL",
    "Audience",
    "Histogram",
    "Summary",
    "Suppressed",
    "band",
    "histogram",
    "percentile_ranks",
    "summarize",
    "suppress",
]
