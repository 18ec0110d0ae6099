"""The scope rules of accounts/scope.py, each with a user who is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from jiceng.accounts import scope
from jiceng.accounts.models import ApiToken
from jiceng.territory.models import Region


@pytest.mark.django_db
def test_anonymous_sees_nothing(users):
    assert not Region.objects.filter(scope.code_filter(AnonymousUser())).exists()
    assert not scope.can(AnonymousUser(), "territory.view")


@pytest.mark.django_db
def test_a_user_sees_exactly_the_subtree_of_their_scope(territory, users):
    seen = set(
        Region.objects.filter(scope.code_filter(users.street)).values_list("code", flat=True)
    )
    assert territory.town1.code in seen and territory.grid3a.code in seen
    assert territory.town2.code not in seen  # sibling town refused
    assert territory.county.code not in seen  # parent refused
    assert territory.other_village.code not in seen


@pytest.mark.django_db
def test_a_user_without_scope_sees_no_territory(users):
    assert not Region.objects.filter(scope.code_filter(users.no_scope)).exists()
    assert not Region.objects.filter(scope.code_filter(users.resident)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who,allowed",
    [
        ("district", True),
        ("street", False),
        ("community", False),
        ("grid_worker", False),
        ("department", False),
        ("auditor", False),
        ("resident", False),
    ],
)
def test_only_a_district_administrator_imports(users, who, allowed):
    assert scope.can(getattr(users, who), "territory.import") is allowed


@pytest.mark.django_db
def test_the_department_filter_keeps_only_its_own_unit(users):
    q = scope.unit_filter(users.department, "unit")
    assert q.children == [("unit_id", users.dept.id)]
    assert scope.unit_filter(users.street, "unit").children == []


@pytest.mark.django_db
def test_an_inactive_user_can_do_nothing(users):
    users.district.is_active = False
    users.district.save()
    assert not scope.can(users.district, "territory.view")


@pytest.mark.django_db
def test_the_prefix_lookup_never_matches_a_sibling_whose_code_sorts_inside(territory):
    # 6109 must not contain 61090… of another city, nor 611; and '6109' ranges stay exact.
    Region.objects.create(code="6110", name="商洛市", level=2, parent=territory.province)
    codes = set(Region.objects.filter(code__under="6109").values_list("code", flat=True))
    assert "6110" not in codes and "6109" in codes and "610921001001001001001" in codes


@pytest.mark.django_db
def test_api_tokens_are_stored_hashed_and_can_be_revoked(users):
    from django.utils import timezone

    tok, key = ApiToken.issue(users.street, "bench")
    assert key not in tok.key_hash
    assert ApiToken.user_for(key) == users.street
    tok.revoked_at = timezone.now()
    tok.save()
    assert ApiToken.user_for(key) is None
    assert ApiToken.user_for("jc_not-a-token") is None
