"""The one mapping from domain exceptions to HTTP: RFC 9457 problem details.

Every error response is `application/problem+json` with a stable `code` and a Chinese
`detail` a person can act on. A thing outside the caller's scope is 404, never 403, so that
its existence does not leak (the policy raises NotFound for it).
"""

from __future__ import annotations

import logging
import traceback
import uuid
from typing import Any, Final

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.error_codes import CATALOGUE, ErrorCode, message
from shared.exceptions import (
    Conflict,
    FileRejected,
    Forbidden,
    GrowthError,
    IdentityUnavailable,
    InvalidInput,
    NotFound,
    TemplateInvalid,
    Unauthenticated,
    Unavailable,
    Unprocessable,
)
from shared.privacy import redact_text

log = logging.getLogger(__name__)

PROBLEM_JSON: Final = "application/problem+json"

STATUS: Final[dict[type[GrowthError], int]] = {
    InvalidInput: 400,
    TemplateInvalid: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    FileRejected: 422,
    Unprocessable: 422,
    Unavailable: 503,
    IdentityUnavailable: 503,
}
TITLES: Final[dict[int, str]] = {
    400: "请求有误",
    401: "需要登录",
    403: "没有权限",
    404: "找不到",
    409: "状态冲突",
    422: "无法处理",
    500: "系统错误",
    503: "暂时不可用",
}


class FieldProblem(BaseModel):
    # defer_build: built on the first error answer, not on the first request.
    model_config = ConfigDict(defer_build=True)

    field: str = Field(description="Where in the request: a body field, a query parameter.")
    code: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable `code` from the error catalogue."""

    model_config = ConfigDict(defer_build=True)

    type: str = Field(description="A URN naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What happened, in Chinese, for the person asking.")
    code: str
    instance: str | None = None
    errors: list[FieldProblem] = Field(default_factory=list)
    request_id: str = Field(
        description="This answer's id, also in the API's log line for it: quoted in a fault "
        "report (报修), it finds what happened."
    )


def status_of(error: GrowthError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS:
            return STATUS[kind]
    return 400


def from_error(error: GrowthError, instance: str | None) -> Response:
    status = status_of(error)
    errors = []
    field = error.params.get("field")
    if isinstance(field, str):
        errors.append(FieldProblem(field=field, code=error.code.value, message=error.message_zh))
    headers = {"WWW-Authenticate": 'Bearer realm="growth"'} if status == 401 else None
    return _respond(status, error.code, error.message_zh, instance, errors, headers)


def from_validation(error: ValidationError, where: str, instance: str | None) -> Response:
    """A request body or query that does not fit its model: every field named, in Chinese."""
    errors = [
        FieldProblem(
            field=".".join(str(part) for part in (where, *item["loc"]) if part != "body"),
            code=item["type"],
            message=_field_message(item),
        )
        for item in error.errors(include_url=False, include_input=False)
    ]
    summary = "；".join(f"{e.field}：{e.message}" for e in errors)
    detail = message(ErrorCode.REQUEST_INVALID, detail=summary)
    return _respond(400, ErrorCode.REQUEST_INVALID, detail, instance, errors)


def internal(instance: str | None) -> Response:
    """An unexpected failure: logged with an id the person can quote (never with the body)."""
    request_id = new_request_id()
    # Exception messages can carry what a request held (IDs, phones): the traceback is
    # redacted before it is written (R26), and never attached raw.
    log.error("unexpected error, request %s\n%s", request_id, redact_text(traceback.format_exc()))
    detail = message(ErrorCode.INTERNAL_ERROR, request_id=request_id)
    return _respond(500, ErrorCode.INTERNAL_ERROR, detail, instance, [], request_id=request_id)


def new_request_id() -> str:
    return uuid.uuid4().hex[:12]


def _respond(
    status: int,
    code: ErrorCode,
    detail: str,
    instance: str | None,
    errors: list[FieldProblem],
    headers: dict[str, str] | None = None,
    *,
    request_id: str | None = None,
) -> Response:
    if request_id is None:
        request_id = new_request_id()
        # Codes and paths only: what was asked for stays out of the log (R26).
        log.warning("request %s answered %s %s %s", request_id, status, code.value, instance)
    body = Problem(
        type=f"urn:growth:problem:{code.value.lower()}",
        title=TITLES.get(status, CATALOGUE[code].zh[:20]),
        status=status,
        detail=detail,
        code=code.value,
        instance=instance,
        errors=errors,
        request_id=request_id,
    )
    return Response(
        body=body.model_dump(mode="json"),
        status_code=status,
        headers={"Content-Type": PROBLEM_JSON, **(headers or {})},
    )


_FIELD_MESSAGES: Final[dict[str, str]] = {
    "missing": "必须提供",
    "extra_forbidden": "不认识这个字段",
    "string_too_short": "太短或为空",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不对",
    "string_type": "应为文字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "date_from_datetime_parsing": "应为日期，如 2024-09-01",
    "date_parsing": "应为日期，如 2024-09-01",
    "datetime_parsing": "应为带时区的时间，如 2024-09-01T08:00:00+08:00",
    "timezone_aware": "应带时区",
    "literal_error": "不是可选值之一",
    "enum": "不是可选值之一",
    "greater_than_equal": "太小",
    "less_than_equal": "太大",
    "greater_than": "太小",
    "less_than": "太大",
    "too_short": "项数太少",
    "too_long": "项数太多",
    "json_invalid": "不是有效的 JSON",
    "model_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象",
    "list_type": "应为列表",
}


def _field_message(item: Any) -> str:
    return _FIELD_MESSAGES.get(item["type"], "取值不合法")
