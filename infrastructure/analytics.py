"""The analysis views of `analytics/*.sql` in AWS: each one an Athena named query in the
stage's workgroup (saved queries analysts open in the console and run as they are) and a view
in the lake's Glue database (`SELECT … FROM score_distribution`, from Athena or anything that
reads the Glue catalog).

An Athena view is a Glue table of type VIRTUAL_VIEW whose `ViewOriginalText` carries the
view's SQL and its output columns with their Trino types (`/* Presto View: <base64 JSON> */`);
that is what `CREATE VIEW` in Athena stores, written here so that the views are deployed with
the stack rather than by hand. The columns are what the same SQL answers with on DuckDB over
an empty lake (`analytics.view_schema`), in Glue's and Trino's names for their types. Athena
checks a view's stored columns against its query when it runs it: the SQL is the subset both
engines run, and the types it yields (counts, doubles, the lake's own columns) are the same
in both, which a first run of each view after deployment confirms (`growth query --athena`).
"""

from __future__ import annotations

import base64
import json
from typing import Final

import aws_cdk as cdk
import pyarrow as pa
from aws_cdk import aws_athena as athena
from constructs import Construct

from analytics import view_names, view_schema, view_sql
from shared.lake.schema import athena_type

# Athena's (Trino's) names where Glue's differ.
_TRINO_TYPES: Final = {"string": "varchar", "int": "integer", "timestamp": "timestamp(3)"}


def view_columns(name: str) -> list[tuple[str, str, str]]:
    """Each output column of view `name`: (name, Glue type, Trino type)."""
    columns = []
    for field in view_schema(name):
        kind = field.type
        if pa.types.is_timestamp(kind):  # DuckDB answers in µs; the lake's are ms, UTC
            kind = pa.timestamp("ms", tz="UTC")
        glue = athena_type(kind)
        columns.append((field.name, glue, _TRINO_TYPES.get(glue, glue)))
    return columns


def view_description(name: str) -> str:
    """The question a view answers: the first line of its SQL, without `-- name:`."""
    first = view_sql(name).split("\n", 1)[0]
    return first.removeprefix(f"-- {name}:").strip()


def presto_view_text(name: str, *, catalog: str, database: str) -> str:
    """`ViewOriginalText` of an Athena view: its SQL, catalog, schema and typed columns."""
    definition = {
        "originalSql": view_sql(name),
        "catalog": catalog,
        "schema": database,
        "columns": [{"name": n, "type": trino} for n, _, trino in view_columns(name)],
    }
    encoded = base64.b64encode(json.dumps(definition, ensure_ascii=False).encode()).decode()
    return f"/* Presto View: {encoded} */"


class AnalysisViews(Construct):
    """Every analysis view as a named query in `workgroup` and a view in `database`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        catalog_id: str,
        database: str,
        workgroup: str,
        after: list[Construct],
    ) -> None:
        super().__init__(scope, construct_id)
        self.named_queries: dict[str, athena.CfnNamedQuery] = {}
        self.views: dict[str, cdk.CfnResource] = {}
        for name in view_names():
            query = athena.CfnNamedQuery(
                self,
                f"Query-{name}",
                name=name,
                description=view_description(name)[:1024],
                database=database,
                work_group=workgroup,
                query_string=view_sql(name),
            )
            view = cdk.CfnResource(
                self,
                f"View-{name}",
                type="AWS::Glue::Table",
                properties={
                    "CatalogId": catalog_id,
                    "DatabaseName": database,
                    "TableInput": {
                        "Name": name,
                        "Description": view_description(name),
                        "TableType": "VIRTUAL_VIEW",
                        "Parameters": {"presto_view": "true", "comment": "Presto View"},
                        "ViewOriginalText": presto_view_text(
                            name, catalog="awsdatacatalog", database=database
                        ),
                        "ViewExpandedText": "/* Presto View */",
                        "StorageDescriptor": {
                            "Columns": [
                                {"Name": n, "Type": glue} for n, glue, _ in view_columns(name)
                            ],
                        },
                    },
                },
            )
            for dependency in after:  # the database, its tables and the workgroup first
                query.node.add_dependency(dependency)
                view.node.add_dependency(dependency)
            self.named_queries[name] = query
            self.views[name] = view
