"""The worker's tests run the queue for real with the `db_queue` fixture (onewindow/conftest.py):
django-tasks-db's database backend instead of the immediate backend the rest of the suite uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onewindow.calendar.selectors import clear_calendar_cache


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    clear_calendar_cache()  # another test may have left its own calendar cached
    yield
    clear_calendar_cache()
