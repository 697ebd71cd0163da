"""Issue 6's journey in a real browser, on a phone: a member asks a question in a group mentioning
another member (picked from the suggestions); the mentioned member sees the notification, opens it and
replies; the author accepts the answer; the question shows as solved and leaves the animators'
unanswered view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_question_with_a_mention_gets_answered_accepted_and_leaves_the_unanswered_view(
    live_server: Any, chromium: Any, anna: Any, mia: Any, artifacts: Any
) -> None:
    from django.utils import timezone

    from conftest import make_user
    from tribu.core.models import Notification
    from tribu.feed.models import Comment, Post
    from tribu.groups.tests.conftest import add_to, make_group

    club = make_group("Club photo", owner=anna)
    add_to(club, mia)
    noe = make_user("noe@example.org", "member", "Noé Objectif")
    add_to(club, noe)

    context = chromium.new_context(viewport={"width": 375, "height": 800}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    try:
        # 1. Mia asks a question in the club and mentions Noé, picked from the suggestions.
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/feed/compose/?group={club.pk}")
        page.select_option("select[name=kind]", "question")
        page.fill("input[name=title]", "Quel objectif pour les portraits ?")
        body = page.locator("textarea[name=body]")
        body.click()
        body.press_sequentially("Je cherche un objectif lumineux. Une idée @No", delay=30)
        page.locator("[data-md-suggestions] [role=option]").first.wait_for()
        page.screenshot(path=artifacts / "feed-1-mention-suggestions.png", full_page=True)
        body.press("Enter")
        assert f"@[Noé Objectif](user:{noe.pk})" in body.input_value()
        page.locator("form.feed-compose button[type=submit]").click()
        page.wait_for_load_state()
        question = Post.objects.get(title="Quel objectif pour les portraits ?")
        assert question.kind == "question" and list(question.mentions.all()) == [noe]
        assert page.url.endswith(f"/feed/posts/{question.pk}/")
        assert page.locator("#post-title").inner_text() == "Quel objectif pour les portraits ?"
        assert page.locator(".feed-body a", has_text="@Noé Objectif").count() == 1
        page.context.clear_cookies()

        # Two days later, nobody answered yet: the animator sees it in the unanswered view.
        Post.objects.filter(pk=question.pk).update(published_at=timezone.now() - timedelta(days=2))
        log_in(page, live_server.url, anna.email)
        page.goto(f"{live_server.url}/feed/unanswered/")
        assert page.locator(f"a[href='/feed/posts/{question.pk}/']").count() >= 1
        page.screenshot(path=artifacts / "feed-2-unanswered.png", full_page=True)
        page.context.clear_cookies()

        # 2. Noé sees the notification, opens it and replies.
        log_in(page, live_server.url, noe.email)
        assert page.locator("[data-unread-count]").first.inner_text().strip() == "1"
        page.goto(f"{live_server.url}/notifications/")
        page.screenshot(path=artifacts / "feed-3-notification.png", full_page=True)
        page.locator(".notification-unread form button").first.click()
        page.wait_for_load_state()
        assert f"/feed/posts/{question.pk}/" in page.url
        page.fill("form.comment-new textarea[name=body]", "Un **85 mm f/1.8** : léger, lumineux, parfait.")
        page.locator("form.comment-new button[type=submit]").click()
        page.wait_for_load_state()
        answer = Comment.objects.get(post=question, author=noe)
        assert page.locator(f"#comment-{answer.pk} .comment-body strong").inner_text() == "85 mm f/1.8"
        # A like on the question, in place (HTMX), without leaving the page.
        like = page.locator(f"#reactions-post-{question.pk} button[value=like]")
        like.click()
        page.locator(f"#reactions-post-{question.pk} button[value=like][aria-pressed=true]").wait_for()
        assert f"/feed/posts/{question.pk}/" in page.url
        page.context.clear_cookies()

        # 3. Mia is told, opens her question and accepts the answer: the question shows as solved.
        assert Notification.objects.filter(recipient=mia, kind="feed.comment").exists()
        log_in(page, live_server.url, mia.email)
        page.goto(f"{live_server.url}/feed/posts/{question.pk}/")
        assert page.locator("[data-solved]").count() == 0
        # She thanks Noé in a reply first (the reply box opens under the answer).
        page.locator(f"#comment-{answer.pk} .comment-reply-box summary").click()
        page.fill(f"#reply-{answer.pk}", "Merci Noé, je vais l’essayer !")
        page.locator(f"#comment-{answer.pk} .comment-reply-box button[type=submit]").click()
        page.wait_for_load_state()
        thanks = Comment.objects.get(post=question, author=mia)
        assert thanks.parent_id == answer.pk
        assert page.locator(f"#comment-{answer.pk} .comment-replies #comment-{thanks.pk}").is_visible()
        page.locator(f"#comment-{answer.pk} > article .comment-accept").click()
        page.wait_for_load_state()
        assert page.locator("[data-solved]").count() == 1
        assert page.locator(f"#answer-{answer.pk}").is_visible()
        page.screenshot(path=artifacts / "feed-4-solved.png", full_page=True)
        question.refresh_from_db()
        assert question.accepted_comment_id == answer.pk and question.solved_at is not None
        page.context.clear_cookies()

        # 4. The question has left the animator's unanswered view.
        log_in(page, live_server.url, anna.email)
        page.goto(f"{live_server.url}/feed/unanswered/")
        assert page.locator(f"a[href='/feed/posts/{question.pk}/']").count() == 0
        page.screenshot(path=artifacts / "feed-5-unanswered-after.png", full_page=True)

        # The page fits a phone and the Content-Security-Policy held.
        page.goto(f"{live_server.url}/feed/posts/{question.pk}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert not [m for m in console if "Content Security Policy" in m or "Refused to" in m], console
    finally:
        context.close()
