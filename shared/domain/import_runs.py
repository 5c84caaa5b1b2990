"""A large upload's import, in slices that may span several invocations of the validation
function: what its last finished slice was, and how the submission ends once every slice is
written. Pure: the storage adapter (`shared.db.import_runs`) writes each new state on condition
that the stored one is still the one read, so of two workers only one carries a run on.

    validated ──stage the accepted rows──▶ slice 0 ─▶ slice 1 ─▶ … ─▶ slice n-1 ──▶ finish
                                             (a checkpoint after each; a continuation message
                                              when the invocation's time runs short)

The rows every slice reads are staged once, after validation (`shared.pipeline.slices`): a
continuation never validates the file again, so a roster changed meanwhile cannot change which
rows a run imports. Readers see none of the run's records until `finish` flips the class's
pointers, once, after the last slice (R7).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.domain.models import ErrorGroup, Id, RowCounts, SubmissionStatus


class Finishing(BaseModel):
    """How the submission ends once its records are shown: everything validation decided,
    kept from the first invocation (whose engine run alone saw the file)."""

    model_config = ConfigDict(frozen=True)

    status: SubmissionStatus
    counts: RowCounts
    error_summary: list[ErrorGroup] = Field(default_factory=list)
    report_key: str | None = None
    result_key: str | None = None
    # The subjects the accepted rows hold (none for a template without a subject column).
    subjects: list[str] = Field(default_factory=list)


class ImportWrites(BaseModel):
    """What writing the run's records took so far (`shared.db.wire.WriteStats`)."""

    model_config = ConfigDict(frozen=True)

    items: int = Field(0, ge=0)
    requests: int = Field(0, ge=0)
    retries: int = Field(0, ge=0)
    unprocessed: int = Field(0, ge=0)
    write_units: float = Field(0.0, ge=0)


class ImportCheckpoint(BaseModel):
    """One run: the upload's object version, its slices, the next one to write."""

    model_config = ConfigDict(frozen=True)

    submission_id: Id
    source: str = Field(min_length=1, description="The object version the rows were read from.")
    rows: int = Field(ge=1, description="Accepted rows staged.")
    slice_rows: int = Field(ge=1)
    next_slice: int = Field(0, ge=0)
    # Slices that left something for the finish (rows readers saw a version of): read then.
    kept: list[int] = Field(default_factory=list)
    writes: ImportWrites = Field(default_factory=ImportWrites)
    finishing: Finishing
    started_at: AwareDatetime
    updated_at: AwareDatetime

    @model_validator(mode="after")
    def _within(self) -> ImportCheckpoint:
        if self.next_slice > self.slices:
            raise ValueError("next_slice is past the last slice")
        return self

    @property
    def slices(self) -> int:
        return -(-self.rows // self.slice_rows)

    @property
    def done(self) -> bool:
        """Every slice written: what is left is the finish."""
        return self.next_slice >= self.slices

    def advanced(self, writes: ImportWrites, *, kept: bool, at: datetime) -> ImportCheckpoint:
        """The checkpoint after slice `next_slice` was written (with what its writes took;
        `kept`: it left something for the finish)."""
        if self.done:
            raise ValueError("every slice is written already")
        total = ImportWrites(**{name: value + getattr(writes, name) for name, value in self.writes})
        return self.model_copy(
            update={
                "next_slice": self.next_slice + 1,
                "kept": [*self.kept, self.next_slice] if kept else self.kept,
                "writes": total,
                "updated_at": at,
            }
        )
