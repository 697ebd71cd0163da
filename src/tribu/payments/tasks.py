"""Background tasks of payments: they take ids and are safe to run twice."""

from __future__ import annotations

from django.tasks import task


class EventNotApplied(Exception):
    """The event's handler failed (its error is on the ``StripeEvent`` row): the worker retries the task."""


# Before the emails and documents they cause: a payment is applied first, then announced.
@task(queue_name="default", priority=10)
def apply_events(event_id: int) -> dict[str, int]:
    """Apply a stored Stripe event, and the others waiting, once each (``webhooks.apply_pending``)."""
    from .webhooks import apply_pending

    counts = apply_pending(event_id)
    if not counts["own"]:
        raise EventNotApplied(f"Stripe event row {event_id} not applied yet")
    return counts
