from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from jiceng.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue an API token for USER; the key is printed once, as the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", nargs="?", default="cli")

    def handle(self, *args, username, name, **options):
        try:
            user = User.objects.get(username=username, is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"用户 {username} 不存在或已停用") from None
        _, key = ApiToken.issue(user, name)
        self.stdout.write(f"已为 {user.display_name} 签发令牌 {name}（只显示这一次）：")
        self.stdout.write(key)
