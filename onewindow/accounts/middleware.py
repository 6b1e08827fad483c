from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from .choices import UserKind

_KEY = "ow_last_seen"


class StaffIdleTimeoutMiddleware:
    """Signs staff out after ONEWINDOW_STAFF_IDLE_SECONDS (30 minutes) without a request.

    The session is written at most once a minute, so an active user costs no write per request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.kind == UserKind.STAFF:
            now = int(time.time())
            last = request.session.get(_KEY)
            if last is not None and now - last > settings.ONEWINDOW_STAFF_IDLE_SECONDS:
                logout(request)
                messages.info(
                    request, "您已超过 30 分钟未操作，为保护信息安全已自动退出，请重新登录。"
                )
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
            if last is None or now - last >= 60:
                request.session[_KEY] = now
        return self.get_response(request)
