"""Turning one group's values into a clean float64 vector: nulls and non-finite values dropped
and counted apart."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Values: TypeAlias = Iterable[float | int | None] | npt.NDArray[Any] | pa.Array | pa.ChunkedArray


def as_float_array(values: Values) -> npt.NDArray[np.float64]:
    """Every value as float64, in input order; a null becomes NaN."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        floats = values.cast(pa.float64()).fill_null(float("nan"))
        return np.asarray(floats.to_numpy(zero_copy_only=False), dtype=np.float64)
    if isinstance(values, np.ndarray):
        return np.asarray(values, dtype=np.float64)
    return np.array([float("nan") if v is None else float(v) for v in values], dtype=np.float64)


def split_valid(values: Values) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(all values as float64 in input order, mask of the finite ones)."""
    floats = as_float_array(values)
    return floats, np.isfinite(floats)
