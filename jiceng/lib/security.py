"""Response headers that keep personal data where it belongs (issue 9 item 5).

- `Content-Security-Policy`: scripts only from this site and inline blocks carrying this
  response's nonce (`request.csp_nonce`, written by templates as
  `<script nonce="{{ request.csp_nonce }}">`), no plug-ins, no framing, forms and fetches to
  this site only. Styles may be inline (Leaflet and the pages set style attributes); images
  may be data:/blob: URLs and the configured map-tile server. A script that an injection
  might slip into a page has no nonce and does not run.
- `Cache-Control: no-store` on every answer made by a view (pages, the API, exports): they
  hold personal data, and no browser back-button, shared computer or proxy may keep a copy.
  A view that sets its own Cache-Control (e.g. an attachment cached privately) keeps it;
  static files are answered by WhiteNoise before this middleware and stay cacheable.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlparse

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _tile_origin() -> str:
    url = getattr(settings, "JICENG_MAP_TILE_URL", "") or ""
    p = urlparse(url.replace("{s}", "a"))
    if not p.scheme or not p.netloc:
        return ""
    host = p.netloc.replace("a.", "*.", 1) if "{s}" in url else p.netloc
    return f"{p.scheme}://{host}"


def policy(nonce: str) -> str:
    tiles = _tile_origin()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:" + (f" {tiles}" if tiles else ""),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", policy(nonce))
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
