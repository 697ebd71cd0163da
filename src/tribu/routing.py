"""WebSocket routes of every app."""

from tribu.core.notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [*notification_routes]
