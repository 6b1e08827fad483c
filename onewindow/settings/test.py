"""Test settings: the database from DATABASE_URL (SQLite when unset), fast hashing."""

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
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
ONEWINDOW_PERSONAL_DATA_KEY = "test-personal-data-key"
# No follow-up sealing thread outliving a test (a test that wants it turns it on).
ONEWINDOW_AUDIT_SEAL_FOLLOWUP = False
