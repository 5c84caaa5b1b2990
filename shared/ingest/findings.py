"""A finding: one check's verdict over a whole column, as a boolean mask of failing rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode


@dataclass(slots=True)
class Finding:
    code: ErrorCode
    key: str | None  # the template column it is reported on (None: the row as a whole)
    mask: np.ndarray  # bool, one per data row
    params: Mapping[str, object] = field(default_factory=dict)
    # Message parameters that differ per row, aligned with all data rows (read only where
    # `mask` is set), e.g. the first row a duplicate repeats.
    row_params: Mapping[str, Sequence[object] | np.ndarray] | None = None

    def take(self, rows: np.ndarray) -> Finding:
        """The same finding over a subset of rows (given by index)."""
        params = None
        if self.row_params is not None:
            params = {k: np.asarray(v, dtype=object)[rows] for k, v in self.row_params.items()}
        return Finding(self.code, self.key, self.mask[rows], self.params, params)


def mask_of(condition: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy mask, nulls counting as False."""
    filled = pc.fill_null(condition, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def valid_mask(values: pa.Array) -> np.ndarray:
    """Which values are not null, as a numpy mask: Arrow's validity bitmap unpacked (the same
    as `mask_of(pc.is_valid(values))`, without a kernel)."""
    if not values.null_count:
        return np.ones(len(values), dtype=bool)
    bitmap = values.buffers()[0]
    if bitmap is None:  # an array of the null type: no bitmap, every value null
        return np.zeros(len(values), dtype=bool)
    bits = np.frombuffer(bitmap, dtype=np.uint8)
    end = values.offset + len(values)
    return np.unpackbits(bits, count=end, bitorder="little")[values.offset :].view(bool)


def null_where(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """`values` with the rows in `mask` set to null."""
    if not mask.any():
        return values
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)
