"""Public pages of cases that need no sign-in: the e-licence verification page its QR code opens."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .documents import verify_licence


def verify(request: HttpRequest, token: str) -> HttpResponse:
    result = verify_licence(token)
    if result is None:
        return render(request, "cases/verify_unknown.html", {}, status=404)
    return render(request, "cases/verify.html", {"v": result})
