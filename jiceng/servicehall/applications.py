"""Applications (办件): the one entry point that takes them in and moves them.

Rules (each has a test, with a refused user where a rule refuses someone):
1. 一窗受理: a window clerk (or village staff) takes an item in at their own level, and only
   where the item's guide lets that level accept; a proxy agent takes it in for their
   village at the lowest level that may accept it and carries it there.
2. 一次性告知: every material is checked at once; if any required material is missing the
   application is not taken in (待补正) and one notice lists every missing material.
3. 容缺受理: where the guide allows it, a material marked pendable may be brought later,
   by a date (`pending_days` working days); the final decision waits for it.
4. Flow as data (邱县 村级受理 → 乡镇审核 → 县级办结): the version's `flow` lists the levels;
   only a reviewer at the level that holds the application (and whose territory covers
   the applicant's village) may pass it up, return it, refuse it or, at the last level,
   approve it. Each move is an appended `ApplicationEvent`.
5. Time limits in working days from acceptance (`timelimits`); suspension stops the clock,
   one extension up to the guide's term (Open Zaak opschorting / verlenging).
6. 首问负责: the clerk who first took the application stays named on it to the end.
7. The applicant's signature is accepted only for the content it was drawn on (hash).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from jiceng.accounts import scope
from jiceng.accounts.models import Role
from jiceng.lib import idcard
from jiceng.servicehall import facts, onfile, timelimits, uploads
from jiceng.servicehall.models import (
    DONE_STATUSES,
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    AppMaterial,
    ItemVersion,
    MaterialState,
    Notice,
    ProxyAgent,
    ProxyRequest,
    RequestStatus,
    ServiceItem,
    Status,
)
from jiceng.servicehall.schemas import ApplicationIn, MoveIn
from jiceng.territory.models import Level, Region

LEVEL_WORD = {Level.VILLAGE: gettext_noop("村（社区）"), Level.STREET: gettext_noop("乡镇（街道）"),
              Level.COUNTY: gettext_noop("县（区）")}  # fmt: skip


class Refused(Exception):
    """A move or intake the rules do not allow; the message is Chinese, for the user."""

    def __init__(self, message: str, code: str = "refused"):
        self.code = code
        super().__init__(message)


def level_word(level: int) -> str:
    return LEVEL_WORD.get(Level(level), str(level)) if level in Level.values else str(level)


# ------------------------------------------------------------------ who sees what


def visible(user) -> QuerySet[Application]:
    """Applications in the user's territory (the applicant's village under their scope)."""
    scope.require(user, "servicehall.view")
    return Application.objects.filter(scope.code_filter(user, "region_code"))


def get_visible(user, number: str) -> Application:
    app = visible(user).select_related("version", "version__item").filter(number=number).first()
    if app is None:
        raise Http404(gettext("办件不存在或不在您的管辖范围内"))
    return app


def find_public(number: str, phone: str) -> Application:
    """The applicant's own application by number and phone (no login); one message for
    both a wrong number and a wrong phone, so neither can be probed."""
    app = (
        Application.objects.select_related("version", "version__item")
        .filter(number=number.strip(), applicant_phone=phone.strip())
        .first()
    )
    if app is None:
        raise Http404(gettext("未找到该办件，请核对办件编号和手机号"))
    return app


def user_level(user) -> int | None:
    return user.scope.level if getattr(user, "scope_id", None) else None


def agent_of(user) -> ProxyAgent | None:
    if user.role != Role.PROXY_AGENT:
        return None
    return ProxyAgent.objects.filter(user=user, active=True).first()


# ------------------------------------------------------------------ intake


def _number(now: datetime) -> str:
    local = timezone.localtime(now)
    prefix = "BJ" + local.strftime("%Y%m%d")
    # The day's numbers from the unique index: on PostgreSQL a prefix LIKE (Django adds a
    # varchar_pattern_ops index; a range would depend on the collation), on SQLite a range
    # (its case-insensitive LIKE cannot use the index; its BINARY collation orders bytes).
    if connection.vendor == "postgresql":
        day = Q(number__startswith=prefix)
    else:
        day = Q(number__gte=prefix, number__lt=prefix + "~")
    last = (
        Application.objects.filter(day).order_by("-number").values_list("number", flat=True).first()
    )
    seq = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def _event(app: Application, kind: str, label: str, user, now: datetime, note: str = "",
           public: bool = True, level: int | None = None) -> ApplicationEvent:  # fmt: skip
    return ApplicationEvent.objects.create(
        application=app,
        at=now,
        kind=kind,
        label=label,
        level=level if level is not None else app.current_level,
        actor=user if getattr(user, "pk", None) else None,
        actor_name=(user.display_name if getattr(user, "pk", None) else "申请人")[:50],
        note=note,
        public=public,
    )


def notice_text(app: Application, missing: list[str], pending: list[str]) -> str:
    """The one-time notice (一次性告知书) the applicant receives."""
    v = app.version
    lines = [f"{app.applicant_name}：您申请的「{v.item.name}」（办件编号 {app.number}）"]
    if missing:
        lines.append("尚缺以下材料，请一次备齐后再来办理（或交给代办员）：")
        lines += [f"{i}. {m}" for i, m in enumerate(missing, start=1)]
    if pending:
        lines.append("以下材料已容缺受理，请在期限内补齐：")
        lines += [f"· {m}" for m in pending]
    lines.append(f"咨询电话 {v.enquiry_phone}；监督电话 {v.supervision_phone}。")
    return "\n".join(lines)


def _start_clock(app: Application, now: datetime, pending: bool | None = None) -> None:
    """Set acceptance time, deadlines and (with pending materials) the date to bring them.
    `pending` None: look at the application's materials."""
    v = app.version
    cal = facts.calendar()
    lim = timelimits.compute(cal, now, v.promised_days, v.legal_days, facts.yellow_share(),
                             facts.zone())  # fmt: skip
    app.accepted_at = now
    app.promised_due, app.legal_due, app.yellow_at = lim.promised_due, lim.legal_due, lim.yellow_at
    app.calendar_missing = lim.calendar_missing
    if pending is None:
        pending = app.materials.filter(state=MaterialState.PENDING).exists()
    if pending:
        due, _ = timelimits._add_workdays(cal, now, v.pending_days, facts.zone())
        app.pending_until = due


def intake(user, data: ApplicationIn, now: datetime | None = None,
           files: dict[int, list[uploads.Checked]] | None = None, log_channel: str = "page",
           request=None) -> Application:  # fmt: skip
    """Take an application in (rules 1–3, 6). Raises Refused, PermissionDenied, Http404.

    `files`: checked uploads per material id (`uploads.check`); a material with a file
    counts as provided. A material marked on file (免证办) is resolved to its record
    (`onfile.resolve`) before anything is written; every failure is reported at once."""
    scope.require(user, "servicehall.intake")
    now = now or timezone.now()
    files = {k: v for k, v in (files or {}).items() if v}
    item = ServiceItem.objects.select_related("current").filter(code=data.item_code).first()
    if item is None or item.current is None:
        raise Refused(gettext("该事项不存在或尚未发布"), "unknown_item")
    v: ItemVersion = item.current
    region = Region.objects.filter(code=data.region_code, level=Level.VILLAGE).first()
    if region is None or not scope.can_see_code(user, region.code):
        raise Refused(gettext("申请人所在村（社区）不在您的服务范围内"), "out_of_scope")
    agent = agent_of(user)
    if user.role == Role.PROXY_AGENT:
        if agent is None:
            raise Refused(gettext("您还不是在册代办员，请联系乡镇便民服务中心"), "not_agent")
        level = max(v.accept_levels)  # the lowest level that may accept it
    else:
        lv = user_level(user)
        if lv not in v.accept_levels:
            where = "、".join(gettext(level_word(x)) for x in sorted(v.accept_levels, reverse=True))
            raise Refused(gettext("「%(name)s」不能在%(level_word)s受理，请到%(where)s便民服务窗口办理") % {"name": item.name, "level_word": gettext(level_word(lv or 0)), "where": where},
                          "wrong_level")  # fmt: skip
        level = lv
    mats = {m.id: m for m in v.materials.all()}
    given: dict[int, str] = {c.material_id: c.state for c in data.materials}
    unknown = set(given) - set(mats)
    if unknown or len(given) != len(data.materials):
        raise Refused(gettext("材料清单与事项指南不符，请刷新后重新核对"), "bad_materials")
    if set(files) - set(mats):
        raise Refused(gettext("该事项没有这项材料，请刷新页面后重新选择"), "unknown_material")
    for mid in files:  # a file received is the material provided
        given[mid] = MaterialState.PROVIDED
    errors = []
    refs: list[onfile.Ref] = []
    for mid, m in mats.items():
        st = given.get(mid, MaterialState.MISSING)
        if st == MaterialState.ON_FILE:
            try:
                refs.append(onfile.resolve(m, region.code, data.applicant_name,
                                           data.applicant_phone, data.applicant_id_number))  # fmt: skip
            except ValueError as exc:
                errors.append(str(exc))
        if st == MaterialState.PENDING and not (v.allows_pending and m.pendable):
            errors.append(f"「{m.name}」不允许容缺，须当场提交")
    if errors:
        raise Refused("；".join(dict.fromkeys(errors)), "bad_materials")
    last4 = data.applicant_id_last4 or idcard.normalise(data.applicant_id_number)[-4:]
    missing = [
        m.name
        for mid, m in mats.items()
        if m.required and given.get(mid, MaterialState.MISSING) == MaterialState.MISSING
    ]
    pending = [m.name for mid, m in mats.items() if given.get(mid) == MaterialState.PENDING]
    # an agent's intake is proxy handling even when the form said "window"
    channel = "appointment" if agent is not None and data.channel == "window" else data.channel
    with transaction.atomic():
        req = None
        if data.proxy_request_id is not None:
            req = (
                ProxyRequest.objects.select_for_update()
                .filter(pk=data.proxy_request_id, region_code__startswith=region.code[:9])
                .first()
            )
            if req is None or req.status in (RequestStatus.DONE, RequestStatus.CANCELLED):
                raise Refused(gettext("代办预约不存在或已办理"), "bad_request")
        # deadlines are computed before the insert: one INSERT, no UPDATE after it
        clock = Application(version=v)
        if not missing:
            _start_clock(clock, now, pending=bool(pending))
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    app = Application.objects.create(
                        number=_number(now),
                        accepted_at=clock.accepted_at,
                        promised_due=clock.promised_due,
                        legal_due=clock.legal_due,
                        yellow_at=clock.yellow_at,
                        calendar_missing=clock.calendar_missing,
                        pending_until=clock.pending_until,
                        version=v,
                        status=Status.AWAITING if missing else Status.ACCEPTED,
                        channel=channel,
                        delivery=data.delivery,
                        applicant_name=data.applicant_name,
                        applicant_phone=data.applicant_phone,
                        applicant_id_last4=last4.upper(),
                        region=region,
                        region_code=region.code,
                        accepted_level=level,
                        step=v.flow.index(level),
                        current_level=level,
                        clerk=user,
                        agent=agent,
                        created_at=now,
                    )  # fmt: skip
                break
            except IntegrityError:  # two clerks drew the same number: draw again
                continue
        else:
            raise Refused(gettext("办件编号分配繁忙，请重试"), "busy")
        AppMaterial.objects.bulk_create(
            AppMaterial(application=app, material_id=mid,
                        state=given.get(mid, MaterialState.MISSING), updated_at=now)
            for mid in mats
        )  # fmt: skip
        uploads.attach_at_intake(app, files, user, now)
        onfile.record(app, refs, user, now, log_channel, request)
        who = "代办员" if agent else "窗口"
        if missing:
            n = Notice.objects.create(application=app, at=now, missing=missing,
                                      text=notice_text(app, missing, pending))  # fmt: skip
            # the one notice also goes to the applicant's phone (outbox, sent after commit)
            facts.notify(f"sh-notice:{app.number}:{n.pk}", n.text, kind="sh_notice",
                         phone=app.applicant_phone)  # fmt: skip
            _event(app, "notice", "一次性告知", user, now,
                   f"{who}核对材料，缺 {len(missing)} 项：" + "、".join(missing))  # fmt: skip
        else:
            if pending:
                Notice.objects.create(application=app, at=now, missing=pending,
                                      text=notice_text(app, [], pending))  # fmt: skip
            _event(app, "accept", "容缺受理" if pending else "受理", user, now,
                   f"{who}受理（{level_word(level)}）" + (
                       "，容缺：" + "、".join(pending) if pending else ""))  # fmt: skip
        if req is not None:
            req.status = RequestStatus.DONE
            req.application = app
            req.save(update_fields=["status", "application"])
    return app


# ------------------------------------------------------------------ moves

NEEDS_REASON = {"refuse", "return", "suspend", "extend", "withdraw"}
MOVE_LABEL = {
    "supplement": gettext_noop("补齐材料"),
    "pass": gettext_noop("审核通过，报上级"),
    "approve": gettext_noop("办结"),
    "refuse": gettext_noop("不予办理"),
    "return": gettext_noop("退回下级"),
    "suspend": gettext_noop("中止"),
    "resume": gettext_noop("恢复办理"),
    "extend": gettext_noop("延期"),
    "deliver": gettext_noop("送达"),
    "withdraw": gettext_noop("撤回"),
}


def _may_act(user, app: Application, move: str) -> bool:
    """Rule 4: the level that holds it, inside the user's territory."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not scope.can_see_code(user, app.region_code) and not user.is_superuser:
        return False
    if app.agent_id and move in ("supplement", "deliver", "withdraw", "pass"):
        # 邱县: the village agent checks and uploads (初审上报) what they carry; a village
        # level step held by their application is theirs to pass up
        agent = agent_of(user)
        if agent is not None and agent.pk == app.agent_id:
            return move != "pass" or app.current_level == Level.VILLAGE
    if move in ("supplement", "withdraw", "deliver"):
        # the accepting level's window (or a reviewer there) carries the materials
        if not (scope.can(user, "servicehall.intake") or scope.can(user, "servicehall.review")):
            return False
        return user.is_superuser or user_level(user) == app.accepted_level
    if not scope.can(user, "servicehall.review"):
        return False
    return user.is_superuser or user_level(user) == app.current_level


def allowed_moves(user, app: Application) -> list[str]:
    """The moves this user may make on this application now (for the pages' buttons)."""
    v = app.version
    last = app.step >= len(v.flow) - 1
    s = app.status
    cand: list[str] = []
    if s == Status.AWAITING:
        cand = ["supplement", "withdraw"]
    elif s in (Status.ACCEPTED, Status.IN_REVIEW):
        cand = ["supplement"] if app.pending_until else []
        cand += ["approve"] if last else ["pass"]
        cand += ["refuse"]
        if app.step > v.flow.index(app.accepted_level):
            cand.append("return")
        if v.may_suspend:
            cand.append("suspend")
        if v.may_extend and not app.extended:
            cand.append("extend")
        cand.append("withdraw")
    elif s == Status.SUSPENDED:
        cand = ["resume"]
    elif s == Status.APPROVED:
        cand = ["deliver"]
    return [m for m in cand if _may_act(user, app, m)]


def move(user, number_or_app: str | Application, data: MoveIn, now: datetime | None = None
         ) -> Application:  # fmt: skip
    """Apply one move (rules 2–5); appends its event. Raises Refused / PermissionDenied."""
    now = now or timezone.now()
    if data.move in NEEDS_REASON and not data.reason.strip():
        raise Refused(
            gettext("「%(move_label)s」须填写理由")
            % {"move_label": gettext(MOVE_LABEL[data.move])},
            "reason_required",
        )
    with transaction.atomic():
        num = number_or_app.number if isinstance(number_or_app, Application) else number_or_app
        app = get_visible(user, num) if not user.is_superuser else Application.objects.get(
            number=num)  # fmt: skip
        app = Application.objects.select_for_update().select_related(
            "version", "version__item").get(pk=app.pk)  # fmt: skip
        if not _may_act(user, app, data.move):
            raise PermissionDenied(
                gettext("您不能在此环节%(move_label)s（办件在%(level_word)s）")
                % {
                    "move_label": gettext(MOVE_LABEL[data.move]),
                    "level_word": gettext(level_word(app.current_level)),
                }
            )
        if data.move not in allowed_moves(user, app):
            raise Refused(gettext("办件当前「%(status)s」，不能%(move_label)s") % {"status": gettext(str(app.get_status_display())), "move_label": gettext(MOVE_LABEL[data.move])},
                          "wrong_state")  # fmt: skip
        note = data.reason.strip()
        acted_at_level = app.current_level  # the event names the level that acted
        handler = _MOVES[data.move]
        extra = handler(app, data, now)
        if extra:
            note = f"{note}（{extra}）" if note else extra
        app.save()
        _event(app, data.move, MOVE_LABEL[data.move], user, now, note, level=acted_at_level)
        if data.move in ("approve", "refuse"):
            word = "已办结" if data.move == "approve" else "不予办理"
            facts.notify(f"sh-result:{app.number}", f"您申请的「{app.version.item.name}」"
                         f"（{app.number}）{word}。{data.reason.strip()} 可凭编号和手机号查询并评价。",
                         kind="sh_result", phone=app.applicant_phone)  # fmt: skip
    return app


def _m_supplement(app: Application, data: MoveIn, now: datetime) -> str:
    rows = list(app.materials.select_related("material").filter(
        material_id__in=data.material_ids,
        state__in=[MaterialState.MISSING, MaterialState.PENDING]))  # fmt: skip
    left = app.materials.filter(material__required=True, state=MaterialState.MISSING).exists()
    if not rows and app.status == Status.AWAITING and not left:
        # everything was uploaded since the notice (phone page): the window accepts it
        app.status = Status.ACCEPTED
        _start_clock(app, now)
        return "材料已齐（已上传），受理"
    if not rows:
        raise Refused(gettext("请勾选本次补交的材料"), "nothing_supplied")
    for r in rows:
        r.state = MaterialState.PROVIDED
        r.updated_at = now
        r.save(update_fields=["state", "updated_at"])
    names = "、".join(r.material.name for r in rows)
    left = app.materials.filter(material__required=True, state=MaterialState.MISSING).exists()
    if app.status == Status.AWAITING and not left:
        app.status = Status.ACCEPTED
        _start_clock(app, now)
        return f"补交 {names}，材料齐全，受理"
    if not app.materials.filter(state=MaterialState.PENDING).exists():
        app.pending_until = None
    return f"补交 {names}"


def _m_pass(app: Application, data: MoveIn, now: datetime) -> str:
    app.step += 1
    app.current_level = app.version.flow[app.step]
    app.status = Status.IN_REVIEW
    return f"转{level_word(app.current_level)}"


def _m_return(app: Application, data: MoveIn, now: datetime) -> str:
    app.step -= 1
    app.current_level = app.version.flow[app.step]
    if app.current_level == app.accepted_level:
        app.status = Status.ACCEPTED
    return f"退回{level_word(app.current_level)}"


def _m_approve(app: Application, data: MoveIn, now: datetime) -> str:
    if app.materials.filter(state=MaterialState.PENDING).exists():
        raise Refused(gettext("尚有容缺材料未补齐，补齐后才能办结"), "pending_materials")
    app.status = Status.APPROVED
    app.finished_at = now
    if app.promised_due and now <= app.promised_due:
        return "在承诺时限内办结"
    return "超过承诺时限办结"


def _m_refuse(app: Application, data: MoveIn, now: datetime) -> str:
    app.status = Status.REFUSED
    app.finished_at = now
    return ""


def _m_suspend(app: Application, data: MoveIn, now: datetime) -> str:
    app.status = Status.SUSPENDED
    app.suspended_at = now
    return "时限暂停计算"


def _m_resume(app: Application, data: MoveIn, now: datetime) -> str:
    assert app.suspended_at is not None
    cal, zone = facts.calendar(), facts.zone()
    minutes = timelimits.suspended_minutes(cal, app.suspended_at, now, zone)
    for f in ("promised_due", "legal_due", "yellow_at"):
        dt = getattr(app, f)
        if dt is not None:
            setattr(app, f, timelimits.push(cal, dt, minutes, zone))
    app.suspended_at = None
    app.status = Status.ACCEPTED if app.current_level == app.accepted_level else Status.IN_REVIEW
    return f"中止 {minutes / max(cal.day_minutes, 1):.1f} 个工作日，期限顺延"


def _m_extend(app: Application, data: MoveIn, now: datetime) -> str:
    v = app.version
    days = data.days or v.extension_days
    if days > v.extension_days:
        raise Refused(
            gettext("延期不得超过 %(extension_days)s 个工作日")
            % {"extension_days": v.extension_days},
            "too_long",
        )
    cal, zone = facts.calendar(), facts.zone()
    minutes = days * cal.day_minutes
    for f in ("promised_due", "legal_due", "yellow_at"):
        dt = getattr(app, f)
        if dt is not None:
            setattr(app, f, timelimits.push(cal, dt, minutes, zone))
    app.extended = True
    return f"延期 {days} 个工作日"


def _m_deliver(app: Application, data: MoveIn, now: datetime) -> str:
    app.status = Status.DELIVERED
    return app.get_delivery_display()


def _m_withdraw(app: Application, data: MoveIn, now: datetime) -> str:
    app.status = Status.WITHDRAWN
    app.finished_at = now
    return ""


_MOVES = {
    "supplement": _m_supplement,
    "pass": _m_pass,
    "return": _m_return,
    "approve": _m_approve,
    "refuse": _m_refuse,
    "suspend": _m_suspend,
    "resume": _m_resume,
    "extend": _m_extend,
    "deliver": _m_deliver,
    "withdraw": _m_withdraw,
}


# ------------------------------------------------------------------ signature


def content_hash(app: Application) -> str:
    """sha256 of what the applicant signs: item and version, applicant, materials."""
    body = {
        "number": app.number,
        "item": app.version.item.code,
        "version": app.version.version,
        "applicant": [app.applicant_name, app.applicant_phone, app.applicant_id_last4],
        "region": app.region_code,
        "delivery": app.delivery,
        "materials": sorted(app.materials.values_list("material_id", "state")),
    }
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


MAX_SIGNATURE = 300_000


def sign(app: Application, signed_hash: str, signature: str, user=None,
         now: datetime | None = None) -> Application:  # fmt: skip
    """Store the applicant's drawn signature (PNG data URL) with the hash it was drawn on.

    Refused when the application changed since the page showed it (rule 7)."""
    now = now or timezone.now()
    if not signature.startswith("data:image/png;base64,") or len(signature) > MAX_SIGNATURE:
        raise Refused(gettext("签名须为手写签名图片（PNG，不超过 300 KB）"), "bad_signature")
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related(
            "version", "version__item").get(pk=app.pk)  # fmt: skip
        if signed_hash != content_hash(app):
            raise Refused(gettext("申请内容已变更，签名无效，请重新核对内容后再签名"), "changed")
        if app.status in DONE_STATUSES or app.status == Status.WITHDRAWN:
            raise Refused(gettext("办件已办结，不能再签名"), "wrong_state")
        app.signed_hash = signed_hash
        app.signature = signature
        app.save(update_fields=["signed_hash", "signature"])
        _event(app, "sign", "申请人电子签名", user, now, f"签名内容摘要 {signed_hash[:12]}…")
    return app


# ------------------------------------------------------------------ queries


def card_q(kind: str, now: datetime) -> Q:
    """Open, not suspended applications with a yellow or red card (a query, not a flag)."""
    running = Q(status__in=[Status.ACCEPTED, Status.IN_REVIEW])
    if kind == "red":
        return running & Q(promised_due__lt=now)
    return running & Q(yellow_at__lte=now, promised_due__gte=now)


def card_of(app: Application, now: datetime) -> str:
    if app.status not in (Status.ACCEPTED, Status.IN_REVIEW):
        return ""
    return timelimits.card(now, app.yellow_at, app.promised_due)


def is_open(app: Application) -> bool:
    return app.status in OPEN_STATUSES
