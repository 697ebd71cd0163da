"""Settings for the test suite: the real settings, with test defaults set before they are read."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("TRIBU_TESTING", "1")
os.environ.setdefault("TRIBU_TASK_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
# Each run gets its own data folder (SQLite test database, outbox, uploads), so runs never collide.
if "TRIBU_DATA_DIR" not in os.environ:
    os.environ["TRIBU_DATA_DIR"] = tempfile.mkdtemp(prefix="tribu-test-")
    atexit.register(shutil.rmtree, os.environ["TRIBU_DATA_DIR"], ignore_errors=True)

from tribu.settings import *  # noqa: F403
