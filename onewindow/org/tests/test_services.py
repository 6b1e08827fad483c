import pytest

from onewindow.accounts.models import User
from onewindow.audit.models import AuditEntry
from onewindow.core.errors import InvalidInput, NotAllowed
from onewindow.org import selectors, services
from onewindow.org.choices import RegionLevel, WindowKind
from onewindow.org.models import Region, ServicePoint

pytestmark = pytest.mark.django_db


def county() -> Region:
    return Region.objects.get(code="610799000000")


def test_region_path_makes_the_subtree_one_prefix_query() -> None:
    sysadmin = User.objects.get(username="xitong")
    town = services.region_create(
        actor=sysadmin, code="610799104000", name="新民镇", level=RegionLevel.TOWN, parent=county()
    )
    village = services.region_create(
        actor=sysadmin, code="610799104001", name="新民村", level=RegionLevel.VILLAGE, parent=town
    )
    assert village.path == "610799000000/610799104000/610799104001/"
    assert set(selectors.region_subtree(town)) == {town, village}
    entry = AuditEntry.objects.filter(action="org.region.create").latest("id")
    assert entry.actor_id == sysadmin.pk and entry.role == "sysadmin"


@pytest.mark.parametrize(
    ("code", "level", "field"),
    [
        ("6107991040", RegionLevel.TOWN, "code"),  # not 12 digits
        ("610799001000", RegionLevel.TOWN, "code"),  # already there
        ("610799105000", RegionLevel.COUNTY, "level"),  # a county under a county
        ("610799105000", "street", "level"),
    ],
)
def test_region_create_refuses_bad_input(code: str, level: str, field: str) -> None:
    before = Region.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.region_create(actor=None, code=code, name="某地", level=level, parent=county())
    assert exc.value.field == field
    assert Region.objects.count() == before


def test_only_the_system_administrator_changes_the_organisation() -> None:
    point = ServicePoint.objects.get(name="青溪县政务服务中心")
    for username in ("zc01", "jiancha", "anquan", "shenji"):
        with pytest.raises(NotAllowed):
            services.window_create(
                actor=User.objects.get(username=username),
                service_point=point,
                number="99",
                name="临时窗口",
                kind=WindowKind.COMPREHENSIVE,
            )
    with pytest.raises(InvalidInput, match="部门专窗须选择所属部门") as exc:
        services.window_create(
            actor=User.objects.get(username="xitong"),
            service_point=point,
            number="99",
            name="专窗",
            kind=WindowKind.DEPARTMENT,
        )
    assert exc.value.field == "department"
    with pytest.raises(InvalidInput, match="已有 01 号窗口"):
        services.window_create(
            actor=None, service_point=point, number="01", name="重复", kind=WindowKind.COMPREHENSIVE
        )
