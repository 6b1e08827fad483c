"""Shared fixtures. The demo county is loaded once per test database (each xdist worker has its
own), and every test runs inside a transaction that is rolled back."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from onewindow.core.demo_county import DEMO_PASSWORD, DemoBuilder

IN_CI = os.environ.get("CI") == "true"
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        if IN_CI:
            pytest.fail(
                "CI needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
            )
        pytest.skip("no /usr/bin/chromium here")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def follow(page: Any, target: Any) -> None:
    """Click a link or a submit button and return once the page it leads to has loaded.

    A bare click returns when the navigation has started: reading the page right after it can
    see the old document, or the new one before it has any content."""
    with page.expect_navigation():
        target.click()


def sign_in(browser: Any, url: str, username: str, password: str, **options: Any) -> Any:
    """A new browser context signed in as a demo user (staff by login name, an applicant by
    phone number), on the page the sign-in leads to; `options` go to the context."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **options)
    page = context.new_page()
    if username.isdigit():
        page.goto(url + "/accounts/applicant/login/")
        page.get_by_label("手机号码").fill(username)
    else:
        page.goto(url + "/accounts/login/")
        page.get_by_label("登录名").fill(username)
    page.get_by_label("密码").fill(password)
    follow(page, page.get_by_role("button", name="登录"))
    if "/accounts/otp/" in page.url:  # a post with two factors: the authenticator's code
        page.get_by_label("动态验证码").fill(current_totp(username))
        follow(page, page.get_by_role("button", name="验证"))
    return page


def current_totp(username: str) -> str:
    """The code a demo user's authenticator shows now (the device is enrolled on the OTP page)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def load_demo_county() -> None:
    from importlib import import_module

    from django.apps import apps

    from onewindow.calendar.models import CalendarYear
    from onewindow.calendar.selectors import clear_calendar_cache

    if not CalendarYear.objects.exists():
        # a transactional test's flush also emptied what data migrations had seeded: the
        # calendar, the appeal categories and routing rules, the escalation ladder
        import_module("onewindow.calendar.migrations.0002_seed_2004_2026").seed(apps, None)
        clear_calendar_cache()
    from onewindow.appeals.models import Category
    from onewindow.supervision.models import EscalationRule

    if not Category.objects.exists():
        import_module("onewindow.appeals.seed").load(apps, None)
    if not EscalationRule.objects.exists():
        import_module("onewindow.supervision.migrations.0002_default_ladder").seed(apps, None)
    builder = DemoBuilder(history=False)
    for _label, step in builder.steps():
        step()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from onewindow.core import demo_snapshot

    with django_db_blocker.unblock():
        load_demo_county()
        demo_snapshot.take()
    yield
    if connection.vendor == "postgresql":
        # A live-server request thread still running when the session ends (the browser asked
        # for one more asset as it closed) keeps its connection; it would stop the test
        # database from being dropped. Close such strays before pytest-django drops it.
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


def ensure_demo_county() -> None:
    """The demo county again when a flush emptied the database: from the copy taken when the test
    database was made (`core.demo_snapshot`), else built anew."""
    from onewindow.calendar.selectors import clear_calendar_cache
    from onewindow.core import demo_snapshot
    from onewindow.core.demo_county import COUNTY_CODE
    from onewindow.org.models import Region

    if Region.objects.filter(code=COUNTY_CODE).exists():
        return
    if demo_snapshot.taken():
        demo_snapshot.restore()
        clear_calendar_cache()
    else:
        load_demo_county()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Put the demo county back as soon as a transactional test has flushed it, outside any test's
    transaction, so that the next test's transaction does not do it and roll it back."""
    yield
    if nextitem is None:  # the session's end: the test database is gone
        return
    if not ({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))):
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        ensure_demo_county()


_DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback"}


@pytest.fixture(autouse=True)
def _demo_county(request):
    """A transactional test (live server, concurrency) flushes the database when it ends; the
    hook above puts the demo county back at once, and this is the fallback for a database test
    that still finds it gone."""
    if request.node.get_closest_marker("django_db") or _DB_FIXTURES & set(request.fixturenames):
        ensure_demo_county()
    # rolled-back rows free their primary keys (SQLite reuses them): no version read from memory
    # outlives its test
    from onewindow.catalogue.selectors import forget_frozen_versions

    forget_frozen_versions()
    yield
    forget_frozen_versions()


DB_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _still_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count in the database over sliding windows (`core.ratelimit`), which each
    test rolls back or flushes; the time is held still so that a test counting up to a limit
    sees all its hits in one window."""
    from onewindow.core import ratelimit

    monkeypatch.setattr(ratelimit, "now", lambda: 1_800_000_000.0)


@pytest.fixture
def db_queue(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real queue (django-tasks-db's database backend) instead of the immediate backend the
    suite runs tasks with; `onewindow worker --once` then runs what was enqueued."""
    settings.TASKS = DB_BACKEND
    # The worker drops stale connections between tasks, as Django does between requests; a
    # connection inside a transaction counts as one to drop (PostgreSQL closes it), and each test
    # runs in a transaction that is rolled back: keep it, as Django's test client does.
    from django_tasks_db.management.commands import db_worker

    from onewindow.jobs.management.commands import worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


def login_client(username: str) -> Client:
    """A client signed in as a demo user, with the second factor passed where required."""
    client = Client()
    if username.isdigit():
        response = client.post(
            "/accounts/applicant/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        return client
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"].startswith("/accounts/otp/"):
        client.get("/accounts/otp/")  # enrols an unconfirmed device
        response = client.post("/accounts/otp/", {"token": current_totp(username)})
        assert response.status_code == 302, response.content.decode()[:500]
    return client


@pytest.fixture
def as_user():
    return login_client


@pytest.fixture
def require_postgres() -> None:
    if connection.vendor != "postgresql":
        if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("DATABASE_URL names PostgreSQL but the connection is not PostgreSQL")
        pytest.skip("needs PostgreSQL (the CI runs the suite on it too)")
