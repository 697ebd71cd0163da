"""Where attachments are kept: never under ``MEDIA_ROOT`` (which the embedded server hands to anyone),
so a file is only reached through ``media:download``, which asks the owner's policy first.

``STORAGES["attachments"]`` wins when set (an S3 bucket without public access in production); with S3
as the default storage the default is used (keep that bucket private); otherwise a local folder
``$TRIBU_DATA_DIR/attachments``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages


def attachment_storage() -> Storage:
    if "attachments" in settings.STORAGES:
        return storages["attachments"]
    if not settings.STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
        return storages["default"]
    return FileSystemStorage(location=settings.DATA_DIR / "attachments", base_url=None)
