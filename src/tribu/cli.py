"""The ``tribu`` console command: Tribu's own commands plus every ``manage.py`` command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tribu.settings")
    if len(argv) >= 2 and argv[1] == "check" and "--deploy" not in argv:
        # `tribu check` also runs Django's deployment checks unless the site runs in debug mode.
        from django.conf import settings

        if not settings.DEBUG:
            argv.append("--deploy")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
