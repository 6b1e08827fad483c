"""The command centre's dashboard: every figure checked against values computed here, in plain
Python, from the raw appeal and dispatch rows; scope, period, export and permissions."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import load_workbook

from onewindow.accounts.models import User
from onewindow.accounts.services import post_create
from onewindow.appeals import dashboard, services
from onewindow.appeals.choices import Channel, Kind, Rating
from onewindow.appeals.models import Appeal, Category, Dispatch
from onewindow.cases import clock
from onewindow.org.models import Department, Region
from onewindow.stats.choices import PeriodKind
from onewindow.stats.periods import Period, period_of
from onewindow.stats.selectors import scope_for_region

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)  # a Friday
MARCH = period_of(PeriodKind.MONTH, TODAY)
QINGSHI = "610799101000"
LIUWAN = "610799102000"


def day(n: int) -> dt.date:
    return dt.date(2026, 3, n)


def u(name: str) -> User:
    return User.objects.get(username=name)


def file(on: dt.date, village: str, code: str, kind: str, title: str, **over: Any) -> Appeal:
    data: dict[str, Any] = {
        "channel": Channel.WEB,
        "kind": kind,
        "category_id": Category.objects.get(code=code).pk,
        "region_id": Region.objects.get(code=village).pk,
        "title": title,
        "content": f"{title}，请有关部门尽快处理。",
        "caller_name": "李秀英",
        "callback_phone": "13900000001",
    }
    data.update(over)
    with clock.simulate(on):
        return services.file_appeal(**data)


def waiting(appeal: Appeal) -> Dispatch:
    return appeal.dispatches.get(state="waiting")


def sign(on: dt.date, appeal: Appeal, who: str) -> Dispatch:
    turn = waiting(appeal)
    with clock.simulate(on):
        return services.sign_for(actor=u(who), appeal_id=appeal.pk, dispatch_id=turn.pk)


def reply(on: dt.date, appeal: Appeal, who: str) -> None:
    turn = appeal.dispatches.get(state="signed")
    with clock.simulate(on):
        services.reply(
            actor=u(who),
            appeal_id=appeal.pk,
            dispatch_id=turn.pk,
            text="经核实已安排专人处理完毕，并电话告知诉求人。",
        )


def rate(on: dt.date, appeal: Appeal, rating: str) -> None:
    with clock.simulate(on):
        services.rate(number=appeal.number, phone_last4="0001", rating=rating)


@dataclass
class World:
    a1: Appeal
    a2: Appeal
    a3: Appeal
    a4: Appeal
    a5: Appeal
    a6: Appeal
    february: Appeal
    hot: list[Appeal]


def world() -> World:
    """Appeals over March 2026, every action on its own simulated day."""
    zj = Department.objects.get(code="610799-ZJ")
    february = file(dt.date(2026, 2, 27), "610799101001", "0101", Kind.HELP, "二月的诉求")
    a1 = file(day(2), "610799101001", "0503", Kind.HELP, "垃圾点清运不及时")
    a2 = file(day(2), "610799101002", "0501", Kind.COMPLAINT, "通组道路塌陷")
    a3 = file(day(2), "610799102001", "0201", Kind.CONSULTATION, "养老保险缴费档次")
    duplicate = file(day(2), "610799101001", "0503", Kind.HELP, "垃圾点好几天没人清运")
    with clock.simulate(day(3)):
        services.merge(actor=u("jiancha"), appeal_id=duplicate.pk, into_id=a1.pk)
    sign(day(3), a1, "qingshi1_shouli")  # on time (due 3/3)
    sign(day(3), a3, "liuwan1_shouli")  # on time; handling due 3/6, never answered
    a4 = file(day(3), "610799103001", "0103", Kind.HELP, "自来水停水三天")  # never signed
    a5 = file(day(3), "610799001001", "0701", Kind.COMPLAINT, "夜间施工噪声扰民")
    with clock.simulate(day(3)):
        services.bounce(
            actor=u("chengguan1_shouli"),
            appeal_id=a5.pk,
            dispatch_id=waiting(a5).pk,
            reason="属县级部门职责",
        )
    reply(day(4), a1, "qingshi1_shouli")
    a6 = file(day(4), "610799101001", "0601", Kind.REPORT, "小饭馆卫生条件差")
    with clock.simulate(day(4)):
        services.transfer(
            actor=u("jiancha"),
            appeal_id=a5.pk,
            dispatch_id=waiting(a5).pk,
            region_id=zj.region_id,
            department_id=zj.pk,
            reason="属住建局职责",
        )
    rate(day(4), a1, Rating.SATISFIED)
    sign(day(5), a2, "qingshi2_shouli")  # late: due 3/3
    sign(day(5), a5, "zj_sp1")
    reply(day(6), a2, "qingshi2_shouli")
    rate(day(6), a2, Rating.BASIC)
    with clock.simulate(day(6)):
        services.sweep(on=day(6))  # a4, a6 reminded, a4 supervised, february escalated
    reply(day(9), a5, "zj_sp1")
    rate(day(9), a5, Rating.UNSATISFIED)  # reopened to 住建局
    sign(day(10), a5, "zj_sp1")
    reply(day(11), a5, "zj_sp1")
    rate(day(11), a5, Rating.SATISFIED)
    hot = [
        file(day(16), "610799103001", "0102", Kind.SUGGESTION, "村口路灯不亮"),
        file(
            day(17),
            "610799103002",
            "0102",
            Kind.HELP,
            "路灯坏了没人修",
            content="我叫张建华，电话13812345678，高坎村路灯坏了一个月，晚上出行不便。",
            caller_name="张建华",
            callback_phone="13812345678",
        ),
        file(day(18), "610799103001", "0102", Kind.SUGGESTION, "建议增设路灯"),
    ]
    return World(a1, a2, a3, a4, a5, a6, february, hot)


# -- the same figures, computed here from the rows ----------------------------------------------


def sign_state(d: Dispatch, today: dt.date) -> str | None:
    stop = d.signed_on or d.closed_on
    if stop is not None:
        return "on_time" if stop <= d.sign_due else "late"  # type: ignore[operator]
    if d.state == "waiting" and d.sign_due < today:  # type: ignore[operator]
        return "late"
    return None


def handle_state(d: Dispatch, today: dt.date) -> str | None:
    if d.signed_on is None:
        return None
    if d.closed_on is not None:
        return "on_time" if d.closed_on <= d.handle_due else "late"  # type: ignore[operator]
    if d.state == "signed" and d.handle_due < today:  # type: ignore[operator]
        return "late"
    return None


def expected_figures(appeals: list[Appeal], key: Any, today: dt.date) -> dict[Any, tuple]:
    groups: dict[Any, list[Appeal]] = defaultdict(list)
    for a in appeals:
        groups[key(a)].append(a)
    out = {}
    for k, rows in groups.items():
        done = [a for a in rows if a.status in ("replied", "closed")]
        on_time = [
            a
            for a in done
            if all(
                sign_state(d, today) != "late" and handle_state(d, today) != "late"
                for d in a.dispatches.all()
            )
        ]
        rated = [a for a in rows if a.rating and a.merged_into_id is None]
        satisfied = [
            a for a in rows if a.rating in ("satisfied", "basic") and a.merged_into_id is None
        ]
        out[k] = (len(rows), len(done), len(on_time), len(rated), len(satisfied))
    return out


def got_figures(rows: list[dashboard.Figures]) -> dict[Any, tuple]:
    return {r.label: (r.received, r.completed, r.on_time, r.rated, r.satisfied) for r in rows}


def town_of(a: Appeal) -> str:
    return a.region.parent.name if a.region.level == "village" else a.region.name  # type: ignore[union-attr]


def top_category(a: Appeal) -> str:
    return a.category.parent.name if a.category.parent else a.category.name


def county_board(today: dt.date = TODAY, period: Period = MARCH) -> dashboard.Dashboard:
    return dashboard.build(scope_for_region(Region.objects.get(code="610799000000")), period, today)


# -- tests ----------------------------------------------------------------------------------------


def test_seed_000_completion_rate_reads_the_same() -> None:
    """共受理各类事项54277件，办结54062件，办结率为99.6%."""
    assert dashboard.percent(dashboard.rate(54062, 54277)) == "99.6%"
    figures = dashboard.Figures(None, "seed", received=54277, completed=54062, rated=100)
    figures.satisfied = 99
    assert dashboard.percent(figures.completion_rate) == "99.6%"
    assert dashboard.percent(figures.satisfaction_rate) == "99.0%"
    assert dashboard.Figures(None, "none").completion_rate is None


def test_figures_match_the_rows() -> None:
    w = world()
    board = county_board()
    march = list(Appeal.objects.filter(filed_on__gte=day(1), filed_on__lte=day(31)))
    assert w.february not in march and len(march) == 10

    kinds = dict(Kind.choices)
    assert got_figures(board.by_kind) == expected_figures(march, lambda a: kinds[a.kind], TODAY)
    assert got_figures(board.by_category) == expected_figures(march, top_category, TODAY)
    assert got_figures(board.by_region) == expected_figures(march, town_of, TODAY)
    total = expected_figures(march, lambda a: "合计", TODAY)["合计"]
    t = board.total
    assert (t.received, t.completed, t.on_time, t.rated, t.satisfied) == total
    # by hand: a1 closed (and its merged duplicate with it), a2 closed (signed late), a5 closed
    # after a reopen; three ratings, the duplicate's copy not counted again
    assert total == (10, 4, 3, 3, 3)
    assert t.completion_rate == 4 / 10 and t.satisfaction_rate == 1.0 and t.on_time_rate == 3 / 4

    units: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    for d in Dispatch.objects.filter(appeal__in=march).select_related("region", "department"):
        row = units[services.unit_name(d.region, d.department)]
        s, h = sign_state(d, TODAY), handle_state(d, TODAY)
        row[0] += 1
        row[1] += s is not None
        row[2] += s == "on_time"
        row[3] += h is not None
        row[4] += h == "on_time"
        row[5] += d.state == "replied"
        row[6] += d.state == "bounced"
    got = {
        r.label: [
            r.dispatches,
            r.sign_counted,
            r.sign_on_time,
            r.handle_counted,
            r.handle_on_time,
            r.replied,
            r.bounced,
        ]
        for r in board.by_unit
    }
    assert got == dict(units)
    assert got["青溪县住房和城乡建设局"] == [2, 2, 2, 2, 2, 2, 0]  # two turns, reopened once
    assert got["石桥村"][1:3] == [1, 0]  # signed two days late
    assert got["人民路社区"] == [1, 1, 1, 0, 0, 0, 1]  # bounced the same day
    u_total = board.units_total
    assert u_total.sign_rate == sum(r[2] for r in units.values()) / sum(
        r[1] for r in units.values()
    )
    assert u_total.handle_rate == sum(r[4] for r in units.values()) / sum(
        r[3] for r in units.values()
    )


def test_overdue_list_and_trend_match_the_rows() -> None:
    w = world()
    board = county_board()
    late = {
        d.pk
        for d in Dispatch.objects.all()
        if (d.state == "waiting" and d.sign_due < TODAY)  # type: ignore[operator]
        or (d.state == "signed" and d.handle_due < TODAY)  # type: ignore[operator]
    }
    assert {o.dispatch_id for o in board.overdue} == late and board.overdue_count == len(late)
    numbers = {o.number for o in board.overdue}
    assert {w.a3.number, w.a4.number, w.a6.number, w.february.number} <= numbers
    a4 = next(o for o in board.overdue if o.number == w.a4.number)
    assert (a4.clock, a4.due, a4.late_days) == ("签收", day(4), 12)
    assert a4.steps == "签收催办、签收督办"
    a3 = next(o for o in board.overdue if o.number == w.a3.number)
    assert (a3.clock, a3.due) == ("办理", day(6))
    assert [o.late_days for o in board.overdue] == sorted(
        (o.late_days for o in board.overdue), reverse=True
    )

    filed = Counter(a.filed_on for a in Appeal.objects.filter(filed_on__gte=day(1)))
    replied = Counter(d.closed_on for d in Dispatch.objects.filter(state="replied", lead=True))
    assert [p.day for p in board.trend] == [day(n) for n in range(1, 21)]  # up to today
    assert {p.day: p.filed for p in board.trend} == {day(n): filed[day(n)] for n in range(1, 21)}
    assert {p.day: p.replied for p in board.trend} == {
        day(n): replied[day(n)] for n in range(1, 21)
    }
    assert sum(p.replied for p in board.trend) == 4  # a1, a2, a5 twice


def test_hot_topics_of_the_week() -> None:
    world()
    board = county_board()
    assert (board.hot_start, board.hot_end, board.hot_appeals) == (day(14), day(20), 3)
    words = dict(board.hot)
    assert words["路灯"] == 3  # counted once per appeal, though said twice in one
    assert all(len(w) >= 2 for w in words)
    assert not set(words) & dashboard.STOP_WORDS
    assert "张建华" not in words and not any(c.isdigit() for w in words for c in w)
    assert len(board.hot) <= dashboard.HOT_TOP
    assert board.hot == sorted(board.hot, key=lambda kv: (-kv[1], kv[0]))
    # the week before had none of these words
    earlier = county_board(today=day(13))
    assert "路灯" not in dict(earlier.hot) and earlier.hot_appeals == 0
    assert dashboard.keywords("我们希望尽快处理路灯问题") == {"路灯"}
    assert dashboard.keywords("村口路灯不亮，三组也一样") == {"村口", "路灯"}


def test_scope_and_period() -> None:
    w = world()
    town = scope_for_region(Region.objects.get(code=QINGSHI))
    board = dashboard.build(town, MARCH, TODAY)
    assert board.total.received == 4  # a1 and its duplicate, a2, a6
    assert {o.number for o in board.overdue} == {w.a6.number, w.february.number}
    assert {r.label for r in board.by_region} == {"青石村", "石桥村"}  # the town's villages
    february = dashboard.build(
        scope_for_region(Region.objects.get(code="610799000000")),
        period_of(PeriodKind.MONTH, dt.date(2026, 2, 10)),
        TODAY,
    )
    assert february.total.received == 1 and len(february.trend) == 28


def client_at(client: Any, url: str, **params: str) -> Any:
    with clock.simulate(TODAY):
        return client.get(url, params)


def test_page_permissions_and_scope(client: Any, as_user: Any) -> None:
    world()
    url = "/workbench/appeals/dashboard/"
    assert client.get(url).status_code == 302  # sign in first
    assert as_user("13900000001").get(url).status_code == 403  # an applicant
    for unit_staff in ("qingshi1_shouli", "qingshi_fzr", "zj_sp1"):
        assert as_user(unit_staff).get(url).status_code == 403, unit_staff
    centre = as_user("jiancha")
    page = client_at(centre, url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "民情指挥" in body  # the menu entry
    assert "40.0%" in body  # completion rate 4 / 10
    assert "路灯" in body and "超期未办" in body and "<svg" in body
    only_liuwan = client_at(centre, url, region=LIUWAN).content.decode()
    assert "养老保险缴费档次" in only_liuwan and "小饭馆卫生条件差" not in only_liuwan
    # a town's own dispatcher (none in the demo county) sees their town only
    qingshi = Region.objects.get(code=QINGSHI)
    post_create(
        actor=None,
        name="青石镇民情分中心",
        role="supervisor",
        region=qingshi,
        holder_a=u("qingshi_db1"),
        holder_b=u("qingshi_dai1"),
    )
    town_page = client_at(as_user("qingshi_db1"), url).content.decode()
    assert "小饭馆卫生条件差" in town_page and "养老保险缴费档次" not in town_page
    assert client_at(as_user("qingshi_db1"), url, region=LIUWAN).status_code == 404


def test_page_bad_input_is_a_message_not_a_500(as_user: Any) -> None:
    centre = as_user("jiancha")
    url = "/workbench/appeals/dashboard/"
    for params, status, text in (
        ({"period": "fortnight"}, 422, "统计周期"),
        ({"period": "day", "on": "2026-13-01"}, 422, "不是有效日期"),
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, 422, "早于"),
        ({"region": "999"}, 404, "不存在"),
    ):
        response = client_at(centre, url, **params)
        assert response.status_code == status, params
        assert text in response.content.decode()
    bad = client_at(centre, url + "export.xlsx", table="nope")
    assert bad.status_code == 302 and "/workbench/appeals/dashboard/" in bad["Location"]


def test_excel_export_holds_every_table(as_user: Any) -> None:
    world()
    centre = as_user("jiancha")
    response = client_at(centre, "/workbench/appeals/dashboard/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == list(dashboard.TABLES.values())
    board = county_board()
    by_kind = {r[0]: r[1:] for r in book["按类型"].iter_rows(min_row=4, values_only=True)}
    assert by_kind["合计"][:3] == (10, 4, pytest.approx(4 / 10))
    assert by_kind["投诉"][0] == next(r.received for r in board.by_kind if r.label == "投诉")
    units = {r[0]: r[1:] for r in book["按承办单位"].iter_rows(min_row=4, values_only=True)}
    assert units["青溪县住房和城乡建设局"][:3] == (2, 2, 2)
    overdue = [r for r in book["超期未办"].iter_rows(min_row=4, values_only=True)]
    assert len(overdue) == board.overdue_count
    hot = {r[0]: r[1] for r in book["本周热点"].iter_rows(min_row=4, values_only=True)}
    assert hot["路灯"] == 3
    trend = list(book["每日趋势"].iter_rows(min_row=4, values_only=True))
    assert len(trend) == 20 and sum(r[1] for r in trend) == 10
    one = client_at(centre, "/workbench/appeals/dashboard/export.xlsx", table="hot")
    assert load_workbook(io.BytesIO(one.content)).sheetnames == ["本周热点"]
    # every export is on record: who took which tables
    from onewindow.audit.models import AuditEntry

    taken = list(AuditEntry.objects.filter(action="appeals.dashboard.export").order_by("pk"))
    assert [e.changes["after"]["tables"] for e in taken] == ["全部表格", "本周热点"]
    assert {(e.actor.username, e.role) for e in taken} == {("jiancha", "supervisor")}


def test_page_queries_do_not_grow_with_appeals(as_user: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    centre = as_user("jiancha")
    url = "/workbench/appeals/dashboard/"
    world()
    client_at(centre, url)  # warm-up: the session, jieba's vocabulary
    with CaptureQueriesContext(connection) as before:
        client_at(centre, url)
    for n, village in enumerate(("610799101003", "610799102002", "610799103003", "610799002003")):
        more = file(day(16 + n % 3), village, "0702", Kind.COMPLAINT, "污水直排河道")
        sign(day(17 + n % 3), more, f"{village_staff(village)}_shouli")
    with CaptureQueriesContext(connection) as after:
        client_at(centre, url)
    assert len(after) == len(before)


def village_staff(code: str) -> str:
    town = {"001": "chengguan", "002": "dongcheng", "101": "qingshi", "102": "liuwan"}
    town |= {"103": "baihe"}
    return f"{town[code[6:9]]}{int(code[9:])}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_public_pages_and_dashboard(
    browser: Any, live_server: Any, demo_password: str
) -> None:
    """Screenshots of the public list and detail and of the dashboard, from the demo history;
    Chinese renders, no console errors (the CSP allows no inline script or style)."""
    from onewindow.appeals.demo import build_appeals
    from onewindow.appeals.selectors import publishable
    from onewindow.conftest import SHOTS, follow, sign_in

    end = dt.date(2026, 11, 27)
    build_appeals(count=36, end=end)
    url = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/appeals/public/")
    page.get_by_role("heading", name="民情直通车：诉求公开").wait_for()
    page.screenshot(path=str(SHOTS / "appeal-public-list.png"), full_page=True)
    shown = publishable().filter(status="closed").order_by("pk").first()
    assert shown is not None
    follow(page, page.get_by_role("link", name=shown.number))
    page.get_by_role("heading", name="办理答复").wait_for()
    assert shown.caller_name not in page.content()
    page.screenshot(path=str(SHOTS / "appeal-public-detail.png"), full_page=True)

    staff = sign_in(browser, url, "jiancha", demo_password)
    staff.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    staff.set_viewport_size({"width": 1280, "height": 900})
    staff.goto(f"{url}/workbench/appeals/dashboard/?period=custom&start=2026-10-01&end={end}")
    staff.get_by_text("按时签收率").first.wait_for()
    staff.screenshot(path=str(SHOTS / "appeal-dashboard.png"), full_page=True)
    assert not errors, errors


def test_a_new_category_joins_the_hot_words_without_a_restart(monkeypatch: Any) -> None:
    """A category an administrator adds is a keyword at the next dashboard, in any process."""
    monkeypatch.setattr(dashboard, "_vocabulary", None)  # put back as it was afterwards
    dashboard.keywords("电动车充电桩坏了")  # the pattern is built, as a running worker has it
    assert "电动车充电桩" not in dashboard.keywords("小区电动车充电桩坏了，没人修")
    Category.objects.create(
        code="0599", name="电动车充电桩", parent=Category.objects.get(code="05")
    )
    dashboard.refresh_vocabulary()  # what each dashboard does first
    assert "电动车充电桩" in dashboard.keywords("小区电动车充电桩坏了，没人修")
