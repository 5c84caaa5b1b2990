"""Cross-column rules a template declares: date order, score ≤ full marks, what a national ID
says about birth date and gender, which fitness items apply to whom, and row uniqueness."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode
from shared.grades import GRADE_LABELS
from shared.ingest.checks import Parsed
from shared.ingest.findings import Finding, mask_of, null_where, valid_mask
from shared.templates.model import (
    ApplicabilityRule,
    DateOrderRule,
    IdentityRule,
    NotAboveRule,
    Template,
)


@dataclass(slots=True)
class RuleOutcome:
    findings: list[Finding] = field(default_factory=list)
    # Values not imported, by template key: test items that do not apply to the student.
    hidden: dict[str, np.ndarray] = field(default_factory=dict)


def apply_rules(template: Template, parsed: Mapping[str, Parsed]) -> RuleOutcome:
    outcome = RuleOutcome()
    for rule in template.rules:
        if isinstance(rule, DateOrderRule):
            outcome.findings += _date_order(template, rule, parsed)
        elif isinstance(rule, NotAboveRule):
            outcome.findings += _not_above(template, rule, parsed)
        elif isinstance(rule, IdentityRule):
            outcome.findings += _identity(rule, parsed)
        elif isinstance(rule, ApplicabilityRule):
            findings, hidden = applicability(template, rule, parsed)
            outcome.findings += findings
            outcome.hidden.update(hidden)
    return outcome


def _date_order(
    template: Template, rule: DateOrderRule, parsed: Mapping[str, Parsed]
) -> list[Finding]:
    early = mask_of(pc.less(parsed[rule.end].values, parsed[rule.start].values))
    if not early.any():
        return []
    other = template.column(rule.start).header
    return [Finding(ErrorCode.DATE_ORDER, rule.end, early, {"other": other})]


def _not_above(
    template: Template, rule: NotAboveRule, parsed: Mapping[str, Parsed]
) -> list[Finding]:
    above = mask_of(pc.greater(parsed[rule.value].values, parsed[rule.limit].values))
    if not above.any():
        return []
    other = template.column(rule.limit).header
    return [Finding(ErrorCode.SCORE_ABOVE_FULL_MARKS, rule.value, above, {"other": other})]


def _identity(rule: IdentityRule, parsed: Mapping[str, Parsed]) -> list[Finding]:
    """The national ID (or the one inside a G-form 学籍号) must agree with the other columns.
    Only IDs that are valid on their own are compared; when the two IDs disagree, that is the
    one error reported (which of them is right is for the teacher to say)."""
    findings: list[Finding] = []
    nid = parsed[rule.national_id] if rule.national_id else None
    sno = parsed[rule.student_no] if rule.student_no else None
    sources = [p for p in (nid, sno) if p is not None]
    if not sources:
        return findings
    disagree = np.zeros(len(sources[0].values), dtype=bool)
    if nid is not None and sno is not None:
        disagree = mask_of(pc.not_equal(sno.extras["valid_id"], nid.extras["valid_id"]))
        if disagree.any():
            findings.append(Finding(ErrorCode.ID_MISMATCH_STUDENT_NO, rule.national_id, disagree))
    birth = null_where(pc.coalesce(*[p.extras["birth_date"] for p in sources]), disagree)
    male = null_where(pc.coalesce(*[p.extras["male"] for p in sources]), disagree)
    if rule.birth_date:
        wrong = mask_of(pc.not_equal(parsed[rule.birth_date].values, birth))
        if wrong.any():
            findings.append(Finding(ErrorCode.ID_MISMATCH_BIRTH_DATE, rule.birth_date, wrong))
    if rule.gender:
        is_male = pc.equal(parsed[rule.gender].values, "男")
        wrong = mask_of(pc.not_equal(is_male, male))
        if wrong.any():
            findings.append(Finding(ErrorCode.ID_MISMATCH_GENDER, rule.gender, wrong))
    return findings


def _applies_by_row(template: Template, group: np.ndarray) -> dict[str, np.ndarray]:
    """For each item column, which rows it applies to (`group`: each row's group index)."""
    result: dict[str, np.ndarray] = {}
    by_groups: dict[bytes, np.ndarray] = {}  # items that apply to the same groups share rows
    for column in template.columns:
        if column.applies_to:
            # Whether the item applies, by student group: looked up once per row.
            applies = np.zeros(len(_GROUP_LABELS), dtype=bool)
            for groups in column.applies_to:
                genders = ["男", "女"] if groups.gender is None else [groups.gender]
                for grade in groups.grades:
                    for gender in genders:
                        applies[_group_index(grade, gender == "女")] = True
            if applies.tobytes() not in by_groups:
                by_groups[applies.tobytes()] = np.take(applies, group)
            result[column.key] = by_groups[applies.tobytes()]
    return result


# Who a student is for the fitness standard, by group index: 0 when grade or gender is
# unknown, then 一年级男生, 一年级女生, 二年级男生 … 高三女生.
_GROUP_LABELS: Final = np.array(
    [""] + [f"{GRADE_LABELS[g]}{s}生" for g in range(1, 13) for s in ("男", "女")], dtype=object
)


def _group_index(grade: int | np.ndarray, female: bool | np.ndarray) -> Any:
    return (grade - 1) * 2 + female + 1


def _student_groups(grades: pa.Array, genders: Parsed) -> np.ndarray:
    """Each row's group index (see `_GROUP_LABELS`)."""
    grade = np.asarray(pc.fill_null(grades, 0).to_numpy(), dtype=np.int8)  # valid: 1..12
    female = genders.equals("女")
    known = (grade > 0) & (female | genders.equals("男"))
    return np.where(known, _group_index(grade, female), 0).astype(np.int32)


def applicability(
    template: Template, rule: ApplicabilityRule, parsed: Mapping[str, Parsed]
) -> tuple[list[Finding], dict[str, np.ndarray]]:
    """Items a student must take but has no value for (errors); values for items the student
    does not take (warnings, and the values are not imported)."""
    group_index = _student_groups(parsed[rule.grade].values, parsed[rule.gender])
    applies, known = _applies_by_row(template, group_index), group_index > 0
    labels: list[np.ndarray] = []

    def group() -> np.ndarray:  # each row's group label, for the messages (rarely needed)
        if not labels:
            labels.append(np.asarray(_GROUP_LABELS[group_index], dtype=object))
        return labels[0]

    findings: list[Finding] = []
    hidden: dict[str, np.ndarray] = {}
    for key, rows in applies.items():
        column = template.column(key)
        item = parsed[key]
        has_value = item.has_value()
        # Cells that failed to parse already carry their own error; do not add "required".
        unparsed = np.zeros(len(rows), dtype=bool)
        for finding in item.findings:
            unparsed |= finding.mask
        missing = rows & ~has_value & ~unparsed
        hidden[key] = known & ~rows
        extra = hidden[key] & has_value
        if missing.any():
            findings.append(
                Finding(
                    ErrorCode.ITEM_REQUIRED_FOR_GROUP,
                    key,
                    missing,
                    {"statuses": "、".join(column.statuses)},
                    {"group": group()},
                )
            )
        if extra.any():
            findings.append(
                Finding(ErrorCode.ITEM_NOT_APPLICABLE, key, extra, {}, {"group": group()})
            )
    return findings, hidden


def duplicates(
    template: Template, parsed: Mapping[str, Parsed], row_numbers: np.ndarray
) -> list[Finding]:
    """Every repeat of a unique key after its first occurrence, naming the first row.

    Each key column becomes dictionary codes, the codes one integer per row (renumbered
    densely whenever the product of the columns' sizes would overflow), and one stable sort
    of those integers finds every repeat and its first row at once. The memory is a few
    integers a row — a hash aggregation over the key columns held a copy of them and its
    table besides (+210 MB for 2,000,000 rows). A key with an empty part is no key at all:
    never a repeat."""
    rows = len(row_numbers)
    if rows < 2:
        return []
    code = np.zeros(rows, dtype=np.int64)
    size = 1
    usable = np.ones(rows, dtype=bool)
    for key in template.unique:
        values = parsed[key].values
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        indices = encoded.indices
        usable &= valid_mask(indices)
        count = max(1, len(encoded.dictionary))
        if size * count >= 1 << 62:  # renumber densely: at most one code per row
            _, dense = np.unique(code, return_inverse=True)
            code, size = dense.astype(np.int64), int(dense.max()) + 1
        code = code * count + pc.fill_null(indices, 0).to_numpy().astype(np.int64)
        size *= count
    positions = np.flatnonzero(usable)
    _, first, inverse, counts = np.unique(
        code[positions], return_index=True, return_inverse=True, return_counts=True
    )
    inverse = inverse.reshape(-1)
    repeat = (counts[inverse] > 1) & (np.arange(len(positions)) != first[inverse])
    if not repeat.any():
        return []
    mask = np.zeros(rows, dtype=bool)
    first_row = np.zeros(rows, dtype=np.int64)
    mask[positions[repeat]] = True
    first_row[positions[repeat]] = row_numbers[positions[first[inverse[repeat]]]]
    key_names = "+".join(template.column(k).header for k in template.unique)
    return [
        Finding(
            ErrorCode.DUPLICATE_ROW,
            template.unique[0],
            mask,
            {"key": key_names},
            {"first_row": first_row},
        )
    ]
