"""The statistics API (/api/v1/stats/figures): the rows and total of `selectors.figures`, the
page's parameters and permission, errors in the common shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from onewindow.accounts.models import User
from onewindow.stats import selectors
from onewindow.stats.api import RowOut
from onewindow.stats.choices import Dimension, PeriodKind
from onewindow.stats.periods import period_of

from .conftest import END

pytestmark = pytest.mark.django_db

API = "/api/v1/stats/figures"
YEAR = {"period": "year", "on": END.isoformat()}


def as_json(row: selectors.Row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in RowOut.model_fields}


def direct(username: str, dimension: str, **kwargs: Any) -> selectors.Table:
    scope = selectors.scope_for_actor(User.objects.get(username=username))
    return selectors.figures(scope, period_of(PeriodKind.YEAR, END), dimension, **kwargs)


def assert_error(response, status: int, code: str, field: str | None) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status_code == status, response.content.decode()[:500]
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "dimension", [Dimension.DEPARTMENT, Dimension.REGION, Dimension.STAFF, Dimension.CHANNEL]
)
def test_figures_equal_the_selector(history: int, as_user, dimension: str) -> None:  # type: ignore[no-untyped-def]
    response = as_user("jiancha").get(API, {**YEAR, "dimension": dimension})
    assert response.status_code == 200, response.content.decode()[:500]
    body = response.json()
    table = direct("jiancha", dimension)
    assert table.total.received > 0
    assert body["rows"] == [as_json(r) for r in table.rows]
    assert body["total"] == as_json(table.total)
    assert body["total"]["label"] == "合计" and body["total"]["key"] is None
    assert body["dimension"] == dimension and body["scope"] == table.scope.label
    assert body["period"] == {
        "kind": "year",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "label": "2026年",
    }
    assert [c["name"] for c in body["columns"]] == [n for n, _label, _kind in selectors.COLUMNS]
    # every column of the page's table is a field of the rows
    assert {c["name"] for c in body["columns"]} <= set(body["total"])


def test_defaults_are_the_pages(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    body = as_user("jiancha").get(API).json()
    assert body["dimension"] == Dimension.DEPARTMENT
    month = period_of(PeriodKind.MONTH, selectors.today())
    assert (body["period"]["start"], body["period"]["end"]) == (
        month.start.isoformat(),
        month.end.isoformat(),
    )


def test_a_region_narrows_the_figures(history: int, town_cases: list[int], as_user) -> None:  # type: ignore[no-untyped-def]
    town = "610799001000"
    body = as_user("jiancha").get(API, {**YEAR, "dimension": "window", "region": town}).json()
    whole = selectors.scope_for_actor(User.objects.get(username="jiancha"))
    table = selectors.figures(
        selectors.narrow(whole, town), period_of(PeriodKind.YEAR, END), Dimension.WINDOW
    )
    assert body["rows"] == [as_json(r) for r in table.rows]
    assert body["total"] == as_json(table.total) and body["total"]["accepted"] > 0


def test_a_department_head_sees_only_their_department(history: int, as_user) -> None:  # type: ignore[no-untyped-def]
    body = as_user("scjg_fzr").get(API, {**YEAR, "dimension": "department"}).json()
    head = User.objects.get(username="scjg_fzr")
    department = head.posts_as_a.get(role="dept_head").department
    assert {r["key"] for r in body["rows"]} <= {department.pk}
    table = direct("scjg_fzr", Dimension.DEPARTMENT)
    assert body["total"] == as_json(table.total)
    assert body["total"]["received"] < direct("jiancha", Dimension.DEPARTMENT).total.received


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ({"period": "decade"}, 422, "invalid_input", "period"),
        ({"period": "month", "on": "2026-02-30"}, 422, "invalid_input", "on"),
        ({"period": "custom"}, 422, "invalid_input", "start"),
        (
            {"period": "custom", "start": "2026-03-01", "end": "2026-02-01"},
            422,
            "invalid_input",
            "end",
        ),
        ({"dimension": "weather"}, 422, "invalid_input", "dimension"),
        ({"region": "999999999999"}, 404, "not_found", "region"),
    ],
)
def test_bad_parameters_name_the_field(  # type: ignore[no-untyped-def]
    db: None,
    as_user,
    query: dict,
    status: int,
    code: str,
    field: str,  # type: ignore[type-arg]
) -> None:
    assert_error(as_user("jiancha").get(API, query), status, code, field)


def test_a_region_outside_the_jurisdiction_is_a_404(db: None, as_user) -> None:  # type: ignore[no-untyped-def]
    from onewindow.org import services as org
    from onewindow.org.choices import RegionLevel

    org.region_create(
        actor=None, code="610798000000", name="邻县", level=RegionLevel.COUNTY, parent=None
    )
    error = assert_error(
        as_user("jiancha").get(API, {"region": "610798000000"}), 404, "not_found", "region"
    )
    assert "不在您的管辖范围内" in error["message"]


@pytest.mark.parametrize(
    "username", ["xitong", "anquan", "shenji", "zc01", "scjg_sp2", "13900000001"]
)
def test_others_are_refused(db: None, as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    assert_error(client.get(API), 403, "forbidden", None)
    assert client.get("/workbench/stats/").status_code in (302, 403)  # as the page


def test_no_session_is_a_401(db: None) -> None:
    assert_error(Client().get(API, YEAR), 401, "unauthenticated", None)


def test_openapi_documents_the_figures(db: None) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    get = spec["paths"][API]["get"]
    assert get["tags"] == ["统计分析"]
    assert {"period", "on", "start", "end", "dimension", "region"} <= {
        p["name"] for p in get["parameters"]
    }
