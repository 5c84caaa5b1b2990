"""Finding a file's students in the class roster when the file has no 学籍号.

Score sheets as teachers keep them name students by 姓名, sometimes with a school-internal 学号
and a 性别 column. In an upload for one class the roster says who those students are: a row is
matched by its name (as people write names: full-width spaces, any kind of middle dot in a
Uyghur name such as 买买提·艾力), narrowed by the 学号 where both the file and the roster
have one, and by the gender to tell two students of the same name apart. A name the roster
does not have, or still has twice, is an error naming what was looked for; nothing is guessed.

The work is done once per distinct (name, 学号, gender) of the file, as the engine checks
repeated values once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shared.error_codes import ErrorCode
from shared.ingest.findings import Finding
from shared.privacy import mask_student_no
from shared.text import INVISIBLE_PATTERN

# The middle dot of transliterated names, as keyboards and fonts produce it (after NFKC,
# which turns the full-width full stop into "."): one dot for comparison.
_DOTS: Final = "[·•・‧∙⋅●.。]"
_SEPARATOR: Final = "\x1f"


def person_key(names: pa.Array) -> pa.Array:
    """Names as compared with the roster: NFKC, without invisible characters or spaces of any
    width, with one kind of middle dot; empty names become null."""
    text = pc.utf8_normalize(pc.cast(names, pa.string()), form="NFKC")
    text = pc.replace_substring_regex(text, pattern=INVISIBLE_PATTERN, replacement="")
    text = pc.replace_substring_regex(text, pattern=r"\s+", replacement="")
    text = pc.replace_substring_regex(text, pattern=_DOTS, replacement="·")
    empty = pc.equal(text, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), text)


@dataclass(frozen=True, slots=True)
class RosterPeople:
    """The roster as matching needs it: 学籍号, comparable names, and what can tell two
    students of one name apart (学号 and gender, where the roster has them)."""

    student_nos: list[str]
    names: list[str | None]
    school_nos: list[str | None] | None
    genders: list[str | None] | None
    display_names: list[str]


@dataclass(frozen=True, slots=True)
class Matched:
    """Each row's 学籍号 from the roster ('' where none was found) and why not, per row."""

    student_nos: pa.Array
    findings: list[Finding]


def match_students(
    names: pa.Array,
    school_nos: pa.Array | None,
    genders: pa.Array | None,
    roster: RosterPeople,
    *,
    name_key: str,
) -> Matched:
    """The roster student of every row, by name (and 学号, gender). Findings are reported on
    the name column (`name_key`): NOT_IN_ROSTER, STUDENT_AMBIGUOUS."""
    rows = len(names)
    file_names = person_key(names)
    parts = [pc.fill_null(file_names, "")]
    use_school_no = school_nos is not None and roster.school_nos is not None
    use_gender = genders is not None and roster.genders is not None
    if use_school_no and school_nos is not None:
        parts.append(pc.fill_null(school_no_key(school_nos), ""))
    if use_gender and genders is not None:
        parts.append(pc.fill_null(_trimmed(genders), ""))
    combined = pc.binary_join_element_wise(*parts, _SEPARATOR) if len(parts) > 1 else parts[0]
    encoded = pc.dictionary_encode(combined)
    position = encoded.indices.to_numpy(zero_copy_only=False)

    by_name: dict[str, list[int]] = {}
    for index, name in enumerate(roster.names):
        if name:
            by_name.setdefault(name, []).append(index)

    found: list[str] = []
    missing: list[str | None] = []  # what was looked for, where nothing was found
    ambiguous: list[str | None] = []  # the candidates, where more than one remained
    for combo in encoded.dictionary.to_pylist():
        fields = combo.split(_SEPARATOR)
        name = fields[0]
        school_no = fields[1] if use_school_no else ""
        gender = fields[-1] if use_gender else ""
        candidates = _candidates(by_name.get(name, []), school_no, gender, roster)
        if not name:
            found.append("")
            missing.append(None)
            ambiguous.append(None)
        elif len(candidates) == 1:
            found.append(roster.student_nos[candidates[0]])
            missing.append(None)
            ambiguous.append(None)
        elif not candidates:
            found.append("")
            missing.append(_looked_for(name, school_no))
            ambiguous.append(None)
        else:
            found.append("")
            missing.append(None)
            ambiguous.append("、".join(_describe(i, roster) for i in candidates))

    student_nos = pa.array(found, pa.string()).take(pa.array(position))
    findings = []
    for code, per_value, param in (
        (ErrorCode.NOT_IN_ROSTER, missing, "who"),
        (ErrorCode.STUDENT_AMBIGUOUS, ambiguous, "candidates"),
    ):
        flags = np.array([v is not None for v in per_value], dtype=bool)
        mask = flags[position] if len(position) else np.zeros(rows, dtype=bool)
        if mask.any():
            texts = np.array(per_value, dtype=object)[position]
            findings.append(Finding(code, name_key, mask, {}, {param: texts}))
    return Matched(student_nos, findings)


def _candidates(indexes: list[int], school_no: str, gender: str, roster: RosterPeople) -> list[int]:
    """The roster students a name may be: narrowed by the 学号 where the row has one (it must
    agree), then by the gender while more than one remains."""
    candidates = indexes
    if school_no and roster.school_nos is not None:
        candidates = [i for i in candidates if roster.school_nos[i] == school_no]
    if len(candidates) > 1 and gender and roster.genders is not None:
        narrowed = [i for i in candidates if roster.genders[i] == gender]
        candidates = narrowed or candidates
    return candidates


def _looked_for(name: str, school_no: str) -> str:
    if school_no:
        return f"姓名为「{name}」、学号为「{school_no}」的学生"
    return f"名为「{name}」的学生"


def _describe(index: int, roster: RosterPeople) -> str:
    """One candidate as a teacher can tell them apart, the 学籍号 masked."""
    parts = [f"学籍号 {mask_student_no(roster.student_nos[index])}"]
    if roster.school_nos is not None and roster.school_nos[index]:
        parts.append(f"学号 {roster.school_nos[index]}")
    if roster.genders is not None and roster.genders[index]:
        parts.append(str(roster.genders[index]))
    return f"{roster.display_names[index]}（{'，'.join(parts)}）"


def school_no_key(values: pa.Array) -> pa.Array:
    """School numbers as compared: trimmed, and without leading zeros when all digits (Excel
    shows 05 as 5 unless the cell is text)."""
    text = _trimmed(values)
    return pc.replace_substring_regex(text, pattern=r"^0+(\d)", replacement=r"\1")


def _trimmed(values: pa.Array) -> pa.Array:
    text = pc.utf8_normalize(pc.cast(values, pa.string()), form="NFKC")
    return pc.utf8_trim_whitespace(text)
