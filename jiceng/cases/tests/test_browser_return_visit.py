"""In a browser: the street's board has one column per state the table says waits for a
centre, and a centre's return visit (回访) answered 不满意 reopens the case by rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jiceng.cases import services
from jiceng.cases.models import Case, CaseEvent, Status
from jiceng.cases.views import DISPATCH_TODO
from jiceng.cases.workflow import status_label

SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_board_columns_and_an_unsatisfied_return_visit(
    live_server, page, login, users, units, cats
):
    case = services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone="13900001111",
        user=users.street,
        lon=108.405,
        lat=32.805,
    )
    steps: list[tuple[str, Any, dict[str, Any]]] = [
        ("dispatch", users.street, {}),
        ("accept", users.department, {}),
        ("report_handling", users.department, {"reason": "已修补"}),
        ("verify_close", users.street, {}),
    ]
    for move, user, kw in steps:
        case = services.transition(case, move, user=user, **kw)
    waiting = services.intake(
        channel="web",
        request_type="complaint",
        category=cats.road,
        description="解放路另一处路面破损",
        lon=108.405,
        lat=32.805,
    )
    assert waiting.status == Status.REPORTED

    login(page, "street")
    page.goto(f"{live_server.url}/cases/board/")
    heads = [h.split(" ")[0] for h in page.locator(".board .col h3").all_inner_texts()]
    assert heads == [status_label(s) for s in DISPATCH_TODO]
    assert waiting.number in page.inner_text(".board")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "cases-board.png"), full_page=True)

    page.goto(f"{live_server.url}/cases/{case.number}/")
    page.locator("#move-return_visit").evaluate("e => { e.open = true; }")
    page.check("#move-return_visit input[name=satisfaction][value=unsatisfied]")
    page.check("#move-return_visit input[name=resolved][value='0']")
    page.fill("#move-return_visit textarea[name=comment]", "坑还在，晚上仍有危险")
    page.screenshot(path=str(SHOTS / "cases-return-visit-form.png"), full_page=True)
    page.click("#move-return_visit button.primary")
    page.wait_for_selector("text=已回访")
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.reopen_count == 1
    moves = list(CaseEvent.objects.filter(case=case).values_list("move", "actor_label"))
    assert moves[-2][0] == "return_visit"
    assert moves[-1] == ("reopen", "系统")
    assert "重新办理" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "cases-reopened.png"), full_page=True)
    assert Case.objects.filter(pk=case.pk, status=Status.HANDLING).exists()
