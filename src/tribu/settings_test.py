"""Settings for the test suite: the real settings, with test defaults set before they are read."""

import os
from pathlib import Path

os.environ.setdefault("TRIBU_TESTING", "1")
os.environ.setdefault("TRIBU_TASK_BACKEND", "django.tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault("TRIBU_DATA_DIR", str(Path(__file__).resolve().parents[2] / "var" / "test-data"))

from tribu.settings import *  # noqa: E402, F403
