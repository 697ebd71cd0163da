"""ASGI entry point: HTTP through Django (Stripe webhook deliveries answered just before it), WebSockets
through Channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribu.settings")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from tribu.payments.webhook_http import WebhookFastPath  # noqa: E402
from tribu.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Stripe's webhook deliveries are answered before Django's request machinery (payments.webhook_http).
        "http": WebhookFastPath(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
