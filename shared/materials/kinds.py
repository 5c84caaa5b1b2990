"""What a material is, and why one is refused: words the API and the function share (no Pillow
here: the API package has none)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class MaterialKind(StrEnum):
    PHOTO = "photo"
    PDF = "pdf"
    VIDEO = "video"


RefusalCode = Literal[
    "unsupported_type",
    "too_large",
    "too_many_pixels",
    "undecodable",
    "not_pdf",
    "unsafe_pdf",
    "processing_failed",  # the function failed on every delivery (not the file's fault)
]
