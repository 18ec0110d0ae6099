"""Typed inputs and outputs of the service hall, shared by the API, the pages and the
Excel import (one parse, one set of rules)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from django.utils.translation import gettext
from ninja import Schema
from pydantic import Field, field_validator, model_validator

LevelName = Literal["village", "town", "county"]
LEVEL_NUMBER = {"village": 5, "town": 4, "county": 3}
LEVEL_NAME = {v: k for k, v in LEVEL_NUMBER.items()}
LEVEL_ZH = {"village": "村", "town": "乡镇", "county": "县"}
LEVEL_FROM_ZH = {"村": "village", "乡镇": "town", "县": "county"}
ON_FILE_SOURCES = ("resident_id", "household", "earlier_result")
ON_FILE_ALIASES = {"id_card": "resident_id", "household_register": "household"}


class MaterialIn(Schema):
    name: str = Field(min_length=1, max_length=120)
    copies: int = Field(1, ge=1, le=20)
    original: bool = False
    required: bool = True
    pendable: bool = False
    # 免证办: where the material can be taken from instead of an upload —
    # resident_id | household | earlier_result | earlier_result:<item code>
    on_file_kind: str = Field(default="", max_length=40)

    @field_validator("on_file_kind")
    @classmethod
    def _source(cls, v: str) -> str:
        v = ON_FILE_ALIASES.get(v.strip(), v.strip())
        base, _, code = v.partition(":")
        if v and (base not in ON_FILE_SOURCES or (code and base != "earlier_result")):
            raise ValueError(
                gettext(
                    "可免提交来源只能是 resident_id（身份信息）、household（户籍信息）"
                    "或 earlier_result[:事项编码]（本人此前办件结果）"
                )
            )
        return v


class GuideIn(Schema):
    """One version of an item's guide: the ten elements (平邑) and the flow (邱县)."""

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    name: str = Field(min_length=1, max_length=120)
    department: str = Field(min_length=1, max_length=100)
    topic: str = Field(default="", max_length=40)
    basis: str = Field(min_length=1)
    conditions: str = Field(min_length=1)
    accepting_unit: str = Field(min_length=1, max_length=100)
    place: str = Field(min_length=1, max_length=200)
    process: str = Field(min_length=1)
    fees: str = Field("不收费", max_length=200)
    legal_days: int = Field(ge=1, le=365)
    promised_days: int = Field(ge=1, le=365)
    hours: str = Field(min_length=1, max_length=200)
    enquiry_phone: str = Field(min_length=3, max_length=40)
    supervision_phone: str = Field(min_length=3, max_length=40)
    accept_levels: list[LevelName] = Field(min_length=1)
    flow: list[LevelName] = Field(min_length=1)
    allows_pending: bool = False
    pending_days: int = Field(5, ge=1, le=60)
    may_suspend: bool = True
    may_extend: bool = False
    extension_days: int = Field(0, ge=0, le=365)
    note: str = Field(default="", max_length=200)
    materials: list[MaterialIn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> GuideIn:
        if self.promised_days > self.legal_days:
            raise ValueError(gettext("承诺时限不得长于法定时限"))
        order = [LEVEL_NUMBER[x] for x in self.flow]
        if order != sorted(order, reverse=True) or len(set(order)) != len(order):
            raise ValueError(gettext("流转层级须自下而上且不重复（村 → 乡镇 → 县）"))
        if not set(self.accept_levels) <= set(self.flow):
            raise ValueError(gettext("受理层级必须在流转层级之中"))
        if self.may_extend and self.extension_days <= 0:
            raise ValueError(gettext("可延期的事项须填写最长延期天数"))
        names = [m.name for m in self.materials]
        if len(set(names)) != len(names):
            raise ValueError(gettext("同一事项的材料名称不得重复"))
        if any(m.pendable for m in self.materials) and not self.allows_pending:
            raise ValueError(gettext("事项不允许容缺受理，材料不能标为可容缺"))
        return self


class MaterialOut(Schema):
    id: int
    name: str
    copies: int
    original: bool
    required: bool
    pendable: bool
    on_file_kind: str


class GuideOut(Schema):
    code: str
    name: str
    department: str
    topic: str
    version: int
    published_at: datetime
    basis: str
    conditions: str
    accepting_unit: str
    place: str
    process: str
    fees: str
    legal_days: int
    promised_days: int
    compression: float
    hours: str
    enquiry_phone: str
    supervision_phone: str
    accept_levels: list[LevelName]
    flow: list[LevelName]
    allows_pending: bool
    may_suspend: bool
    may_extend: bool
    extension_days: int
    materials: list[MaterialOut]


class MaterialCheck(Schema):
    material_id: int
    state: Literal["provided", "on_file", "pending", "missing"]


class ApplicationIn(Schema):
    """What the window clerk (or proxy agent) enters at intake."""

    item_code: str
    applicant_name: str = Field(min_length=1, max_length=50)
    applicant_phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    applicant_id_last4: str = Field("", pattern=r"^(\d{3}[\dXx])?$")
    region_code: str = Field(pattern=r"^\d{12}$")
    channel: Literal["window", "appointment", "home", "online"] = "window"
    delivery: Literal["collect", "post", "proxy"] = "collect"
    materials: list[MaterialCheck]
    proxy_request_id: int | None = None
    # 免证办: the full ID number, used only to find the applicant's records on file (never
    # stored; its last four characters fill applicant_id_last4 when that is empty)
    applicant_id_number: str = Field(default="", max_length=20)

    @field_validator("applicant_name")
    @classmethod
    def _strip(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError(gettext("申请人姓名不能为空"))
        return v


class NoticeOut(Schema):
    at: datetime
    missing: list[str]
    text: str


class EventOut(Schema):
    at: datetime
    kind: str
    label: str
    level: str
    actor: str
    note: str


class ApplicationOut(Schema):
    number: str
    item_code: str
    item_name: str
    version: int
    status: str
    status_label: str
    channel: str
    applicant_name: str
    applicant_phone: str
    region_code: str
    accepted_level: str
    current_level: str
    accepted_at: datetime | None
    promised_due: datetime | None
    legal_due: datetime | None
    pending_until: datetime | None
    card: str
    clerk: str
    materials: list[dict]
    notices: list[NoticeOut]
    events: list[EventOut]
    rating: int | None


class MoveIn(Schema):
    """One move on an application; `reason` is required where the rule says so."""

    move: Literal[
        "supplement", "pass", "approve", "refuse", "return", "suspend", "resume", "extend",
        "deliver", "withdraw",
    ]  # fmt: skip
    reason: str = Field(default="", max_length=500)
    days: int | None = Field(None, ge=1, le=365)
    material_ids: list[int] = Field(default_factory=list)


class SignIn(Schema):
    signed_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    signature: str = Field(max_length=400_000)


class RatingIn(Schema):
    number: str
    phone: str
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class TrackIn(Schema):
    number: str
    phone: str


class ProxyRequestIn(Schema):
    kind: Literal["appointment", "home", "online"]
    item_code: str
    resident_name: str = Field(min_length=1, max_length=50)
    resident_phone: str = Field(pattern=r"^1[3-9]\d{9}$")
    region_code: str = Field(pattern=r"^\d{12}$")
    address: str = Field(default="", max_length=200)
    wanted_on: date | None = None
    note: str = Field(default="", max_length=300)


class AgentReviewIn(Schema):
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$")
    reviewer: str = Field(min_length=1, max_length=50)
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)
