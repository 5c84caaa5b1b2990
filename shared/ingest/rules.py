"""Cross-column rules a template declares: date order, score ≤ full marks, what a national ID
says about birth date and gender, which fitness items apply to whom, and row uniqueness."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode
from shared.grades import GRADE_LABELS
from shared.ingest.checks import Parsed
from shared.ingest.findings import Finding, mask_of, null_where
from shared.templates.model import (
    ApplicabilityRule,
    DateOrderRule,
    IdentityRule,
    NotAboveRule,
    Template,
)


def rule_findings(template: Template, parsed: Mapping[str, Parsed]) -> list[Finding]:
    findings: list[Finding] = []
    for rule in template.rules:
        if isinstance(rule, DateOrderRule):
            findings += _date_order(template, rule, parsed)
        elif isinstance(rule, NotAboveRule):
            findings += _not_above(template, rule, parsed)
        elif isinstance(rule, IdentityRule):
            findings += _identity(rule, parsed)
        elif isinstance(rule, ApplicabilityRule):
            findings += applicability(template, rule, parsed)
    return findings


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


def applicable_rows(
    template: Template, rule: ApplicabilityRule, parsed: Mapping[str, Parsed]
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """For each item column, which rows it applies to; and which rows could be judged at all
    (grade and gender both valid)."""
    grades = parsed[rule.grade].values.to_numpy(zero_copy_only=False)
    genders = parsed[rule.gender].values
    known = mask_of(pc.is_valid(parsed[rule.grade].values)) & mask_of(pc.is_valid(genders))
    grades = np.nan_to_num(np.asarray(grades, dtype=np.float64)).astype(np.int64)
    gender_text = np.asarray(pc.fill_null(genders, "").to_numpy(zero_copy_only=False))
    result: dict[str, np.ndarray] = {}
    for column in template.columns:
        if not column.applies_to:
            continue
        applies = np.zeros(len(grades), dtype=bool)
        for group in column.applies_to:
            in_group = np.isin(grades, group.grades)
            if group.gender:
                in_group &= gender_text == group.gender
            applies |= in_group
        result[column.key] = applies & known
    return result, known


def applicability(
    template: Template, rule: ApplicabilityRule, parsed: Mapping[str, Parsed]
) -> list[Finding]:
    applies, known = applicable_rows(template, rule, parsed)
    group = _group_labels(parsed[rule.grade].values, parsed[rule.gender].values, known)
    findings: list[Finding] = []
    for key, rows in applies.items():
        column = template.column(key)
        item = parsed[key]
        has_value = mask_of(pc.is_valid(item.values))
        has_status = (
            mask_of(pc.is_valid(item.status)) if item.status is not None else has_value & False
        )
        # Cells that failed to parse already carry their own error; do not add "required".
        unparsed = np.zeros(len(rows), dtype=bool)
        for finding in item.findings:
            unparsed |= finding.mask
        missing = rows & ~has_value & ~has_status & ~unparsed
        extra = known & ~rows & (has_value | has_status)
        statuses = "、".join(column.statuses)
        if missing.any():
            findings.append(
                Finding(
                    ErrorCode.ITEM_REQUIRED_FOR_GROUP,
                    key,
                    missing,
                    {"statuses": statuses},
                    {"group": group},
                )
            )
        if extra.any():
            findings.append(
                Finding(ErrorCode.ITEM_NOT_APPLICABLE, key, extra, {}, {"group": group})
            )
    return findings


def _group_labels(grades: pa.Array, genders: pa.Array, known: np.ndarray) -> np.ndarray:
    """Per row, who the student is for the fitness standard: 七年级男生."""
    labels = np.array(
        [""] + [f"{GRADE_LABELS[g]}{s}生" for g in range(1, 13) for s in ("男", "女")], dtype=object
    )
    grade = np.nan_to_num(np.asarray(grades.to_numpy(zero_copy_only=False), dtype=np.float64))
    female = mask_of(pc.equal(genders, "女"))
    index = np.where(known, (grade.astype(np.int64) - 1) * 2 + female + 1, 0)
    return np.asarray(labels[np.clip(index, 0, len(labels) - 1)], dtype=object)


def duplicates(
    template: Template, parsed: Mapping[str, Parsed], row_numbers: np.ndarray
) -> list[Finding]:
    """Every repeat of a unique key after its first occurrence, naming the first row."""
    parts = [_as_text(parsed[key].values) for key in template.unique]
    joined = pc.binary_join_element_wise(*parts, "\x1f")
    rows = np.flatnonzero(mask_of(pc.is_valid(joined)))
    if len(rows) < 2:
        return []
    codes = pc.dictionary_encode(pc.take(joined, pa.array(rows))).indices
    codes = np.asarray(codes.to_numpy(zero_copy_only=False))
    _, first = np.unique(codes, return_index=True)
    first_of = first[codes]
    repeat = first_of != np.arange(len(rows))
    if not repeat.any():
        return []
    mask = np.zeros(len(row_numbers), dtype=bool)
    mask[rows[repeat]] = True
    first_row = np.zeros(len(row_numbers), dtype=np.int64)
    first_row[rows[repeat]] = row_numbers[rows[first_of[repeat]]]
    key = "+".join(template.column(k).header for k in template.unique)
    return [
        Finding(
            ErrorCode.DUPLICATE_ROW,
            template.unique[0],
            mask,
            {"key": key},
            {"first_row": first_row.tolist()},
        )
    ]


def _as_text(values: pa.Array) -> pa.Array:
    return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())
