"""What one material may be: policy set by the district, the same in every environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.constants import ENV_PREFIX

MIB = 1024 * 1024


class MaterialLimits(BaseSettings):
    """Caps on one uploaded material; anything beyond is refused before it is decoded.

    Overridable per deployment through ``GROWTH_MATERIAL_<FIELD>`` variables.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX + "MATERIAL_", frozen=True)

    max_photo_bytes: int = Field(20 * MIB, gt=0, description="Largest JPEG, PNG or HEIC photo.")
    max_pdf_bytes: int = Field(10 * MIB, gt=0, description="Largest PDF certificate.")
    max_video_bytes: int = Field(50 * MIB, gt=0, description="Largest MP4 clip.")
    max_pixels: int = Field(
        40_000_000,
        gt=0,
        description="Most pixels (width × height, read from the header) a photo may declare; "
        "checked before decoding, against decompression bombs. Phones take 12-50 MP.",
    )
    output_long_side: int = Field(1920, gt=0, description="Long side of the served image, px.")
    thumbnail_long_side: int = Field(320, gt=0, description="Long side of the thumbnail, px.")


@lru_cache(maxsize=1)
def material_limits() -> MaterialLimits:
    return MaterialLimits()
