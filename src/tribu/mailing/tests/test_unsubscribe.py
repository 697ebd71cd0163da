"""A non-transactional email through a real SMTP conversation: its List-Unsubscribe headers, the
unsubscribe link in both parts, then the one-click POST, the confirmation page (a GET unsubscribes
nobody) and the preference centre reached from the signed link without logging in."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tribu.core.emails import send_templated_email_on_commit
from tribu.mailing import consent
from tribu.mailing.models import TopicPreference
from tribu.privacy.actions import record_consent

from .conftest import parts_of, path_of


def _newsletter_to(user, send):
    """An email on the ``newsletter`` topic (the imports invitation template stands in for a newsletter)."""
    return send(send_templated_email_on_commit, user, "imports/emails/invitation", {"url": "https://x.test/"},
                topic=consent.NEWSLETTER)


def test_a_newsletter_carries_one_click_headers_and_the_link_in_both_parts(mia, smtp_server, send):
    record_consent(mia, consent.NEWSLETTER, True)
    assert _newsletter_to(mia, send) is True
    [message] = smtp_server.received
    header = " ".join(str(message["List-Unsubscribe"]).split())
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https_url, mailto = re.fullmatch(r"<(https?://[^>]+)>, <(mailto:[^>]+)>", header).groups()
    assert "/email/unsubscribe/" in https_url
    assert mailto.startswith("mailto:noreply@localhost?subject=unsubscribe%20")
    parts = parts_of(message)
    assert https_url in parts["text"]
    assert https_url.replace("&", "&amp;") in parts["html"] or https_url in parts["html"]
    assert "/email/preferences/" in parts["text"]
    assert 'data-tribu-layout="1"' in parts["html"]  # the branded layout
    assert "Se désinscrire" in parts["html"]  # Mia reads French (the community's language)


def test_a_transactional_email_has_no_unsubscribe_header(mia, smtp_server, send):
    send(send_templated_email_on_commit, mia, "imports/emails/invitation", {"url": "https://x.test/"})
    [message] = smtp_server.received
    assert message["List-Unsubscribe"] is None
    assert "/email/unsubscribe/" not in parts_of(message)["text"]
    assert parts_of(message)["html"]  # still a branded HTML part


def test_the_one_click_post_unsubscribes_without_a_session_or_csrf_token(mia, smtp_server, send):
    client_cls = __import__("django.test", fromlist=["Client"]).Client
    record_consent(mia, consent.NEWSLETTER, True)
    _newsletter_to(mia, send)
    url = re.search(r"<(https?://[^>]+)>", " ".join(smtp_server.received[0]["List-Unsubscribe"].split())).group(1)
    mail_client = client_cls(enforce_csrf_checks=True)
    response = mail_client.post(path_of(url), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Vous êtes désinscrit" in response.content.decode()
    assert consent.may_send(mia, consent.NEWSLETTER) is False
    # The next newsletter is not sent at all.
    smtp_server.received.clear()
    assert _newsletter_to(mia, send) is False
    assert smtp_server.received == []


def test_a_get_only_shows_a_confirmation_page_and_its_button_unsubscribes(client, mia, smtp_server, send):
    record_consent(mia, consent.NEWSLETTER, True)
    _newsletter_to(mia, send)
    url = re.search(r"https?://\S+/email/unsubscribe/\S+/", parts_of(smtp_server.received[0])["text"]).group(0)
    page = client.get(path_of(url))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ne plus recevoir « Lettre d’information »" in html or "Ne plus recevoir" in html
    assert 'method="post"' in html
    assert "m***@example.org" in html and "mia@example.org" not in html
    assert consent.may_send(mia, consent.NEWSLETTER) is True  # a link scanner's GET changes nothing
    done = client.post(path_of(url))
    assert done.status_code == 200
    assert consent.may_send(mia, consent.NEWSLETTER) is False
    assert consent.is_subscribed(mia, consent.EVENT_ANNOUNCEMENTS) is False  # untouched (never given)


@pytest.mark.parametrize("token", ["nonsense", "eyJ1Ijo1LCJ0IjoibmV3c2xldHRlciJ9:forged:signature"])
def test_a_forged_unsubscribe_link_gets_a_clear_400(client, db, token):
    for method in (client.get, client.post):
        response = method(reverse("mailing:unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "Ce lien ne fonctionne pas" in response.content.decode()


def test_a_token_for_the_preference_centre_does_not_unsubscribe(client, mia):
    token = consent.preferences_token(mia)
    assert client.post(reverse("mailing:unsubscribe", args=[token])).status_code == 400


def test_a_link_for_a_deleted_member_is_a_404(client, mia):
    url = consent.unsubscribe_url(mia, consent.CAMPAIGNS)
    mia.delete()
    response = client.post(path_of(url))
    assert response.status_code == 404
    assert "n’existe plus" in response.content.decode() or "n'existe plus" in response.content.decode()


def test_the_preference_centre_works_from_the_signed_link_without_logging_in(client, mia):
    record_consent(mia, consent.NEWSLETTER, True)
    url = path_of(consent.preferences_url(mia))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    for label in ("Lettre d’information", "Annonces des événements", "Récapitulatif des notifications",
                  "Campagnes de la communauté"):
        assert label in html
    response = client.post(url, {"event_announcements": "on", "campaigns": ""})
    assert response.status_code == 302
    assert consent.subscriptions(mia) == {
        "newsletter": False, "event_announcements": True, "digests": False, "campaigns": False,
    }
    assert TopicPreference.objects.get(user=mia, topic="campaigns").subscribed is False
    follow = client.get(response["Location"])
    assert "Vos choix sont enregistrés" in follow.content.decode()


def test_a_forged_preference_link_is_refused(client, mia):
    url = consent.preferences_url(mia)
    response = client.get(path_of(url)[:-3] + "xx/")
    assert response.status_code == 400


def test_members_manage_their_subscriptions_when_logged_in(client, mia):
    client.force_login(mia)
    page = client.get(reverse("mailing:preferences"))
    assert page.status_code == 200
    assert "Abonnements aux e-mails" in page.content.decode()
    client.post(reverse("mailing:preferences"), {"newsletter": "on", "digests": "on", "campaigns": "on"})
    assert consent.subscriptions(mia)["newsletter"] is True


def test_the_logged_in_preference_page_asks_visitors_to_log_in(client, db):
    response = client.get(reverse("mailing:preferences"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_any_django_email_keeps_list_unsubscribe_readable(mia, smtp_server):
    """Campaign senders build their own ``EmailMultiAlternatives``: the header still arrives as written,
    folded only between its two URIs, never as RFC 2047 encoded words."""
    from django.core.mail import EmailMultiAlternatives

    headers = consent.list_unsubscribe_headers(mia, consent.CAMPAIGNS)
    EmailMultiAlternatives("Campagne d’été", "corps", "noreply@localhost", ["mia@example.org"],
                           headers=headers).send()
    [message] = smtp_server.received
    raw = str(message["List-Unsubscribe"])
    assert "=?utf-8?" not in raw
    assert " ".join(raw.split()) == headers["List-Unsubscribe"]
