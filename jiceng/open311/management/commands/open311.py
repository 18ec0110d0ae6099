"""`jiceng open311 create-key NAME` / `revoke-key NAME_OR_ID` / `list-keys`.

create-key prints the new key as its last line (scripts take `| tail -1`); the key is
shown only then, the database keeps its hash.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from jiceng.open311.models import KEY_PREFIX, ApiKey, hash_key


class Command(BaseCommand):
    help = "Manage Open311 API keys of client applications (Open311 客户端密钥)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="sub", required=True, metavar="{create-key,revoke-key,list-keys}"
        )
        c = sub.add_parser("create-key", help="create a key for a client application")
        c.add_argument("name", help="the client application's name")
        c.add_argument("--note", default="")
        c.add_argument("--by", default="", help="username of the administrator creating it")
        r = sub.add_parser("revoke-key", help="revoke a key by id, prefix or application name")
        r.add_argument("key", help="key id, key prefix (o311_…) or application name")
        sub.add_parser("list-keys", help="list keys (never the keys themselves)")

    def handle(self, *args, sub, **opts):
        if sub == "create-key":
            self._create(opts["name"], opts["note"], opts["by"])
        elif sub == "revoke-key":
            self._revoke(opts["key"])
        else:
            self._list()

    def _create(self, name: str, note: str, by: str) -> None:
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("应用名称不能为空，且不超过 100 个字 (name: 1-100 characters)")
        user = None
        if by:
            from jiceng.accounts.models import User

            user = User.objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"没有用户 {by}")
        with transaction.atomic():
            obj, key = ApiKey.issue(name, created_by=user, note=note)
        self.stdout.write(f"已为“{obj.name}”创建 Open311 密钥（id {obj.pk}），只显示这一次：")
        self.stdout.write(key)

    def _revoke(self, ref: str) -> None:
        ref = ref.strip()
        qs = ApiKey.objects.filter(revoked_at__isnull=True)
        if ref.isdigit():
            found = list(qs.filter(pk=int(ref)))
        elif ref.startswith(KEY_PREFIX):
            ref = ref.rstrip("…")
            found = list(qs.filter(key_hash=hash_key(ref))) or list(qs.filter(prefix=ref))
        else:
            found = list(qs.filter(name=ref))
        if not found:
            raise CommandError(f"没有找到有效的密钥：{ref}")
        with transaction.atomic():
            for k in found:
                k.revoke()
                self.stdout.write(f"已吊销：{k.name}（id {k.pk}，{k.prefix}…）")

    def _list(self) -> None:
        rows = ApiKey.objects.select_related("created_by").order_by("id")
        if not rows:
            self.stdout.write("还没有 Open311 密钥。")
            return
        for k in rows:
            state = f"已吊销 {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "有效"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "从未使用"
            self.stdout.write(f"{k.pk}\t{k.prefix}…\t{state}\t{used}\t{k.name}")
