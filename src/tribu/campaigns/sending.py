"""The sending engine: a run claims a batch of due recipients, hands each message to the mail server
and marks each recipient, until the campaign has nobody left to send to, is paused or cancelled.

Exactly once, even when a worker is killed
------------------------------------------
A recipient row goes ``queued`` → ``sending`` (claimed by one run: ``claim`` = the run's id; on
PostgreSQL with ``SELECT … FOR UPDATE SKIP LOCKED``, elsewhere with a conditional UPDATE) → ``sent``.

The only ambiguous moment of SMTP is the end of DATA: once the server has the final ``CRLF.CRLF`` it
may keep the message even if we never read its reply. So the run sends the whole message *except*
that terminator, then marks the row ``sent`` with a conditional UPDATE (``WHERE status = 'sending'
AND claim = <this run>``, committed at once), and only then sends the terminator:

- killed before the mark commits: the server never saw the end of the message, drops it when the
  connection dies, and the row is still ``sending`` — a later run releases it (stale claim) and sends
  it: delivered once;
- killed after the mark: the terminator was written right after, so the message is delivered and
  the row says ``sent``: delivered once;
- the claim was taken back meanwhile (a run presumed dead but still alive): the mark changes no row,
  so the run drops the connection without the terminator: no double.

Messages go in groups over several connections (``TRIBU_CAMPAIGN_CONNECTIONS``, default 20): every
body of the group is written, one UPDATE marks the group, then the terminators are written — the
same order per message, one database round trip per group instead of per message.

The remaining window runs from the moment the mark is committed to the moment the terminators are
written to the sockets (what is written reaches the server even if the worker dies just after). On
SQLite the commit happens in the worker: microseconds. On PostgreSQL the mark is an UPDATE … RETURNING
whose COMMIT is sent *without waiting for its answer*; the terminators are written right after and the
answer is read then (``_mark_sent_many_deferred``), so the window is two writes apart there too,
instead of a round trip to the database. A kill inside it marks messages sent that the mail server
never completed: never a duplicate. We chose at-most-once for that instant because a duplicate campaign
email is what members notice and complain about; closing it entirely would need the mail server to take
the terminator and the database commit atomically, which SMTP cannot do. A server that takes the
terminator but answers 4xx/5xx puts the row back to retry (4xx, with back-off) or ``failed`` (5xx).
A connection lost *after* the terminator is counted as sent (the server may have it; resending could
double it). Each message has a deterministic ``Message-ID`` (campaign + recipient), so a server or
provider that deduplicates by Message-ID can also drop an accidental repeat.

Other backends than SMTP (the embedded outbox, django-anymail providers) have no such two-step end:
the row is marked before the hand-over and put back if the backend raises.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import smtplib
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, formatdate, parseaddr
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from tribu.mailing import consent

from . import content, tracking
from .models import Campaign, Link, Recipient, RecipientStatus, Status

logger = logging.getLogger("tribu.campaigns")

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def conf(name: str, default: int) -> int:
    """An integer setting, from Django settings or else the environment (``TRIBU_CAMPAIGN_*``)."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return int(value)


def max_attempts() -> int:
    return max(1, conf("TRIBU_CAMPAIGN_MAX_ATTEMPTS", 5))


def backoff(attempt: int) -> timedelta:
    """Wait before attempt ``attempt + 1``: base × 2^(attempt-1) seconds, capped (default 60 s … 6 h)."""
    base = conf("TRIBU_CAMPAIGN_RETRY_BASE_SECONDS", 60)
    cap = conf("TRIBU_CAMPAIGN_RETRY_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))


def claim_lease() -> timedelta:
    """A claim older than this belongs to a run presumed dead: its rows go back to the queue."""
    return timedelta(seconds=conf("TRIBU_CAMPAIGN_CLAIM_SECONDS", 300))


def batch_size(rate: int) -> int:
    """Small enough that pause and cancel take effect within a few seconds at the campaign's rate."""
    size = conf("TRIBU_CAMPAIGN_BATCH_SIZE", 400)
    return max(1, min(size, rate * 5)) if rate else size


# --------------------------------------------------------------------------- claiming


def _due(campaign_id: int, now: datetime) -> Any:
    return Recipient.objects.filter(campaign_id=campaign_id, status=RecipientStatus.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def claim(campaign_id: int, run_id: str, limit: int) -> list[Recipient]:
    """Take up to ``limit`` due recipients for this run. One interface, two backends: PostgreSQL
    skips rows another run is locking; SQLite serialises writers and the UPDATE re-checks the status."""
    now = timezone.now()
    due = _due(campaign_id, now).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(due.select_for_update(skip_locked=True).values_list("id", flat=True)[:limit])
            if ids:
                Recipient.objects.filter(id__in=ids).update(
                    status=RecipientStatus.SENDING, claim=run_id, claimed_at=now
                )
    else:
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            Recipient.objects.filter(id__in=ids, status=RecipientStatus.QUEUED).update(
                status=RecipientStatus.SENDING, claim=run_id, claimed_at=now
            )
    if not ids:
        return []
    return list(
        Recipient.objects.filter(id__in=ids, claim=run_id, status=RecipientStatus.SENDING)
        .select_related("user")
        .only(
            "id",
            "email",
            "language",
            "attempts",
            "user__id",
            "user__first_name",
            "user__last_name",
            "user__display_name",
            "user__email",
        )
        .order_by("id")
    )


def release(campaign_id: int, run_id: str, *, to: str = RecipientStatus.QUEUED) -> int:
    """Hand this run's unsent rows back (pause) or close them (cancel)."""
    return Recipient.objects.filter(campaign_id=campaign_id, claim=run_id, status=RecipientStatus.SENDING).update(
        status=to, claim="", claimed_at=None
    )


def release_stale_claims(campaign_id: int | None = None, now: datetime | None = None) -> int:
    now = now or timezone.now()
    rows = Recipient.objects.filter(status=RecipientStatus.SENDING, claimed_at__lt=now - claim_lease())
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    changed = rows.update(status=RecipientStatus.QUEUED, claim="", claimed_at=None)
    if changed:
        logger.warning("Released %d recipients claimed by a run presumed dead", changed)
    return changed


def _mark_sent(recipient_id: int, run_id: str) -> bool:
    """The commit point (see the module's docstring). Autocommit: one statement, committed on return."""
    return bool(
        Recipient.objects.filter(pk=recipient_id, status=RecipientStatus.SENDING, claim=run_id).update(
            status=RecipientStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    )


def _mark_failure(
    recipient: Recipient, run_id: str, error: str, *, temporary: bool, counted: bool = True, was_marked: bool = False
) -> None:
    """A refused or failed hand-over: retry later with back-off (temporary, attempts left) or give up."""
    attempts = recipient.attempts + (1 if counted else 0)
    status_now = RecipientStatus.SENT if was_marked else RecipientStatus.SENDING
    rows = Recipient.objects.filter(pk=recipient.pk, claim=run_id, status=status_now)
    if temporary and attempts < max_attempts():
        rows.update(
            status=RecipientStatus.QUEUED,
            attempts=attempts,
            next_attempt_at=timezone.now() + backoff(max(1, attempts)),
            last_error=error[:500],
            sent_at=None,
            claim="",
            claimed_at=None,
        )
    else:
        rows.update(status=RecipientStatus.FAILED, attempts=attempts, last_error=error[:500], sent_at=None)


# --------------------------------------------------------------------------- messages


def sender_address() -> str:
    from tribu.core.community import get_community

    from_email = settings.DEFAULT_FROM_EMAIL
    name, address = parseaddr(from_email)
    community = get_community()
    if not name and community.name:
        name = community.name
    return formataddr((name, address), charset="utf-8") if name else address


def envelope_sender() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def message_id(campaign_id: int, recipient_id: int) -> str:
    domain = envelope_sender().rpartition("@")[2] or "tribu.invalid"
    return f"<campaign.{campaign_id}.{recipient_id}@{domain}>"


def _b64(text: str) -> bytes:
    return base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")


def _header(value: str) -> str:
    """A header value, as RFC 2047 base64 encoded-words (folded) when it is not plain ASCII."""
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        words, chunk = [], ""
        for char in value:
            if len((chunk + char).encode("utf-8")) > 45:
                words.append(chunk)
                chunk = ""
            chunk += char
        words.append(chunk)
        return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode()}?=" for w in words)
    return value


def build_bytes(
    *, from_header: str, to: str, subject: str, text: str, html: str, msgid: str, headers: dict[str, str]
) -> bytes:
    """A multipart/alternative message (text, then HTML), both parts UTF-8 in base64, CRLF line ends."""
    boundary = "=_tribu_" + uuid.uuid4().hex
    head = [
        f"From: {from_header}",
        f"To: {to}",
        f"Subject: {_header(subject)}",
        f"Date: {formatdate(localtime=False, usegmt=True)}",
        f"Message-ID: {msgid}",
        "MIME-Version: 1.0",
        *(f"{k}: {v}" for k, v in headers.items()),
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    part = 'Content-Type: text/{kind}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    return b"".join(
        [
            "\r\n".join(head).encode("utf-8"),
            b"\r\n\r\n",
            f"--{boundary}\r\n".encode(),
            part.format(kind="plain").encode(),
            _b64(text),
            f"--{boundary}\r\n".encode(),
            part.format(kind="html").encode(),
            _b64(html),
            f"--{boundary}--\r\n".encode(),
        ]
    )


_FIRST_URL = re.compile(r"<(https?://[^>]+)>")


@dataclass
class Prepared:
    campaign: Campaign
    by_language: dict[str, content.Compiled]
    link_ids: list[int]


def prepare(campaign: Campaign) -> Prepared:
    """Compile each language once and register the campaign's links (the click redirect's whitelist)."""
    posts_cache: dict[int, list[Any]] = {}
    compiled = {}
    for lang in campaign.languages() or ["fr"]:
        compiled[lang] = content.compile_message(campaign, lang, posts_cache=posts_cache)
    urls = list(dict.fromkeys(u for c in compiled.values() for u in c.links))
    existing = dict(Link.objects.filter(campaign=campaign).values_list("url", "id"))
    missing = [Link(campaign=campaign, url=u) for u in urls if u not in existing]
    if missing:
        Link.objects.bulk_create(missing, ignore_conflicts=True)
        existing = dict(Link.objects.filter(campaign=campaign).values_list("url", "id"))
    link_ids = {u: existing[u] for u in urls}
    return Prepared(
        campaign,
        {lang: content.track_links(c, link_ids) for lang, c in compiled.items()},
        sorted(set(link_ids.values())),
    )


def render_for(prepared: Prepared, recipient: Recipient) -> tuple[str, str, str, dict[str, str]]:
    """``(subject, text, html, headers)`` for one recipient."""
    campaign = prepared.campaign
    compiled = prepared.by_language.get(recipient.language) or next(iter(prepared.by_language.values()))
    who = SimpleNamespace(pk=recipient.user_id)
    headers: dict[str, str] = {}
    unsubscribe = preferences = settings.SITE_URL
    if recipient.user_id:
        headers = consent.list_unsubscribe_headers(who, campaign.topic)
        # The footer link is the header's one-click address (one signature instead of two).
        match = _FIRST_URL.match(headers.get("List-Unsubscribe", ""))
        unsubscribe = match.group(1) if match else consent.unsubscribe_url(who, campaign.topic)
        preferences = consent.preferences_url(who)
    values = content.placeholder_values(recipient.user, recipient.email)
    values.update({"PIXEL": tracking.pixel_url(recipient.pk), "UNSUB": unsubscribe, "PREFS": preferences})
    for link_id in prepared.link_ids:
        values[f"LINK{link_id}"] = tracking.click_url(recipient.pk, link_id)
    subject, text, html = content.personalise(compiled, values)
    return subject, text, html, headers


# --------------------------------------------------------------------------- transports


class Temporary(Exception):
    """The server said try later (4xx), or the connection failed before the message was complete."""


class Permanent(Exception):
    """The server refused this message for good (5xx)."""


class ConnectionDown(Temporary):
    """No connection to the server at all: the rest of the batch waits too."""


class AfterCommit(Exception):
    """The connection broke after the message was complete: counted as sent (never resent)."""


def _classify(code: int, response: bytes | str, step: str) -> Exception:
    text = response.decode("utf-8", "replace") if isinstance(response, bytes) else str(response)
    message = f"{step}: {code} {text}".strip()
    return Temporary(message) if 400 <= code < 500 or code < 0 else Permanent(message)


def _open_smtp() -> smtplib.SMTP:
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 20
    try:
        if getattr(settings, "EMAIL_USE_SSL", False):
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
        # The end of DATA is a small write right after the body: without this, Nagle's algorithm holds
        # it until the body is acknowledged (a delayed ACK costs ~40 ms per message).
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.ehlo_or_helo_if_needed()
        if getattr(settings, "EMAIL_USE_TLS", False):
            conn.starttls(context=ssl.create_default_context())
            conn.ehlo()
        if settings.EMAIL_HOST_USER:
            conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    except smtplib.SMTPResponseException as error:
        raise ConnectionDown(f"connect: {error.smtp_code} {error.smtp_error!r}") from None
    except (OSError, smtplib.SMTPException) as error:
        raise ConnectionDown(f"connect: {error}") from None
    return conn


class SmtpPool:
    """``size`` SMTP connections driven in step: a group of messages (one per connection) goes
    through MAIL, RCPT, DATA and the body together, so the waits for the server overlap; then one
    conditional UPDATE marks the whole group sent (the commit point of the module's docstring), then
    every terminator is written. Per message that is a fraction of a round trip to the database."""

    def __init__(self, size: int = 1) -> None:
        self.conns: list[smtplib.SMTP | None] = [None] * max(1, size)

    @property
    def size(self) -> int:
        return len(self.conns)

    def _conn(self, index: int) -> smtplib.SMTP:
        conn = self.conns[index]
        if conn is None:
            conn = self.conns[index] = _open_smtp()
        return conn

    def drop(self, index: int) -> None:
        """Close without QUIT: a message whose DATA was not terminated is discarded by the server."""
        conn, self.conns[index] = self.conns[index], None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        for index, conn in enumerate(self.conns):
            if conn is not None:
                with contextlib.suppress(OSError, smtplib.SMTPException):
                    conn.quit()
                self.drop(index)

    def send_group(self, sender: str, items: list[tuple[str, bytes]], commit: Any,
                   after_terminators: Any = None) -> list[Any]:
        """Deliver ``items`` (``(address, message bytes)``, at most ``size``). ``commit(indexes)`` is
        called once every body is written and returns the indexes whose recipients are still held by
        the run (now marked sent). Returns, per item, True (delivered), False (claim lost, nothing
        sent) or an exception (``Temporary``, ``Permanent``, ``AfterCommit``)."""
        outcome: list[Any] = [None] * len(items)
        conns: dict[int, smtplib.SMTP] = {}
        for index in range(len(items)):
            try:
                conns[index] = self._conn(index)
            except ConnectionDown as down:
                if not conns:
                    raise
                outcome[index] = down
        live = list(conns)

        def fail(index: int, error: Exception, *, reset: bool = False) -> None:
            outcome[index] = error
            live.remove(index)
            if reset:
                try:
                    conns[index].rset()
                except (OSError, smtplib.SMTPException):
                    self.drop(index)
            else:
                self.drop(index)

        def phase(command: str, args: Any, accepted: tuple[int, ...], step: str) -> None:
            for index in list(live):
                try:
                    conns[index].putcmd(command, args(index))
                except OSError as error:
                    fail(index, Temporary(f"connection lost: {error}"))
            for index in list(live):
                try:
                    code, resp = conns[index].getreply()
                except (OSError, smtplib.SMTPServerDisconnected) as error:
                    fail(index, Temporary(f"connection lost: {error}"))
                    continue
                if code not in accepted:
                    fail(index, _classify(code, resp, step), reset=command != "data")

        phase("mail", lambda i: "FROM:" + smtplib.quoteaddr(sender), (250,), "MAIL FROM")
        phase("rcpt", lambda i: "TO:" + smtplib.quoteaddr(items[i][0]), (250, 251), "RCPT TO")
        phase("data", lambda i: "", (354,), "DATA")
        for index in list(live):
            body = smtplib._quote_periods(items[index][1])  # type: ignore[attr-defined]
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            try:
                conns[index].send(body)
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                fail(index, Temporary(f"connection lost: {error}"))
        held = commit(list(live)) if live else set()
        for index in list(live):
            if index not in held:
                outcome[index] = False
                live.remove(index)
                self.drop(index)
        for index in list(live):
            try:
                conns[index].send(b".\r\n")
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                fail(index, AfterCommit(f"connection lost after the message: {error}"))
        if after_terminators is not None:
            after_terminators()
        for index in list(live):
            try:
                code, resp = conns[index].getreply()
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                fail(index, AfterCommit(f"no reply after the message: {error}"))
                continue
            outcome[index] = True if code == 250 else _classify(code, resp, "end of DATA")
        return outcome


class BackendTransport:
    """Any other Django email backend (outbox folder, anymail provider, locmem in tests)."""

    def __init__(self) -> None:
        self.conn = get_connection(fail_silently=False)

    def send_message(self, message: EmailMultiAlternatives, commit: Any) -> bool:
        if not commit():
            return False
        try:
            self.conn.send_messages([message])
        except (OSError, smtplib.SMTPException) as error:
            raise Temporary(str(error)) from None
        return True

    def drop(self) -> None:
        """Nothing to drop: these backends hand a message over in one step (no half-sent DATA)."""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()


def connections() -> int:
    return max(1, min(50, conf("TRIBU_CAMPAIGN_CONNECTIONS", 20)))


def transport() -> SmtpPool | BackendTransport:
    return SmtpPool(connections()) if settings.EMAIL_BACKEND == SMTP_BACKEND else BackendTransport()


# --------------------------------------------------------------------------- the run


class RateLimiter:
    def __init__(self, per_second: int) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self.next_at = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


def _campaign_status(campaign_id: int) -> str | None:
    return Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()


def _fast_commits() -> None:
    """On PostgreSQL the marks need not wait for the WAL flush: the row is visible and durable against
    a worker crash (only a database-server crash could lose the last marks)."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")


def _restore_commits() -> None:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _mark_sent_many(ids: list[int], run_id: str) -> set[int]:
    """The commit point for a group: the rows still held by this run become ``sent`` (autocommit)."""
    rows = Recipient.objects.filter(pk__in=ids, status=RecipientStatus.SENDING, claim=run_id)
    changed = rows.update(
        status=RecipientStatus.SENT, sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    if changed == len(ids):
        return set(ids)
    # Only this run ever writes its own claim id, so the rows now sent under it are the ones just marked.
    return set(
        Recipient.objects.filter(pk__in=ids, status=RecipientStatus.SENT, claim=run_id).values_list("pk", flat=True)
    )


def _mark_sent_many_deferred(ids: list[int], run_id: str) -> tuple[set[int], Any]:
    """``_mark_sent_many`` whose COMMIT is sent but not waited for: returns the rows held and a
    ``finish()`` that reads the COMMIT's answer, to call once the terminators are written.

    On PostgreSQL the mark is an UPDATE … RETURNING in a transaction; its COMMIT goes to the server and
    the terminators follow at once, before the answer comes back. A worker killed after the COMMIT left
    still commits (the kernel delivers what was written) and its terminators were written a few
    microseconds later — the window is two writes apart, as on SQLite, instead of a round trip. Should
    the COMMIT itself fail (the database went away), the rows stay claimed and are sent again after the
    claim lease: the one case that can double a message, logged as such."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or not ids:
        return _mark_sent_many(ids, run_id), lambda: None
    connection.ensure_connection()
    raw = connection.connection
    table = Recipient._meta.db_table
    try:
        raw.execute("BEGIN")
        rows = raw.execute(
            f"UPDATE {table} SET status = %s, sent_at = %s, attempts = attempts + 1, last_error = '' "  # noqa: S608
            "WHERE id = ANY(%s) AND status = %s AND claim = %s RETURNING id",
            [RecipientStatus.SENT, timezone.now(), ids, RecipientStatus.SENDING, run_id],
        ).fetchall()
        raw.pgconn.send_query(b"COMMIT")
    except Exception:
        with contextlib.suppress(Exception):
            raw.rollback()
        raise
    held = {row[0] for row in rows}

    def finish() -> None:
        status = None
        while (result := raw.pgconn.get_result()) is not None:
            status = result.status
        import psycopg.pq

        if status != psycopg.pq.ExecStatus.COMMAND_OK:
            logger.error("campaigns: the COMMIT of a sent group failed; its %d messages may go out twice", len(held))

    return held, finish


def _settle(recipient: Recipient, run_id: str, result: Any, marked: bool) -> str:
    if result is True:
        return "sent"
    if result is False:
        return "lost"
    if isinstance(result, AfterCommit):
        Recipient.objects.filter(pk=recipient.pk).update(last_error=str(result)[:500])
        return "sent"
    if isinstance(result, Permanent):
        _mark_failure(recipient, run_id, str(result), temporary=False, was_marked=marked)
        return "failed"
    _mark_failure(recipient, run_id, str(result), temporary=True, was_marked=marked)
    return "retry"


def send_group(
    prepared: Prepared, recipients: list[Recipient], run_id: str, channel: Any, sender: str, from_header: str
) -> list[str]:
    """Send one message per recipient (at most the channel's size); returns each outcome
    (``sent``, ``lost``, ``retry``, ``failed``). Raises ``ConnectionDown`` when the server is unreachable."""
    if not isinstance(channel, SmtpPool):
        return [send_one(prepared, r, run_id, channel, sender, from_header) for r in recipients]
    items = []
    for recipient in recipients:
        subject, text, html, headers = render_for(prepared, recipient)
        items.append(
            (
                recipient.email,
                build_bytes(
                    from_header=from_header,
                    to=recipient.email,
                    subject=subject,
                    text=text,
                    html=html,
                    msgid=message_id(prepared.campaign.pk, recipient.pk),
                    headers=headers,
                ),
            )
        )
    marked: set[int] = set()
    finishing: list[Any] = []

    def commit(indexes: list[int]) -> set[int]:
        held_ids, finish = _mark_sent_many_deferred([recipients[i].pk for i in indexes], run_id)
        finishing.append(finish)
        marked.update(held_ids)
        return {i for i in indexes if recipients[i].pk in held_ids}

    def after_terminators() -> None:
        for finish in finishing:
            finish()

    try:
        results = channel.send_group(sender, items, commit, after_terminators)
    except ConnectionDown as down:
        _mark_failure(recipients[0], run_id, str(down), temporary=True)
        raise
    return [_settle(r, run_id, result, r.pk in marked) for r, result in zip(recipients, results, strict=True)]


def send_one(prepared: Prepared, recipient: Recipient, run_id: str, channel: Any, sender: str, from_header: str) -> str:
    """Send one recipient's message; returns the outcome (``sent``, ``lost``, ``retry``, ``failed``)."""
    if isinstance(channel, SmtpPool):
        return send_group(prepared, [recipient], run_id, channel, sender, from_header)[0]
    subject, text, html, headers = render_for(prepared, recipient)
    message = EmailMultiAlternatives(
        subject,
        text,
        from_header,
        [recipient.email],
        headers={"Message-ID": message_id(prepared.campaign.pk, recipient.pk), **headers},
    )
    message.attach_alternative(html, "text/html")
    marked = False

    def commit() -> bool:
        nonlocal marked
        marked = _mark_sent(recipient.pk, run_id)
        return marked

    try:
        done = channel.send_message(message, commit)
    except (Temporary, Permanent) as error:
        return _settle(recipient, run_id, error, marked)
    return "sent" if done else "lost"


def run(campaign_id: int, *, max_seconds: float | None = None) -> dict[str, Any]:
    """One sending run of a campaign (the background task calls this). Idempotent: a run started
    twice, or after a crash, only ever sends to rows it claimed itself."""
    run_id = uuid.uuid4().hex
    counts = {"sent": 0, "retry": 0, "failed": 0, "lost": 0}
    release_stale_claims(campaign_id)
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.SENDING:
        return {"campaign": campaign_id, "skipped": True}
    prepared = prepare(campaign)
    channel = transport()
    limiter = RateLimiter(campaign.rate_per_second)
    size = batch_size(campaign.rate_per_second)
    sender, from_header = envelope_sender(), sender_address()
    started = time.monotonic()
    stopped = None
    _fast_commits()
    try:
        while True:
            status = _campaign_status(campaign_id)
            if status != Status.SENDING:
                stopped = status
                break
            if max_seconds is not None and time.monotonic() - started > max_seconds:
                stopped = "time"
                break
            batch = claim(campaign_id, run_id, size)
            if not batch:
                break
            group = channel.size if isinstance(channel, SmtpPool) else 1
            try:
                for start in range(0, len(batch), group):
                    if (
                        start
                        and start // 50 != (start - group) // 50
                        and _campaign_status(campaign_id) != Status.SENDING
                    ):
                        break
                    chunk = batch[start : start + group]
                    for _ in chunk:
                        limiter.wait()
                    for outcome in send_group(prepared, chunk, run_id, channel, sender, from_header):
                        counts[outcome] += 1
            except ConnectionDown as down:
                counts["retry"] += 1
                wait_until = timezone.now() + backoff(1)
                Recipient.objects.filter(campaign_id=campaign_id, claim=run_id, status=RecipientStatus.SENDING).update(
                    status=RecipientStatus.QUEUED,
                    claim="",
                    claimed_at=None,
                    next_attempt_at=wait_until,
                    last_error=str(down)[:500],
                )
                logger.warning(
                    "Campaign %s: mail server unreachable (%s); retrying at %s", campaign_id, down, wait_until
                )
                stopped = "down"
                break
            finally:
                Campaign.objects.filter(pk=campaign_id).update(last_progress_at=timezone.now())
            # Rows of a batch cut short by a pause or cancel go back (or are closed) right away.
            status = _campaign_status(campaign_id)
            if status != Status.SENDING:
                stopped = status
                break
    finally:
        channel.close()
        final = _campaign_status(campaign_id)
        release(
            campaign_id, run_id, to=RecipientStatus.CANCELLED if final == Status.CANCELLED else RecipientStatus.QUEUED
        )
        _restore_commits()
    if stopped is None or stopped in {"down", "time"}:
        follow_up(campaign_id)
    logger.info("Campaign %s run %s: %s", campaign_id, run_id, counts)
    return {"campaign": campaign_id, **counts, "stopped": stopped}


def follow_up(campaign_id: int) -> None:
    """After a run: close the campaign when nobody is left, else queue the next run at the next due time."""
    from . import actions

    left = Recipient.objects.filter(
        campaign_id=campaign_id, status__in=[RecipientStatus.QUEUED, RecipientStatus.SENDING]
    )
    if not left.exists():
        actions.finish_campaign(campaign_id)
        return
    next_due = left.filter(status=RecipientStatus.QUEUED).aggregate(at=Min("next_attempt_at"))["at"]
    if left.filter(status=RecipientStatus.QUEUED, next_attempt_at__isnull=True).exists():
        next_due = timezone.now()
    if next_due is None:
        # Only rows claimed by another run are left. If that run died too recently for its claims to
        # look stale, nobody else would pick them up: come back when its lease has run out (a live run
        # finishes them before; the conditional mark keeps a slow one from sending twice).
        oldest = left.filter(status=RecipientStatus.SENDING).aggregate(at=Min("claimed_at"))["at"]
        if oldest is not None:
            next_due = max(oldest + claim_lease() + timedelta(seconds=1), timezone.now())
    if next_due is not None:
        actions.enqueue_run(campaign_id, at=next_due)
