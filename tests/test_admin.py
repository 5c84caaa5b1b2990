"""`growth admin create-district-admin`: the first administrator of a deployed stage, in the
Cognito user pool (whose `sub` becomes the directory id) or, with an external issuer, by subject."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from growth.cli import main
from shared.db.directory import DirectoryRepository
from shared.domain.models import Role
from shared.exceptions import NotFound
from tests.db_helpers import TABLES, directory_on_moto

REGION = "ap-east-1"  # Cognito user pools exist in the global regions only


@pytest.fixture
def directory(monkeypatch: pytest.MonkeyPatch) -> Iterator[DirectoryRepository]:
    yield from directory_on_moto(monkeypatch, REGION)


def test_the_first_admin_is_created_in_the_pool_and_the_directory(
    directory: DirectoryRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(PoolName="growth-dev-users")["UserPool"]["Id"]
    code = main(
        [
            "admin",
            "create-district-admin",
            "--directory-table",
            TABLES.directory,
            "--user-pool-id",
            pool,
            "--username",
            "zhang.san",
            "--name",
            "张三",
            "--email",
            "zhang.san@example.edu.cn",
        ]
    )
    assert code == 0
    user = cognito.admin_get_user(UserPoolId=pool, Username="zhang.san")
    sub = {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"]
    admin = directory.get_user(sub)
    assert (admin.role, admin.name, admin.school_id) == (Role.DISTRICT_ADMIN, "张三", None)
    assert sub in capsys.readouterr().out


def test_with_an_external_issuer_the_subject_is_the_id(directory: DirectoryRepository) -> None:
    code = main(
        [
            "admin",
            "create-district-admin",
            "--directory-table",
            TABLES.directory,
            "--subject",
            "9f1c-external-sub",
            "--name",
            "李四",
        ]
    )
    assert code == 0
    assert directory.get_user("9f1c-external-sub").role is Role.DISTRICT_ADMIN


@pytest.mark.parametrize(
    "extra",
    [
        ["--username", "a"],  # no pool, no subject
        ["--subject", "s", "--user-pool-id", "p"],  # both ways at once
    ],
)
def test_arguments_that_name_neither_or_both_ways_are_refused(
    directory: DirectoryRepository, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["admin", "create-district-admin", "--directory-table", TABLES.directory]
    assert main([*base, "--name", "王五", *extra]) == 2
    assert "错误：" in capsys.readouterr().err
    with pytest.raises(NotFound):
        directory.get_user("s")


def test_the_restore_drill_brings_back_a_table_and_a_replaced_upload(
    directory: DirectoryRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    from shared.domain.models import User

    # Given a directory with users, and an upload replaced by a newer version
    for n in range(3):
        directory.put_user(User(id=f"u{n}", role=Role.DISTRICT_ADMIN, name=f"管理员{n}"))
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket="uploads", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="uploads", Key="uploads/t/a1.xlsx", Body=b"first version")
    s3.put_object(Bucket="uploads", Key="uploads/t/a1.xlsx", Body=b"second version")
    # When the drill runs
    code = main(
        [
            "admin",
            "restore-drill",
            "--table",
            TABLES.directory,
            "--bucket",
            "uploads",
        ]
    )
    # Then the table came back with its items and was cleaned up, and the replaced version
    # came back byte for byte, leaving no copy behind
    out = capsys.readouterr().out
    assert code == 0, out
    assert "源表 3 项，恢复表 3 项" in out
    assert "恢复副本与该版本一致" in out
    assert "13 字节" in out  # b"first version": the previous version, not the latest
    tables = boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]
    assert not [t for t in tables if "-drill-" in t]
    listed = s3.list_object_versions(Bucket="uploads", Prefix="restore-drill/")
    assert not listed.get("Versions")
    assert not listed.get("DeleteMarkers")
    assert s3.get_object(Bucket="uploads", Key="uploads/t/a1.xlsx")["Body"].read() == (
        b"second version"
    )
