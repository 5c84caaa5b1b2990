"""The lake: validated files become Athena-ready Parquet with an explicit schema per template,
no personal data, keys derived from the source object version (a re-run replaces, a new upload
supersedes), zstd and millisecond timestamps; DuckDB reads the same objects with partition
pruning; Glue accepts the table the CDK stack will describe."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from growth import sample
from shared.domain.models import new_id
from shared.exceptions import TemplateInvalid
from shared.ingest import validate_bytes
from shared.lake import (
    ATHENA_TYPES,
    PARTITIONS,
    LakeQuery,
    LakeWriter,
    athena_type,
    glue_columns,
    glue_table_input,
    lake_key,
    lake_rows,
    lake_schema,
    parquet_bytes,
    partition_prefix,
    student_keys_of,
    terms_of_years,
)
from shared.lake.schema import template_prefix
from shared.resources import LAKE, UPLOADS
from shared.templates import Template, TemplateRegistry
from shared.templates.model import Column, ColumnType
from shared.term import Term

REGION = "cn-north-1"
LAKE_BUCKET = "growth-lake"
UPLOADS_BUCKET = "growth-uploads"
TERM = "2024-2025-1"
TODAY = date(2024, 12, 20)
UPLOADED_AT = datetime(2024, 11, 5, 8, 30, 15, 123456, tzinfo=UTC)

# ------------------------------------------------------------------------------ the sample world


@dataclass(frozen=True)
class ClassFile:
    """One class of the sample district and a validated upload of one of its templates."""

    school_id: str
    class_id: str
    students: tuple[sample.Student, ...]
    template: Template
    accepted: pa.Table
    rows: list[list[str]]


@pytest.fixture(scope="module")
def district() -> list[sample.School]:
    return sample.make_district(seed=2024, classes=2, size=30)


@pytest.fixture(scope="module")
def student_ids(district: list[sample.School]) -> dict[str, str]:
    """学籍号 → Student id: opaque ids, as the roster import assigns them."""
    return {s.student_no: new_id() for school in district for s in school.students}


def class_students(school: sample.School, number: int) -> tuple[sample.Student, ...]:
    names = sorted({s.class_name for s in school.students})
    return tuple(s for s in school.students if s.class_name == names[number])


def validated(
    registry: TemplateRegistry,
    template_id: str,
    students: Sequence[sample.Student],
    *,
    school: int,
    klass: int,
) -> ClassFile:
    rng = random.Random(f"{template_id}-{school}-{klass}")
    day = date(2024, 11, 5)
    header, rows = {
        "fitness-test": (sample.FITNESS_HEADER, sample.fitness_rows(rng, students, day)),
        "academic-score": (
            sample.SCORE_HEADER,
            sample.score_rows(rng, students, "数学", "期中考试", day),
        ),
        "quality-record": (sample.QUALITY_HEADER, sample.quality_rows(rng, students, day)),
        "roster-students": (sample.ROSTER_HEADER, sample.roster_rows(students)),
    }[template_id]
    template = registry.get(template_id)
    result = validate_bytes(
        sample.csv_bytes(header, rows), template, term=Term.parse(TERM), today=TODAY
    )
    assert result.status == "accepted", result.to_dict()["summary"]
    assert result.accepted is not None
    return ClassFile(
        f"sch-{school}", f"cls-{school}-{klass}", tuple(students), template, result.accepted, rows
    )


def to_lake(upload: ClassFile, student_ids: dict[str, str], *, task_id: str = "task-1") -> pa.Table:
    keys = student_keys_of(upload.template, upload.accepted, student_ids)
    return lake_rows(
        upload.template,
        upload.accepted,
        keys,
        school_id=upload.school_id,
        class_id=upload.class_id,
        grade=upload.students[0].grade,
        task_id=task_id,
        submission_id=f"sub-{upload.class_id}",
        uploaded_at=UPLOADED_AT,
    )


@pytest.fixture(scope="module")
def fitness(registry: TemplateRegistry, district: list[sample.School]) -> ClassFile:
    return validated(registry, "fitness-test", class_students(district[1], 0), school=1, klass=0)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        # Buckets as the infrastructure defines them (versioned, like every bucket here).
        for definition, name in ((LAKE, LAKE_BUCKET), (UPLOADS, UPLOADS_BUCKET)):
            client.create_bucket(
                Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
            )
            if definition.versioned:
                client.put_bucket_versioning(
                    Bucket=name, VersioningConfiguration={"Status": "Enabled"}
                )
        yield client


def lake_keys(s3: Any, prefix: str = "records/") -> list[str]:
    listed = s3.list_objects_v2(Bucket=LAKE_BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


# ------------------------------------------------------------------------------ schema


FITNESS_LAKE_COLUMNS = [
    "student_key",
    "gender",
    "grade",
    "class_name",
    "test_date",
    *[
        name
        for item in (
            "height_cm",
            "weight_kg",
            "vital_capacity_ml",
            "sprint_50m_s",
            "sit_and_reach_cm",
            "rope_skipping",
            "sit_ups",
            "shuttle_run_50x8_s",
            "standing_long_jump_cm",
            "pull_ups",
            "run_800m_s",
            "run_1000m_s",
        )
        for name in (item, f"{item}_status")
    ],
    "remark",
    # derived at import by the national standard (shared.fitness)
    "bmi",
    "bmi_score",
    "vital_capacity_ml_score",
    "sprint_50m_s_score",
    "sit_and_reach_cm_score",
    "rope_skipping_score",
    "sit_ups_score",
    "shuttle_run_50x8_s_score",
    "standing_long_jump_cm_score",
    "pull_ups_score",
    "run_800m_s_score",
    "run_1000m_s_score",
    "bonus_score",
    "standard_score",
    "total_score",
    "fitness_grade",
    "school_id",
    "class_id",
    "task_id",
    "submission_id",
    "template_version",
    "source_row",
    "uploaded_at",
]


def test_a_validated_fitness_file_becomes_a_lake_table_with_exactly_its_schema(
    fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given a class's fitness file, validated by the engine
    accepted = fitness.accepted
    # When its accepted rows become lake rows
    table = to_lake(fitness, student_ids)
    # Then the table has exactly the template's lake schema: its non-personal columns typed as
    # the engine types them, statuses, the pseudonymous student key and provenance
    assert table.schema.equals(lake_schema(fitness.template))
    assert table.column_names == FITNESS_LAKE_COLUMNS
    assert table.schema.field("grade").type == pa.int8()
    assert table.schema.field("test_date").type == pa.date32()
    assert table.schema.field("vital_capacity_ml").type == pa.int64()
    assert table.schema.field("height_cm").type == pa.float64()
    assert table.schema.field("source_row").type == pa.int32()
    assert table.schema.field("uploaded_at").type == pa.timestamp("ms", tz="UTC")
    # …with every accepted row, its values and its student's id (never the 学籍号)
    assert table.num_rows == accepted.num_rows == len(fitness.students)
    expected_keys = [student_ids[n] for n in accepted.column("student_no").to_pylist()]
    assert table.column("student_key").to_pylist() == expected_keys
    assert table.column("height_cm").equals(accepted.column("height_cm"))
    assert table.column("source_row").equals(accepted.column("source_row"))
    assert set(table.column("school_id").to_pylist()) == {fitness.school_id}
    assert set(table.column("class_id").to_pylist()) == {fitness.class_id}
    assert set(table.column("template_version").to_pylist()) == {1}
    assert set(table.column("uploaded_at").to_pylist()) == {UPLOADED_AT.replace(microsecond=123000)}
    # …and no partition column inside the file: they are directories
    assert not set(PARTITIONS) & set(table.column_names)


def test_every_lake_table_has_the_grade_as_an_integer(
    registry: TemplateRegistry,
    district: list[sample.School],
    fitness: ClassFile,
    student_ids: dict[str, str],
) -> None:
    # Given a class's score file (the template has no grade column) and a fitness file (its
    # rows state their grade, which decides the fitness standard's items)
    students = class_students(district[0], 1)
    scores = validated(registry, "academic-score", students, school=0, klass=1)
    # When they become lake rows
    score_rows, fitness_rows = to_lake(scores, student_ids), to_lake(fitness, student_ids)
    # Then both tables have `grade`, 1–12 as int8 (Athena's tinyint) in every lake schema
    for template in registry.latest():
        if template.id != "roster-students":
            assert lake_schema(template).field("grade").type == pa.int8()
    # …the score rows carry their class's grade, and the fitness rows their own
    assert set(score_rows.column("grade").to_pylist()) == {students[0].grade}
    assert fitness_rows.column("grade").equals(fitness.accepted.column("grade"))
    assert score_rows.column_names.index("grade") == score_rows.column_names.index("class_id") + 1


def test_a_template_column_named_grade_must_be_a_grade(registry: TemplateRegistry) -> None:
    # Given a template whose `grade` column is text
    base = registry.get("quality-record")
    column = Column(key="grade", header="年级说明", type=ColumnType.TEXT)
    template = base.model_copy(update={"columns": [*base.columns, column]})
    # When its lake schema is built, Then it is refused: `grade` means 1–12 in every table
    with pytest.raises(TemplateInvalid, match="grade"):
        lake_schema(template)


def test_personal_columns_are_decided_in_one_place(registry: TemplateRegistry) -> None:
    # Given the built-in templates
    # When their personal columns are listed
    personal = {t.id: sorted(c.key for c in t.columns if c.is_personal) for t in registry.latest()}
    # Then names (of students, guardians, witnesses) and identifiers by type are personal
    assert personal == {
        "academic-score": ["name", "student_no"],
        "fitness-test": ["name", "student_no"],
        "quality-record": ["name", "student_no", "witness"],
        "roster-students": [
            "guardian_mobile",
            "guardian_name",
            "name",
            "national_id",
            "school_no",
            "student_no",
        ],
    }
    # …and none of them is a lake column
    for template in registry.latest():
        assert not set(personal[template.id]) & set(lake_schema(template).names)


def every_type_template() -> Template:
    """A template with a column of every column type (numeric ones with statuses)."""
    columns = []
    for kind in ColumnType:
        extra: dict[str, Any] = {}
        if kind is ColumnType.ENUM:
            extra["values"] = ["甲", "乙"]
        if kind in {ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.DURATION}:
            extra["statuses"] = ["免测"]
        columns.append(Column(key=f"c_{kind.value}", header=f"列{kind.value}", type=kind, **extra))
    return Template(
        id="every-type", version=1, name="每种类型", columns=columns, unique=["c_student_no"]
    )


def test_the_type_map_covers_every_type_the_lake_schema_can_produce(
    registry: TemplateRegistry,
) -> None:
    # Given a template with a column of every column type, and the built-in templates
    templates = [every_type_template(), *registry.latest()]
    for template in templates:
        # When their lake schemas are described for Glue
        columns = glue_columns(template)
        # Then every Arrow type has its Athena type, column for column
        schema = lake_schema(template)
        assert [c["Name"] for c in columns] == schema.names
        assert [c["Type"] for c in columns] == [athena_type(f.type) for f in schema]
        assert all(c["Comment"] for c in columns)
    kinds = {f.type for f in lake_schema(every_type_template())}
    assert {str(t) for t in kinds} == {
        "string",
        "double",
        "int64",
        "int8",
        "int16",
        "int32",
        "date32[day]",
        "timestamp[ms, tz=UTC]",
    }
    # …the map's keys are exactly how pyarrow names those types (no dead entries)
    assert str(pa.bool_()) in ATHENA_TYPES
    assert athena_type(pa.date32()) == "date"
    assert athena_type(pa.timestamp("ms", tz="UTC")) == "timestamp"
    # …and a type the lake never writes is refused rather than guessed
    with pytest.raises(KeyError):
        athena_type(pa.timestamp("us"))


@pytest.mark.parametrize("key", ["school_id", "student_key", "term", "class", "source_row"])
def test_a_template_column_named_like_a_lake_column_is_refused(key: str) -> None:
    # Given a (district) template with a column named like a lake or partition column
    template = Template(
        id="clash",
        version=1,
        name="冲突",
        columns=[
            Column(key="student_no", header="学籍号", type=ColumnType.STUDENT_NO),
            Column(key=key, header="冲突列", type=ColumnType.TEXT),
        ],
        unique=["student_no"],
    )
    # When its lake schema is built, Then it is refused by name
    with pytest.raises(TemplateInvalid, match=key):
        lake_schema(template)


def test_lake_rows_fail_loudly_when_the_engine_types_drift(
    fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given accepted rows and their students' keys
    keys = student_keys_of(fitness.template, fitness.accepted, student_ids)
    common: dict[str, Any] = {
        "school_id": "sch-1",
        "class_id": "cls-1",
        "grade": 7,
        "task_id": "task-1",
        "submission_id": "sub-1",
        "uploaded_at": UPLOADED_AT,
    }
    # When a column's type drifted (a number read as text), Then nothing is cast silently
    drifted = fitness.accepted.set_column(
        fitness.accepted.schema.get_field_index("height_cm"),
        "height_cm",
        fitness.accepted.column("height_cm").cast(pa.string()),
    )
    with pytest.raises(TypeError, match="height_cm"):
        lake_rows(fitness.template, drifted, keys, **common)
    # …a column went missing
    with pytest.raises(TypeError, match="test_date"):
        lake_rows(fitness.template, fitness.accepted.drop_columns(["test_date"]), keys, **common)
    # …the student keys do not match the rows one to one
    with pytest.raises(ValueError, match="student key"):
        lake_rows(fitness.template, fitness.accepted, keys.slice(1), **common)
    # …the class's grade is not one of 1–12
    with pytest.raises(ValueError, match="grade"):
        lake_rows(fitness.template, fitness.accepted, keys, **{**common, "grade": 13})
    # …or the upload time has no zone
    with pytest.raises(ValueError, match="timezone"):
        lake_rows(
            fitness.template,
            fitness.accepted,
            keys,
            **{**common, "uploaded_at": UPLOADED_AT.replace(tzinfo=None)},
        )
    # …while an all-empty optional column of no type is typed as the schema says
    untyped = fitness.accepted.set_column(
        fitness.accepted.schema.get_field_index("remark"),
        "remark",
        pa.nulls(fitness.accepted.num_rows),
    )
    assert lake_rows(fitness.template, untyped, keys, **common).schema.field("remark").type == (
        pa.string()
    )


def test_rows_of_students_missing_from_the_roster_do_not_enter_the_lake(
    fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given a roster that lacks one of the file's students
    missing = fitness.accepted.column("student_no")[0].as_py()
    partial = {k: v for k, v in student_ids.items() if k != missing}
    # When the students' keys are looked up, Then the whole file is refused
    with pytest.raises(ValueError, match="1 accepted rows"):
        student_keys_of(fitness.template, fitness.accepted, partial)


# ------------------------------------------------------------------------------ no personal data


def identifiers(upload: ClassFile) -> set[str]:
    """Everything that identifies the file's students: 学籍号, ID, names, phones, witnesses."""
    values = {
        value
        for s in upload.students
        for value in (s.student_no, s.national_id, s.name, s.guardian_name, s.guardian_mobile)
    }
    if upload.template.id == "quality-record":
        witness = sample.QUALITY_HEADER.index("证明人")
        values |= {row[witness] for row in upload.rows}
    return values


@pytest.mark.parametrize(
    "template_id", ["academic-score", "fitness-test", "quality-record", "roster-students"]
)
def test_no_name_or_identifier_reaches_the_parquet_bytes(
    registry: TemplateRegistry,
    district: list[sample.School],
    student_ids: dict[str, str],
    template_id: str,
) -> None:
    # Given a validated file of a class, and everything that identifies its students
    upload = validated(registry, template_id, class_students(district[2], 1), school=2, klass=1)
    secrets = identifiers(upload)
    # When it is written as a lake object
    data = parquet_bytes(to_lake(upload, student_ids))
    # Then none of them is anywhere in the bytes (footer statistics are not compressed)…
    assert [s for s in secrets if s.encode() in data] == []
    # …nor in any decoded cell, whole or in part
    cells = [
        str(v) for column in pq.read_table(io.BytesIO(data)).columns for v in column.to_pylist()
    ]
    assert [s for s in secrets for cell in cells if s in cell] == []
    # …while the very same scan finds them in the engine's own table (the check can see)
    unfiltered = parquet_bytes(upload.accepted)
    assert any(s.encode() in unfiltered for s in secrets)


# ------------------------------------------------------------------------------ keys and writing


def test_the_lake_key_derives_from_the_source_object_version(
    s3: Any, fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given a class's file uploaded twice (two versions of the same source object)
    source = "uploads/sch-1/task-1/sub-1/source"
    first = s3.put_object(Bucket=UPLOADS_BUCKET, Key=source, Body=b"v1")["VersionId"]
    second = s3.put_object(Bucket=UPLOADS_BUCKET, Key=source, Body=b"v2")["VersionId"]
    writer = LakeWriter(s3, LAKE_BUCKET)
    table = to_lake(fitness, student_ids)

    def key_of(version: str, class_id: str = "cls-1") -> str:
        return lake_key("fitness-test", TERM, "sch-1", "task-1", class_id, version)

    # When the first version is imported, and imported again (a redelivered event)
    writer.put(key_of(first), table)
    writer.put(key_of(first), table)
    # Then the re-run replaced its own file instead of adding one
    partition = f"records/template=fitness-test/term={TERM}/school=sch-1/task=task-1/class=cls-1/"
    assert lake_keys(s3) == [f"{partition}part-{first}.parquet"]
    # When the second version is imported, and another class's file is there too
    other = writer.put(key_of(first, "cls-2"), table)
    newest = writer.put(key_of(second), table)
    # Then it has a key of its own…
    assert newest != key_of(first)
    assert len(lake_keys(s3, partition)) == 2
    # …and replacing the partition leaves only the newest, other classes untouched
    deleted = writer.replace_partition(partition_prefix(newest), newest)
    assert deleted == [key_of(first)]
    assert lake_keys(s3) == sorted([newest, other])
    # …the file read back is the table written
    body = s3.get_object(Bucket=LAKE_BUCKET, Key=newest)["Body"].read()
    assert pq.read_table(io.BytesIO(body)).equals(table)


def test_replacing_refuses_a_prefix_wider_than_one_task_and_class(
    s3: Any, fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given two classes' files in the lake
    writer = LakeWriter(s3, LAKE_BUCKET)
    table = to_lake(fitness, student_ids)
    kept = writer.put(lake_key("fitness-test", TERM, "sch-1", "task-1", "cls-1", "v1"), table)
    writer.put(lake_key("fitness-test", TERM, "sch-1", "task-1", "cls-2", "v1"), table)
    # When a replacement names a prefix wider than the kept file's own directory
    for prefix in ("records/", "records/template=fitness-test/", partition_prefix(kept) + "x/"):
        with pytest.raises(ValueError, match="does not lie directly"):
            writer.replace_partition(prefix, kept)
    # Then nothing was deleted; and keys outside the lake's layout are refused outright
    assert len(lake_keys(s3)) == 2
    with pytest.raises(ValueError, match="not a lake object key"):
        writer.put("elsewhere/part-1.parquet", table)


def test_key_values_are_single_safe_segments_that_read_back_unchanged(
    s3: Any, fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given ids with characters S3 and Hive treat specially
    school, task, klass = "sch/1", "task=7", "七年级(1)班 #2%"
    version = "3/L4kqtJlc+pXro.DTDm_J"  # real S3 version ids can hold `/` and `+`
    key = lake_key("fitness-test", TERM, school, task, klass, version)
    # Then each value is one segment of safe characters
    segments = key.split("/")
    assert len(segments) == 7
    assert [s.split("=")[0] for s in segments[1:6]] == list(PARTITIONS)
    assert all(s.count("=") == 1 for s in segments[1:6])
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%=")
    assert all(set(s) <= allowed for s in segments)
    # When the file is written and read by DuckDB, Then the partition values come back as given
    LakeWriter(s3, LAKE_BUCKET).put(key, to_lake(fitness, student_ids))
    with LakeQuery(s3, LAKE_BUCKET) as lake:
        assert lake.rows("SELECT DISTINCT school, task, class FROM records") == [
            (school, task, klass)
        ]
    # …and an empty value has no key
    with pytest.raises(ValueError, match="empty"):
        lake_key("fitness-test", TERM, "", task, klass, version)


def test_parquet_files_use_zstd_millisecond_timestamps_statistics_and_bounded_row_groups(
    fitness: ClassFile, student_ids: dict[str, str]
) -> None:
    # Given a lake table
    table = to_lake(fitness, student_ids)
    # When it is written as Parquet
    meta = pq.ParquetFile(io.BytesIO(parquet_bytes(table))).metadata
    # Then every column chunk is zstd-compressed and carries statistics
    chunks = [meta.row_group(0).column(i) for i in range(meta.num_columns)]
    assert {c.compression for c in chunks} == {"ZSTD"}
    assert all(c.is_stats_set for c in chunks)
    assert meta.row_group(0).column(0).statistics.has_min_max
    # …and the upload time is a UTC timestamp in milliseconds
    uploaded = meta.schema.column(table.schema.get_field_index("uploaded_at"))
    logical = json.loads(uploaded.logical_type.to_json())
    assert (logical["Type"], logical["timeUnit"], logical["isAdjustedToUTC"]) == (
        "Timestamp",
        "milliseconds",
        True,
    )
    # Given a large table, When written, Then no row group holds more than 128 Ki rows
    big = pa.table({"n": pa.array(range(300_000), pa.int64())})
    groups = pq.ParquetFile(io.BytesIO(parquet_bytes(big))).metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [
        131_072,
        131_072,
        37_856,
    ]


# ------------------------------------------------------------------------------ DuckDB as Athena


def scans(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The READ_PARQUET operators of a DuckDB profile."""
    found = []
    stack = list(profile.get("operator", profile.get("children", [])))
    while stack:
        node = stack.pop()
        if node.get("name") == "READ_PARQUET":
            found.append(node["extra_info"])
        stack += node.get("children", [])
    return found


def test_duckdb_counts_per_school_over_the_lake_with_partition_pruning(
    s3: Any,
    registry: TemplateRegistry,
    district: list[sample.School],
    student_ids: dict[str, str],
) -> None:
    # Given fitness files of three classes in two schools this term, an academic-score file,
    # and last term's fitness file of one class
    writer = LakeWriter(s3, LAKE_BUCKET)
    uploads = [
        validated(registry, "fitness-test", class_students(district[1], 0), school=1, klass=0),
        validated(registry, "fitness-test", class_students(district[1], 1), school=1, klass=1),
        validated(registry, "fitness-test", class_students(district[2], 0), school=2, klass=0),
    ]
    for upload in uploads:
        key = lake_key("fitness-test", TERM, upload.school_id, "task-1", upload.class_id, "v1")
        writer.put(key, to_lake(upload, student_ids))
    scores = validated(
        registry, "academic-score", class_students(district[1], 0), school=1, klass=0
    )
    writer.put(
        lake_key("academic-score", TERM, "sch-1", "task-2", "cls-1-0", "v1"),
        to_lake(scores, student_ids, task_id="task-2"),
    )
    writer.put(
        lake_key("fitness-test", "2023-2024-2", "sch-1", "task-0", "cls-1-0", "v1"),
        to_lake(uploads[0], student_ids, task_id="task-0"),
    )
    expected = {
        "sch-1": len(uploads[0].students) + len(uploads[1].students),
        "sch-2": len(uploads[2].students),
    }
    count_per_school = (
        "SELECT school, count(*) FROM records WHERE template = ? AND term = ? "
        "GROUP BY school ORDER BY school"
    )
    # When the district counts this term's fitness records per school, locally
    with LakeQuery(s3, LAKE_BUCKET) as lake:
        assert lake.objects == 5
        rows = lake.rows(count_per_school, ["fitness-test", TERM])
        # Then every school's count is right
        assert dict(rows) == expected
        # …and only this term's fitness files were read: the others were pruned by path
        (scan,) = scans(lake.profile(count_per_school, ["fitness-test", TERM]))
        assert scan["Scanning Files"] == "3/5"
        # …the template's own view (named like its Glue table) answers the same
        same = lake.rows(
            "SELECT school_id, count(*) FROM records_fitness_test WHERE term = $1 "
            "GROUP BY school_id ORDER BY school_id",
            [TERM],
        )
        assert dict(same) == expected
        # …and results come as Arrow too, typed as written
        table = lake.arrow("SELECT grade, uploaded_at FROM records_fitness_test LIMIT 1")
        assert table.schema.field("grade").type == pa.int8()
        assert table.column("uploaded_at").to_pylist() == [UPLOADED_AT.replace(microsecond=123000)]
    # When only one template's objects are materialised, Then only they are copied
    with LakeQuery(s3, LAKE_BUCKET, prefix=template_prefix("academic-score")) as lake:
        assert lake.objects == 1
        assert lake.rows("SELECT count(*) FROM records") == [(len(scores.students),)]


def test_an_empty_lake_answers_with_no_rows(s3: Any) -> None:
    # Given a lake with nothing in it, When it is queried, Then no rows (and no error)
    with LakeQuery(s3, LAKE_BUCKET) as lake:
        assert lake.objects == 0
        assert lake.rows("SELECT template, count(*) FROM records GROUP BY template") == []


# ------------------------------------------------------------------------------ Glue and imports


@pytest.mark.parametrize("school_ids", [["sch-1", "sch-2"], None])
def test_glue_accepts_the_table_with_partition_projection(
    monkeypatch: pytest.MonkeyPatch, registry: TemplateRegistry, school_ids: list[str] | None
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    template = registry.get("fitness-test")
    terms = terms_of_years(2020, 2030)
    with mock_aws():
        glue = boto3.client("glue", region_name=REGION)
        glue.create_database(DatabaseInput={"Name": "growth"})
        # Given the table input the CDK stack will deploy
        table_input = glue_table_input(
            template, bucket=LAKE_BUCKET, terms=terms, school_ids=school_ids
        )
        # When Glue creates it
        glue.create_table(DatabaseName="growth", TableInput=table_input)
        table = glue.get_table(DatabaseName="growth", Name="records_fitness_test")["Table"]
    # Then its columns are the lake schema's, typed for Athena, partitions kept apart
    columns = table["StorageDescriptor"]["Columns"]
    assert [c["Name"] for c in columns] == lake_schema(template).names
    assert {c["Type"] for c in columns} <= set(ATHENA_TYPES.values())
    assert [k["Name"] for k in table["PartitionKeys"]] == ["term", "school"]
    location = f"s3://{LAKE_BUCKET}/records/template=fitness-test/"
    assert table["StorageDescriptor"]["Location"] == location
    # …and partitions are projected from the same layout the writer uses (no crawler)
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.term.values"].split(",") == terms
    assert parameters["storage.location.template"] == location + "term=${term}/school=${school}/"
    key = lake_key("fitness-test", "2024-2025-1", "sch-2", "task-1", "cls-1", "v1")
    assert key.startswith(location.removeprefix(f"s3://{LAKE_BUCKET}/") + "term=2024-2025-1/")
    if school_ids:
        assert parameters["projection.school.type"] == "enum"
        assert parameters["projection.school.values"] == "sch-1,sch-2"
    else:
        assert parameters["projection.school.type"] == "injected"


def test_importing_the_lake_loads_neither_pyarrow_nor_duckdb() -> None:
    # Given a fresh interpreter (a Lambda's cold start), When it imports the lake package
    code = "import sys, shared.lake; print(sorted({'pyarrow', 'duckdb'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Then neither heavy library came with it
    assert out.stdout.strip() == "[]"
