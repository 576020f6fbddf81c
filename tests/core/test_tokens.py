"""Personal API tokens: they expire, their owner and administrators list and revoke them
(page, API, command line), a password change ends them, and an expired or revoked token
is a 401."""

import datetime as dt
import json
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from salesdesk.core.models import ApiToken, AuditEntry
from salesdesk.core.services import policy_update, token_create
from tests.clock import TEST_NOW

ME = "/api/v1/users/me"


def bearer(key: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {key}"})


def new_token(user, name="test"):
    return token_create(user=user, name=name, now=timezone.now())


# Expiry ---------------------------------------------------------------------------------


def test_it_expires_a_token_after_the_policy_days(people):
    token, key = new_token(people.sales1)

    lifetime = token.expires_at - token.created_at
    assert dt.timedelta(days=90) - lifetime < dt.timedelta(seconds=1)
    # The suite's clock ticks from TEST_NOW, so count from the token's own moment.
    with time_machine.travel(token.created_at + dt.timedelta(days=89, hours=23)):
        assert bearer(key).get(ME).status_code == 200
    with time_machine.travel(token.created_at + dt.timedelta(days=90, minutes=1)):
        response = bearer(key).get(ME)
        assert response.status_code == 401
        assert response.json() == {"detail": "Unauthorized"}


def test_it_takes_the_days_from_the_policy_in_force_when_the_token_is_made(people):
    policy_update(
        values={"tokens.expiry_days": 7}, effective_from=TEST_NOW.date(), actor=people.admin
    )
    token, key = new_token(people.sales1)

    with time_machine.travel(token.created_at + dt.timedelta(days=6)):
        assert bearer(key).get(ME).status_code == 200
    with time_machine.travel(token.created_at + dt.timedelta(days=7, minutes=1)):
        assert bearer(key).get(ME).status_code == 401


def test_it_computes_the_expiry_from_the_moment_it_is_given(people):
    moment = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
    token, _key = token_create(user=people.sales1, now=moment)
    assert token.expires_at == moment + dt.timedelta(days=90)


def test_it_refuses_a_revoked_token(people, api_for):
    token, key = new_token(people.sales1)
    assert bearer(key).delete(f"/api/v1/tokens/{token.pk}").status_code == 204

    assert bearer(key).get(ME).status_code == 401


# API --------------------------------------------------------------------------------------


def test_it_lists_only_the_callers_own_tokens(people):
    mine, key = new_token(people.sales1, "erp")
    new_token(people.sales2, "bi")

    body = bearer(key).get("/api/v1/tokens").json()

    assert [(t["id"], t["user"], t["name"], t["state"]) for t in body] == [
        (mine.pk, "sales1", "erp", "active")
    ]
    assert body[0]["expires_at"] == mine.expires_at.isoformat(timespec="seconds")
    # Asking for someone else's changes nothing: still only one's own.
    assert bearer(key).get("/api/v1/tokens?user=sales2").json() == []


def test_it_lists_everyones_tokens_to_an_administrator(people, api_for):
    new_token(people.sales1)
    new_token(people.sales2)
    admin = api_for(people.admin)

    users = {t["user"] for t in admin.get("/api/v1/tokens").json()}
    only = {t["user"] for t in admin.get("/api/v1/tokens?user=sales2").json()}

    assert users == {"sales1", "sales2", "admin"}
    assert only == {"sales2"}


def test_it_shows_expired_and_revoked_states(people, api_for):
    old, _key = token_create(user=people.sales1, now=timezone.now() - dt.timedelta(days=91))
    gone, _key = new_token(people.sales1)
    api_for(people.admin).delete(f"/api/v1/tokens/{gone.pk}")

    states = {t["id"]: t["state"] for t in api_for(people.admin).get("/api/v1/tokens").json()}

    assert (states[old.pk], states[gone.pk]) == ("expired", "revoked")


def test_it_answers_404_when_revoking_another_users_token(people):
    theirs, their_key = new_token(people.sales2)
    _mine, key = new_token(people.sales1)

    assert bearer(key).delete(f"/api/v1/tokens/{theirs.pk}").status_code == 404
    assert bearer(key).delete("/api/v1/tokens/999999").status_code == 404
    assert bearer(their_key).get(ME).status_code == 200


@pytest.mark.parametrize("who", ["manager1", "finance"])
def test_it_keeps_other_roles_from_revoking_a_team_members_token(people, api_for, who):
    theirs, _key = new_token(people.sales1)

    response = api_for(getattr(people, who)).delete(f"/api/v1/tokens/{theirs.pk}")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_it_lets_an_administrator_revoke_anyones_token(people, api_for):
    theirs, their_key = new_token(people.sales1)

    assert api_for(people.admin).delete(f"/api/v1/tokens/{theirs.pk}").status_code == 204

    assert bearer(their_key).get(ME).status_code == 401
    entry = AuditEntry.objects.get(action="token_revoke")
    assert (entry.actor, entry.object_repr) == (people.admin, str(people.sales1))


def test_it_needs_authentication_to_list_tokens(db):
    assert Client().get("/api/v1/tokens").status_code == 401


# Unauthenticated writes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/customers"),
        ("post", "/api/v1/prospects"),
        ("patch", "/api/v1/customers/C1"),
        ("delete", "/api/v1/tokens/1"),
    ],
)
def test_it_answers_401_with_json_to_an_unauthenticated_write(db, method, path):
    client = Client(enforce_csrf_checks=True)

    response = getattr(client, method)(path, {}, content_type="application/json")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Unauthorized"}


def test_it_still_checks_csrf_on_a_signed_in_browsers_write(people):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(people.sales1, backend="django.contrib.auth.backends.ModelBackend")

    response = browser.post("/api/v1/customers", {}, content_type="application/json")

    assert response.status_code == 403


# The page ----------------------------------------------------------------------------------


def test_it_lists_the_users_own_tokens_on_the_page(people, page_for):
    mine, _key = new_token(people.sales1, "erp")
    theirs, _key = new_token(people.sales2, "bi")

    html = page_for(people.sales1).get("/tokens/").content.decode()

    assert mine.prefix in html and theirs.prefix not in html
    admin_html = page_for(people.admin).get("/tokens/").content.decode()
    assert mine.prefix in admin_html and theirs.prefix in admin_html


def test_it_creates_a_token_on_the_page_and_shows_it_once(people, page_for):
    client = page_for(people.sales1)

    html = client.post("/tokens/", {"name": "excel"}).content.decode()

    token = ApiToken.objects.get(user=people.sales1, name="excel")
    key = html.split('id="new-token"')[1].split("<code>")[1].split("</code>")[0]
    assert key.startswith(token.prefix)
    assert bearer(key).get(ME).json()["username"] == "sales1"
    assert key not in client.get("/tokens/").content.decode()


def test_it_revokes_a_token_from_the_page(people, page_for):
    token, key = new_token(people.sales1)

    response = page_for(people.sales1).post(f"/tokens/{token.pk}/revoke/")

    assert response.status_code == 302
    assert bearer(key).get(ME).status_code == 401


def test_it_answers_404_on_the_page_for_another_users_token(people, page_for):
    theirs, key = new_token(people.sales2)

    assert page_for(people.sales1).post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    assert page_for(people.manager1).post(f"/tokens/{theirs.pk}/revoke/").status_code == 404
    assert bearer(key).get(ME).status_code == 200


def test_it_revokes_all_of_a_users_tokens_from_the_page(people, page_for):
    _one, key1 = new_token(people.sales2)
    _two, key2 = new_token(people.sales2)

    refused = page_for(people.sales1).post("/tokens/revoke-all/", {"user": "sales2"})
    assert refused.status_code == 403
    assert bearer(key1).get(ME).status_code == 200

    done = page_for(people.admin).post("/tokens/revoke-all/", {"user": "sales2"})
    assert done.status_code == 302
    assert bearer(key1).get(ME).status_code == bearer(key2).get(ME).status_code == 401


def test_it_needs_a_sign_in_for_the_page(db):
    assert Client().get("/tokens/").status_code == 302


# Command line -------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_lists_a_users_tokens_on_the_command_line(people):
    token, _key = new_token(people.sales1, "erp")
    new_token(people.sales2)

    rows = json.loads(run("token", "list", "sales1", "--format", "json"))

    assert [(r["id"], r["prefix"], r["name"], r["state"]) for r in rows] == [
        (token.pk, token.prefix, "erp", "active")
    ]
    assert token.prefix in run("token", "list", "sales1")


def test_it_revokes_one_token_or_all_of_a_user_on_the_command_line(people):
    one, key1 = new_token(people.sales1)
    _two, key2 = new_token(people.sales1)
    _other, key3 = new_token(people.sales2)

    run("token", "revoke", str(one.pk))
    assert bearer(key1).get(ME).status_code == 401
    assert bearer(key2).get(ME).status_code == 200

    assert "1 token(s)" in run("token", "revoke", "--user", "sales1")
    assert bearer(key2).get(ME).status_code == 401
    assert bearer(key3).get(ME).status_code == 200


# Password change -------------------------------------------------------------------------------


def test_it_revokes_every_token_when_the_password_changes_on_the_command_line(people):
    _token, key = new_token(people.sales1)
    _other, other_key = new_token(people.sales2)

    run("createuser", "sales1", "--roles", "sales", "--password", "a-new-long-password")

    assert bearer(key).get(ME).status_code == 401
    assert bearer(other_key).get(ME).status_code == 200
    assert AuditEntry.objects.filter(action="token_revoke", reason="password changed").exists()


def test_it_revokes_every_token_when_an_administrator_sets_a_password(people, client_for):
    _token, key = new_token(people.sales1)
    people.admin.is_staff = people.admin.is_superuser = True  # the Django admin's own rule
    people.admin.save()

    response = client_for(people.admin).post(
        f"/admin/core/user/{people.sales1.pk}/password/",
        {"password1": "a-new-long-password", "password2": "a-new-long-password"},
    )

    assert response.status_code == 302, response.content
    assert response["Location"] == f"/admin/core/user/{people.sales1.pk}/change/"
    assert bearer(key).get(ME).status_code == 401


def test_it_keeps_tokens_when_a_user_is_saved_without_a_new_password(people):
    _token, key = new_token(people.sales1)
    people.sales1.name = "Sales Uno"
    people.sales1.save()

    assert bearer(key).get(ME).status_code == 200
