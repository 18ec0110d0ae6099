"""Open311 settings, read from the environment (jiceng.lib.env) so that no shared settings
file has to change:

- JICENG_OPEN311_JURISDICTION: the county's domain(s), comma separated (e.g. hanyin.gov.cn).
  The county's division code (610921, or 610921000000) is always accepted too.
- JICENG_OPEN311_PUBLISH_CHANNELS: whose cases GET requests shows (default: open311 only).
- JICENG_OPEN311_CONTACT, JICENG_OPEN311_KEY_SERVICE: the discovery document's texts.
- JICENG_OPEN311_ENDPOINT_TYPE: production (default) or test.
"""

from __future__ import annotations

from django.conf import settings

from jiceng.lib.env import ConfigError, envlist, envstr

# When the service list or the service definitions last changed shape (discovery changeset).
CHANGESET = "2026-11-22T00:00:00+08:00"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def domains() -> list[str]:
    raw = getattr(settings, "JICENG_OPEN311_JURISDICTION", None)
    items = raw if isinstance(raw, list) else envlist("JICENG_OPEN311_JURISDICTION", [])
    return [_norm_domain(d) for d in items if d.strip()]


def _norm_domain(d: str) -> str:
    d = d.strip().lower()
    for scheme in ("https://", "http://"):
        if d.startswith(scheme):
            d = d[len(scheme) :]
    d = d.split("/")[0].split(":")[0]
    return d[4:] if d.startswith("www.") else d


def publish_channels() -> list[str]:
    return envlist("JICENG_OPEN311_PUBLISH_CHANNELS", ["open311"])


def contact() -> str:
    return envstr("JICENG_OPEN311_CONTACT", "区县综治中心（12345 热线）平台管理员")


def key_service() -> str:
    return envstr(
        "JICENG_OPEN311_KEY_SERVICE",
        "向区县综治中心平台管理员申请 API 密钥（api_key）；管理员在“Open311 密钥”页面或用"
        " `jiceng open311 create-key 应用名称` 创建。",
    )


def endpoint_type() -> str:
    t = envstr("JICENG_OPEN311_ENDPOINT_TYPE", "production")
    if t not in ("production", "test"):
        raise ConfigError(f"JICENG_OPEN311_ENDPOINT_TYPE={t!r}: expected production or test")
    return t
