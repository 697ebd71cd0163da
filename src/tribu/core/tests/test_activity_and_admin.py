from __future__ import annotations

from django.core import mail
from django.urls import reverse

from tribu.accounts import actions as account_actions
from tribu.core.activity import record
from tribu.core.models import Activity


def test_record_keeps_who_did_what_to_what_where(mia):
    activity = record(mia, "account.updated", mia, group=7, fields=["display_name"])
    stored = Activity.objects.get(pk=activity.pk)
    assert stored.actor == mia
    assert stored.target == mia
    assert stored.group_id == 7
    assert stored.data == {"fields": ["display_name"]}
    assert not stored.audit


def test_record_accepts_the_system_as_actor(db):
    from django.contrib.auth.models import AnonymousUser

    activity = record(AnonymousUser(), "scheduler.tick")
    assert activity.actor is None and activity.target is None


def test_a_role_change_is_audited_and_shown_to_admins_only(client, alice, bob, mia):
    account_actions.change_role(alice, mia, "animator")
    mia.refresh_from_db()
    assert mia.role == "animator"
    entry = Activity.objects.get(verb="member.role_changed")
    assert entry.audit and entry.data == {"old": "member", "new": "animator"}
    client.force_login(bob)
    page = client.get(reverse("core:audit_log")).content.decode()
    assert "Alice Admin a changé un rôle de Membre à Animateur·rice" in page
    client.force_login(mia)
    assert client.get(reverse("core:audit_log")).status_code == 403


def test_the_home_page_shows_the_latest_acts_but_not_audit_entries(client, alice, mia):
    record(mia, "member.joined", mia)
    record(alice, "community.updated", None, audit=True, fields=["name"])
    client.force_login(mia)
    page = client.get("/").content.decode()
    assert "Mia Membre a rejoint la communauté" in page
    assert "a modifié les paramètres" not in page


def test_emails_written_to_the_outbox_are_listed_for_the_team(client, bob, mia, settings, tmp_path):
    settings.EMAIL_BACKEND = "tribu.core.mail.OutboxBackend"
    settings.OUTBOX_DIR = tmp_path
    mail.send_mail("Bienvenue à bord", "Bonjour Mia", "noreply@example.org", ["mia@example.org"])
    client.force_login(bob)
    listing = client.get(reverse("core:outbox")).content.decode()
    assert "Bienvenue à bord" in listing and "mia@example.org" in listing
    message_id = next(tmp_path.glob("*.eml")).stem
    detail = client.get(reverse("core:outbox_message", args=[message_id])).content.decode()
    assert "Bonjour Mia" in detail
    assert client.get(reverse("core:outbox_message", args=["..%2Fsecret"])).status_code == 404
    client.force_login(mia)
    assert client.get(reverse("core:outbox")).status_code == 403


def test_members_list_filters_by_role_and_search(client, alice, bob, mia, gina):
    client.force_login(alice)
    page = client.get(reverse("core:members"), {"role": "guest"}).content.decode()
    assert "gina@example.org" in page and "mia@example.org" not in page
    page = client.get(reverse("core:members"), {"q": "Mia"}).content.decode()
    assert "mia@example.org" in page and "gina@example.org" not in page


def test_verifying_an_email_records_that_the_member_joined_once(mia):
    assert account_actions.welcome_member(mia) is True
    assert account_actions.welcome_member(mia) is False
    assert Activity.objects.filter(verb="member.joined", actor=mia).count() == 1
