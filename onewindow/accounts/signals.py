"""Sign-in events go to the audit log (MLPS level 3 asks for a record of every sign-in)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from onewindow.audit.services import audit_record
from onewindow.core.personal import mask_phone

from .choices import UserKind


def _kind(user: Any) -> str:
    return "applicant" if getattr(user, "kind", "") == UserKind.APPLICANT else "staff"


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit_record(
            action="accounts.login", actor=user, role=_kind(user), obj=user, summary="登录成功"
        )


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with transaction.atomic():
            audit_record(
                action="accounts.logout", actor=user, role=_kind(user), obj=user, summary="退出登录"
            )


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    name = str(credentials.get("username", ""))[:64]
    shown = mask_phone(name) if name.isdigit() else name  # applicants sign in with a phone
    with transaction.atomic():
        audit_record(
            action="accounts.login_failed",
            object_type="accounts.user",
            object_id=shown,
            summary=f"登录失败：{shown}",
        )
