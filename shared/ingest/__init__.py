"""Ingestion: read a school's spreadsheet and say, row by row and in Chinese, what is wrong.

`validate_bytes` is the engine's entry point; everything else in this package serves it.
"""

from shared.ingest.engine import Roster, UploadContext, validate_bytes
from shared.ingest.result import ValidationResult

__all__ = ["Roster", "UploadContext", "ValidationResult", "validate_bytes"]
