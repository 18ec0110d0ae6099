"""API keys: the command, the administrators' page, Django admin; only hashes are stored."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jiceng.open311.models import ApiKey, hash_key
from jiceng.open311.tests.conftest import IN_GRID
from jiceng.testing import client_for


def run(*args) -> list[str]:
    out = StringIO()
    call_command("open311", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def can_post(key: str) -> int:
    return (
        Client()
        .post(
            "/open311/v2/requests.json",
            {"api_key": key, "service_code": "1002", "description": "垃圾没人清理", **IN_GRID},
        )
        .status_code
    )


@pytest.mark.django_db
def test_create_key_prints_the_key_as_its_last_line_and_stores_only_its_hash(cats):
    lines = run("create-key", "汉阴随手拍 App")
    key = lines[-1]
    assert key.startswith("o311_") and len(key) > 40
    obj = ApiKey.objects.get()
    assert obj.name == "汉阴随手拍 App" and obj.key_hash == hash_key(key)
    assert key not in str(ApiKey.objects.values_list())
    assert can_post(key) == 200


@pytest.mark.django_db
def test_revoke_key_by_name_id_or_prefix_stops_posting(cats):
    keys = [run("create-key", n)[-1] for n in ("甲", "乙", "丙")]
    run("revoke-key", "甲")
    run("revoke-key", str(ApiKey.objects.get(name="乙").pk))
    run("revoke-key", keys[2][:11])
    assert [can_post(k) for k in keys] == [403, 403, 403]
    listing = "\n".join(run("list-keys"))
    assert listing.count("已吊销") == 3 and keys[0] not in listing
    with pytest.raises(CommandError):
        run("revoke-key", "甲")  # nothing active left under that name


@pytest.mark.django_db
def test_create_key_refuses_an_empty_name(db):
    with pytest.raises(CommandError):
        run("create-key", "  ")


@pytest.mark.django_db
def test_a_district_admin_creates_and_revokes_keys_on_the_page(cats, users):
    c = client_for(users.district)
    resp = c.post("/open311/keys/", {"action": "create", "name": "网格通", "note": "试点"})
    assert resp.status_code == 200
    key = resp.context["new_key"]
    assert key and key in resp.content.decode()
    obj = ApiKey.objects.get()
    assert obj.created_by == users.district
    assert can_post(key) == 200
    resp = c.post("/open311/keys/", {"action": "revoke", "id": obj.pk})
    assert resp.status_code == 302
    assert can_post(key) == 403
    page = c.get("/open311/keys/").content.decode()
    assert "网格通" in page and "已吊销" in page and key not in page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["street", "community", "grid_worker", "auditor", "resident"])
def test_other_roles_may_not_manage_keys(cats, users, who):
    c = client_for(getattr(users, who))
    assert c.get("/open311/keys/").status_code == 403
    assert c.post("/open311/keys/", {"action": "create", "name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_log_in(db):
    resp = Client().get("/open311/keys/")
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


@pytest.mark.django_db
def test_a_superuser_creates_a_key_in_django_admin_and_sees_it_once(cats):
    from jiceng.accounts.models import User

    admin = User.objects.create_superuser("root", "r@example.org", "pw-very-long-123")
    c = Client()
    c.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    resp = c.post(
        "/admin/open311/apikey/add/", {"name": "管理员建的客户端", "note": ""}, follow=True
    )
    assert resp.status_code == 200
    shown = [str(m) for m in resp.context["messages"]]
    key = next(m.split("：")[-1] for m in shown if "o311_" in m)
    assert ApiKey.objects.get().key_hash == hash_key(key)
    assert can_post(key) == 200
