"""What other apps may publish: `services.public_cases` and the installation's county."""

from __future__ import annotations

import pytest

from jiceng.cases import services


def _case(cats, in_grid, users, channel="open311", rtype="complaint"):
    return services.intake(
        channel=channel,
        request_type=rtype,
        category=cats.road,
        description="路面坑洼需要修补一下",
        reporter_phone="13912345678",
        **in_grid,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statuses,expect",
    [
        ((), {"open", "closed"}),
        (("open", "closed"), {"open", "closed"}),
        (("open",), {"open"}),
        (("closed",), {"closed"}),
    ],
)
def test_public_cases_filter_by_public_status_and_never_show_a_report(
    statuses, expect, cats, in_grid, users
):
    still_open = _case(cats, in_grid, users)
    done = services.transition(
        _case(cats, in_grid, users), "cancel", user=users.street, reason="重复提交"
    )
    _case(cats, in_grid, users, rtype="report")  # 举报: confidential
    _case(cats, in_grid, users, channel="hotline")  # not a published channel
    got = services.public_cases(["open311"], statuses)
    numbers = {c.number: c.public_status for c in got}
    want = {still_open.number: "open", done.number: "closed"}
    assert numbers == {n: s for n, s in want.items() if s in expect}


@pytest.mark.django_db
def test_public_cases_refuse_an_unknown_status(cats):
    with pytest.raises(ValueError):
        services.public_cases(["open311"], ["pending"])


@pytest.mark.django_db
def test_the_installation_county_is_the_setting_else_the_county_with_units(
    territory, settings, units
):
    settings.JICENG_COUNTY_CODE = ""
    assert services.installation_county_code() == territory.county.code
    settings.JICENG_COUNTY_CODE = "610922"
    assert services.installation_county_code() == "610922"
