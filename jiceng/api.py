"""The JSON API at /api/v1/ (django-ninja): one NinjaAPI, one router per app.

Errors are always JSON: {"error": {"code": "...", "message": "<Chinese>", "details": [...]}}.
Authentication: a session cookie (pages; CSRF checked on writes) or `Authorization: Bearer`
with an API token (`jiceng create-token USER`).
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import logging
import time
from typing import Any

from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models.signals import post_delete, post_save
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.params.models import BodyModel
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import BaseModel

from jiceng.accounts.lookups import TooManyLookups
from jiceng.accounts.models import ApiToken, User
from jiceng.lib import paging
from jiceng.lib.errors import ErrorBody as ErrorBody  # re-exported: the one error shape
from jiceng.lib.errors import ErrorDetail as ErrorDetail
from jiceng.lib.errors import ErrorOut
from jiceng.lib.filters import InvalidFilter

log = logging.getLogger(__name__)


# Token → user, kept per process for a few seconds: looking the token up (a join of four
# tables and four model instances) cost an API request more than anything but its own work
# (docs/benchmarks.md, intake). A revoked token or a deactivated user is refused within
# TOKEN_TTL seconds by every process, at once by the process that saved the change.
TOKEN_TTL = 10.0
_token_users: dict[str, tuple[float, Any]] = {}
_clock = time.monotonic


def forget_tokens(**_kw: object) -> None:
    """Drop the cached token → user map (a token or a user was saved or deleted)."""
    _token_users.clear()


for _model in (ApiToken, User):
    post_save.connect(forget_tokens, sender=_model, dispatch_uid=f"api.tokens.save.{_model}")
    post_delete.connect(forget_tokens, sender=_model, dispatch_uid=f"api.tokens.del.{_model}")


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        key = hashlib.sha256(token.encode()).hexdigest()
        now = _clock()
        hit = _token_users.get(key)
        if hit is not None and now - hit[0] < TOKEN_TTL:
            user = copy.copy(hit[1])  # each request its own instance (threads share the map)
        else:
            user = ApiToken.user_for(token)
            if user is None:
                _token_users.pop(key, None)
            else:
                if len(_token_users) > 10_000:
                    _token_users.clear()
                _token_users[key] = (now, copy.copy(user))
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The page session; ninja checks the CSRF token on unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


# The error answers every operation may give, declared once for all (issue 9 item 13).
ERROR_ANSWERS = {
    "400": "请求有误（中文说明见 error.message）",
    "401": "未登录或访问令牌无效",
    "403": "无权执行此操作",
    "404": "不存在或不在您的管辖范围内",
    "409": "与当前状态冲突",
    "422": "参数或请求体不符合接口定义",
    "429": "请求过于频繁",
}


class JicengAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The generated document plus the error answers, with their schema, on every
        operation (an operation's own declaration of a status wins)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        name = ErrorOut.__name__
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        js = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(js.pop("$defs", {}))
        components[name] = js
        ref = {"$ref": f"#/components/schemas/{name}"}
        for ops in schema.get("paths", {}).values():
            for op in ops.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                op["responses"] = _one_key_per_status(op["responses"])
                for status, text in ERROR_ANSWERS.items():
                    if status == "401" and not op.get("security"):
                        continue
                    op["responses"].setdefault(
                        status,
                        {"description": text, "content": {"application/json": {"schema": ref}}},
                    )
                _declare_invalid_page(op, components)
        return schema


def _one_key_per_status(responses: dict[Any, Any]) -> dict[str, Any]:
    """An operation's answers keyed by the status as a string. ninja keys the statuses of
    `response=` by integer and `openapi_extra` adds string keys: both reached the JSON
    document, a duplicate key ("400" twice) that a client reads as either. The string one
    (the operation's own description) is laid over the integer one (its schema)."""
    out: dict[str, Any] = {}
    for key in sorted(responses, key=lambda k: isinstance(k, str)):  # integer keys first
        out[str(key)] = {**out.get(str(key), {}), **responses[key]}
    return out


def _declare_invalid_page(op: dict[str, Any], components: dict[str, Any]) -> None:
    """The 400 `invalid_page` on an operation that takes a paging parameter (decision 0106)."""
    names = [p["name"] for p in op.get("parameters", []) if p["name"] in paging.PARAMS]
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "").rpartition("/")[2]
    names += [n for n in components.get(ref, {}).get("properties", {}) if n in paging.PARAMS]
    if not names:
        return
    answer = op["responses"]["400"]
    said = paging.DECLARED.format(names=", ".join(f"`{n}`" for n in dict.fromkeys(names)))
    if "invalid_page" not in answer.get("description", ""):
        answer["description"] = f"{answer.get('description', '')} {said}".strip()


api = JicengAPI(
    title="jiceng 基层治理平台 API",
    version="1",
    description="Typed JSON API of jiceng. Errors carry a Chinese message.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def error(request, status: int, code: str, message: str, details=None):
    body: dict = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationError)
def on_validation(request, exc: ValidationError):
    if exc.errors and all(paging.is_paging(e) for e in exc.errors):
        # a page, size, limit or offset that is not a page of the list: named, like a bad
        # filter value (jiceng/lib/paging.py, decision 0106)
        bad = paging.invalid_page(exc.errors, _given(request))
        return error(request, 400, "invalid_page", str(bad), bad.details)
    details = [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors
    ]
    return error(request, 422, "validation_error", "请求参数有误，请检查后重试", details)


def _given(request: HttpRequest) -> dict[str, Any]:
    """The parameters as sent, for naming a bad one: the query string and a JSON body."""
    given: dict[str, Any] = {}
    if request.content_type == "application/json" and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        if isinstance(body, dict):
            given.update(body)
    given.update(request.GET.dict())
    return given


@api.exception_handler(InvalidFilter)
def on_invalid_filter(request, exc: InvalidFilter):
    # a list filter's value outside its choices (jiceng/lib/filters.py, decision 0103)
    return error(request, 400, "invalid_filter", str(exc), exc.details())


@api.exception_handler(DjangoValidationError)
def on_django_validation(request, exc: DjangoValidationError):
    msgs = exc.messages if hasattr(exc, "messages") else [str(exc)]
    return error(request, 400, "invalid", "；".join(msgs))


@api.exception_handler(AuthenticationError)
def on_auth(request, exc):
    return error(request, 401, "unauthenticated", "请先登录或提供有效的访问令牌")


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return error(request, 403, "forbidden", str(exc) or "您无权执行此操作")


@api.exception_handler(Http404)
def on_404(request, exc):
    return error(request, 404, "not_found", str(exc) or "未找到")


@api.exception_handler(ObjectDoesNotExist)
def on_missing_row(request, exc):
    # A row looked up with .get() that is not there (an unknown number, a stale id): the
    # client asked for something that does not exist, whichever app raised it.
    return error(request, 404, "not_found", "未找到")


@api.exception_handler(IntegrityError)
def on_conflict(request, exc):
    # A write the database refused (a duplicate, a missing required link): the request
    # conflicts with what is stored. Logged with its traceback: a rule should have said so.
    log.warning("integrity error on %s", request.path, exc_info=exc)
    return error(request, 409, "conflict", "与已有数据冲突，未保存")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "error", str(exc))


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request, exc):
    # A number beyond what the database column holds (issue 9 item 6): every integer
    # parameter is bounded (jiceng.lib.bounds); this is the net under them.
    log.info("value out of range on %s: %s", request.path, exc)
    return error(request, 400, "out_of_range", "数值超出允许范围")


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_bad_request(request, exc):
    # A body the framework cannot parse (a multipart form without its boundary, a field
    # name that is not text…) is the client's error, not ours.
    log.info("unparsable request on %s: %s", request.path, exc)
    return error(request, 400, "bad_request", "请求内容无法解析，请检查请求体和 Content-Type")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return error(request, 413, "too_large", "请求内容过大")


@api.exception_handler(TooManyLookups)
def on_too_many(request, exc: TooManyLookups):
    return error(request, 429, "too_many_requests", exc.message)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    log.exception("API error on %s", request.path)
    return error(request, 500, "server_error", "服务器内部错误，请稍后重试")


@api.get("/health", auth=None, tags=["system"])
def health(request):
    """Trivial endpoint: the framework floor for the benchmark."""
    return {"ok": True}


@api.get("/me", tags=["system"])
def me(request):
    """Who the caller is: role, territory and unit."""
    u = request.auth
    return {
        "username": u.username,
        "name": u.display_name,
        "role": u.role,
        "role_label": u.get_role_display(),
        "scope": {"code": u.scope.code, "name": u.scope.name} if u.scope_id else None,
        "unit": {"code": u.unit.code, "name": u.unit.name} if u.unit_id else None,
    }


# Each app that has an API exposes `router` in its api.py.
for app, prefix in [
    ("territory", "/territory"),
    ("people", "/people"),
    ("cases", "/cases"),
    ("command", "/command"),
    ("assessment", "/assessment"),
    ("servicehall", "/servicehall"),
    ("community", "/community"),
    ("dispatch", "/dispatch"),
]:
    try:
        module = importlib.import_module(f"jiceng.{app}.api")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"jiceng.{app}", f"jiceng.{app}.api"):
            raise
        continue
    api.add_router(prefix, module.router)


# A JSON body must be an object where the operation expects one (issue 9 item 13). ninja's
# Schema reads input "from attributes", so a JSON array or string passed for an object
# validated as an object with every field at its default (a move answered 200 to `[]`).
# Checked once here for every operation with a body, before pydantic sees it.
_body_data = BodyModel.get_request_data.__func__  # type: ignore[attr-defined]


def _object_bodies(cls, request, api, path_params):
    data = _body_data(cls, request, api, path_params)
    if data is None:
        return None
    varname = getattr(cls, "__read_from_single_attr__", None)
    raw = data.get(varname) if varname and isinstance(data, dict) else data
    field = cls.model_fields.get(varname) if varname else None
    wants_object = field is None or (
        isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    )
    if wants_object and not isinstance(raw, dict):
        raise ValidationError(
            [{"loc": ["body"], "msg": "请求体应为 JSON 对象（{...}）", "type": "dict_type"}]
        )
    return data


BodyModel.get_request_data = classmethod(_object_bodies)  # type: ignore[method-assign,assignment]
