"""Open311 settings (read from the environment in jiceng/settings.py):

- JICENG_OPEN311_JURISDICTION: the county's domain(s), comma separated (e.g. hanyin.gov.cn).
  The county's division code (610921, or 610921000000) is always accepted too.
- JICENG_OPEN311_PUBLISH_CHANNELS: whose cases GET requests shows (default: open311 only).
- JICENG_OPEN311_CONTACT, JICENG_OPEN311_KEY_SERVICE: the discovery document's texts.
- JICENG_OPEN311_ENDPOINT_TYPE: production (default) or test.
"""

from __future__ import annotations

from django.conf import settings

# When the service list or the service definitions last changed shape (discovery changeset).
CHANGESET = "2026-11-22T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def domains() -> list[str]:
    items = settings.JICENG_OPEN311_JURISDICTION
    return [_norm_domain(d) for d in items if d.strip()]


def _norm_domain(d: str) -> str:
    d = d.strip().lower()
    for scheme in ("https://", "http://"):
        if d.startswith(scheme):
            d = d[len(scheme) :]
    d = d.split("/")[0].split(":")[0]
    return d[4:] if d.startswith("www.") else d


def publish_channels() -> list[str]:
    return list(settings.JICENG_OPEN311_PUBLISH_CHANNELS)


def contact() -> str:
    return str(settings.JICENG_OPEN311_CONTACT)


def key_service() -> str:
    return str(settings.JICENG_OPEN311_KEY_SERVICE)


def endpoint_type() -> str:
    return str(settings.JICENG_OPEN311_ENDPOINT_TYPE)
