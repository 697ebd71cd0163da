"""Opens and clicks: signed per recipient, only to the campaign's own links, no login needed."""

from __future__ import annotations

import re

from tribu.campaigns import sending, tracking
from tribu.campaigns.models import EventKind, Link, Recipient, Status, TrackingEvent

from .conftest import make_campaign, make_members


def _sent_campaign(segment, n=2):
    members = make_members(n)
    campaign = make_campaign(segment=segment, status=Status.SENDING)
    for m in members:
        Recipient.objects.create(campaign=campaign, user=m, email=m.email, language="fr")
    sending.run(campaign.pk)
    return campaign, members


def test_following_a_link_in_the_email_counts_a_click_and_reaches_the_page(client, segment, smtp_server):
    campaign, members = _sent_campaign(segment)
    message = next(m for m in smtp_server.received if m["To"] == members[0].email)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    click = re.search(r'href="http://[^/]+(/manage/campaigns/t/c/[^"]+)"', html).group(1)
    pixel = re.search(r'src="http://[^/]+(/manage/campaigns/t/o/[^"]+)"', html).group(1)

    response = client.get(click)
    assert response.status_code == 302 and response["Location"] == "https://example.com/programme"
    response = client.get(pixel)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    recipient = Recipient.objects.get(campaign=campaign, user=members[0])
    assert set(TrackingEvent.objects.filter(recipient=recipient).values_list("kind", flat=True)) == {
        EventKind.CLICK,
        EventKind.OPEN,
    }


def test_forged_tokens_and_links_of_another_campaign_lead_nowhere(client, segment, smtp_server):
    campaign, _members = _sent_campaign(segment)
    other = make_campaign(name="Autre", segment=segment)
    foreign = Link.objects.create(campaign=other, url="https://evil.example/phish")
    recipient = Recipient.objects.filter(campaign=campaign).first()
    own = Link.objects.filter(campaign=campaign).first()

    # A valid signature for a link of another campaign: refused, no redirect anywhere.
    assert client.get(f"/manage/campaigns/t/c/{tracking.token(recipient.pk, foreign.pk)}/").status_code == 404
    # A tampered signature or id.
    token = tracking.token(recipient.pk, own.pk)
    assert client.get(f"/manage/campaigns/t/c/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/manage/campaigns/t/c/{recipient.pk + 1}-{own.pk}-{token.split('-')[2]}/").status_code == 404
    assert client.get("/manage/campaigns/t/c/not-a-token/").status_code == 404
    # A forged pixel still answers an image (mail clients show no broken image) but counts nothing.
    assert client.get("/manage/campaigns/t/o/1-0-forged.gif").status_code == 200
    assert not TrackingEvent.objects.exists()
