"""Open311 GeoReport v2 endpoints under /open311/v2/, and the key page for administrators.

Every endpoint answers in the format of its suffix (.json or .xml); every failure is an
`errors` body with the spec's HTTP status (404 unknown resource, 403 key, 400 the rest),
never an HTML page and never a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jiceng.accounts.scope import require
from jiceng.open311 import conf, resources
from jiceng.open311.models import ApiKey
from jiceng.open311.render import FORMATS, Open311Error, error_response, respond

log = logging.getLogger(__name__)


def _fmt(raw: str) -> str:
    return raw.lower() if raw and raw.lower() in FORMATS else ""


def endpoint(*methods: str) -> Callable:
    """Format check, method check, errors in the spec's shape, and no 500 ever."""

    def deco(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str = "", **kw) -> HttpResponse:
            f = _fmt(fmt)
            try:
                if not f:
                    raise Open311Error(
                        404,
                        f"不支持的格式：.{fmt[:20]}，请用 .json 或 .xml"
                        " (unknown format: use .json or .xml)",
                    )
                allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
                if request.method == "OPTIONS":
                    resp = HttpResponse(status=204)
                    resp["Allow"] = ", ".join(sorted(allowed | {"OPTIONS"}))
                    resp["Access-Control-Allow-Origin"] = "*"
                    resp["Access-Control-Allow-Methods"] = resp["Allow"]
                    resp["Access-Control-Allow-Headers"] = "Content-Type"
                    return resp
                if request.method not in allowed:
                    # The spec: 400 for every error that is not a missing resource or a key.
                    raise Open311Error(
                        400,
                        f"此地址不支持 {request.method} 方法 (method not allowed)",
                        headers={"Allow": ", ".join(sorted(allowed))},
                    )
                _check_text(request)
                return view(request, f, **kw)
            except Open311Error as err:
                return error_response(f or "xml", err)
            except Exception:  # the spec's "400 - General service error"; logged for us
                log.exception("open311 %s %s failed", request.method, request.path)
                return error_response(
                    f or "xml",
                    Open311Error(400, "服务处理出错，请稍后再试 (general service error)"),
                )

        return wrapper

    return deco


# Chinese single-byte-pair charsets a client may declare; GB18030 is their superset, so a GBK
# character outside GB2312 still decodes when a client declares gb2312.
_GB_CHARSETS = {"gbk", "gb2312", "gb_2312", "gb-2312", "cp936", "x-gbk", "gb18030", "euc-cn"}
NOT_UTF8 = (
    "请求内容不是 UTF-8 编码：请以 UTF-8 发送，或在 Content-Type 中声明编码，如"
    " application/x-www-form-urlencoded; charset=GBK"
    " (the request is not UTF-8: send UTF-8 or declare its charset)"
)


def _check_text(request: HttpRequest) -> None:
    """Form fields and query parameters decode to text, or a specific 400 (issue 9 item 11).

    Django decodes form bodies with the declared charset (UTF-8 if none) and replaces bytes
    it cannot decode with U+FFFD: a GBK body sent without its charset was stored as
    garbage. A declared GB charset is read as GB18030; an undeclared non-UTF-8 body, or any
    value that did not decode, is refused.
    """
    charset = (request.content_params or {}).get("charset", "").strip().lower()
    if (
        request.method == "POST"
        and charset in _GB_CHARSETS
        and request.content_type == "application/x-www-form-urlencoded"
    ):
        # Django 5.2 refuses non-UTF-8 form bodies outright; a declared GB charset is
        # honoured here: the body parsed as GB18030 (a superset of GBK and GB2312).
        try:
            request._post = QueryDict(request.body, encoding="gb18030")  # type: ignore[attr-defined]
        except UnicodeDecodeError:
            raise Open311Error(400, NOT_UTF8) from None
        request._files = MultiValueDict()  # type: ignore[attr-defined]
    try:
        sources = [request.GET] + ([request.POST] if request.method == "POST" else [])
    except BadRequest:
        raise Open311Error(400, NOT_UTF8) from None
    for q in sources:
        for key, values in q.lists():
            if "\ufffd" in key or any("\ufffd" in v for v in values):
                raise Open311Error(400, NOT_UTF8)


def _merged(request: HttpRequest) -> QueryDict:
    """POST fields, falling back to the query string (some clients send api_key there)."""
    q = request.GET.copy()
    for k in request.POST:
        q.setlist(k, request.POST.getlist(k))
    return q


@endpoint("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("open311:root"))
    body = {
        "changeset": conf.CHANGESET,
        "contact": conf.contact(),
        "key_service": conf.key_service(),
        "endpoints": [
            {
                "specification": conf.SPECIFICATION,
                "url": url.rstrip("/"),
                "changeset": conf.CHANGESET,
                "type": conf.endpoint_type(),
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", body)


@endpoint("GET")
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    resources.check_jurisdiction(request.GET, request.get_host())
    return respond(fmt, "services", resources.service_list())


@endpoint("GET")
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    resources.check_jurisdiction(request.GET, request.get_host())
    return respond(fmt, "service_definition", resources.service_definition(code))


@endpoint("GET", "POST")
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        item = resources.create_request(_merged(request), request.get_host())
        return respond(fmt, "service_requests", [item])
    resources.check_jurisdiction(request.GET, request.get_host())
    return respond(fmt, "service_requests", resources.list_requests(request.GET))


@endpoint("GET")
def request_detail(request: HttpRequest, fmt: str, sid: str) -> HttpResponse:
    resources.check_jurisdiction(request.GET, request.get_host())
    return respond(fmt, "service_requests", [resources.get_request(sid)])


@endpoint("GET")
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    resources.check_jurisdiction(request.GET, request.get_host())
    return respond(fmt, "service_requests", [resources.token_item(token)])


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under /open311/: a 404 errors body, in JSON if the path asks for it."""
    fmt = "json" if path.lower().endswith(".json") else "xml"
    return error_response(
        fmt,
        Open311Error(
            404,
            "没有这个资源；可用：discovery、services、services/{service_code}、requests、"
            "requests/{service_request_id}、tokens/{token}，加 .json 或 .xml"
            " (no such resource)",
        ),
    )


def root(request: HttpRequest) -> HttpResponse:
    """/open311/v2/ itself: point people and clients at the discovery document."""
    return redirect("open311:discovery", fmt="xml")


# ---------------------------------------------------------------- key management page


@login_required
def keys(request: HttpRequest) -> HttpResponse:
    """A district administrator creates and revokes client applications' keys."""
    require(request.user, "open311.keys")
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            name = (request.POST.get("name") or "").strip()
            if not name or len(name) > 100:
                messages.error(request, _("请填写客户端应用名称（不超过 100 个字）。"))
            else:
                with transaction.atomic():
                    obj, new_key = ApiKey.issue(
                        name, created_by=request.user, note=request.POST.get("note", "")
                    )
                messages.success(
                    request, f"已为“{obj.name}”创建密钥。密钥只显示这一次，请立即复制。"
                )
        elif action == "revoke":
            found = ApiKey.objects.filter(pk=_int(request.POST.get("id"))).first()
            if found is None:
                messages.error(request, _("没有找到该密钥。"))
            elif found.revoke():
                messages.success(
                    request,
                    _("已吊销“%(name)s”的密钥 %(prefix)s…。")
                    % {"name": found.name, "prefix": found.prefix},
                )
            else:
                messages.info(request, _("该密钥已吊销。"))
            return redirect("open311:keys")
        else:
            messages.error(request, _("未知的操作。"))
    rows = ApiKey.objects.select_related("created_by").order_by("revoked_at", "-created_at")[:500]
    return render(
        request,
        "open311/keys.html",
        {"keys": rows, "new_key": new_key, "base_url": request.build_absolute_uri("/open311/v2/")},
    )


def _int(raw) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return 0
