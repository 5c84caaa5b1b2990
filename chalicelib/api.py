"""One way into every route: authenticate, parse, call one service, serialise; errors as
problem details. Each route is also recorded for the OpenAPI document, which is built from the
same pydantic models that parse requests and shape responses, so the two cannot drift.

A route may name its service and models by module path (`Ref`, made by `lazy`) instead of
holding them: the API's cold start then imports none of them, and each route imports its own
service and models (and what they import from `shared/`) on its first call. The routing table
in `app.py` stays the one place routes are declared."""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, TypeVar
from urllib.parse import quote

from chalice.app import BadRequestError, Chalice, Response

from shared.error_codes import Entity
from shared.exceptions import GrowthError, NotFound

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chalicelib.context import Context

# Path parameters name stored things; anything else in that place cannot name one.
_PATH_ID: Final = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_ENTITY_OF_PARAM: Final = {
    "school_id": Entity.SCHOOL,
    "class_id": Entity.SCHOOL_CLASS,
    "student_id": Entity.STUDENT,
    "user_id": Entity.USER,
    "teacher_id": Entity.USER,
    "guardian_id": Entity.USER,
    "template_id": Entity.TEMPLATE,
    "task_id": Entity.COLLECTION_TASK,
    "submission_id": Entity.SUBMISSION,
    "record_id": Entity.RECORD,
    "correction_id": Entity.CORRECTION,
    "client_id": Entity.MACHINE_CLIENT,
    "job_id": Entity.ROSTER_IMPORT,
    "entry_id": Entity.QUALITY_ENTRY,
    "attachment_id": Entity.ATTACHMENT,
    "objection_id": Entity.OBJECTION,
    "survey_id": Entity.SURVEY,
    "follow_up_id": Entity.SURVEY_FOLLOW_UP,
    "report_id": Entity.FAULT_REPORT,
}
_PATH_PARAM: Final = re.compile(r"{([^}]+)}")


# The media type of the files routes answer with (declared at registration, for API Gateway's
# binary types, before any service is imported).
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Download:
    """A file a route answers with instead of JSON (a pre-filled template): saved by the
    browser under a name the server makes (R18)."""

    filename: str
    content_type: str
    body: bytes

    def headers(self) -> dict[str, str | list[str]]:
        # RFC 6266: an ASCII fallback for old clients, the real (Chinese) name in filename*.
        fallback = "".join(
            c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in self.filename
        )
        return {
            "Content-Type": self.content_type,
            "Content-Disposition": (
                f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(self.filename)}"
            ),
            "Cache-Control": "no-store",
        }


@dataclass(frozen=True, slots=True)
class WithHeaders:
    """A view's result with response headers of its own (`Location` of an accepted batch)."""

    result: BaseModel
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Ref:
    """A module's attribute named, not imported: a route's service or model, imported when the
    route is first called (or the API document first built)."""

    module: str
    name: str

    def resolve(self) -> Any:
        return getattr(importlib.import_module(self.module), self.name)


class LazyModule:
    """`lazy("chalicelib.services.directory").get_school` is `Ref(module, "get_school")`: the
    routing table reads as if it imported the module, and imports nothing."""

    __slots__ = ("_module",)

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("__"):  # copy, pickle, inspect probe dunders: not a route's target
            raise AttributeError(name)
        return Ref(self._module, name)


def lazy(module: str) -> LazyModule:
    return LazyModule(module)


Caller = Literal["person", "client", "public"]
Target = TypeVar("Target", bound=Callable[..., Any] | Ref)


def _resolved(target: Any) -> Any:
    return target.resolve() if isinstance(target, Ref) else target


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A route as declared: its service and models are held, or named by a `Ref` and imported
    on first use (the properties below resolve either)."""

    path: str
    method: str
    summary: str
    tag: str
    target: Callable[..., Any] | Ref  # the view (the service function) the route calls
    response_model: type[BaseModel] | Ref | None
    body_model: type[BaseModel] | Ref | None
    query_model: type[BaseModel] | Ref | None
    status: int
    public: bool
    errors: tuple[int, ...] = field(default=())
    produces: str | None = None  # a file's media type, for a route answering with a Download
    # Who calls: people (ID tokens), machine clients (client-credentials access tokens), or
    # anyone (public routes).
    caller: Caller = "person"
    # The body as sent (bytes), for a route that validates it itself; the model documents it.
    raw_body_model: type[BaseModel] | Ref | None = None
    headers: tuple[str, ...] = ()  # request headers handed to the view, by lower-case name

    @property
    def view(self) -> Callable[..., Any]:
        view: Callable[..., Any] = _resolved(self.target)
        return view

    @property
    def description(self) -> str:
        return (self.view.__doc__ or "").strip()

    @property
    def response(self) -> type[BaseModel] | None:
        model: type[BaseModel] | None = _resolved(self.response_model)
        return model

    @property
    def body(self) -> type[BaseModel] | None:
        model: type[BaseModel] | None = _resolved(self.body_model)
        return model

    @property
    def query(self) -> type[BaseModel] | None:
        model: type[BaseModel] | None = _resolved(self.query_model)
        return model

    @property
    def raw_body(self) -> type[BaseModel] | None:
        model: type[BaseModel] | None = _resolved(self.raw_body_model)
        return model


class Api:
    """Routes on a Chalice app, with the context they run in."""

    def __init__(self, app: Chalice, *, title: str, version: str) -> None:
        self.app = app
        self.title = title
        self.version = version
        self.routes: list[RouteSpec] = []
        self._context: Context | None = None

    def use(self, context: Context | None) -> None:
        """Run every route in `context` (tests and the local platform build their own; None
        goes back to building one from the environment on first use)."""
        self._context = context

    def context(self) -> Context:
        if self._context is None:
            from chalicelib.context import Context  # on the first request, not at cold start

            self._context = Context.from_environment()
        return self._context

    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        tag: str,
        response: type[BaseModel] | Ref | None = None,
        body: type[BaseModel] | Ref | None = None,
        query: type[BaseModel] | Ref | None = None,
        status: int = 200,
        public: bool = False,
        produces: str | None = None,
        caller: Caller | None = None,
        raw_body: type[BaseModel] | Ref | None = None,
        headers: tuple[str, ...] = (),
        errors: tuple[int, ...] = (),
    ) -> Callable[[Target], Target]:
        """Register `view(context, principal, **path_params, [query=...], [body=...])` (a
        public view gets only its path parameters and query; a client route's principal is a
        `ClientPrincipal`). A route that `produces` a file's media type answers with a
        `Download`; one with a `raw_body` gets `raw=<bytes>`; `headers` come as keyword
        arguments named after them (`idempotency-key` → `idempotency_key`, None if absent).
        The view and the models may be `Ref`s, imported on the route's first call."""
        if produces is not None and produces not in self.app.api.binary_types:
            self.app.api.binary_types.append(produces)

        def decorator(view: Target) -> Target:
            spec = RouteSpec(
                path,
                method,
                summary,
                tag,
                view,
                response,
                body,
                query,
                status,
                public,
                errors=errors,
                produces=produces,
                caller=caller or ("public" if public else "person"),
                raw_body_model=raw_body,
                headers=headers,
            )
            self.routes.append(spec)

            def handler(**params: str) -> Response:
                return self._handle(spec, params)

            handler.__name__ = (
                f"{method.lower()}{path}".replace("/", "_")
                .replace("{", "")
                .replace("}", "")
                .replace(".", "_")
                .replace("-", "_")
            )
            self.app.route(path, methods=[method])(handler)
            return view

        return decorator

    def _handle(self, spec: RouteSpec, params: dict[str, str]) -> Response:
        """Answer, and measure the answer: its latency and status class by route template."""
        started = time.perf_counter()
        status = 500  # what Chalice answers if answering itself fails
        try:
            response = self._answer(spec, params)
            status = response.status_code
            return response
        finally:
            _measure(spec, status, time.perf_counter() - started)

    def _answer(self, spec: RouteSpec, params: dict[str, str]) -> Response:
        from pydantic import ValidationError

        from chalicelib import problems

        request = self.app.current_request
        instance = request.context.get("path") if request is not None else None
        try:
            for name, value in params.items():
                if not _PATH_ID.match(value):
                    raise NotFound(_ENTITY_OF_PARAM.get(name, Entity.RECORD))
            headers = request.headers if request is not None else {}
            args = self._caller(spec, headers.get("authorization"))
            kwargs: dict[str, Any] = dict(params)
            for name in spec.headers:
                kwargs[name.replace("-", "_")] = headers.get(name)
            if spec.raw_body is not None:
                kwargs["raw"] = request.raw_body if request is not None else b""
            if (query := spec.query) is not None:
                raw = dict(request.query_params or {}) if request is not None else {}
                try:
                    kwargs["query"] = query.model_validate(raw)
                except ValidationError as exc:
                    return problems.from_validation(exc, "query", instance)
            if (body := spec.body) is not None:
                try:
                    kwargs["body"] = body.model_validate_json(_raw_body(request))
                except ValidationError as exc:
                    return problems.from_validation(exc, "body", instance)
            result = spec.view(*args, **kwargs)
        except GrowthError as exc:
            return problems.from_error(exc, instance)
        except BadRequestError as exc:  # Chalice's own complaints about the request
            return problems.from_error(_bad_request(str(exc)), instance)
        except Exception:
            return problems.internal(instance)
        return _response(spec, result)

    def _caller(self, spec: RouteSpec, authorization: str | None) -> list[Any]:
        """The view's first arguments: the context and who is calling (none for public
        routes, such as health and the API document, which need no context)."""
        if spec.caller == "public":
            return []
        context = self.context()
        if spec.caller == "client":
            return [context, context.authenticate_client(authorization)]
        return [context, context.authenticate(authorization)]

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every route, built with apispec from the models."""
        from chalicelib.openapi import build_openapi

        return build_openapi(self)


def _measure(spec: RouteSpec, status: int, elapsed_s: float) -> None:
    """One request's metrics, written as it ends: latency by route template (never the path,
    which holds ids), the status class, and the error by route."""
    from shared.observability import metrics  # on the first request, not at cold start

    route, status_class = f"{spec.method} {spec.path}", metrics.status_class(status)
    with metrics.invocation(metrics.API_FUNCTION):
        metrics.record(metrics.API_LATENCY, elapsed_s * 1000, route=route)
        metrics.record(metrics.API_REQUESTS, 1, status_class=status_class)
        if status >= 400:
            metrics.record(metrics.API_ERRORS, 1, route=route, status_class=status_class)


def _response(spec: RouteSpec, result: Any) -> Response:
    """A view's result as the HTTP response: nothing (204), a file, or JSON."""
    from pydantic import BaseModel

    if result is None:
        return Response(body="", status_code=204)
    if isinstance(result, Download):
        return Response(body=result.body, status_code=spec.status, headers=result.headers())
    if isinstance(result, WithHeaders):
        return Response(
            body=result.result.model_dump(mode="json"),
            status_code=spec.status,
            headers={"Content-Type": "application/json", **result.headers},
        )
    body = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    return Response(
        body=body, status_code=spec.status, headers={"Content-Type": "application/json"}
    )


def _raw_body(request: Any) -> bytes:
    """The body as sent (pydantic reports malformed JSON as a field problem of its own)."""
    raw = request.raw_body if request is not None else b""
    return raw if raw else b"{}"


def _bad_request(detail: str) -> GrowthError:
    from shared.error_codes import ErrorCode
    from shared.exceptions import InvalidInput

    return InvalidInput(ErrorCode.REQUEST_INVALID, detail=detail[:200])
