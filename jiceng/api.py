"""The JSON API at /api/v1/ (django-ninja): one NinjaAPI, one router per app.

Errors are always JSON: {"error": {"code": "...", "message": "<Chinese>", "details": [...]}}.
Authentication: a session cookie (pages; CSRF checked on writes) or `Authorization: Bearer`
with an API token (`jiceng create-token USER`).
"""

from __future__ import annotations

import importlib
import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from jiceng.accounts.models import ApiToken

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.user_for(token)
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


api = NinjaAPI(
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
    details = [
        {
            "loc": [str(p) for p in e.get("loc", [])],
            "msg": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors
    ]
    return error(request, 422, "validation_error", "请求参数有误，请检查后重试", details)


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


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "error", str(exc))


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
