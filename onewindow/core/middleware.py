from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import context


def client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy, the proxy sets REMOTE_ADDR via gunicorn's forwarded-allow-ips.
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        token = context.set_current(
            context.RequestContext(
                ip=client_ip(request),
                user_id=user.pk if user is not None and user.is_authenticated else None,
                path=request.path,
            )
        )
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
