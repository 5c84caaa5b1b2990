"""The OpenAPI 3.1 document, built with apispec from the routes' own pydantic models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from apispec import APISpec
from pydantic import BaseModel

from chalicelib.problems import PROBLEM_JSON, Problem
from shared.access.clients import FAMILIES, RESOURCE_SERVER

if TYPE_CHECKING:
    from chalicelib.api import Api, RouteSpec

_ERRORS = {
    400: "请求有误（字段、参数或翻页标记）",
    401: "未登录或登录已过期",
    403: "角色不允许此操作",
    404: "不存在，或不在您的权限范围内",
    409: "与当前状态冲突",
    422: "内容无法处理（如同一幂等键配了不同的请求内容）",
    503: "暂时不可用",
}
_PATH_ID_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"


def build_openapi(api: Api) -> dict[str, Any]:
    spec = APISpec(
        title=api.title,
        version=api.version,
        openapi_version="3.1.0",
        info={
            "description": "学生过程性成长数据管理系统 API. Errors are RFC 9457 problem details."
        },
    )
    spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    # Machine clients: OAuth 2.0 client credentials at the issuer's token endpoint (Cognito's
    # `/oauth2/token`, or the district provider's), scopes of the resource server `growth`.
    spec.components.security_scheme(
        "clientCredentials",
        {
            "type": "oauth2",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": "/oauth2/token",
                    "scopes": {
                        f"{RESOURCE_SERVER}/{name}": title for name, title in FAMILIES.items()
                    },
                }
            },
        },
    )
    _register(spec, Problem)
    for route in api.routes:
        for model in (route.response, route.body, route.raw_body):
            if model is not None:
                _register(spec, model)
        spec.path(path=route.path, operations={route.method.lower(): _operation(route)})
    document: dict[str, Any] = spec.to_dict()
    return document


def _operation(route: RouteSpec) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": _PATH_ID_PATTERN},
        }
        for name in _path_params(route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema()
        required = set(schema.get("required", []))
        definitions = schema.get("$defs", {})
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in required,
                    "schema": _inlined(
                        {k: v for k, v in prop.items() if k != "title"}, definitions
                    ),
                }
            )
    responses: dict[str, Any] = {}
    if route.produces is not None:
        responses[str(route.status)] = {
            "description": "成功：文件（作为附件下载）",
            "content": {route.produces: {"schema": {"type": "string", "format": "binary"}}},
        }
    elif route.response is not None:
        responses[str(route.status)] = {
            "description": "成功",
            "content": {"application/json": _media(route.response)},
        }
    else:
        responses[str(route.status)] = {"description": "成功"}
    codes = [400, 404, 409, 503] if route.public else [400, 401, 403, 404, 409, 503]
    codes = sorted({*codes, *route.errors})
    for code in codes:
        responses[str(code)] = {
            "description": _ERRORS[code],
            "content": {PROBLEM_JSON: {"schema": _ref(Problem)}},
        }
    operation: dict[str, Any] = {
        "summary": route.summary,
        "tags": [route.tag],
        "operationId": f"{route.method.lower()}_{route.path}".replace("/", "_")
        .replace("{", "")
        .replace("}", ""),
        "parameters": parameters,
        "responses": responses,
        "security": _security(route),
    }
    if route.description:
        operation["description"] = route.description
    body = route.body or route.raw_body
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": _media(body)}}
    for header in route.headers:
        parameters.append(
            {"name": header.title(), "in": "header", "required": True, "schema": {"type": "string"}}
        )
    return operation


def _inlined(schema: Any, definitions: dict[str, Any]) -> Any:
    """A query parameter's schema with the model's own definitions (an enum's values) written in
    place: a parameter has no `$defs` of its own to point into."""
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        found = definitions[reference.removeprefix("#/$defs/")]
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        return _inlined({**{k: v for k, v in found.items() if k != "title"}, **rest}, definitions)
    return {key: _inlined(value, definitions) for key, value in schema.items()}


def _security(route: RouteSpec) -> list[dict[str, list[str]]]:
    if route.caller == "public":
        return []
    if route.caller == "client":
        return [{"clientCredentials": []}]
    return [{"bearer": []}]


def _register(spec: APISpec, model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in [*schema.pop("$defs", {}).items(), (model.__name__, schema)]:
        known = spec.components.schemas.get(name)
        if known is None:
            spec.components.schema(name, definition)
        elif known != definition:
            # Schemas are named after their classes: two classes of one name would be
            # documented as whichever came first.
            raise ValueError(f"two different models are both named {name}")


def _media(model: type[BaseModel]) -> dict[str, Any]:
    """A JSON media type of `model`: its schema, and the model's own examples (`examples` in
    its `json_schema_extra`) as named examples, which documentation tools show and "try it"
    sends. The component schema keeps them too (JSON Schema's `examples`)."""
    media: dict[str, Any] = {"schema": _ref(model)}
    examples = model.model_json_schema().get("examples") or []
    if examples:
        media["examples"] = {
            f"example{n}": {
                "summary": "示例" if len(examples) == 1 else f"示例 {n}",
                "value": value,
            }
            for n, value in enumerate(examples, start=1)
        }
    return media


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _path_params(path: str) -> list[str]:
    import re

    return re.findall(r"{([^}]+)}", path)
