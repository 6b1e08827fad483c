"""Who is acting, from where: set per request by middleware, read by the audit log."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_id: int | None = None
    path: str = ""


_current: ContextVar[RequestContext | None] = ContextVar("onewindow_request", default=None)


def current() -> RequestContext | None:
    return _current.get()


def set_current(ctx: RequestContext | None):
    return _current.set(ctx)


def reset(token) -> None:
    _current.reset(token)
