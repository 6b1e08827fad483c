"""The jurisdiction matrix: actor × object × action → allowed, 403, 404 or sign-in.

The expectations are written from the rules, not from the code: a town's staff reach only their
town (and its villages), a village's staff only their village, a department's staff only their
department's windows, the county's comprehensive staff, the supervisor and the system
administrator everything; the security and audit administrators and applicants no org pages.
"""

from __future__ import annotations

import pytest
from django.test import Client

from onewindow.accounts.models import User
from onewindow.conftest import login_client
from onewindow.org.models import Window

pytestmark = pytest.mark.django_db

OBJECTS = {
    "centre-01": ("青溪县政务服务中心", "01"),
    "centre-scjg": ("青溪县政务服务中心", "D02"),
    "centre-ga": ("青溪县政务服务中心", "D03"),
    "chengguan-01": ("城关街道便民服务中心", "01"),
    "qingshi-01": ("青石镇便民服务中心", "01"),
    "qingshi-village": ("青石村便民服务站", "01"),
}

EVERYTHING = set(OBJECTS)
REACH = {
    "anonymous": "login",
    "applicant": 403,
    "zc01": EVERYTHING,  # county comprehensive window
    "jiancha": EVERYTHING,  # centre supervisor
    "xitong": EVERYTHING,  # system administrator
    "shenji": 403,  # audit administrator: no org pages
    "anquan": 403,  # security administrator: no org pages
    "chengguan_sl1": {"chengguan-01"},
    "qingshi_sl1": {"qingshi-01", "qingshi-village"},
    "qingshi1_shouli": {"qingshi-village"},
    "scjg_ck1": {"centre-scjg"},
    "scjg_sp2": {"centre-scjg"},  # B holder acting while A is absent
    "scjg_sp1": 403,  # absent: their work went to B
    "ga_sp1": {"centre-ga"},
}


def window_id(key: str) -> int:
    point, number = OBJECTS[key]
    return Window.objects.get(service_point__name=point, number=number).pk


def client_for(actor: str) -> Client:
    if actor == "anonymous":
        return Client()
    if actor == "applicant":
        return login_client("13900000001")
    if actor == "scjg_sp1":
        client = Client()
        client.force_login(User.objects.get(username="scjg_sp1"))
        return client
    return login_client(actor)


CASES = [(actor, obj) for actor in REACH for obj in OBJECTS]


@pytest.mark.parametrize(("actor", "obj"), CASES)
def test_window_detail(actor: str, obj: str) -> None:
    response = client_for(actor).get(f"/workbench/windows/{window_id(obj)}/")
    reach = REACH[actor]
    if reach == "login":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif isinstance(reach, int):
        assert response.status_code == reach
    else:
        assert response.status_code == (200 if obj in reach else 404)


@pytest.mark.parametrize("actor", [a for a, r in REACH.items() if isinstance(r, set)])
def test_window_list_page_and_api_show_exactly_the_jurisdiction(actor: str) -> None:
    client = client_for(actor)
    api_ids = {w["id"] for w in client.get("/api/v1/org/windows").json()}
    page = client.get("/workbench/windows/")
    assert page.status_code == 200
    for key in OBJECTS:
        assert (window_id(key) in api_ids) == (key in REACH[actor])
    everything = Window.objects.count()
    if REACH[actor] != EVERYTHING:
        assert len(api_ids) < everything


def test_api_refuses_anonymous_and_no_permission() -> None:
    response = Client().get("/api/v1/org/windows")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    response = login_client("shenji").get("/api/v1/org/windows")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


ABSENCE = [
    ("scjg_fzr", "scjg_ck1", 302),  # department head, own department
    ("scjg_fzr", "ga_sp1", 404),  # another department: invisible
    ("jiancha", "qingshi_sl1", 302),  # supervisor, whole county
    ("chengguan_fzr", "chengguan_sl1", 302),  # town head, own town
    ("chengguan_fzr", "qingshi_sl1", 404),  # another town
    ("zc01", "zc02", 403),  # acceptor may not mark absences
    ("xitong", "zc02", 403),  # nor may the system administrator (a business act)
]


@pytest.mark.parametrize(("actor", "target", "status"), ABSENCE)
def test_mark_absent(actor: str, target: str, status: int) -> None:
    target_id = User.objects.get(username=target).pk
    response = login_client(actor).post(
        f"/workbench/staff/{target_id}/absence/", {"reason": "培训"}
    )
    assert response.status_code == status
    assert User.objects.get(pk=target_id).absences.filter(ended_at__isnull=True).exists() == (
        status == 302
    )


ROLE_PAGES = [
    ("/workbench/audit/", {"shenji"}),
    ("/workbench/security/", {"anquan"}),
    ("/sysadmin/", {"xitong"}),
    ("/workbench/calendar/publish/", {"xitong"}),
    ("/workbench/applicants/", {"zc01", "jiancha", "scjg_sp2", "chengguan_sl1"}),
    # 民情直通车: units handle their dispatches; the hotline operator (the supervisor's command
    # centre) and the counter file for callers; only the command centre sees the dashboard
    ("/workbench/appeals/", {"zc01", "jiancha", "scjg_sp2", "chengguan_sl1"}),
    ("/workbench/appeals/hotline/", {"zc01", "jiancha", "chengguan_sl1"}),
    ("/workbench/appeals/window/", {"zc01", "jiancha", "chengguan_sl1"}),
    ("/workbench/appeals/dashboard/", {"jiancha"}),
]
ACTORS = ["zc01", "jiancha", "xitong", "anquan", "shenji", "scjg_sp2", "chengguan_sl1"]


@pytest.mark.parametrize(("url", "allowed"), ROLE_PAGES)
@pytest.mark.parametrize("actor", ACTORS)
def test_role_pages(url: str, allowed: set[str], actor: str) -> None:
    response = login_client(actor).get(url)
    if actor in allowed:
        assert response.status_code == 200
    else:
        # the admin site sends a non-sysadmin to sign in again; our pages answer 403
        assert response.status_code in ((302,) if url == "/sysadmin/" else (403,))
