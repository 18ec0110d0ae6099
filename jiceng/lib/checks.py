"""System checks of the configuration (run by every `jiceng` command, `jiceng serve`
included, before it starts).

jiceng.E001: JICENG_HTTPS is on (a real deployment) but the secret key is the development
key from settings.py, which is public in the source: sessions and signatures could be
forged. Refused, not warned.
jiceng.W002: the same key in development (JICENG_HTTPS off) — a reminder only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security)
def secret_key_check(app_configs: Any = None, **kwargs: Any) -> list:
    dev = getattr(settings, "DEVELOPMENT_SECRET_KEY", None)
    if settings.SECRET_KEY != dev:
        return []
    if getattr(settings, "SESSION_COOKIE_SECURE", False):
        return [
            Error(
                "JICENG_HTTPS 已开启，但 JICENG_SECRET_KEY 仍是源码中公开的开发密钥",
                hint="设置 JICENG_SECRET_KEY（或 JICENG_SECRET_KEY_FILE）为随机长字符串，"
                "例如 python -c 'import secrets; print(secrets.token_urlsafe(50))'",
                id="jiceng.E001",
            )
        ]
    return [
        Warning(
            "使用开发密钥运行（仅限开发和演示）",
            hint="生产环境请设置 JICENG_SECRET_KEY 并开启 JICENG_HTTPS",
            id="jiceng.W002",
        )
    ]
