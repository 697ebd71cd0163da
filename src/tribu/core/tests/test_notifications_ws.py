"""The live bell over WebSocket: a signed-in member hears their unread count change."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings

from tribu.core.notifications import actions
from tribu.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))


def session_cookie(client, user) -> list[tuple[bytes, bytes]]:
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode())]


def test_a_signed_in_member_receives_the_unread_count_after_notify(client, mia, alice):
    headers = session_cookie(client, mia)

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await communicator.connect()
        assert connected
        assert await communicator.receive_json_from() == {"type": "unread", "count": 0}

        await database_sync_to_async(actions.announce)(alice, "Picnic on Sunday", recipients=[mia])
        assert await communicator.receive_json_from(timeout=2) == {"type": "unread", "count": 1}

        await database_sync_to_async(actions.mark_read)(mia, actions.ALL)
        assert await communicator.receive_json_from(timeout=2) == {"type": "unread", "count": 0}
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_a_member_does_not_hear_someone_elses_count(client, mia, bob, alice):
    headers = session_cookie(client, mia)

    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        await communicator.connect()
        await communicator.receive_json_from()
        await database_sync_to_async(actions.announce)(alice, "For Bob", recipients=[bob])
        assert await communicator.receive_nothing(timeout=0.3)
        await communicator.disconnect()

    async_to_sync(scenario)()


def test_an_anonymous_visitor_is_refused_with_4401(db):
    async def scenario():
        communicator = WebsocketCommunicator(application, "/ws/notifications/")
        await communicator.connect()
        closed = await communicator.receive_output(timeout=2)
        assert closed == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()
