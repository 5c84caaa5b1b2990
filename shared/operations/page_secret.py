"""Rotating the API's page-token secret (docs/runbook.md): a new value in the stack's Secrets
Manager secret, and in the API function's environment, where the API reads it.

The stack resolves the secret into the function's environment when CloudFormation updates the
function (`infrastructure.stack`, `PageTokenSecret`); a changed secret alone reaches no running
API. So the rotation writes both: the secret first (a later deployment resolves the same
value), then the function's configuration, after which Lambda serves every new request from
containers started with the new value. From then on every page token and change-feed cursor
sealed with the old value is refused (`PAGE_TOKEN_INVALID`, `CHANGE_CURSOR_INVALID`): people
start their list again from its first page, machine clients their change feed from its start.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from shared.constants import ENV_PAGE_TOKEN_SECRET

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# The secret's construct id in the stack: CloudFormation tags the secret with its logical id,
# which begins with it.
SECRET_CONSTRUCT_ID: Final = "PageTokenSecret"  # noqa: S105 - a construct id
STACK_NAME_TAG: Final = "aws:cloudformation:stack-name"
LOGICAL_ID_TAG: Final = "aws:cloudformation:logical-id"
# As the stack generates it: 64 letters and digits.
SECRET_LENGTH: Final = 64
_ALPHABET: Final = string.ascii_letters + string.digits


class RotationFailed(RuntimeError):
    """What the rotation needs is not where the stage keeps it (message in Chinese)."""


@dataclass(frozen=True, slots=True)
class StageApi:
    """A stage's stack and API function, as the CDK app names them."""

    stage: str

    @property
    def stack_name(self) -> str:
        return f"Growth-{self.stage}"

    @property
    def function_name(self) -> str:
        return f"growth-{self.stage}-api"


@dataclass(frozen=True, slots=True)
class Rotation:
    secret_arn: str
    secret_version: str
    function_name: str


def new_secret_value() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))


def find_secret(client: SecretsManagerClient, stack_name: str) -> str:
    """The ARN of the stack's page-token secret, found by the tags CloudFormation gives it."""
    found = []
    pages = client.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "tag-value", "Values": [stack_name]}]
    )
    for page in pages:
        for entry in page.get("SecretList", []):
            tags = {t["Key"]: t["Value"] for t in entry.get("Tags", [])}
            logical = tags.get(LOGICAL_ID_TAG, "")
            if tags.get(STACK_NAME_TAG) == stack_name and logical.startswith(SECRET_CONSTRUCT_ID):
                found.append(entry["ARN"])
    if len(found) != 1:
        raise RotationFailed(
            f"在堆栈 {stack_name} 中找到 {len(found)} 个翻页密钥（应为 1 个）：请确认环境名"
        )
    return found[0]


def rotate_page_token_secret(
    secrets_client: SecretsManagerClient, lambda_client: Any, api: StageApi
) -> Rotation:
    """Put a new value in the stage's page-token secret and the API function's environment;
    return once Lambda has applied the configuration."""
    arn = find_secret(secrets_client, api.stack_name)
    try:
        configuration = lambda_client.get_function_configuration(FunctionName=api.function_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        raise RotationFailed(f"没有名为 {api.function_name} 的 API 函数") from None
    variables: dict[str, str] = dict(configuration.get("Environment", {}).get("Variables", {}))
    if ENV_PAGE_TOKEN_SECRET not in variables:
        raise RotationFailed(f"函数 {api.function_name} 的环境中没有翻页密钥，它不是 API 函数")
    value = new_secret_value()
    put = secrets_client.put_secret_value(SecretId=arn, SecretString=value)
    variables[ENV_PAGE_TOKEN_SECRET] = value
    lambda_client.update_function_configuration(
        FunctionName=api.function_name, Environment={"Variables": variables}
    )
    lambda_client.get_waiter("function_updated_v2").wait(FunctionName=api.function_name)
    return Rotation(arn, put["VersionId"], api.function_name)
