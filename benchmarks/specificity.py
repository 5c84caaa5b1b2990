"""How specific each validator's errors are, scored against the injected mistakes.

A mistake counts as caught when the validator reports it at its row and its column (or as a
row-level error at its row, as frictionless reports a primary-key repeat). A validator tells
two kinds of mistake apart when the labels it uses for them differ (the engine's error code,
pandera's check name, frictionless's error type and constraint).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.data import KIND_CODES, Injected
from benchmarks.peers import Finding


@dataclass(slots=True)
class Score:
    validator: str
    rows: int  # data rows of the file it ran on
    findings: int
    rows_flagged: int
    labels: int  # distinct labels (codes, checks, error types) it used
    injected: int  # injected mistakes inside the rows it ran on
    caught: int
    other_rows: int  # rows flagged that carry no injected mistake
    by_kind: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # caught, of, label

    @property
    def told_apart(self) -> int:
        """Kinds whose label no other kind shares."""
        labels = Counter(label for caught, _, label in self.by_kind.values() if caught)
        return sum(1 for c, _, label in self.by_kind.values() if c and labels[label] == 1)


def score(
    validator: str,
    findings: Sequence[Finding],
    injected: Sequence[Injected],
    rows: int,
    first_row: int = 2,
) -> Score:
    at_row: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for row, column, label in findings:
        at_row[row].append((column, label))
    inside = [i for i in injected if i.index < rows]
    injected_rows = {i.index + first_row for i in inside}
    labels_by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    caught_by_kind: Counter[str] = Counter()
    total_by_kind = Counter(i.kind for i in inside)
    for mistake in inside:
        here = at_row.get(mistake.index + first_row, [])
        exact = [label for column, label in here if column == mistake.column]
        matches = exact or [label for column, label in here if not column]
        if matches:
            caught_by_kind[mistake.kind] += 1
            labels_by_kind[mistake.kind][matches[0]] += 1
    by_kind = {
        kind: (
            caught_by_kind[kind],
            total_by_kind[kind],
            labels_by_kind[kind].most_common(1)[0][0] if labels_by_kind[kind] else "—",
        )
        for kind in KIND_CODES
    }
    return Score(
        validator=validator,
        rows=rows,
        findings=len(findings),
        rows_flagged=len(at_row),
        labels=len({label for _, _, label in findings}),
        injected=len(inside),
        caught=sum(caught_by_kind.values()),
        other_rows=len(set(at_row) - injected_rows),
        by_kind=by_kind,
    )


def render(scores: Sequence[Score]) -> str:
    from benchmarks.table import table

    summary = table(
        [
            "validator",
            "rows",
            "findings",
            "rows flagged",
            "labels",
            "caught",
            "kinds told apart",
            "other rows flagged",
        ],
        [
            [
                s.validator,
                f"{s.rows:,}",
                f"{s.findings:,}",
                f"{s.rows_flagged:,}",
                str(s.labels),
                f"{s.caught:,}/{s.injected:,}",
                f"{s.told_apart}/{len(KIND_CODES)}",
                f"{s.other_rows:,}",
            ]
            for s in scores
        ],
    )
    per_kind = table(
        ["injected kind", *(s.validator for s in scores)],
        [
            [kind, *(_cell(s.by_kind[kind]) for s in scores)]
            for kind in KIND_CODES
            if any(s.by_kind[kind][1] for s in scores)
        ],
    )
    return summary + "\n\n" + per_kind


def _cell(result: tuple[int, int, str]) -> str:
    caught, total, label = result
    return f"{label} {caught}/{total}"
