"""Every write to the register goes through these functions: they check input, keep the
household's member count, and call `recompute` so that a household's colour always follows
its members, tags and income (the one rule: no write path skips it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac

from jiceng.accounts import lookups, scope
from jiceng.lib import idcard, phones
from jiceng.people import bulk, colours, privacy, tagschema
from jiceng.people.models import (
    CareTag,
    CareTagType,
    ColourChange,
    ColourRule,
    Household,
    Resident,
    Visit,
)
from jiceng.people.signals import visit_needs_case
from jiceng.territory.models import Level, Region

CHUNK = 5000


def _key() -> str:
    # A key of its own may be configured so that rotating SECRET_KEY does not orphan hashes.
    return getattr(settings, "JICENG_PII_KEY", "") or settings.SECRET_KEY


_HMACS: dict[tuple[str, str], Any] = {}


def _hmac(salt: str, value: str) -> str:
    """`salted_hmac(salt, value, secret=_key(), algorithm="sha256").hexdigest()`, with the
    derived key and the keyed HMAC state made once per (salt, secret) and copied per value
    (an import hashes every ID number and phone twice; the same hex digest)."""
    secret = _key()
    base = _HMACS.get((salt, secret))
    if base is None:
        base = _HMACS[(salt, secret)] = salted_hmac(salt, "", secret=secret, algorithm="sha256")
    h = base.copy()
    h.update(value.encode())
    return h.hexdigest()


def id_hash(id_type: str, number: str) -> str:
    """Keyed hash of a document number: unique column, exact search without the plaintext."""
    return _hmac("jiceng.people.id", f"{id_type}:{number}")


def phone_hash(phone: str) -> str:
    if not phone:
        return ""
    return _hmac("jiceng.people.phone", phone)


def chunks(seq: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# ---- input checks -------------------------------------------------------------------------


_ID_TYPES = frozenset(Resident.IdType.values)


def clean_document(id_type: str, number: str) -> tuple[str, date | None, str]:
    """(normalised number, birth date, sex) or ValidationError with a Chinese reason."""
    if id_type not in _ID_TYPES:
        raise ValidationError(f"证件类型 {id_type} 不正确")
    if id_type == Resident.IdType.ID_CARD:
        try:
            card = idcard.parse(number)
        except idcard.IdCardError as exc:
            raise ValidationError(str(exc)) from None
        return card.number, card.birth_date, card.sex
    s = str(number).strip().upper().replace(" ", "")
    if not (5 <= len(s) <= 20) or not s.replace("-", "").isalnum():
        raise ValidationError("证件号码格式不正确（5–20位字母或数字）")
    return s, None, ""


def clean_phone(raw: str | None) -> str:
    if raw is None or not str(raw).strip():
        return ""
    try:
        return phones.normalise(str(raw))
    except phones.PhoneError as exc:
        raise ValidationError(str(exc)) from None


def clean_money(raw: Any) -> Decimal | None:
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError(f"金额 {raw} 不是数字") from None
    if value < 0 or value > Decimal("9999999999"):
        raise ValidationError(f"金额 {raw} 超出范围")
    return value.quantize(Decimal("0.01"))


def grid_for(user, code: str) -> Region:
    """A grid of the user's territory, or a refusal that does not tell whether it exists."""
    region = Region.objects.filter(code=str(code).strip(), level__gte=Level.GRID).first()
    if region is None or not scope.can_see_code(user, region.code):
        raise ValidationError(f"网格代码 {code} 不存在或不在您的管辖范围内")
    return region


def households_for(user):
    scope.require(user, "people.view")
    return Household.objects.filter(scope.code_filter(user, "grid_code"))


def residents_for(user):
    scope.require(user, "people.view")
    return Resident.objects.filter(scope.code_filter(user, "grid_code"))


def get_household(user, pk: int) -> Household:
    h = (
        households_for(user)
        .select_related("grid", "building", "room")
        .prefetch_related("members__tags__type")
        .filter(pk=pk)
        .first()
    )
    if h is None:
        raise Http404("该户不存在或不在您的管辖范围内")
    return h


def get_resident(user, pk: int) -> Resident:
    r = (
        residents_for(user)
        .select_related("household", "grid")
        .prefetch_related("tags__type")
        .filter(pk=pk)
        .first()
    )
    if r is None:
        raise Http404("该居民不存在或不在您的管辖范围内")
    return r


# ---- search -------------------------------------------------------------------------------


PEOPLE_LOOKUP_ACTIONS = ("people.full", "people.reveal")


def search_residents(user, q: str, *, channel: str = "page", request=None):
    """By full ID number or phone (exact, through the keyed hash) or by name (contains).

    A number is a lookup of a value most viewers see masked, so it is itself a view
    (`jiceng.accounts.lookups.guard`): only roles that see or may reveal full data
    (`people.full`, `people.reveal`), logged, and at most JICENG_LOOKUP_LIMIT per window.
    Raises PermissionDenied / lookups.TooManyLookups before anything is matched.
    """
    qs = residents_for(user).select_related("household")
    q = (q or "").strip()
    if not q:
        return qs.none()
    card = idcard.normalise(q)
    if len(card) in (15, 18) and idcard.is_valid(card):
        number = idcard.parse(card).number
        _guard(user, "id_number", idcard.mask(number), channel, request)
        return qs.filter(id_hash=id_hash(Resident.IdType.ID_CARD, number))
    if phones.is_valid(q) and any(ch.isdigit() for ch in q) and len(q) >= 7:
        phone = phones.normalise(q)
        _guard(user, "phone", phones.mask(phone), channel, request)
        return qs.filter(phone_hash=phone_hash(phone))
    if any(ch.isdigit() for ch in q):
        # other document numbers (passports…) are matched exactly, never by a fragment
        upper = q.upper().replace(" ", "")
        _guard(user, "id_number", privacy.mask_query(upper), channel, request)
        return qs.filter(id_hash__in=[id_hash(t, upper) for t in Resident.IdType.values])
    return qs.filter(name__contains=q)


def _guard(user, kind: str, masked: str, channel: str, request) -> None:
    lookups.guard(
        user,
        kind=kind,
        masked=masked,
        actions=PEOPLE_LOOKUP_ACTIONS,
        channel=channel,
        request=request,
    )


# ---- the colour service ---------------------------------------------------------------------


def load_rules() -> list[colours.Rule]:
    return [
        colours.Rule(r.colour, r.name, tuple(r.conditions), r.priority)
        for r in ColourRule.objects.filter(active=True)
    ]


def facts_for(
    households: list[Household],
    today: date | None = None,
    stored: dict[int, int] | None = None,
) -> dict[int, dict]:
    """The facts each household's colour is computed from, in a fixed number of queries per
    chunk of households (members, tags, village averages). Sets `members_count` on each
    household from its residents; `stored` maps household id → the member count as saved
    (default: the objects' counts before this call), for the village averages."""
    today = today or timezone.localdate()
    if stored is None:
        stored = {h.id: h.members_count for h in households}
    ids = [h.id for h in households]
    births: dict[int, list] = defaultdict(list)
    tag_rows: dict[int, list] = defaultdict(list)
    for chunk in chunks(ids):
        for hid, born in _births(chunk):
            births[hid].append(born)
        for hid, code, values in CareTag.objects.filter(
            ended_at__isnull=True, resident__household_id__in=chunk
        ).values_list("resident__household_id", "type__code", "values"):
            tag_rows[hid].append((code, values or {}))
    for h in households:
        h.members_count = len(births.get(h.id, ()))
    averages = village_averages({h.grid_code[:12] for h in households}, households, stored)
    out = {}
    for h in households:
        f: dict[str, Any] = {
            "members": h.members_count,
            "safe_family_years": h.safe_family_years,
        }
        ages = [_age(b, today) for b in births.get(h.id, ()) if b]
        f["elderly"] = sum(1 for a in ages if a >= 60)
        f["children"] = sum(1 for a in ages if a < 18)
        per_head = h.income_per_head
        f["income_per_head"] = per_head
        avg = averages.get(h.grid_code[:12])
        f["village_avg_income"] = avg
        f["income_ratio"] = (per_head / avg) if (per_head is not None and avg) else None
        tags = tag_rows.get(h.id, [])
        f["tags_any"] = len(tags)
        for code, values in tags:
            f[f"tag.{code}"] = f.get(f"tag.{code}", 0) + 1
            for k, v in values.items():
                f.setdefault(f"tagvalue.{code}.{k}", []).append(v)
        out[h.id] = f
    return out


def _births(household_ids: list[int]) -> Iterable[tuple[int, date | None]]:
    """(household id, birth date) of every resident of the households. On PostgreSQL one
    array parameter (`= ANY(%s)`): an IN list of 5,000 placeholders costs psycopg a Python
    parse of the statement and the server a plan of 5,000 constants (0.8–1.3 s wall against
    0.16–0.22 s for 15,600 households of the bench county, decision 0094)."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Resident._meta.db_table)
        with connection.cursor() as c:
            c.execute(
                f"SELECT household_id, birth_date FROM {table} WHERE household_id = ANY(%s)",
                [household_ids],
            )
            return c.fetchall()
    return Resident.objects.filter(household_id__in=household_ids).values_list(
        "household_id", "birth_date"
    )


def _age(b: date, today: date) -> int:
    return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


def village_averages(
    village_codes: set[str], pending: list[Household], stored: dict[int, int] | None = None
) -> dict[str, float]:
    """Income per head of each village: sum of incomes / sum of members of households with a
    known income. `pending` carries member counts not yet saved, so they count already:
    the saved rows are summed, then each pending household's saved count (`stored`, by id;
    default: none of them saved yet) is taken out and its new count put in. Decimal sums,
    as the database keeps incomes; one float per village at the end.

    The villages are read in one range of `grid_code` (their span) besides the list, so
    the database reads the households of those villages through the code index instead
    of every household of the county."""
    stored = stored or {}
    sums: dict[str, list] = {}
    codes = sorted(village_codes)
    for chunk in chunks(codes, 500):
        rows = (
            Household.objects.filter(
                annual_income__isnull=False,
                members_count__gt=0,
                grid_code__gte=chunk[0],
                grid_code__lt=chunk[-1] + ":",  # ":" sorts right after "9": the span's end
            )
            .annotate(village=Substr("grid_code", 1, 12))
            .filter(village__in=chunk)
            .values("village")
            .annotate(income=Sum("annual_income"), people=Sum("members_count"))
        )
        for row in rows:
            sums[row["village"]] = [Decimal(row["income"]), int(row["people"])]
    for h in pending:
        if h.annual_income is None:
            continue
        was = stored.get(h.id, 0)
        if was == h.members_count:
            continue
        s = sums.setdefault(h.grid_code[:12], [Decimal(0), 0])
        if was > 0:
            s[0] -= h.annual_income
            s[1] -= was
        if h.members_count:
            s[0] += h.annual_income
            s[1] += h.members_count
    return {v: float(inc) / n for v, (inc, n) in sums.items() if n > 0}


def recompute(
    household_ids: Iterable[int],
    trigger: str,
    by=None,
    *,
    new: Sequence[Household] = (),
    insert_new: Callable[[Sequence[Household]], Any] | None = None,
) -> int:
    """Recompute member counts and colours; append a history row for every change.

    The single entry point every write path calls (member, tag, income, import, rules).
    Returns how many households changed colour. Call inside the writer's transaction.
    The village averages count the batch's new member counts before they are saved
    (`village_averages` takes each household's saved count out and puts the new one in);
    then one write per changed household sets its count, colour and reasons.

    `new`: households not written yet (ids drawn ahead, their residents already written,
    count 0 and no colour as a fresh row has): they are counted and coloured with the
    others, as if saved with no members, then `insert_new(new)` writes them once with their
    final count, colour and reasons — instead of an insert then an update of every one
    (the people import on PostgreSQL, decision 0094). Their history rows follow the insert.
    """
    ids = sorted(set(household_ids) - {h.id for h in new})
    if not ids and not new:
        return 0
    rules = load_rules()
    households: list[Household] = []
    for chunk in chunks(ids):
        households += list(
            Household.objects.filter(id__in=chunk).only(
                "id",
                "grid_code",
                "annual_income",
                "safe_family_years",
                "members_count",
                "colour",
                "colour_reasons",
                "colour_at",
            )
        )
    stored = {h.id: h.members_count for h in households}
    stored.update((h.id, 0) for h in new)  # not in the table: nothing of theirs summed yet
    fresh = {h.id for h in new}
    households += new
    facts = facts_for(households, stored=stored)  # sets members_count on the objects
    now = timezone.now()
    changed: list[Household] = []
    history: list[list] = []
    by_id = getattr(by, "pk", None)
    for h in households:
        outcome = colours.classify(rules, facts[h.id])
        recoloured = outcome.colour != h.colour
        if recoloured or outcome.reasons != list(h.colour_reasons or []):
            if recoloured:
                history.append(
                    [h.id, outcome.colour, h.colour, outcome.reasons, trigger, by_id, now]
                )
                h.colour_at = now
            h.colour = outcome.colour
            h.colour_reasons = outcome.reasons
            changed.append(h)
        elif h.members_count != stored[h.id]:
            changed.append(h)
    if fresh:
        changed = [h for h in changed if h.id not in fresh]
        assert insert_new is not None, "recompute(new=…) needs insert_new"
        insert_new(new)
    bulk.update(Household, changed, ["members_count", "colour", "colour_reasons", "colour_at"])
    bulk.insert(
        ColourChange,
        ["household", "colour", "previous", "reasons", "trigger", "by", "at"],
        history,
    )
    return len(history)


def recompute_all(trigger: str = "rules", by=None, under: str | None = None) -> int:
    """After the rules change (or village averages drift): every household, in batches."""
    qs = Household.objects.all()
    if under:
        qs = qs.filter(grid_code__under=under)
    ids = list(qs.values_list("id", flat=True))
    changed = 0
    for chunk in chunks(ids, 20000):
        with transaction.atomic():
            changed += recompute(chunk, trigger, by)
    return changed


# ---- writes -------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = ("address", "phone", "annual_income", "safe_family_years", "note")


def _clean_household(data: dict) -> dict:
    out: dict[str, Any] = {}
    if "address" in data:
        address = str(data["address"] or "").strip()
        if not address:
            raise ValidationError("住址不能为空")
        out["address"] = address[:200]
    if "phone" in data:
        out["phone"] = clean_phone(data["phone"])
    if "annual_income" in data:
        out["annual_income"] = clean_money(data["annual_income"])
    if "safe_family_years" in data:
        try:
            years = int(data["safe_family_years"] or 0)
        except (TypeError, ValueError):
            raise ValidationError("平安家庭年数必须是整数") from None
        if not 0 <= years <= 100:
            raise ValidationError("平安家庭年数应在 0–100 之间")
        out["safe_family_years"] = years
    if "note" in data:
        out["note"] = str(data["note"] or "")
    return out


@transaction.atomic
def create_household(user, data: dict) -> Household:
    scope.require(user, "people.edit")
    grid = grid_for(user, data.get("grid_code", ""))
    number = str(data.get("number") or "").strip()
    if not number:
        raise ValidationError("户号不能为空")
    if Household.objects.filter(number=number).exists():
        raise ValidationError(f"户号 {number} 已存在")
    fields = _clean_household({"address": data.get("address", ""), **data})
    h = Household.objects.create(number=number, grid=grid, grid_code=grid.code, **fields)
    recompute([h.id], "household", user)
    h.refresh_from_db()
    return h


@transaction.atomic
def update_household(user, h: Household, data: dict) -> Household:
    scope.require(user, "people.edit")
    fields = _clean_household({k: v for k, v in data.items() if k in HOUSEHOLD_FIELDS})
    Household.objects.filter(pk=h.pk).update(**fields, updated_at=timezone.now())
    trigger = "income" if {"annual_income", "safe_family_years"} & set(fields) else "household"
    recompute([h.id], trigger, user)
    h.refresh_from_db()
    return h


RESIDENT_FIELDS = (
    "name",
    "relation",
    "kind",
    "phone",
    "address",
    "ethnicity",
    "nationality",
    "party_member",
    "occupation",
    "note",
)


def _clean_resident(data: dict) -> dict:
    out: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name or len(name) > 50:
            raise ValidationError("姓名不能为空且不超过50字")
        out["name"] = name
    for key, choices, label in (
        ("relation", Resident.Relation, "与户主关系"),
        ("kind", Resident.Kind, "人口类型"),
    ):
        if key in data:
            if data[key] not in choices.values:
                raise ValidationError(f"{label} {data[key]} 不正确")
            out[key] = data[key]
    if "phone" in data:
        out["phone"] = clean_phone(data["phone"])
        out["phone_hash"] = phone_hash(out["phone"])
    for key in ("address", "ethnicity", "nationality", "occupation", "note"):
        if key in data:
            out[key] = str(data[key] or "").strip()
    if "party_member" in data:
        out["party_member"] = bool(data["party_member"])
    return out


@transaction.atomic
def create_resident(user, data: dict) -> Resident:
    scope.require(user, "people.edit")
    household = None
    if data.get("household_id"):
        household = households_for(user).filter(pk=data["household_id"]).first()
        if household is None:
            raise ValidationError("所属户不存在或不在您的管辖范围内")
        grid = household.grid
    else:
        grid = grid_for(user, data.get("grid_code", ""))
    id_type = data.get("id_type") or Resident.IdType.ID_CARD
    number, born, sex = clean_document(id_type, data.get("id_number", ""))
    h = id_hash(id_type, number)
    if Resident.objects.filter(id_hash=h).exists():
        # same words whether or not the person is in the user's territory
        raise ValidationError("该证件号码已登记，请通过搜索找到此人后修改")
    fields = _clean_resident({"name": data.get("name", ""), **data})
    r = Resident.objects.create(
        household=household,
        grid=grid,
        grid_code=grid.code,
        id_type=id_type,
        id_number=number,
        id_hash=h,
        birth_date=born,
        sex=sex or data.get("sex", ""),
        **{k: v for k, v in fields.items() if k not in ("household_id",)},
    )
    if household:
        recompute([household.id], "member", user)
    return r


@transaction.atomic
def update_resident(user, r: Resident, data: dict) -> Resident:
    scope.require(user, "people.edit")
    fields = _clean_resident({k: v for k, v in data.items() if k in RESIDENT_FIELDS})
    affected = {r.household_id}
    if "household_id" in data:
        target = data["household_id"]
        if target:
            hh = households_for(user).filter(pk=target).first()
            if hh is None:
                raise ValidationError("所属户不存在或不在您的管辖范围内")
            fields.update(household_id=hh.id, grid_id=hh.grid_id, grid_code=hh.grid_code)
            affected.add(hh.id)
        else:
            fields["household_id"] = None
    Resident.objects.filter(pk=r.pk).update(**fields, updated_at=timezone.now())
    recompute([i for i in affected if i], "member", user)
    r.refresh_from_db()
    return r


@transaction.atomic
def add_tag(user, r: Resident, type_code: str, values: dict, since=None, note="") -> CareTag:
    scope.require(user, "people.edit")
    t = CareTagType.objects.filter(code=type_code, active=True).first()
    if t is None:
        raise ValidationError(f"关爱标签类型 {type_code} 不存在")
    try:
        cleaned = tagschema.clean(t.schema, values)
    except tagschema.SchemaError as exc:
        raise ValidationError(str(exc)) from None
    if CareTag.objects.filter(resident=r, type=t, ended_at__isnull=True).exists():
        raise ValidationError(f"该居民已有“{t.name}”标签")
    if since and isinstance(since, str):
        try:
            since = date.fromisoformat(since)
        except ValueError:
            raise ValidationError("开始日期格式不正确") from None
    tag = CareTag.objects.create(
        resident=r, type=t, values=cleaned, since=since or None, note=note, created_by=user
    )
    if r.household_id:
        recompute([r.household_id], "tag", user)
    return tag


@transaction.atomic
def end_tag(user, tag: CareTag, on: date | None = None) -> CareTag:
    """A tag is ended, not deleted: the file keeps that the person was cared for."""
    scope.require(user, "people.edit")
    if tag.ended_at is None:
        tag.ended_at = on or timezone.localdate()
        tag.save(update_fields=["ended_at"])
        if tag.resident.household_id:
            recompute([tag.resident.household_id], "tag", user)
    return tag


@transaction.atomic
def record_visit(user, h: Household, data: dict) -> Visit:
    scope.require(user, "people.visit")
    if not scope.can_see_code(user, h.grid_code):
        raise PermissionDenied("该户不在您的管辖范围内")
    found = str(data.get("found") or "").strip()
    if not found:
        raise ValidationError("请填写走访发现的情况")
    kind = data.get("kind") or Visit.Kind.HOME
    if kind not in Visit.Kind.values:
        raise ValidationError("走访方式不正确")
    at = data.get("visited_at") or timezone.now()
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            raise ValidationError("走访时间格式不正确") from None
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + timedelta(minutes=5):
        raise ValidationError("走访时间不能晚于现在")
    v = Visit.objects.create(
        household=h,
        grid_code=h.grid_code,
        visitor=user,
        visitor_name=user.display_name,
        kind=kind,
        visited_at=at,
        found=found[:4000],
        follow_up=str(data.get("follow_up") or "")[:4000],
        needs_case=bool(data.get("needs_case")),
    )
    if v.needs_case:
        transaction.on_commit(
            lambda: visit_needs_case.send(sender=Visit, visit=v, user=user), robust=True
        )
    return v


def link_case(visit: Visit, case_number: str) -> None:
    """For the case loop: note the case a visit raised."""
    Visit.objects.filter(pk=visit.pk).update(case_number=case_number[:40])


def claim_visit_for_case(visit_id: int) -> Visit | None:
    """For the case loop, inside its transaction: the visit locked until commit, or None when
    it does not ask for a case or already has one (so a case is never taken in twice)."""
    return (
        Visit.objects.select_for_update(of=("self",))
        .select_related("household", "household__building")
        .filter(pk=visit_id, needs_case=True, case_number="")
        .first()
    )


def visits_waiting_for_case(before: datetime, limit: int = 200) -> list[int]:
    """For the case loop's worker: visits that asked for a case and still have none (the
    after-commit hand-over failed) — ids, oldest first."""
    return list(
        Visit.objects.filter(needs_case=True, case_number="", created_at__lt=before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def require_edit_scope(user, code: str) -> None:
    if not scope.can_see_code(user, code):
        raise PermissionDenied("不在您的管辖范围内")


# ---- places and organisations -------------------------------------------------------------


@transaction.atomic
def create_organisation(user, data: dict):
    from jiceng.lib import creditcode
    from jiceng.people.models import Organisation

    scope.require(user, "people.edit")
    grid = grid_for(user, data.get("grid_code", ""))
    name = str(data.get("name") or "").strip()
    if not name:
        raise ValidationError("组织名称不能为空")
    kind = data.get("kind") or Organisation.Kind.COMPANY
    if kind not in Organisation.Kind.values:
        raise ValidationError(f"组织类型 {kind} 不正确")
    code = str(data.get("credit_code") or "").strip()
    if code:
        try:
            code = creditcode.normalise(code)
        except creditcode.CreditCodeError as exc:
            raise ValidationError(str(exc)) from None
        if Organisation.objects.filter(credit_code=code).exists():
            raise ValidationError("该统一社会信用代码已登记")
    employees = data.get("employees")
    if employees is not None and (not str(employees).isdigit()):
        raise ValidationError("从业人数必须是非负整数")
    return Organisation.objects.create(
        name=name[:200],
        kind=kind,
        credit_code=code,
        legal_person=str(data.get("legal_person") or "")[:50],
        phone=clean_phone(data.get("phone")),
        address=str(data.get("address") or "")[:200],
        employees=int(employees) if employees is not None else None,
        party_organisation=bool(data.get("party_organisation")),
        grid=grid,
        grid_code=grid.code,
    )


def visits_due(user, now=None, limit: int = 8) -> dict:
    """The grid worker's visits for today: households of their territory whose colour's
    visiting interval (ColourService.visit_every_days) has run out, most in need first.

    No address or name here (the list is shown on the home page; the household page
    shows them masked or in full by the usual rules).
    Returns {"count": int, "items": [{"pk", "number", "colour", "colour_label", "last"}],
    "done_today": int (visits this user recorded since local midnight)}."""
    from datetime import timedelta

    from django.db.models import Max, Q
    from django.utils import timezone

    from jiceng.people.models import Colour, ColourService, Visit

    now = now or timezone.now()
    every = dict(
        ColourService.objects.filter(visit_every_days__isnull=False).values_list(
            "colour", "visit_every_days"
        )
    )
    qs = households_for(user).annotate(last=Max("visits__visited_at"))
    due = Q(pk__in=[])
    for colour, days in every.items():
        if days is None:
            continue
        due |= Q(colour=colour) & (Q(last=None) | Q(last__lt=now - timedelta(days=days)))
    order = {"red": 0, "yellow": 1, "green": 2}
    rows = list(qs.filter(due).values("pk", "number", "colour", "last")[:500])
    rows.sort(key=lambda r: (order.get(r["colour"], 3), r["last"] or now - timedelta(days=9999)))
    for r in rows:
        r["colour_label"] = Colour(r["colour"]).label if r["colour"] in Colour.values else ""
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "count": len(rows),
        "items": rows[:limit],
        "done_today": Visit.objects.filter(visitor=user, visited_at__gte=midnight).count(),
    }
