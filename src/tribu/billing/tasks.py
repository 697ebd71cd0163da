"""Background tasks of billing: they take ids and are safe to run twice."""

from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def send_document(document_id: int) -> int:
    """Email a document with its PDF attached to the member (or the company's contacts)."""
    from .emails import send_document_now

    return send_document_now(document_id)
