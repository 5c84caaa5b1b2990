"""Operators' commands against a deployed stage (AWS credentials of an operator, not of a
function). The first one: the district's first administrator, who then creates everyone else
through the API.

    growth admin create-district-admin --directory-table T --user-pool-id P \
        --username zhang.san --name 张三 --email zhang.san@example.edu.cn
    growth admin create-district-admin --directory-table T --subject SUB --name 张三

With a Cognito user pool, the user is created there (Cognito emails a temporary password) and
their `sub` becomes their id in the directory. With an external OpenID Connect issuer (the China
regions), the user already exists there and `--subject` is their `sub`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db.directory import DirectoryRepository
from shared.domain.models import Role, User


@dataclass(frozen=True, slots=True)
class CreatedAdmin:
    user_id: str
    username: str | None


def create_district_admin(
    directory: DirectoryRepository,
    *,
    name: str,
    cognito: Any = None,
    user_pool_id: str | None = None,
    username: str | None = None,
    email: str | None = None,
    subject: str | None = None,
    school_id: str | None = None,
) -> CreatedAdmin:
    """Create the user (in the pool, unless `subject` names one of an external issuer) and
    their directory entry as district administrator — or, with `school_id`, as that school's
    administrator (a school joining, docs/runbook.md). ValueError when the arguments do not
    describe exactly one of the two ways."""
    if subject is None:
        if cognito is None or not (user_pool_id and username and email):
            raise ValueError("用户池方式需要 --user-pool-id、--username 和 --email")
        created = cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=username,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
        attributes = {a["Name"]: a["Value"] for a in created["User"]["Attributes"]}
        subject = attributes["sub"]
    elif user_pool_id or username or email:
        raise ValueError("外部身份提供方方式只需 --subject，不能同时给出用户池参数")
    role = Role.DISTRICT_ADMIN if school_id is None else Role.SCHOOL_ADMIN
    directory.put_user(User(id=subject, role=role, name=name, school_id=school_id))
    return CreatedAdmin(user_id=subject, username=username)


# -- the restore drill (R11) -----------------------------------------------------------------

DRILL_PREFIX = "restore-drill/"
# Restoring a table takes minutes to hours in AWS: wait up to two hours.
RESTORE_WAIT = {"Delay": 30, "MaxAttempts": 240}


@dataclass(frozen=True, slots=True)
class TableDrill:
    source: str
    restored: str
    source_items: int
    restored_items: int


@dataclass(frozen=True, slots=True)
class ObjectDrill:
    key: str
    version_id: str
    size: int
    identical: bool  # the restored copy's bytes equal the version's


def restore_table(
    dynamodb: Any,
    table: str,
    *,
    suffix: str,
    keep: bool = False,
    wait: dict[str, int] | None = None,
) -> TableDrill:
    """Restore `table` to its latest restorable time as `{table}-drill-{suffix}`, count both,
    and delete the restored copy unless `keep`."""
    restored = f"{table}-drill-{suffix}"
    dynamodb.restore_table_to_point_in_time(
        SourceTableName=table, TargetTableName=restored, UseLatestRestorableTime=True
    )
    dynamodb.get_waiter("table_exists").wait(TableName=restored, WaiterConfig=wait or RESTORE_WAIT)
    drill = TableDrill(table, restored, _count(dynamodb, table), _count(dynamodb, restored))
    if not keep:
        dynamodb.delete_table(TableName=restored)
    return drill


def _count(dynamodb: Any, table: str) -> int:
    pages = dynamodb.get_paginator("scan").paginate(TableName=table, Select="COUNT")
    return sum(int(page["Count"]) for page in pages)


def restore_object(s3: Any, bucket: str, *, prefix: str) -> ObjectDrill | None:
    """Bring back the previous version of the most recently replaced object under `prefix`
    (or, if nothing was replaced, the oldest version there) as a copy under `restore-drill/`,
    compare its bytes with that version's, and remove the copy. None if the prefix is empty."""
    import hashlib

    versions: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        versions += page.get("Versions", [])
    if not versions:
        return None
    older = [v for v in versions if not v["IsLatest"]]
    chosen = max(older, key=lambda v: v["LastModified"]) if older else versions[-1]
    key, version_id = chosen["Key"], chosen["VersionId"]
    copy = DRILL_PREFIX + key
    s3.copy_object(
        Bucket=bucket, Key=copy, CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id}
    )
    try:
        original = s3.get_object(Bucket=bucket, Key=key, VersionId=version_id)["Body"].read()
        restored = s3.get_object(Bucket=bucket, Key=copy)["Body"].read()
    finally:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=copy):
            for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=bucket, Key=copy, VersionId=version["VersionId"])
    same = hashlib.sha256(original).digest() == hashlib.sha256(restored).digest()
    return ObjectDrill(key, version_id, len(original), same)
