"""Who may call the staff endpoints: what `accounts.access.staff_required` asks of a page, as the
API's errors (403 in the common shape; no session is a 401 before this runs)."""

from __future__ import annotations

from django.http import HttpRequest

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User
from onewindow.accounts.selectors import (
    has_permission,
    is_verified,
    needs_second_factor,
    request_actor,
)
from onewindow.core.errors import NotAllowed


def staff_actor(request: HttpRequest, permission: str = "", refused: str = "") -> User:
    """The signed-in staff member, past the second factor where their role needs it, holding
    `permission` when one is named (else `refused` is the 403's message)."""
    user = request_actor(request)
    if user.kind != UserKind.STAFF:
        raise NotAllowed("本接口供工作人员使用。")
    if needs_second_factor(user) and not is_verified(user):
        raise NotAllowed("请先完成双因素认证。", code="second_factor_required")
    if permission and not has_permission(user, permission):
        raise NotAllowed(refused)
    return user
