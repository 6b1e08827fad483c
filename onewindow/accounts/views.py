"""Sign-in pages: staff (password, then TOTP where required), applicants (phone + password)."""

from __future__ import annotations

import time

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from onewindow.core.errors import DomainError

from . import services
from .choices import UserKind
from .forms import ApplicantLoginForm, ApplicantRegisterForm, StaffLoginForm, TokenForm
from .models import User
from .selectors import is_verified, needs_second_factor, request_actor

_PENDING = "ow_otp_pending"
_PENDING_SECONDS = 300


def _next_url(request: HttpRequest, default: str) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, request.is_secure()):
        return url
    return default


def staff_login(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=429)
        if user is None or user.kind != UserKind.STAFF:
            form.add_error(None, "登录名或密码不正确。连续 5 次错误将锁定 15 分钟。")
        elif (
            needs_second_factor(user)
            or TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        ):
            request.session[_PENDING] = {
                "id": user.pk,
                "at": int(time.time()),
                "backend": getattr(user, "backend", ""),
                "next": _next_url(request, "/workbench/"),
            }
            return redirect("accounts:otp")
        else:
            login(request, user)
            return redirect(_next_url(request, "/workbench/"))
    return render(
        request, "accounts/staff_login.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(_PENDING)
    if pending and int(time.time()) - pending["at"] <= _PENDING_SECONDS:
        return User.objects.filter(pk=pending["id"], is_active=True).first()
    if request.user.is_authenticated:
        user = request_actor(request)
        if user.kind == UserKind.STAFF and not is_verified(user):
            return user  # required, or enrolling of their own accord
    return None


def otp(request: HttpRequest) -> HttpResponse:
    """Second step: a TOTP code. Administrators without a device enrol here first."""
    user = _pending_user(request)
    if user is None:
        messages.info(request, "请先输入登录名和密码。")
        return redirect("accounts:staff-login")
    confirmed = TOTPDevice.objects.devices_for_user(user, confirmed=True).first()
    device = confirmed or TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if not device.confirmed:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            pending = request.session.pop(_PENDING, None) or {}
            if not request.user.is_authenticated:
                user.backend = pending.get(  # type: ignore[attr-defined]  # read by login()
                    "backend", "onewindow.accounts.backends.StaffBackend"
                )
                login(request, user)
            otp_login(request, device)
            return redirect(pending.get("next") or "/workbench/")
        form.add_error("token", "动态验证码不正确或已过期，请输入身份验证器上当前显示的 6 位数字。")
    context: dict[str, object] = {"form": form, "enrol": not device.confirmed}
    if not device.confirmed:
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
        context["secret"] = _base32(device.bin_key)
    return render(request, "accounts/otp.html", context)


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


def applicant_login(request: HttpRequest) -> HttpResponse:
    form = ApplicantLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"].strip(),
            password=form.cleaned_data["password"],
            applicant=True,
        )
        if getattr(request, "axes_locked_out", False):
            return render(request, "accounts/locked.html", status=429)
        if user is None:
            form.add_error(None, "手机号码或密码不正确。连续 5 次错误将锁定 15 分钟。")
        else:
            login(request, user)
            return redirect(_next_url(request, "/me/"))
    return render(
        request,
        "accounts/applicant_login.html",
        {"form": form, "next": request.GET.get("next", "")},
    )


def applicant_register(request: HttpRequest) -> HttpResponse:
    form = ApplicantRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            applicant = services.applicant_register(
                kind=data["kind"],
                name=data["name"],
                phone=data["phone"],
                password=data["password"],
                id_number=data.get("id_number", ""),
                credit_code=data.get("credit_code", ""),
                legal_representative=data.get("legal_representative", ""),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            login(
                request, applicant.user, backend="onewindow.accounts.backends.ApplicantPhoneBackend"
            )
            messages.success(request, "注册成功，欢迎使用一窗通办。")
            return redirect("portal:me")
    return render(request, "accounts/applicant_register.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("portal:home")
