"""``/api/v1/``: ``tribu.urls`` mounts ``api.urls``; the API itself is built in ``main.py``."""

from .main import api

__all__ = ["api"]
