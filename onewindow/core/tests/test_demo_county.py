import pytest
from django.apps import apps
from django.core.management import call_command

from onewindow.accounts.choices import Role
from onewindow.accounts.models import Post, User
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region, ServicePoint, Window

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    # every model of the apps the demo writes to, but the audit chain's head (sealing state)
    return {
        m._meta.label: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "org", "audit", "calendar", "catalogue"}
        and m._meta.label != "audit.AuditChainHead"
    }


def test_demo_county_has_the_promised_shape() -> None:
    assert Region.objects.filter(level=RegionLevel.COUNTY).count() == 1
    assert Region.objects.filter(level=RegionLevel.TOWN).count() >= 4
    assert Region.objects.filter(level=RegionLevel.VILLAGE).count() >= 12
    # every region has its service point, every service point a window
    assert ServicePoint.objects.count() == Region.objects.count()
    assert not ServicePoint.objects.filter(windows__isnull=True).exists()
    assert Department.objects.count() >= 21  # 20 stationed departments + the approval bureau
    assert Department.objects.filter(name__contains="行政审批").exists()
    # every role at every level, every post with distinct A and B holders
    for role in Role.values:
        assert Post.objects.filter(role=role).exists(), role
    for level in (RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE):
        assert Post.objects.filter(region__level=level).exists()
    assert not Post.objects.filter(holder_b__isnull=True).exists()
    assert all(p.holder_a_id != p.holder_b_id for p in Post.objects.all())
    assert Window.objects.filter(service_point__region__level=RegionLevel.VILLAGE).exists()


def test_loading_the_demo_again_changes_nothing(capsys) -> None:  # type: ignore[no-untyped-def]
    before = counts()
    passwords = dict(User.objects.values_list("username", "password"))
    call_command("demo", verbosity=0, no_history=True)  # the test county has no case history
    assert counts() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert "未做任何改动" in capsys.readouterr().out
