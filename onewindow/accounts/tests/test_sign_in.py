import time

import pytest
from django.test import Client

from onewindow.accounts.models import User
from onewindow.audit.models import AuditEntry
from onewindow.conftest import login_client

pytestmark = pytest.mark.django_db


def test_staff_signs_in_and_sees_their_posts(demo_password: str) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "chengguan_sl1", "password": demo_password}, follow=True
    )
    page = response.content.decode()
    assert "城关街道综窗受理岗" in page and "城关街道" in page
    assert response.redirect_chain[-1][0] == "/workbench/"


def test_five_failures_lock_the_account_and_the_address(demo_password: str) -> None:
    client = Client()
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "zc03", "password": "wrong"})
        assert response.status_code == 200
        assert "不正确" in response.content.decode()
    fifth = client.post("/accounts/login/", {"username": "zc03", "password": "wrong"})
    assert fifth.status_code == 429
    response = client.post("/accounts/login/", {"username": "zc03", "password": demo_password})
    assert response.status_code == 429
    assert "锁定 15 分钟" in response.content.decode()
    # the address is locked for other accounts too
    other = client.post("/accounts/login/", {"username": "zc04", "password": demo_password})
    assert other.status_code == 429
    # and the account from another address
    elsewhere = Client(REMOTE_ADDR="10.9.9.9")
    response = elsewhere.post("/accounts/login/", {"username": "zc03", "password": demo_password})
    assert response.status_code == 429


def test_administrators_need_the_second_factor(demo_password: str) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "anquan", "password": demo_password})
    assert response["Location"] == "/accounts/otp/"
    # not signed in yet: the workbench sends them to sign in
    assert client.get("/workbench/security/").status_code == 302
    page = client.get("/accounts/otp/").content.decode()
    assert "绑定身份验证器" in page and "data:image/svg+xml" in page
    response = client.post("/accounts/otp/", {"token": "000000"})
    assert "动态验证码不正确" in response.content.decode()
    assert login_client("shenji").get("/workbench/audit/").status_code == 200


def test_staff_are_signed_out_after_30_idle_minutes() -> None:
    client = login_client("zc01")
    assert client.get("/workbench/").status_code == 200
    session = client.session
    session["ow_last_seen"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/workbench/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/workbench/").status_code == 302  # really signed out


def test_applicant_registers_with_checked_identifiers() -> None:
    client = Client()
    data = {
        "kind": "person",
        "name": "孙八",
        "id_number": "110105194912310021",
        "phone": "13755556666",
        "password": "Good#Pass2026",
        "password2": "Good#Pass2026",
    }
    page = client.post("/accounts/applicant/register/", data).content.decode()
    assert "身份证号码" in page and "校验位不正确" in page
    assert not User.objects.filter(phone="13755556666").exists()
    data["id_number"] = "11010519491231002X"
    response = client.post("/accounts/applicant/register/", data)
    assert response.status_code == 302
    me = client.get("/me/").content.decode()
    assert "110***********002X" in me and "11010519491231002X" not in me
    assert "137****6666" in me


def test_applicant_signs_in_by_phone(demo_password: str) -> None:
    client = Client()
    response = client.post(
        "/accounts/applicant/login/", {"username": "13900000001", "password": demo_password}
    )
    assert response.status_code == 302 and response["Location"] == "/me/"
    # a staff login name is not an applicant login
    response = client.post(
        "/accounts/applicant/login/", {"username": "zc01", "password": demo_password}
    )
    assert response.status_code == 200


def test_personal_data_is_masked_and_reveal_is_logged() -> None:
    client = login_client("zc01")
    page = client.get("/workbench/applicants/?q=李秀英").content.decode()
    assert "610***********" in page
    applicant_id = User.objects.get(phone="13900000001").applicant.pk
    response = client.post(f"/workbench/applicants/{applicant_id}/reveal/", {"field": "id_number"})
    assert response.status_code == 200
    assert User.objects.get(phone="13900000001").applicant.id_number in response.content.decode()
    assert AuditEntry.objects.filter(action="personal.reveal").exists()
    # an approver sees masked numbers and cannot reveal
    approver = login_client("scjg_sp2")
    assert "查看完整" not in approver.get("/workbench/applicants/").content.decode()
    assert (
        approver.post(
            f"/workbench/applicants/{applicant_id}/reveal/", {"field": "phone"}
        ).status_code
        == 403
    )


def test_any_staff_member_may_enrol_a_second_factor(demo_password: str) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = login_client("zc05")
    assert "启用双因素认证" in client.get("/workbench/").content.decode()
    assert "绑定身份验证器" in client.get("/accounts/otp/").content.decode()
    device = TOTPDevice.objects.get(user__username="zc05")
    token = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert client.post("/accounts/otp/", {"token": token}).status_code == 302
    assert TOTPDevice.objects.get(user__username="zc05").confirmed
    home = client.get("/workbench/").content.decode()
    assert "已启用" in home and "启用双因素认证" not in home
    # from now on their sign-in asks for the code
    response = Client().post("/accounts/login/", {"username": "zc05", "password": demo_password})
    assert response["Location"] == "/accounts/otp/"


def test_system_administrator_adds_staff_with_the_password_policy() -> None:
    client = login_client("xitong")
    response = client.post(
        "/workbench/staff/new/",
        {"username": "wang_new", "name": "王新", "phone": "", "password": "simple"},
    )
    assert "密码不符合要求" in response.content.decode()
    assert not User.objects.filter(username="wang_new").exists()
    response = client.post(
        "/workbench/staff/new/",
        {
            "username": "wang_new",
            "name": "王新",
            "phone": "13812345678",
            "password": "Strong#Pass2026",
        },
    )
    assert response.status_code == 302
    assert AuditEntry.objects.filter(
        action="accounts.staff.create", actor__username="xitong"
    ).exists()
    assert login_client("zc01").get("/workbench/staff/new/").status_code == 403


def test_sign_ins_and_failures_are_audited(demo_password: str) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "zc06", "password": "nope"})
    client.post("/accounts/applicant/login/", {"username": "13900000002", "password": "nope"})
    client.post("/accounts/login/", {"username": "zc06", "password": demo_password})
    failed = list(
        AuditEntry.objects.filter(action="accounts.login_failed").values_list(
            "object_id", flat=True
        )
    )
    assert "zc06" in failed and "139****0002" in failed
    assert "13900000002" not in str(failed)
    ok = AuditEntry.objects.filter(action="accounts.login", actor__username="zc06").get()
    assert ok.ip == "127.0.0.1" and ok.role == "staff"


def test_security_administrator_lifts_a_lockout_on_record(demo_password: str) -> None:
    from axes.models import AccessAttempt

    locked = Client(REMOTE_ADDR="10.1.1.1")  # the staff below sign in from 127.0.0.1
    for _ in range(5):
        locked.post("/accounts/applicant/login/", {"username": "13900000003", "password": "x"})
    assert (
        locked.post(
            "/accounts/applicant/login/", {"username": "13900000003", "password": demo_password}
        ).status_code
        == 429
    )
    secadmin = login_client("anquan")
    page = secadmin.get("/workbench/security/").content.decode()
    assert "139****0003" in page and "13900000003" not in page  # the phone stays masked
    attempt = AccessAttempt.objects.get(username="13900000003")
    assert (
        login_client("zc01")
        .post("/workbench/security/unlock/", {"attempt": attempt.pk, "what": "username"})
        .status_code
        == 403
    )
    response = secadmin.post(
        "/workbench/security/unlock/", {"attempt": attempt.pk, "what": "username"}
    )
    assert response.status_code == 302
    assert (
        locked.post(
            "/accounts/applicant/login/", {"username": "13900000003", "password": demo_password}
        ).status_code
        == 302
    )
    entry = AuditEntry.objects.get(action="security.unlock")
    assert entry.role == "secadmin" and "139****0003" in entry.summary
