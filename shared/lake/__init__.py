"""The lake: accepted records as Athena-ready Parquet in S3, one file per upload.

`schema` says what a template's lake table is (Arrow schema, Athena types, Glue table with
partition projection); `writer` turns accepted rows into that table and puts it in S3;
`query` runs SQL over the same objects locally with DuckDB, as Athena does in AWS. Importing
this package imports neither pyarrow nor duckdb: the functions that need them do.
"""

from shared.lake.query import LakeQuery
from shared.lake.schema import (
    ATHENA_TYPES,
    PARTITIONS,
    athena_type,
    glue_columns,
    glue_partition_keys,
    glue_partition_projection,
    glue_table_input,
    glue_table_name,
    lake_schema,
    terms_of_years,
)
from shared.lake.writer import (
    LakeWriter,
    lake_key,
    lake_rows,
    parquet_bytes,
    partition_prefix,
    student_keys_of,
)

__all__ = [
    "ATHENA_TYPES",
    "PARTITIONS",
    "LakeQuery",
    "LakeWriter",
    "athena_type",
    "glue_columns",
    "glue_partition_keys",
    "glue_partition_projection",
    "glue_table_input",
    "glue_table_name",
    "lake_key",
    "lake_rows",
    "lake_schema",
    "parquet_bytes",
    "partition_prefix",
    "student_keys_of",
    "terms_of_years",
]
