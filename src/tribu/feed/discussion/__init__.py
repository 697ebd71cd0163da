"""Discussions under a post: the post's own page, comments and replies, reactions, accepted answers.

One module per role, as in an app: ``actions.py``, ``queries.py``, ``policies.py``, ``views.py``,
``urls.py`` (mounted under ``/feed/``), ``api.py`` (mounted under ``/api/v1/``), ``notifications.py``
(its notification kinds, imported when the app is ready).
"""
