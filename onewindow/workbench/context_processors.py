from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from onewindow.accounts.choices import UserKind
from onewindow.accounts.selectors import request_actor

from .menu import menu_for


def workbench_menu(request: HttpRequest) -> dict[str, object]:
    """The staff menu on every page that extends workbench/base.html, with the current entry
    (the longest menu URL that prefixes the path) marked."""
    if not request.user.is_authenticated or request_actor(request).kind != UserKind.STAFF:
        return {}
    menu = menu_for(request_actor(request))
    matches = [
        (len(reverse(url)), key)
        for key, _label, url in menu
        if request.path.startswith(reverse(url))
    ]
    return {"menu": menu, "active": max(matches)[1] if matches else ""}
