"""The lake's tables: one explicit Parquet schema per template, its directory layout, and the
Glue/Athena description of both.

A template's lake table holds its non-personal columns, typed as the validation engine types
them, then the values derived from them at import where the template has a derivation
(体质健康测试: BMI, item scores, 标准分, 附加分, 学年总分, 等级; `shared.fitness`), plus who and
where each row came from. Students appear by pseudonymous key only (the
Student id, never the 学籍号). Template, term, school, task and class are Hive-style
directories (`records/template=…/term=…/school=…/task=…/class=…/`), not columns of the files.

Everything here is plain data for the CDK stack (a Glue table with partition projection, no
crawler) and for DuckDB locally. pyarrow is imported only by the functions that build Arrow
schemas: the type map and the layout cost a Lambda nothing to import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from shared.exceptions import TemplateInvalid
from shared.fitness.derivation import derived_columns
from shared.templates.model import ColumnType, Template

if TYPE_CHECKING:
    import pyarrow as pa

# The one pyarrow → Athena/Glue type map, keyed by the Arrow type as pyarrow prints it.
ATHENA_TYPES: Final[dict[str, str]] = {
    "string": "string",
    "double": "double",
    "int64": "bigint",
    "int32": "int",
    "int16": "smallint",
    "int8": "tinyint",
    "bool": "boolean",
    "date32[day]": "date",
    "timestamp[ms, tz=UTC]": "timestamp",
}

RECORDS_PREFIX: Final = "records/"
# The Hive-style directories of a lake object, outermost first. None of them is a column of
# the files: DuckDB and Athena read them from the path.
PARTITIONS: Final = ("template", "term", "school", "task", "class")
# The partition keys of a template's Glue table (one table per template, so `template` is
# its location). Task and class stay directories below: Athena reads the files under a
# partition's location recursively, and `task_id`/`class_id` are columns to filter on.
PROJECTED_PARTITIONS: Final = ("term", "school")

# Who and where a row came from; appended to every template's own columns.
STUDENT_KEY: Final = "student_key"
# The grade (1–12) of the class a row was uploaded for, so that analysts group by grade
# without parsing class names. A template with its own grade column (体质健康's 年级, which
# decides the items and scoring of the fitness standard) keeps that column as `grade`.
GRADE: Final = "grade"
PROVENANCE: Final[dict[str, str]] = {
    "school_id": "学校 id",
    "class_id": "班级 id",
    GRADE: "年级（1–12，上传班级的年级）",
    "task_id": "数据上报任务 id",
    "submission_id": "上报（提交）id",
    "template_version": "模板版本",
    "source_row": "原表格行号",
    "uploaded_at": "上传时间（UTC）",
}


def _arrow_types() -> dict[ColumnType, pa.DataType]:
    import pyarrow as pa

    # As the engine types accepted rows (shared.ingest.checks). Identifier types are
    # personal and never reach the lake; they are listed so that the map is total.
    return {
        ColumnType.TEXT: pa.string(),
        ColumnType.ENUM: pa.string(),
        ColumnType.INTEGER: pa.int64(),
        ColumnType.DECIMAL: pa.float64(),
        ColumnType.DURATION: pa.float64(),
        ColumnType.DATE: pa.date32(),
        ColumnType.GRADE: pa.int8(),
        ColumnType.STUDENT_NO: pa.string(),
        ColumnType.NATIONAL_ID: pa.string(),
        ColumnType.MOBILE: pa.string(),
    }


def lake_schema(template: Template) -> pa.Schema:
    """The explicit Arrow schema of `template`'s lake files: the student's pseudonymous key,
    each non-personal column (and its `<key>_status` where statuses exist), the template's
    derived values (doubles; the fitness grade as text), then provenance.
    TemplateInvalid if a column's name would collide with a lake column or a partition."""
    import pyarrow as pa

    types = _arrow_types()
    fields = [pa.field(STUDENT_KEY, pa.string(), nullable=False)]
    for column in template.columns:
        if column.is_personal:
            continue
        fields.append(pa.field(column.key, types[column.type]))
        if column.has_status:
            fields.append(pa.field(f"{column.key}_status", pa.string()))
    for derived in derived_columns(template.id):
        kind = pa.float64() if derived.kind == "double" else pa.string()
        fields.append(pa.field(derived.key, kind))
    fields += [
        pa.field("school_id", pa.string(), nullable=False),
        pa.field("class_id", pa.string(), nullable=False),
    ]
    if not has_own_grade(template):
        fields.append(pa.field(GRADE, types[ColumnType.GRADE], nullable=False))
    fields += [
        pa.field("task_id", pa.string(), nullable=False),
        pa.field("submission_id", pa.string(), nullable=False),
        pa.field("template_version", pa.int16(), nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),
        pa.field("uploaded_at", pa.timestamp("ms", tz="UTC"), nullable=False),
    ]
    names = [f.name for f in fields]
    clashes = sorted({n for n in names if names.count(n) > 1} | (set(names) & set(PARTITIONS)))
    if clashes:
        raise TemplateInvalid(f"{template.ref}: column names reserved by the lake: {clashes}")
    return pa.schema(fields)


def has_own_grade(template: Template) -> bool:
    """Whether the template's rows say their grade themselves (a non-personal column `grade`,
    which must then be of the grade type: the lake's `grade` means 1–12 in every table)."""
    column = next((c for c in template.columns if c.key == GRADE and not c.is_personal), None)
    if column is None:
        return False
    if column.type is not ColumnType.GRADE:
        raise TemplateInvalid(f"{template.ref}: column {GRADE} is reserved by the lake for 年级")
    return True


def athena_type(arrow_type: pa.DataType) -> str:
    """The Athena/Glue type of an Arrow type; KeyError for a type the lake never writes."""
    try:
        return ATHENA_TYPES[str(arrow_type)]
    except KeyError:
        raise KeyError(f"no Athena type for Arrow type {arrow_type}") from None


def partition_value(value: str) -> str:
    """`value` as one path segment of a key: percent-encoded outside `A-Z a-z 0-9 - _ . ~`,
    so no `/`, `=` or other character S3 or Hive treat specially survives. DuckDB and Hive
    decode it back when they read the partition."""
    if not value:
        raise ValueError("a partition value cannot be empty")
    return quote(value, safe="")


def template_prefix(template_id: str) -> str:
    """Where one template's lake objects live: the location of its Glue table."""
    return f"{RECORDS_PREFIX}template={partition_value(template_id)}/"


def glue_table_name(template_id: str) -> str:
    """The Glue (and local DuckDB) table of a template: `records_` + its id, `-` as `_`."""
    return "records_" + template_id.replace("-", "_")


def glue_columns(template: Template) -> list[dict[str, str]]:
    """The Glue columns of a template's table (Name, Type, Comment), in file order.

    Athena maps Parquet columns by name, so a table described from a template's newest
    version also reads files of older versions that lack some of its columns (as NULL)."""
    comments = {
        STUDENT_KEY: "学生（假名化 id，非学籍号）",
        **PROVENANCE,
    }
    for column in template.columns:
        unit = f"（{column.unit}）" if column.unit else ""
        comments[column.key] = column.header + unit
        if column.has_status:
            comments[f"{column.key}_status"] = f"{column.header}：{'、'.join(column.statuses)}"
    for derived in derived_columns(template.id):
        comments[derived.key] = f"{derived.header}（导入时计算）"
    return [
        {"Name": field.name, "Type": athena_type(field.type), "Comment": comments[field.name]}
        for field in lake_schema(template)
    ]


def glue_partition_keys() -> list[dict[str, str]]:
    """The partition keys of every template's Glue table."""
    return [{"Name": name, "Type": "string"} for name in PROJECTED_PARTITIONS]


def glue_partition_projection(
    template_id: str,
    *,
    bucket: str,
    terms: Sequence[str],
    school_ids: Sequence[str] | None = None,
) -> dict[str, str]:
    """Table parameters for Athena partition projection (no crawler, no partition upkeep).

    `terms` are projected as an enum (see `terms_of_years`). With `school_ids` the schools are
    an enum too, so district-wide queries need no school in WHERE (the list is refreshed
    when schools are added); without, `school` is injected and every query must name one."""
    return projection_parameters(
        f"s3://{bucket}/{template_prefix(template_id)}", terms=terms, school_ids=school_ids
    )


def projection_parameters(
    location: str, *, terms: Sequence[str], school_ids: Sequence[str] | None = None
) -> dict[str, str]:
    """Partition projection of `term` and `school` directories under `location` (an
    `s3://…/` prefix ending in `/`), for any lake table laid out that way."""
    if not terms:
        raise ValueError("partition projection needs at least one term")
    parameters = {
        "projection.enabled": "true",
        "projection.term.type": "enum",
        "projection.term.values": ",".join(partition_value(t) for t in terms),
        "storage.location.template": f"{location}term=${{term}}/school=${{school}}/",
    }
    if school_ids:
        parameters["projection.school.type"] = "enum"
        parameters["projection.school.values"] = ",".join(partition_value(s) for s in school_ids)
    else:
        parameters["projection.school.type"] = "injected"
    return parameters


def glue_table_input(
    template: Template,
    *,
    bucket: str,
    terms: Sequence[str],
    school_ids: Sequence[str] | None = None,
) -> dict[str, object]:
    """A complete Glue `TableInput` (the shape of boto3's `create_table` and of
    CloudFormation's `AWS::Glue::Table`) for a template's lake table."""
    return {
        "Name": glue_table_name(template.id),
        "Description": f"{template.name}（{template.id}）",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": "parquet",
            "parquet.compression": "ZSTD",
            **glue_partition_projection(
                template.id, bucket=bucket, terms=terms, school_ids=school_ids
            ),
        },
        "PartitionKeys": glue_partition_keys(),
        "StorageDescriptor": {
            "Columns": glue_columns(template),
            "Location": f"s3://{bucket}/{template_prefix(template.id)}",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": (
                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                ),
            },
        },
    }


def terms_of_years(first_start_year: int, last_start_year: int) -> list[str]:
    """Both terms of each school year from `first_start_year` to `last_start_year`."""
    return [
        f"{year}-{year + 1}-{index}"
        for year in range(first_start_year, last_start_year + 1)
        for index in (1, 2)
    ]
