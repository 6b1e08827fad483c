"""Time limits of the appeal clocks, in working days (cases/clock.py's calendar).

Settings may override: ONEWINDOW_APPEAL_SIGN_DAYS, ONEWINDOW_APPEAL_HANDLE_DAYS (kind → days),
ONEWINDOW_APPEAL_MAX_REOPEN. Urgent appeals must be signed for and handled the same day (0).
"""

from __future__ import annotations

from django.conf import settings

from .choices import Kind, Urgency

SIGN_DAYS = 1
HANDLE_DAYS: dict[str, int] = {
    Kind.CONSULTATION: 3,
    Kind.HELP: 5,
    Kind.COMPLAINT: 13,
    Kind.REPORT: 13,
    Kind.SUGGESTION: 13,
    Kind.PRAISE: 5,
    Kind.CANNOT_GET_DONE: 5,
}
MAX_REOPEN = 2
# working days past a due date before each automatic step: 催办, 督办, 提级
LADDER = (("remind", 1), ("supervise", 2), ("escalate", 3))


def sign_days(urgency: str) -> int:
    if urgency == Urgency.URGENT:
        return 0
    return int(getattr(settings, "ONEWINDOW_APPEAL_SIGN_DAYS", SIGN_DAYS))


def handle_days(kind: str, urgency: str) -> int:
    if urgency == Urgency.URGENT:
        return 0
    table = {**HANDLE_DAYS, **getattr(settings, "ONEWINDOW_APPEAL_HANDLE_DAYS", {})}
    return int(table[kind])


def max_reopen() -> int:
    return int(getattr(settings, "ONEWINDOW_APPEAL_MAX_REOPEN", MAX_REOPEN))
