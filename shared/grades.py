"""Grade levels (年级) 1–12, as Shanghai schools write them.

Shanghai runs a 5 + 4 system: primary school is grades 1–5 and middle school grades 6–9, with
grade 6 called 预备 or 预初. High school grades are written 高一 to 高三. The canonical value is
the number 1–12 whatever the school's form.
"""

from __future__ import annotations

from typing import Final

_CN_DIGITS: Final = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]

GRADE_LABELS: Final[dict[int, str]] = {
    **{n: f"{_CN_DIGITS[n - 1]}年级" for n in range(1, 10)},
    10: "高一",
    11: "高二",
    12: "高三",
}


def _aliases() -> dict[str, int]:
    table: dict[str, int] = {}
    for n in range(1, 13):
        cn = _CN_DIGITS[n - 1]
        for form in (str(n), f"{n}年级", f"{cn}年级", cn):
            table[form] = n
    for i, cn in enumerate(("一", "二", "三")):
        table[f"初{cn}"] = 7 + i
        table[f"高{cn}"] = 10 + i
        table[f"高中{cn}年级"] = 10 + i
        table[f"初中{cn}年级"] = 7 + i
    table.update({"预备": 6, "预初": 6, "预备年级": 6, "六年级(预备)": 6})
    return table


GRADE_ALIASES: Final[dict[str, int]] = _aliases()


def describe_grades(grades: list[int]) -> str:
    """A short Chinese label for a set of grades: [1, 2] → 一至二年级."""
    if not grades:
        return ""
    low, high = min(grades), max(grades)
    if low == high:
        return GRADE_LABELS[low]
    return f"{GRADE_LABELS[low]}至{GRADE_LABELS[high]}"
