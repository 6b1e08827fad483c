"""Page guards: staff only, second factor where required, permission by role."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .choices import UserKind
from .selectors import has_permission, is_verified, needs_second_factor, request_actor


def staff_required(permission: str | None = None) -> Callable[..., Any]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect(f"/accounts/login/?next={request.get_full_path()}")
            user = request_actor(request)
            if user.kind != UserKind.STAFF:
                raise PermissionDenied("工作人员专用页面")
            if needs_second_factor(user) and not is_verified(user):
                return redirect("accounts:otp")
            if permission and not has_permission(user, permission):
                raise PermissionDenied("您的岗位无权使用此功能")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def applicant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated or request_actor(request).kind != UserKind.APPLICANT:
            return redirect(f"/accounts/applicant/login/?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapped
