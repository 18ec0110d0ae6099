"""The filters of community's lists — the mediation list, the staff's messages, a village's
board — with their choices, for the pages and the API (jiceng/lib/filters.py, decision 0103)."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from jiceng.community.models import Dispute, MediationLevel, Publication
from jiceng.lib.filters import Filter

# the page also has "open" (未办结: registered or mediating)
DISPUTE_STATUS_PAGE = Filter(
    "status",
    gettext_noop("状态"),
    lambda: [("open", gettext_noop("未办结")), *Dispute.Status.choices],
)
DISPUTE_STATUS = Filter("status", gettext_noop("状态"), lambda: Dispute.Status.choices)
DISPUTE_LEVEL = Filter("level", gettext_noop("层级"), lambda: MediationLevel.choices)

INBOX_STATES = [
    ("open", gettext_noop("待答复")),
    ("overdue", gettext_noop("已逾期")),
    ("answered", gettext_noop("已答复/已转诉求")),
    ("all", gettext_noop("全部")),
]
MESSAGE_STATE_PAGE = Filter("state", gettext_noop("状态"), lambda: INBOX_STATES)
# the API's: open, overdue, all (as documented)
MESSAGE_STATE = Filter(
    "state", gettext_noop("状态"), lambda: [s for s in INBOX_STATES if s[0] != "answered"]
)

BOARD_KIND = Filter("kind", gettext_noop("类型"), lambda: Publication.Kind.choices)
