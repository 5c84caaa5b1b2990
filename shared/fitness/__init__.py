"""体质健康测试 scored by 《国家学生体质健康标准（2014年修订）》 (教体艺〔2014〕5号): the standard's
tables as data (`data/*.json`, each naming its source), one student's assessment (`assess`),
and the columns derived from a fitness upload's rows at import (`derive`). Pure Python,
numpy and pyarrow; no storage, no AWS. Rules, sources and decisions: docs/fitness.md."""

from shared.fitness.derivation import (
    FITNESS_TEMPLATE,
    DerivedColumn,
    derive,
    derived_arrays,
    derived_columns,
)
from shared.fitness.scoring import (
    FitnessAssessment,
    assess,
    bmi,
    bmi_band,
    bonus_points,
    derived_keys,
    fitness_grade,
    score_item,
    scored_items,
)
from shared.fitness.tables import ABSENT, EXEMPT, NotScored, standard

__all__ = [
    "ABSENT",
    "EXEMPT",
    "FITNESS_TEMPLATE",
    "DerivedColumn",
    "FitnessAssessment",
    "NotScored",
    "assess",
    "bmi",
    "bmi_band",
    "bonus_points",
    "derive",
    "derived_arrays",
    "derived_columns",
    "derived_keys",
    "fitness_grade",
    "score_item",
    "scored_items",
    "standard",
]
