"""The live bell: each signed-in member's sockets join ``notifications.user.<id>`` and receive
``{"type": "unread", "count": N}`` whenever their unread count changes."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import policies, queries
from .realtime import group_name

CLOSE_UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not policies.can_view_notifications(user):
            # Accept then close, so the browser sees 4401 and stops retrying.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(queries.unread_count)(user)
        await self.send_json({"type": "unread", "count": count})

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only listen; anything they send is ignored."""

    async def notifications_unread(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "unread", "count": int(event.get("count", 0))})
