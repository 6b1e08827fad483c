from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "centre_name": settings.ONEWINDOW_CENTRE_NAME,
        "display_large": request.COOKIES.get("ow_large") == "1",
        "display_contrast": request.COOKIES.get("ow_contrast") == "1",
    }
