"""One stored form for a reporter's phone (jiceng.lib.phones.normalise): however it was
written at intake, the tracker and the operator's lookup find the case by it."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.http import Http404

from jiceng.cases import services
from jiceng.cases.models import Case

WRITTEN = [
    ("+86 139-1234-5678", "13912345678"),
    ("0086 13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("0915-5212345", "0915-5212345"),
    ("0915 5212345", "0915-5212345"),
    ("（0915）5212345", "0915-5212345"),
]


def _take(users, cats, phone):
    return services.intake(
        channel="hotline",
        request_type="complaint",
        category=cats.road,
        description="解放路路面破损，请尽快修补",
        reporter_phone=phone,
        user=users.street,
        lon=108.405,
        lat=32.805,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("written,stored", WRITTEN)
def test_a_phone_is_stored_in_one_form_however_it_was_written(written, stored, users, cats):
    case = _take(users, cats, written)
    assert case.reporter_phone == stored
    for other, same in WRITTEN:
        if same == stored:
            assert services.find_public(case.number, other).pk == case.pk


@pytest.mark.django_db
def test_a_phone_that_is_not_one_is_refused_in_chinese(users, cats):
    with pytest.raises(ValidationError) as exc:
        _take(users, cats, "12345")
    assert "格式不正确" in "；".join(exc.value.messages)


@pytest.mark.django_db
def test_the_tracker_refuses_a_wrong_or_malformed_phone(users, cats):
    case = _take(users, cats, "13912345678")
    for wrong in ("13912345679", "abc", ""):
        with pytest.raises(Http404):
            services.find_public(case.number, wrong)


@pytest.mark.django_db
def test_a_phone_matches_whole_however_written_and_never_by_its_beginning(users, cats):
    land = _take(users, cats, "0915-5212345")
    mobile = _take(users, cats, "13912345678")
    found = lambda typed: set(  # noqa: E731
        services.visible_cases(users.street)
        .filter(services.phone_q(typed))
        .values_list("pk", flat=True)
    )
    assert found("09155212345") == {land.pk}
    assert found("0915 521 2345") == {land.pk}
    assert found("+86 139 1234 5678") == {mobile.pk}
    for beginning in ("0915521", "0915-52", "1391234", "139"):
        assert found(beginning) == set(), beginning


@pytest.mark.django_db
def test_the_migration_brings_stored_phones_to_the_one_form(users, cats):
    a = _take(users, cats, "13912345678")
    b = _take(users, cats, "13912345678")
    c = _take(users, cats, "13912345678")
    Case.objects.filter(pk=a.pk).update(reporter_phone="09155212345")  # the old digits form
    Case.objects.filter(pk=b.pk).update(reporter_phone="+8613912345678")
    Case.objects.filter(pk=c.pk).update(reporter_phone="5212345")  # not a whole phone: kept
    mig = importlib.import_module("jiceng.cases.migrations.0008_reporter_phone_stored_form")
    mig.forward(django_apps, None)
    got = dict(Case.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "reporter_phone"))
    assert got == {a.pk: "0915-5212345", b.pk: "13912345678", c.pk: "5212345"}
