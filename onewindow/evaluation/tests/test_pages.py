"""The pages: the QR page and the applicant's page rate; staff pages by permission; errors are
shown in Chinese and change nothing."""

from __future__ import annotations

import pytest

from onewindow.cases.models import Case
from onewindow.evaluation import services, tokens
from onewindow.evaluation.models import Rating, Rectification

from .conftest import Days, applicant, food_case

pytestmark = pytest.mark.django_db


def test_qr_page_rates_and_then_shows_it_done(client, finished: Case) -> None:  # type: ignore[no-untyped-def]
    url = f"/rate/{tokens.rating_token(finished.pk)}/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "非常满意" in body and "非常不满意" in body and finished.number in body
    assert 'name="stage" value="completion"' in body
    bad = client.post(url, {"stage": "completion", "level": "9"})
    assert bad.status_code == 422 and "评价等级“9”无效" in bad.content.decode()
    assert not Rating.objects.exists()
    done = client.post(
        url, {"stage": "completion", "level": "2", "reasons": ["fees"], "comment": "收费不明"}
    )
    assert done.status_code == 302
    again = client.get(url).content.decode()
    assert "感谢您的评价" in again and "不满意" in again
    assert Rectification.objects.count() == 1


def test_forged_token_page_says_what_to_do(client, finished: Case) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/rate/abc:def:ghi/")
    assert page.status_code == 422
    assert "评价二维码无效" in page.content.decode()


def test_applicant_rates_own_case_online(as_user, days: Days) -> None:  # type: ignore[no-untyped-def]
    case = food_case()
    other = as_user("13900000011")
    assert other.get(f"/rate/mine/{case.number}/").status_code == 404
    owner = as_user("13900000012")
    assert "评价" in owner.get(f"/cases/mine/{case.number}/").content.decode()
    response = owner.post(f"/rate/mine/{case.number}/", {"stage": "completion", "level": "5"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert rating.channel == "online" and rating.rated_by == applicant("13900000012")


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("zc01", {"home", "mine", "card", "counter"}),
        ("scjg_sp2", {"home", "mine"}),
        ("scjg_fzr", {"home", "mine", "rectifications"}),
        ("jiancha", {"home", "mine", "rectifications", "card"}),
        ("xitong", set()),
    ],
)
def test_staff_pages_by_permission(as_user, username: str, allowed: set[str]) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    pages = {
        "home": "/workbench/evaluation/",
        "mine": "/workbench/evaluation/mine/",
        "rectifications": "/workbench/evaluation/rectifications/",
        "card": "/workbench/evaluation/cards/new/",
        "counter": "/workbench/evaluation/counter/",
    }
    for key, url in pages.items():
        status = client.get(url).status_code
        assert status == (200 if key in allowed else 403), (username, key, status)
    home = client.get("/workbench/").content.decode()
    assert ("好差评" in home) == bool(allowed)


def test_anonymous_visitor_is_sent_to_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/workbench/evaluation/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_staff_see_own_ratings_without_the_case(as_user, days: Days) -> None:  # type: ignore[no-untyped-def]
    case = food_case()
    services.rate_online(
        case=case,
        actor=applicant("13900000012"),
        stage="acceptance",
        level=1,
        comment="态度生硬",
    )
    mine = as_user("zc01").get("/workbench/evaluation/mine/").content.decode()
    assert "非常不满意" in mine and "态度生硬" in mine
    assert case.number not in mine and case.applicant_name not in mine
    board = as_user("jiancha").get("/workbench/evaluation/").content.decode()
    assert case.number in board and case.applicant_name in board


def test_rectification_pages_walk_the_task_and_show_errors(as_user, days: Days) -> None:  # type: ignore[no-untyped-def]
    case = food_case()
    services.rate_online(case=case, actor=applicant("13900000012"), stage="acceptance", level=2)
    task = Rectification.objects.get()
    head = as_user("scjg_fzr")
    listing = head.get("/workbench/evaluation/rectifications/").content.decode()
    assert f"整改 {task.pk}" in listing
    url = f"/workbench/evaluation/rectifications/{task.pk}/"
    assert "调查核实情况（必填）" in head.get(url).content.decode()
    empty = head.post(url + "do/investigate/", {"finding": "", "revision": "0"})
    assert empty.status_code == 422 and "请填写调查核实情况" in empty.content.decode()
    assert head.post(url + "do/investigate/", {"finding": "属实"}).status_code == 302
    # the supervisor may not answer in the department head's place
    sup = as_user("jiancha")
    assert sup.post(url + "do/answer/", {"answer": "x"}).status_code == 403
    assert head.post(url + "do/answer/", {"answer": "已整改"}).status_code == 302
    # unsatisfied: sent back for a second round, which the page shows
    assert (
        sup.post(
            url + "do/revisit/", {"revisit_note": "仍不满意", "revisit_satisfied": "no"}
        ).status_code
        == 302
    )
    assert "退回理由（必填）" in sup.get(url).content.decode()
    blank = sup.post(url + "do/rework/", {"rework_reason": ""})
    assert blank.status_code == 422 and "请填写退回理由" in blank.content.decode()
    assert sup.post(url + "do/rework/", {"rework_reason": "告知单仍不全"}).status_code == 302
    page = head.get(url).content.decode()
    assert "第 1 轮" in page and "告知单仍不全" in page and "调查核实情况（必填）" in page
    assert head.post(url + "do/investigate/", {"finding": "再查"}).status_code == 302
    assert head.post(url + "do/answer/", {"answer": "补全告知单"}).status_code == 302
    assert (
        sup.post(
            url + "do/revisit/", {"revisit_note": "满意", "revisit_satisfied": "yes"}
        ).status_code
        == 302
    )
    assert "退回理由（必填）" not in sup.get(url).content.decode()
    assert sup.post(url + "do/close/", {"closing_note": "办结"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "closed"
    # another department's head does not reach it
    assert as_user("ga_fzr").get(url).status_code == 404


def test_card_page_enters_a_card(as_user, finished: Case) -> None:  # type: ignore[no-untyped-def]
    client = as_user("zc01")
    bad = client.post("/workbench/evaluation/cards/new/", {"case_number": "nope", "level": "5"})
    assert bad.status_code == 404 and "没有找到办件编号“nope”" in bad.content.decode()
    ok = client.post(
        "/workbench/evaluation/cards/new/",
        {"case_number": finished.number, "stage": "completion", "level": "4"},
    )
    assert ok.status_code == 302
    assert Rating.objects.get().channel == "card"


def test_counter_tablet_pages(as_user, finished: Case) -> None:  # type: ignore[no-untyped-def]
    client = as_user("zc01")
    start = client.get("/workbench/evaluation/counter/").content.decode()
    assert "签到窗口" in start
    assert finished.window is not None
    client.post("/workbench/evaluation/counter/start/", {"window": finished.window.pk})
    listing = client.get("/workbench/evaluation/counter/").content.decode()
    assert finished.number in listing
    screen = client.get(f"/workbench/evaluation/counter/rate/{finished.number}/").content.decode()
    assert 'name="level" value="5"' in screen and "ev-tablet" in screen
    thanks = client.post(
        f"/workbench/evaluation/counter/rate/{finished.number}/",
        {"stage": "completion", "level": "5"},
    )
    assert thanks.status_code == 200 and "感谢您的评价" in thanks.content.decode()
    assert Rating.objects.get().channel == "counter"
    client.post("/workbench/evaluation/counter/end/")
    assert "签到窗口" in client.get("/workbench/evaluation/counter/").content.decode()


def test_printable_qr_page_and_receipt_carry_the_rating_link(as_user, finished: Case) -> None:  # type: ignore[no-untyped-def]
    from onewindow.cases.documents import document_context

    page = as_user("zc01").get(f"/workbench/evaluation/qr/{finished.number}/").content.decode()
    assert "/rate/" in page and "data:image/svg+xml" in page
    context = document_context(finished, "receipt", base_url="https://zwfw.example.cn/")
    assert context["rate_url"].startswith("https://zwfw.example.cn/rate/")
    token = context["rate_url"].rstrip("/").rsplit("/", 1)[-1]
    assert tokens.case_id_from(token) == finished.pk


def test_list_pages_take_a_fixed_number_of_queries(as_user, days: Days) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import seal_case

    def bad() -> None:
        case = seal_case()
        services.rate_by_token(token=tokens.rating_token(case.pk), stage="completion", level=1)

    client = as_user("jiancha")
    pages = ["/workbench/evaluation/", "/workbench/evaluation/rectifications/"]

    def counts() -> list[int]:
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            result.append(len(ctx.captured_queries))
        return result

    bad()
    counts()  # the first request of a session writes it (idle timeout): warm up
    first = counts()
    for _ in range(3):
        bad()
    assert counts() == first
