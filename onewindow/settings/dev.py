"""Settings for `make run` on one machine: SQLite, whitenoise, a local secret key."""

from .base import *  # noqa: F403
from .base import SECRET_KEY

if not SECRET_KEY:
    raise RuntimeError("ONEWINDOW_SECRET_KEY is not set: run `make setup`, which writes it to .env")
