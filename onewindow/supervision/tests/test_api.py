"""The supervision API (/api/v1/supervision): the same counts, cases and scoping as the pages,
bad filters in the common error shape, a 404 outside the jurisdiction, 401/403 for others."""

from __future__ import annotations

import pytest
from django.test import Client

from onewindow.cases import clock, services
from onewindow.org.models import Department
from onewindow.supervision import selectors
from onewindow.supervision.choices import AnomalyKind

from .conftest import MONDAY, user, walk_in

pytestmark = pytest.mark.django_db

ID_CARD = "003003003000"  # 居民身份证 (公安)
API = "/api/v1/supervision"
BOARD = "/workbench/supervision/"


@pytest.fixture
def two_departments() -> tuple:  # type: ignore[type-arg]
    food = walk_in()
    id_card = walk_in(ID_CARD, actor="zc02")
    return food, id_card


def assert_error(response, status: int, code: str, field: str | None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.content.decode()[:500]
    error = response.json()["error"]
    assert error["code"] == code
    assert error["field"] == field
    assert error["message"]
    return error  # type: ignore[no-any-return]


def test_board_counts_equal_the_pages(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, _id_card = two_departments
    client = as_user("jiancha")
    response = client.get(f"{API}/board")
    assert response.status_code == 200, response.content.decode()[:500]
    body = response.json()
    jiancha = user("jiancha")
    on = clock.today()
    filters = selectors.parse_filters(jiancha, {})
    expected = selectors.board_state_counts(jiancha, filters, on)
    assert body["counts"] == {k: expected[k] for k in body["counts"]}
    assert body["count"] == expected["total"] >= 2
    steps = selectors.state_counts(selectors.board_steps(jiancha, filters, on))
    assert body["step_counts"] == {k: steps[k] for k in body["step_counts"]}
    # and what the page itself counts
    page = client.get(BOARD)
    assert body["counts"] == {k: page.context["case_counts"][k] for k in body["counts"]}
    assert body["step_counts"] == {k: page.context["step_counts"][k] for k in body["step_counts"]}

    numbers = [c["number"] for c in body["items"]]
    assert numbers == [c.number for c in selectors.board_cases(jiancha, filters, on)[:30]]
    row = next(c for c in body["items"] if c["number"] == food.number)
    assert row["item_name"] == food.version.name
    assert row["accepted_on"] == food.accepted_on.isoformat()
    assert row["promised_due"] == food.promised_due.isoformat()
    assert row["statutory_due"] == food.statutory_due.isoformat()
    assert row["state"] in ("overdue", "warning", "normal", "paused", "pending")
    assert row["window"]
    (step,) = row["current_steps"]
    assert step["name"] and step["holders"]
    assert {"name", "post", "as_backup"} <= set(step["holders"][0])
    # no applicant's personal data, as on the page
    text = response.content.decode()
    assert "13900000013" not in text and "陕西青石建设工程有限公司" not in text


def test_board_filters_and_pages(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    client = as_user("jiancha")
    jiancha = user("jiancha")
    query = {"department": str(food.department_id), "from": MONDAY.isoformat()}
    body = client.get(f"{API}/board", query).json()
    filters = selectors.parse_filters(jiancha, query)
    expected = selectors.board_state_counts(jiancha, filters, clock.today())
    assert body["counts"] == {k: expected[k] for k in body["counts"]}
    assert body["filters"] == query
    assert food.number in {c["number"] for c in body["items"]}
    assert id_card.number not in {c["number"] for c in body["items"]}

    total = client.get(f"{API}/board").json()["count"]
    first = client.get(f"{API}/board", {"size": 1}).json()
    second = client.get(f"{API}/board", {"size": 1, "page": 2}).json()
    assert len(first["items"]) == len(second["items"]) == 1 and first["count"] == total
    assert first["items"][0]["number"] != second["items"][0]["number"]
    assert client.get(f"{API}/board", {"page": total + 1}).json()["items"] == []
    assert_error(client.get(f"{API}/board", {"size": 1000}), 422, "invalid_input", "size")
    assert_error(client.get(f"{API}/board", {"page": 0}), 422, "invalid_input", "page")


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"from": "2026-13-01"}, "from", "「受理日期（起）」“2026-13-01”不是有效日期"),
        ({"to": "yesterday"}, "to", "请按 年-月-日 填写"),
        ({"from": "2026-03-09", "to": "2026-03-01"}, "from", "请把起始日期改早"),
        ({"department": "abc"}, "department", "无效：请从下拉列表中选择"),
        ({"department": "999999"}, "department", "不在您的监察范围内"),
        ({"region": "999999999999"}, "region", "筛选条件「区划」"),
        ({"staff": "nobody"}, "staff", "筛选条件「人员」"),
        ({"item": "000"}, "item", "筛选条件「事项」"),
        ({"category": "urgent"}, "category", "请选择即办件、承诺件"),
        ({"state": "purple"}, "state", "「时限状态」的值“purple”无效"),
    ],
)
def test_bad_filters_name_the_field(as_user, query: dict, field: str, words: str) -> None:  # type: ignore[no-untyped-def,type-arg]
    error = assert_error(as_user("jiancha").get(f"{API}/board", query), 422, "invalid_input", field)
    assert words in error["message"]


def test_a_department_head_sees_only_their_department(as_user, two_departments) -> None:  # type: ignore[no-untyped-def]
    food, id_card = two_departments
    head = as_user("scjg_fzr")
    body = head.get(f"{API}/board").json()
    fzr = user("scjg_fzr")
    filters = selectors.parse_filters(fzr, {})
    expected = selectors.board_state_counts(fzr, filters, clock.today())
    assert body["counts"] == {k: expected[k] for k in body["counts"]}
    numbers = {c["number"] for c in body["items"]}
    assert food.number in numbers and id_card.number not in numbers
    assert numbers == {c.number for c in selectors.board_cases(fzr, filters, clock.today())}
    ga = Department.objects.get(code="610799-GA")
    error = assert_error(
        head.get(f"{API}/board", {"department": ga.pk}), 422, "invalid_input", "department"
    )
    assert "不在您的监察范围内" in error["message"]
    # the drill-down: their department's case, not another's
    assert head.get(f"{API}/cases/{food.number}").status_code == 200
    error = assert_error(head.get(f"{API}/cases/{id_card.number}"), 404, "not_found", None)
    assert "不在您的监察范围内" in error["message"]


def test_the_drill_down_names_who_held_each_step(as_user) -> None:  # type: ignore[no-untyped-def]
    case = walk_in()
    with clock.simulate(MONDAY.replace(day=4)):
        services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    response = as_user("jiancha").get(f"{API}/cases/{case.number}")
    assert response.status_code == 200, response.content.decode()[:500]
    body = response.json()
    view = selectors.case_view(user("jiancha"), case.number)
    assert body["number"] == case.number and body["item_name"] == case.version.name
    assert [s["held_days"] for s in body["steps"]] == [r.held_days for r in view.steps]
    assert [s["holders"] for s in body["steps"]] == [r.holders for r in view.steps]
    assert [s["state"] for s in body["steps"]] == [r.state for r in view.steps]
    closed, current = body["steps"]
    assert closed["holders"] == [str(user("scjg_sp2"))] and closed["held_days"] == 2
    assert closed["closed_at"] is not None and current["closed_at"] is None
    assert any(str(user("scjg_fzr")) in h for h in current["holders"])
    assert [(c["label"], c["state"]) for c in body["clocks"]] == [
        (c.label, c.state) for c in view.clocks
    ]
    assert body["events"] and body["accepted_by"] == str(user("zc01"))
    assert_error(as_user("jiancha").get(f"{API}/cases/NOPE"), 404, "not_found", None)


def test_anomalies_equal_the_pages(as_user) -> None:  # type: ignore[no-untyped-def]
    once = walk_in(accept=False)
    twice = walk_in(accept=False)
    acceptor = user("zc01")
    with clock.simulate(MONDAY):
        for case in (once, twice):
            services.case_request_supplement(
                case=case, actor=acceptor, items=[{"key": "layout", "reason": "未标注面积"}]
            )
            services.case_supply(case=case, actor=acceptor, uploads={}, presented=["layout"])
        services.case_request_supplement(
            case=twice, actor=acceptor, items=[{"key": "id_card", "reason": "复印件不清晰"}]
        )
    client = as_user("jiancha")
    body = client.get(f"{API}/anomalies").json()
    jiancha = user("jiancha")
    on = clock.today()
    assert [(k["kind"], k["count"]) for k in body["kinds"]] == [
        (k, n) for k, _label, n in selectors.anomaly_counts(jiancha, on)
    ]
    assert body["kind"] == AnomalyKind.REPEATED_SUPPLEMENT
    kind = AnomalyKind.REPEATED_SUPPLEMENT
    assert [c["number"] for c in body["items"]] == [
        c.number for c in selectors.anomaly_cases(jiancha, kind, on)[:30]
    ]
    row = next(c for c in body["items"] if c["number"] == twice.number)
    assert "违反一次性告知" in row["detail"]
    assert once.number not in {c["number"] for c in body["items"]}
    other = client.get(f"{API}/anomalies", {"kind": AnomalyKind.LONG_PAUSE}).json()
    assert other["kind"] == AnomalyKind.LONG_PAUSE
    assert_error(client.get(f"{API}/anomalies", {"kind": "odd"}), 422, "invalid_input", "kind")


@pytest.mark.parametrize("username", ["zc01", "scjg_sp2", "xitong", "13900000001"])
def test_others_are_refused(as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    for path in ("/board", "/anomalies", "/cases/ANY"):
        assert_error(client.get(f"{API}{path}"), 403, "forbidden", None)
        # the pages refuse them too
    assert client.get(BOARD).status_code in (302, 403)


def test_no_session_is_a_401() -> None:
    for path in ("/board", "/anomalies", "/cases/ANY"):
        assert_error(Client().get(f"{API}{path}"), 401, "unauthenticated", None)


def test_openapi_documents_the_supervision_endpoints() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    for path in ("board", "anomalies", "cases/{number}"):
        assert spec["paths"][f"/api/v1/supervision/{path}"]["get"]["tags"] == ["电子监察"]
    names = [p["name"] for p in spec["paths"]["/api/v1/supervision/board"]["get"]["parameters"]]
    assert {"region", "department", "from", "to", "state", "page", "size"} <= set(names)
