"""Wording taken over from Django's own catalogue so every page speaks the glossary's French
(« e-mail », not « courriel »). Only listed here so that makemessages keeps them in our catalogue."""

from django.utils.translation import gettext_noop

OVERRIDES = [
    gettext_noop("Enter a valid email address."),
    gettext_noop("Page not found"),
]
