"""Test settings: the database from DATABASE_URL (SQLite when unset), fast hashing."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not env("DATABASE_URL"):
    DATABASES["default"]["NAME"] = str(BASE_DIR / "var" / "test.sqlite3")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# What the tests store (uploads, the demo's forms, on every reload of the demo) goes to a folder
# of this process, removed when it exits, not to var/media.
if not os.environ.get("ONEWINDOW_MEDIA_ROOT"):
    MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="onewindow-test-media-"))
    atexit.register(shutil.rmtree, MEDIA_ROOT, ignore_errors=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ONEWINDOW_PERSONAL_DATA_KEY = "test-personal-data-key"
# No follow-up sealing thread outliving a test (a test that wants it turns it on).
ONEWINDOW_AUDIT_SEAL_FOLLOWUP = False
# Tasks run at once where they are enqueued; the worker's own tests switch to the database
# backend (onewindow/jobs/tests).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
