"""Students' materials (写实记录 attachments): what an uploaded file may become once served."""

from shared.materials.limits import MaterialLimits, material_limits
from shared.materials.processing import (
    MaterialKind,
    Processed,
    RefusalCode,
    Refused,
    Rendition,
    process,
)

__all__ = [
    "MaterialKind",
    "MaterialLimits",
    "Processed",
    "RefusalCode",
    "Refused",
    "Rendition",
    "material_limits",
    "process",
]
