"""The shape every reader produces: the header row and the raw cells below it, as Arrow text."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from shared.error_codes import ErrorCode

# Given the first rows of a sheet (as text), return the index of the header row and its score.
HeaderFinder = Callable[[list[list[str]]], tuple[int, int]]


@dataclass(frozen=True, slots=True)
class FileIssue:
    """A whole-file error or warning, with the parameters of its catalogue message."""

    code: ErrorCode
    params: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True)
class SheetData:
    """Cells below the header row, one Arrow string array per header cell ('' when empty)."""

    header: list[str]
    header_row: int  # 1-based, as the spreadsheet shows it
    columns: list[pa.Array]
    row_numbers: np.ndarray  # int64: the spreadsheet row of each data row
    # Cells Excel stored as numbers (XLSX only), by column index: an ID stored as a number has
    # already lost its last digits, whatever its text looks like now.
    numeric_cells: dict[int, np.ndarray] = field(default_factory=dict)
    # Rows with more non-empty cells than the header has columns (CSV only).
    overlong_rows: np.ndarray | None = None
    # Columns assembled from several of the file's columns (a wide sheet unpivoted): by
    # column index, the file's column each row's cell came from (int64, one per row).
    origins: dict[int, np.ndarray] = field(default_factory=dict)
    source: dict[str, object] = field(default_factory=dict)
    warnings: list[FileIssue] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return len(self.row_numbers)
