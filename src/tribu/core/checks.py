"""Tribu's system checks: what an operator should fix before (or after) going live.

``tribu check`` runs them (with Django's ``--deploy`` checks when DEBUG is off). A site is
"production-like" when it uses PostgreSQL, or answers to a host name other than this machine."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1", "testserver", ""}
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs", "glusterfs", "ceph"}


def _env_set(name: str) -> bool:
    return bool(os.environ.get(name) or os.environ.get(f"{name}_FILE"))


def uses_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def production_like() -> bool:
    if uses_postgresql():
        return True
    if any(host not in LOCAL_HOSTS for host in settings.ALLOWED_HOSTS):
        return True
    return (urlparse(settings.SITE_URL).hostname or "") not in LOCAL_HOSTS


def filesystem_type(path: Path) -> str:
    """The type of the filesystem holding ``path`` (Linux, from /proc/mounts); '' when unknown."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    best, fstype = "", ""
    target = str(path.resolve())
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) > len(best):
            best, fstype = mount_point, parts[2]
    return fstype


def check_debug(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if settings.DEBUG and production_like():
        return [
            checks.Warning(
                _("DEBUG is on: error pages show the code and settings to anyone."),
                hint=_("Remove DEBUG from the environment (or set DEBUG=false) in production."),
                id="tribu.W001",
            )
        ]
    return []


def check_secret_key(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if production_like() and not _env_set("SECRET_KEY"):
        return [
            checks.Warning(
                _("SECRET_KEY is not set: Tribu uses a key it generated in the data folder."),
                hint=_(
                    "Set SECRET_KEY (or SECRET_KEY_FILE) to the same long random value on every server, "
                    "otherwise sessions and links in emails break between servers."
                ),
                id="tribu.W002",
            )
        ]
    return []


def check_hosts(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if "*" in settings.ALLOWED_HOSTS:
        messages.append(
            checks.Warning(
                _("ALLOWED_HOSTS accepts any host name."),
                hint=_("List the site's host names in ALLOWED_HOSTS, separated by commas."),
                id="tribu.W003",
            )
        )
    site_host = urlparse(settings.SITE_URL).hostname or ""
    if not site_host:
        messages.append(
            checks.Error(
                _("TRIBU_SITE_URL is not an address: %(url)s") % {"url": settings.SITE_URL},
                hint=_("Set TRIBU_SITE_URL to the public address, e.g. https://community.example.org."),
                id="tribu.E004",
            )
        )
    else:
        from django.http.request import validate_host

        if not validate_host(site_host, settings.ALLOWED_HOSTS):
            messages.append(
                checks.Error(
                    _("The host of TRIBU_SITE_URL (%(host)s) is not in ALLOWED_HOSTS: its pages will answer 400.")
                    % {"host": site_host},
                    hint=_("Add %(host)s to ALLOWED_HOSTS.") % {"host": site_host},
                    id="tribu.E005",
                )
            )
        if production_like() and site_host in LOCAL_HOSTS:
            messages.append(
                checks.Warning(
                    _("TRIBU_SITE_URL points to this machine (%(url)s): links in emails will not work.")
                    % {"url": settings.SITE_URL},
                    hint=_("Set TRIBU_SITE_URL to the public address of the site."),
                    id="tribu.W006",
                )
            )
    return messages


def check_email(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if _env_set("EMAIL_URL"):
        return []
    level = checks.Warning if production_like() else checks.Info
    return [
        level(
            _("EMAIL_URL is not set: emails are only written to the outbox folder (%(path)s), nobody receives them.")
            % {"path": settings.OUTBOX_DIR},
            hint=_("Set EMAIL_URL, e.g. smtp://user:password@smtp.example.org:587?tls=1."),
            id="tribu.W007" if level is checks.Warning else "tribu.I007",
        )
    ]


def check_redis(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if uses_postgresql() and not settings.REDIS_URL:
        return [
            checks.Warning(
                _(
                    "PostgreSQL is used without REDIS_URL: with several web processes, live updates "
                    "(chat, notifications), the cache and rate limits are not shared between them."
                ),
                hint=_("Set REDIS_URL, e.g. redis://127.0.0.1:6379/0, or run a single web process."),
                id="tribu.W008",
            )
        ]
    return []


def check_payments(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    secret = getattr(settings, "STRIPE_SECRET_KEY", "") or os.environ.get("STRIPE_SECRET_KEY", "")
    if not secret and not os.environ.get("STRIPE_SECRET_KEY_FILE"):
        return [
            checks.Info(
                _("Stripe keys are not set: card payments are off; offline payments (transfer, cheque, cash) work."),
                hint=_(
                    "Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET to take card payments."
                ),
                id="tribu.I009",
            )
        ]
    return []


def check_storage(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    data_dir = Path(settings.DATA_DIR)
    if not os.access(data_dir, os.W_OK):
        messages.append(
            checks.Error(
                _("The data folder %(path)s is not writable: uploads, emails and the database will fail.")
                % {"path": data_dir},
                hint=_("Give the user running Tribu write access, or set TRIBU_DATA_DIR elsewhere."),
                id="tribu.E010",
            )
        )
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = str(database["NAME"])
        if name != ":memory:" and not name.startswith("file:"):
            fstype = filesystem_type(Path(name).parent)
            if fstype.lower() in NETWORK_FILESYSTEMS:
                messages.append(
                    checks.Error(
                        _(
                            "The SQLite database %(path)s is on a network filesystem (%(fs)s): its locks "
                            "are unreliable there and the database can be corrupted."
                        )
                        % {"path": name, "fs": fstype},
                        hint=_("Keep TRIBU_DATA_DIR on a local disk, or use PostgreSQL (DATABASE_URL)."),
                        id="tribu.E011",
                    )
                )
    return messages


def check_scale(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") and production_like():
        return [
            checks.Info(
                _("SQLite serves one machine well; several servers need PostgreSQL."),
                hint=_("Set DATABASE_URL=postgres://… to scale out."),
                id="tribu.I012",
            )
        ]
    return []


def check_tasks(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    if not settings.TESTING and backend.endswith(("ImmediateBackend", "DummyBackend")):
        return [
            checks.Warning(
                _("The task backend is %(backend)s: emails and background jobs run inside web requests or not at all.")
                % {"backend": backend.rsplit(".", 1)[-1]},
                hint=_("Unset TRIBU_TASK_BACKEND to use the database queue and its workers."),
                id="tribu.W013",
            )
        ]
    return []


# Run by every command (they catch what breaks the site) …
ALWAYS = [check_debug, check_hosts, check_redis, check_storage, check_tasks]
# … and by `tribu check` when DEBUG is off (what an operator reviews before going live).
DEPLOY = [check_secret_key, check_email, check_payments, check_scale]


def register() -> None:
    for check in ALWAYS:
        checks.register(check, "tribu")
    for check in DEPLOY:
        checks.register(check, "tribu", deploy=True)
