"""What every rule of the move engine shares: the refusal, the typed input, the outcome.

A move declares its input as a pydantic schema (a subclass of `MoveInput`) next to its
rule; `parse` reads raw input (JSON body, form fields, keyword arguments) into it once, at
the edge, and turns any error into a `MoveRefused` 400 with a Chinese message before a rule
runs. A rule gets the locked case and its parsed input and returns an `Outcome`: the data
of its event, and the follow-up moves the engine makes next in the same transaction (the
return visit's reopening) — nothing travels hidden in the event data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from django.utils.translation import gettext
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from jiceng.accounts.models import Unit
from jiceng.cases.models import Case, Category
from jiceng.cases.workflow import MOVES, Move


class MoveRefused(Exception):
    """A move the table, the role, the input or the rule forbids. `status` maps to the
    HTTP code (400 bad input, 403 not yours, 404 target not visible, 409 wrong state)."""

    def __init__(self, message: str, code: str = "move_refused", status: int = 409):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def _ref(value: Any) -> Any:
    """A unit, case or category given as an object (internal callers) → its code/number."""
    if isinstance(value, Unit | Category):
        return value.code
    if isinstance(value, Case):
        return value.number
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _blank_none(value: Any) -> Any:
    value = _ref(value)
    return None if value == "" else value


# A reference to a unit (code or id), a case (number) or a category (code).
Ref = Annotated[str, BeforeValidator(_ref)]
OptionalRef = Annotated[str | None, BeforeValidator(_blank_none)]


class MoveInput(BaseModel):
    """The input every move takes: a reason (required where the table says so)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    reason: str = Field("", title="原因", max_length=2000)


@dataclass(frozen=True)
class Then:
    """A follow-up move the engine makes as the system right after this one."""

    move: str
    reason: str


@dataclass
class Outcome:
    data: dict[str, Any] = field(default_factory=dict)
    then: list[Then] = field(default_factory=list)
    public: bool = False  # show this event to the resident even if the move is not public


@dataclass
class Ctx:
    """A move in progress: the locked case, who makes it, as what, and when."""

    case: Case
    move: Move
    user: Any
    actor: str | None
    reason: str
    now: datetime


In = TypeVar("In", bound=MoveInput)
Rule = Callable[[Ctx, Any], Outcome]


@dataclass(frozen=True)
class Registered:
    input: type[MoveInput]
    rule: Rule | None
    # offered to a viewer only if this holds (the rule would refuse at once otherwise)
    offer: Callable[[Case], bool] | None = None


RULES: dict[str, Registered] = {}


def rule(
    *names: str, input: type[In], offer: Callable[[Case], bool] | None = None
) -> Callable[[Callable[[Ctx, In], Outcome]], Callable[[Ctx, In], Outcome]]:
    """Register the rule of one or more moves with the input it takes; `offer`: whether
    the move is worth offering on this case (e.g. not once it is rated)."""

    def wrap(fn: Callable[[Ctx, In], Outcome]) -> Callable[[Ctx, In], Outcome]:
        for n in names:
            RULES[n] = Registered(input=input, rule=fn, offer=offer)
        return fn

    return wrap


def plain(*names: str) -> None:
    """Moves that take only a reason and change only the state (the table's target)."""
    for n in names:
        RULES[n] = Registered(input=MoveInput, rule=None)


_MESSAGES = {
    "missing": "「{t}」为必填项",
    "int_parsing": "「{t}」应为整数",
    "int_type": "「{t}」应为整数",
    "int_from_float": "「{t}」应为整数",
    "float_parsing": "「{t}」应为数字",
    "float_type": "「{t}」应为数字",
    "finite_number": "「{t}」应为有限的数字",
    "bool_parsing": "「{t}」应为是或否",
    "bool_type": "「{t}」应为是或否",
    "string_type": "「{t}」应为文字",
    "string_too_long": "「{t}」过长（最多 {max_length} 个字）",
    "list_type": "「{t}」应为列表",
    "too_short": "「{t}」至少需要 {min_length} 项",
    "too_long": "「{t}」最多 {max_length} 项",
    "greater_than_equal": "「{t}」不能小于 {ge}",
    "greater_than": "「{t}」须大于 {gt}",
    "less_than_equal": "「{t}」不能大于 {le}",
    "less_than": "「{t}」须小于 {lt}",
    "literal_error": "「{t}」的取值无效",
    "enum": "「{t}」的取值无效",
    "model_type": "请求内容应为 JSON 对象",
    "dict_type": "「{t}」应为对象",
}


def _title(schema: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    model: Any = schema
    title = ".".join(str(x) for x in loc)
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        f = getattr(model, "model_fields", {}).get(part)
        if f is None:
            break
        title = f.title or str(part)
        ann = f.annotation
        inner = getattr(ann, "__args__", None)
        model = inner[0] if inner and isinstance(inner[0], type) else ann
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model = None
    return title


def parse(move: str, raw: Any) -> MoveInput:
    """Read raw input for `move` into its schema. Raises MoveRefused (400, Chinese)."""
    reg = RULES.get(move)
    if reg is None:
        if move not in MOVES:
            raise MoveRefused(gettext("未知的操作：%(move)s") % {"move": move}, "unknown_move", 400)
        # an event kind the engine writes itself: refused by the table (state, actor) later
        reg = Registered(input=MoveInput, rule=None)
    if isinstance(raw, MoveInput):
        if isinstance(raw, reg.input):
            return raw
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise MoveRefused(gettext("请求内容应为 JSON 对象"), "invalid_input", 400)
    try:
        return reg.input.model_validate(raw)
    except PydanticError as exc:
        messages = []
        for err in exc.errors():
            t = _title(reg.input, tuple(err.get("loc", ())))
            tmpl = _MESSAGES.get(err["type"])
            if err["type"] == "value_error":
                msg = str(err.get("ctx", {}).get("error", err["msg"]))
            elif tmpl is not None:
                msg = tmpl.format(t=t, **{k: v for k, v in (err.get("ctx") or {}).items()})
            else:
                msg = f"「{t}」的取值无效"
            messages.append(msg)
        raise MoveRefused("；".join(dict.fromkeys(messages)), "invalid_input", 400) from None


def unit_by_ref(value: str | None, *, missing: str = "请选择承办单位") -> Unit:
    """An active unit by code (or numeric id). Raises MoveRefused 400."""
    if value in (None, ""):
        raise MoveRefused(missing, "unit_required", 400)
    from django.db.models import Q

    ref = str(value)
    q = Q(code=ref) | Q(pk=int(ref)) if ref.isdigit() and len(ref) < 10 else Q(code=ref)
    u = Unit.objects.filter(q, active=True).first()
    if u is None:
        raise MoveRefused(gettext("承办单位不存在或已停用"), "unit_invalid", 400)
    return u
