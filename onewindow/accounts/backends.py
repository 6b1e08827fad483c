"""Sign-in: staff by user name, applicants by mobile number. Both with a password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .choices import UserKind
from .models import User


class StaffBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password or kwargs.get("applicant"):
            return None
        try:
            user = User.objects.get(username=username, kind=UserKind.STAFF)
        except User.DoesNotExist:
            User().set_password(password)  # same time whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class ApplicantPhoneBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or not password or not kwargs.get("applicant"):
            return None
        try:
            user = User.objects.get(phone=username, kind=UserKind.APPLICANT)
        except User.DoesNotExist:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
