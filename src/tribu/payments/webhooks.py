"""Stripe webhook events, each applied once, in any order.

Store, acknowledge, apply in the background (Stripe's advice: answer quickly). ``receive(event)``
stores the event with one statement, ``INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING id``, in
autocommit: a repeated or concurrent delivery of the same event inserts nothing and is answered 200 at
once, with no other query. A new event queues the ``payments.tasks.apply_events`` task (its row id).

``apply_pending(event_id)`` (the task) applies that event and the other events waiting, in batches:
one transaction per batch (up to ``BATCH`` events or about ``BATCH_SECONDS``), a savepoint per event.
The batch's rows are claimed by one statement (``FOR UPDATE SKIP LOCKED``, still unprocessed), so two
workers take two different batches; per event the handler runs and the row is marked processed in the
same savepoint, so an event is applied once even if two workers or a retry reach it together. The
batch's receipts are numbered at its end (``billing.actions.same_organisation``): the documents'
counter is locked only from there to the commit, and two workers' batches run side by side.
What the events queue after the commit (emails, documents) is queued together in one more
transaction, and the members whose membership changed in the run are caught up once at the end
(directory, group rules: ``accounts.changes.collected``). A handler that fails (Stripe unreachable, a
deadlock between two workers' batches) rolls its own savepoint back and records the error on the row;
the task then fails, so the worker retries it with back-off, and ``retry_stale`` (every minute, by the
scheduler) queues again any event left unprocessed.

Order: where it matters the handler re-reads the object's current state from the API (the invoice,
the subscription, the charge) instead of trusting the event's snapshot, and every effect is written as
"make it so" (paid once; the membership reaches the subscription's current period end; refunded
up to the charge's running total), so a late or replayed event changes nothing.

Subscriptions: the Checkout payment (its reference is in the subscription's metadata) is the anchor,
locked by every event of that subscription, so ``checkout.session.completed`` and the first
``invoice.paid`` — whichever comes first — pay it once; later invoices make one payment each.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from tribu.accounts import changes
from tribu.memberships import actions as m_actions

from . import actions, effects, gateway
from .models import Payment, PaymentMethod, PaymentPurpose, PaymentStatus, StripeEvent

log = logging.getLogger(__name__)

# Events applied in one transaction at most (a task's own first, then the others waiting), and for
# about how long: their row locks are held until it commits (the documents' counter only at its end).
BATCH = 100
BATCH_SECONDS = 1.0
# An event still unprocessed this long after it arrived is queued again by ``retry_stale``.
STALE_AFTER = timedelta(minutes=2)


def _store_once(event: dict[str, Any], *, processed: bool) -> int | None:
    """Insert the event's row unless it is there: ``INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING
    id``, one statement, no exception; the row id, or None for a delivery already stored."""
    table = connection.ops.quote_name(StripeEvent._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (event_id, type, livemode, payload, received_at, processed_at, error) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, '') ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [str(event["id"])[:255], str(event.get("type", ""))[:100], bool(event.get("livemode")),
             json.dumps(event), now, now if processed else None],
        )
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def _apply_job_waiting() -> bool:
    """Whether an ``apply_events`` job is queued and not started yet (database task backend): it will
    list the waiting events when it starts, so this one is among them and needs no job of its own."""
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    from .tasks import apply_events

    if not isinstance(task_backends["default"], DatabaseBackend):
        return False
    # A plain statement: the ORM compiled this one for every new event, in the web process.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(DBTaskResult._meta.db_table)} "  # noqa: S608
                       "WHERE status = %s AND task_path = %s LIMIT 1", ["READY", apply_events.module_path])
        return cursor.fetchone() is not None


def receive(event: dict[str, Any]) -> str:
    """Store one verified event and queue its application. Returns ``duplicate`` (already stored),
    ``ignored`` (a type Tribu does not act on), ``applied`` (the task ran at once and applied it: the
    immediate task backend) or ``queued`` (a worker will).

    The row and its job are written in one transaction (one commit); a job already waiting takes the
    new event too, so a burst of events makes a few jobs, not one each."""
    from django.tasks import TaskResultStatus

    from .tasks import apply_events

    if event.get("type", "") not in HANDLERS:
        return "ignored" if _store_once(event, processed=True) is not None else "duplicate"
    with transaction.atomic():
        row_id = _store_once(event, processed=False)
        if row_id is None:
            return "duplicate"
        if _apply_job_waiting():
            return "queued"
        result = apply_events.enqueue(row_id)
    return "applied" if result.status == TaskResultStatus.SUCCESSFUL else "queued"


def _claim(first: int | None, after: int, limit: int) -> list[tuple[int, str, Any]]:
    """Lock the batch's events in one statement: ``first`` (a task's own event, even one that failed
    before) and the next waiting ones after ``after`` (oldest first, not those that failed: their own
    task retries them), still unprocessed, ``limit`` at most; rows another worker's batch holds are
    skipped (``FOR UPDATE SKIP LOCKED`` where the database has it), so two workers take two batches.
    Returns (id, type, payload) in order, the locks held until the batch commits."""
    table = connection.ops.quote_name(StripeEvent._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    own = -1 if first is None else first
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, type, payload FROM {table} WHERE processed_at IS NULL "  # noqa: S608
            f"AND (id = %s OR (error = '' AND id > %s)) ORDER BY id LIMIT %s{lock}",
            [own, after, limit])
        rows = cursor.fetchall()
    rows.sort(key=lambda row: row[0] != own)  # the task's own event first
    return [(int(pk), kind, payload) for pk, kind, payload in rows]


def _apply_one(event_id: int, kind: str, payload: Any) -> str:
    """Apply one claimed event (its row locked by the batch) in a savepoint: ``applied``, or ``failed``
    (rolled back, its error kept on the row)."""
    table = connection.ops.quote_name(StripeEvent._meta.db_table)
    try:
        with transaction.atomic():
            handler = HANDLERS.get(kind)
            if handler is not None:
                payload = payload if isinstance(payload, dict) else json.loads(payload)
                handler(dict(payload["data"]["object"]))
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE {table} SET processed_at = %s, error = '' WHERE id = %s",  # noqa: S608
                               [connection.ops.adapt_datetimefield_value(timezone.now()), event_id])
    except Exception as exc:  # kept on the row; the task's retry (or retry_stale) tries again
        log.warning("Stripe event row %s not applied: %r", event_id, exc,
                    exc_info=not isinstance(exc, gateway.StripeUnavailable))
        StripeEvent.objects.filter(pk=event_id, processed_at__isnull=True).update(
            error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"
    return "applied"


_collecting = threading.local()
_collector_installed = False


def _install_job_collector() -> None:
    """Let ``_jobs_in_one_insert`` collect the database task backend's job rows instead of inserting them
    one by one. Only the thread inside that block collects; everywhere else enqueueing is unchanged."""
    global _collector_installed
    if _collector_installed:
        return
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.compat import normalize_json
    from django_tasks_db.models import DBTaskResult, get_date_max

    one_by_one = DatabaseBackend._task_to_db_task

    def task_to_db_task(self: Any, task: Any, args: Any, kwargs: Any) -> Any:
        rows = getattr(_collecting, "rows", None)
        if rows is None:
            return one_by_one(self, task, args, kwargs)
        row = DBTaskResult(id=self._get_id(), args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
                           priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
                           run_after=task.run_after or get_date_max(),  # its pre_save signal's default
                           backend_name=self.alias)
        rows.append(row)
        return row

    DatabaseBackend._task_to_db_task = task_to_db_task  # type: ignore[method-assign]
    _collector_installed = True


@contextmanager
def _jobs_in_one_insert() -> Iterator[None]:
    """The jobs enqueued in this block (database task backend) are written by one ``INSERT`` at its end,
    in the caller's transaction, instead of one ``INSERT`` (and its ORM work) each."""
    from django.tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends["default"], DatabaseBackend):
        yield
        return
    _install_job_collector()
    rows: list[Any] = []
    _collecting.rows = rows
    try:
        yield
    finally:
        _collecting.rows = None
    if rows:
        DBTaskResult.objects.bulk_create(rows)


def _run_hooks(hooks: list[Any]) -> None:
    """The after-commit work of a committed batch (jobs queued: emails, documents; unread counts) in one
    transaction, i.e. one commit instead of one per job, the jobs' rows in one ``INSERT`` and the unread
    counts in one query and push; if one of them fails, the others run alone."""
    if not hooks:
        return
    from tribu.core.notifications.realtime import pushes_merged

    try:
        with transaction.atomic(), _jobs_in_one_insert(), pushes_merged():
            for _savepoints, func, _robust in hooks:
                func()
    except Exception:
        log.warning("After-commit work of a Stripe batch failed together; running it item by item", exc_info=True)
        for _savepoints, func, _robust in hooks:
            try:
                func()
            except Exception:
                log.exception("After-commit work of a Stripe event failed")


def _apply_batch(first: int | None, after: int, limit: int, counts: dict[str, int],
                 deadline: float) -> tuple[int, int, int]:
    """Claim a batch (``_claim``) and apply it in one transaction (a savepoint each), until ``deadline``;
    returns (events claimed, events reached, the last id reached): those claimed but not reached are
    unlocked by the commit and taken by the next batch.

    One commit per batch instead of one per event; the receipts of the batch are numbered at its end
    (``billing.actions.same_organisation``), so the counter is held only from there to the commit. Run as
    the outermost transaction (a worker), the commit hooks the events registered are taken out of the
    transaction and run together after it commits (``_run_hooks``); inside a caller's transaction
    (tests, the immediate backend) they are left to that transaction, as usual."""
    from tribu.billing.actions import same_organisation

    outermost = not connection.in_atomic_block
    hooks: list[Any] = []
    last, reached = after, 0
    with transaction.atomic(), same_organisation():
        claimed = _claim(first, after, limit)
        if first is not None and (not claimed or claimed[0][0] != first):
            counts["skipped"] += 1  # already applied, or being applied by another worker right now
        for done, (pk, kind, payload) in enumerate(claimed):
            if done and time.monotonic() > deadline:
                break
            counts[_apply_one(pk, kind, payload)] += 1
            reached += 1
            if pk != first:
                last = max(last, pk)
        if outermost:
            # Django's own list of this transaction's commit hooks (private): taken over, so that they run
            # after the commit in one transaction; were the commit to fail, they are dropped with it.
            hooks, connection.run_on_commit = connection.run_on_commit, []
    _run_hooks(hooks)
    return len(claimed), reached, last


def _applied(event_id: int) -> bool:
    """Whether the event is applied; if another worker's batch holds its row, once that batch ends."""
    with transaction.atomic():
        rows = StripeEvent.objects.filter(pk=event_id)
        if connection.features.has_select_for_update:
            rows = rows.select_for_update()
        return rows.values_list("processed_at", flat=True).first() is not None


def apply_pending(event_id: int | None = None, *, limit: int = BATCH, seconds: float = BATCH_SECONDS,
                  drain: bool = True) -> dict[str, int]:
    """Apply ``event_id`` and the other events waiting (oldest first, not the ones that already failed:
    their own task retries them), ``limit`` at a time, each batch one transaction of at most about
    ``seconds`` (row locks are held until it commits); with ``drain``, until none is waiting. Another
    worker running this at the same time takes other events (``_claim``). Returns the outcomes counted,
    and ``own`` (1 when ``event_id`` is applied or was already)."""
    counts = {"applied": 0, "skipped": 0, "failed": 0, "own": 0}
    first = event_id
    last = 0
    with changes.collected():
        while True:
            claimed, reached, last = _apply_batch(first, last, limit, counts, time.monotonic() + seconds)
            first = None
            if reached < claimed:
                continue  # the batch's time was up: the rest of its events in the next one
            if not claimed or not drain or claimed < limit:
                break
    if event_id is not None:
        counts["own"] = int(_applied(event_id))
    return counts


def retry_stale(now: datetime | None = None) -> int:
    """Queue again the events left unprocessed for a while (a worker died, Stripe was down through
    every retry of their task). Applying is idempotent, so a duplicate job is harmless."""
    from .tasks import apply_events

    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = list(StripeEvent.objects.filter(processed_at__isnull=True, received_at__lt=cutoff)
                 .order_by("id").values_list("pk", flat=True)[:BATCH])
    for pk in stale:
        apply_events.enqueue(pk)
    return len(stale)


# --- helpers -------------------------------------------------------------------------------------------


def _payment_by_reference(reference: str, **fallback: str) -> Payment | None:
    rows = Payment.objects.select_related("user", "company", "tier")
    if reference:
        found = rows.filter(reference=reference).first()
        if found is not None:
            return found
    for key, value in fallback.items():
        if value:
            found = rows.filter(**{key: value}).order_by("id").first()
            if found is not None:
                return found
    return None


def _lock(payment: Payment) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).select_related("user", "company", "tier").get(
        pk=payment.pk)


def _date(timestamp: int | None) -> Any:
    if not timestamp:
        return None
    return timezone.localdate(datetime.fromtimestamp(int(timestamp), tz=UTC))


def _origin(subscription: dict[str, Any]) -> Payment | None:
    """The Checkout payment that started the subscription (its anchor), locked."""
    metadata = subscription.get("metadata") or {}
    origin = _payment_by_reference(str(metadata.get("reference") or ""),
                                   stripe_subscription=str(subscription.get("id") or ""))
    return _lock(origin) if origin is not None else None


# --- Checkout ------------------------------------------------------------------------------------------


def _locked_by_reference(reference: str, session_id: str) -> Payment | None:
    rows = Payment.objects.select_for_update(of=("self",)).select_related("user", "company", "tier")
    found = rows.filter(reference=reference).first() if reference else None
    if found is None and session_id:
        found = rows.filter(stripe_checkout_session=session_id).first()
    return found


def checkout_completed(session: dict[str, Any]) -> None:
    metadata = session.get("metadata") or {}
    payment = _locked_by_reference(str(metadata.get("reference") or session.get("client_reference_id") or ""),
                                   str(session.get("id") or ""))
    if payment is None:
        log.info("Checkout session %s is not one of ours", session.get("id"))
        return
    ids = {"stripe_checkout_session": str(session.get("id") or ""),
           "stripe_customer": gateway.id_of(session.get("customer"))}
    if session.get("mode") == "subscription":
        sub_id = gateway.id_of(session.get("subscription"))
        ids["stripe_subscription"] = sub_id
        _store_ids(payment, ids)
        if sub_id:
            subscription = gateway.retrieve_subscription(sub_id)
            invoice_id = gateway.id_of(subscription.get("latest_invoice"))
            if invoice_id:
                _invoice_paid(gateway.retrieve_invoice(invoice_id), subscription, payment)
        return
    if session.get("payment_status") in ("paid", "no_payment_required"):
        ids["stripe_payment_intent"] = gateway.payment_intent_of(session)
        total = session.get("amount_total")
        actions.mark_paid(payment, amount_cents=int(total) if total is not None else None, locked=True, **ids)
    else:  # a delayed method: ``checkout.session.async_payment_succeeded`` follows
        _store_ids(payment, ids)


def checkout_failed(session: dict[str, Any]) -> None:
    """The Checkout expired or its delayed payment failed: the pending payment is void (a new attempt
    starts a new one)."""
    payment = _payment_by_reference(str((session.get("metadata") or {}).get("reference") or ""),
                                    stripe_checkout_session=str(session.get("id") or ""))
    if payment is None:
        return
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
        status=PaymentStatus.CANCELLED if session.get("status") == "expired" else PaymentStatus.FAILED,
        checkout_url="", updated_at=timezone.now(),
    )


def _store_ids(payment: Payment, ids: dict[str, str]) -> None:
    changed = [k for k, v in ids.items() if v and not getattr(payment, k)]
    for key in changed:
        setattr(payment, key, ids[key])
    if changed:
        payment.save(update_fields=[*changed, "updated_at"])


# --- invoices (subscriptions) -----------------------------------------------------------------------------


def _invoice_payment(invoice: dict[str, Any], subscription: dict[str, Any], origin: Payment) -> Payment:
    """The payment of this invoice: found, the anchor itself (the first invoice), or a new one."""
    found = Payment.objects.filter(stripe_invoice=str(invoice["id"])).first()
    if found is not None:
        return found
    if not origin.stripe_invoice and origin.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        return origin
    return actions._create_payment(
        purpose=PaymentPurpose.MEMBERSHIP, user=origin.user, company=origin.company, tier=origin.tier,
        description=origin.description, amount_cents=int(invoice.get("amount_due") or origin.amount_cents),
        currency=str(invoice.get("currency") or origin.currency).upper(), method=PaymentMethod.CARD,
        recurring=True, stripe_invoice=str(invoice["id"]), stripe_subscription=str(subscription["id"]),
        stripe_customer=gateway.id_of(subscription.get("customer")),
    )


def _invoice_paid(invoice: dict[str, Any], subscription: dict[str, Any], origin: Payment) -> None:
    if invoice.get("status") != "paid":
        return  # not paid (yet): its own ``invoice.paid`` will come
    payment = _invoice_payment(invoice, subscription, origin)
    actions.mark_paid(
        payment, amount_cents=int(invoice.get("amount_paid") or payment.amount_cents),
        ends_on=_date(gateway.current_period_end(subscription)),
        stripe_invoice=str(invoice["id"]), stripe_subscription=str(subscription["id"]),
        stripe_customer=gateway.id_of(subscription.get("customer")),
        stripe_payment_intent=gateway.payment_intent_of(invoice),
    )


def invoice_paid(invoice: dict[str, Any]) -> None:
    sub_id = gateway.subscription_of_invoice(invoice)
    if not sub_id:
        return
    current = gateway.retrieve_invoice(str(invoice["id"]))
    subscription = gateway.retrieve_subscription(sub_id)
    origin = _origin(subscription)
    if origin is None:
        log.info("Subscription %s is not one of ours", sub_id)
        return
    _invoice_paid(current, subscription, origin)


def invoice_payment_failed(invoice: dict[str, Any]) -> None:
    """A renewal's card was declined: the dunning path — the payment is failed, the membership enters
    (or stays in) its grace period, the payer gets an email with the link to update their card."""
    sub_id = gateway.subscription_of_invoice(invoice)
    if not sub_id:
        return
    current = gateway.retrieve_invoice(str(invoice["id"]))
    if current.get("status") == "paid":
        return  # a later attempt succeeded: nothing to chase
    subscription = gateway.retrieve_subscription(sub_id)
    origin = _origin(subscription)
    if origin is None:
        return
    payment = _invoice_payment(current, subscription, origin)
    if payment.pk == origin.pk:
        _store_ids(payment, {"stripe_invoice": str(current["id"])})
    if not actions.mark_failed(payment):
        return
    _dunning(origin)


def _dunning(origin: Payment) -> None:
    holder = {"user": origin.user} if origin.user_id else {"company": origin.company}
    membership = m_actions.current_membership(**holder)
    if membership is not None:
        effects.start_grace(membership)
    people = [origin.user] if origin.user_id else m_actions.recipients(membership) if membership else []
    from tribu.core.emails import send_templated_email_on_commit

    for person in people:
        if person is not None and person.is_active and person.email:
            send_templated_email_on_commit(person, "payments/emails/payment_failed", {
                "payment": origin, "membership": membership, "portal_url": reverse("payments:portal"),
                "mine_url": reverse("payments:mine"),
            })


# --- subscriptions ----------------------------------------------------------------------------------------


def subscription_changed(subscription: dict[str, Any]) -> None:
    """Re-read the subscription: past due or unpaid starts the dunning path; cancelled (by the member
    in the portal, or by Stripe after the last retry) stops the renewals — the membership runs to its
    end, then the lifecycle's grace and expiry apply."""
    try:
        current = gateway.retrieve_subscription(str(subscription["id"]))
    except gateway.StripeUnavailable:
        if subscription.get("status") != "canceled":
            raise
        current = subscription  # a deleted subscription may no longer be readable
    origin = _origin(current)
    if origin is None:
        return
    status = current.get("status")
    if status in ("past_due", "unpaid"):
        holder = {"user": origin.user} if origin.user_id else {"company": origin.company}
        membership = m_actions.current_membership(**holder)
        if membership is not None:
            effects.start_grace(membership)
    elif status in ("canceled", "incomplete_expired"):
        ended = Payment.objects.filter(stripe_subscription=str(current["id"]), recurring=True).update(
            recurring=False, updated_at=timezone.now())
        if ended:
            actions._log(None, "payment.subscription_ended", origin)


# --- refunds ----------------------------------------------------------------------------------------------


def charge_refunded(charge: dict[str, Any]) -> None:
    current = gateway.retrieve_charge(str(charge["id"]))
    pi = gateway.payment_intent_of(current) or gateway.payment_intent_of(charge)
    invoice = gateway.id_of(current.get("invoice"))
    payment = None
    if pi:
        payment = Payment.objects.filter(stripe_payment_intent=pi).order_by("id").first()
    if payment is None and invoice:
        payment = Payment.objects.filter(stripe_invoice=invoice).first()
    if payment is None:
        log.info("Charge %s is not one of ours", charge.get("id"))
        return
    actions.apply_refund(payment, int(current.get("amount_refunded") or 0))


HANDLERS = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": checkout_completed,
    "checkout.session.async_payment_failed": checkout_failed,
    "checkout.session.expired": checkout_failed,
    "invoice.paid": invoice_paid,
    "invoice.payment_succeeded": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "charge.refunded": charge_refunded,
}
