"""The public page of published appeals: only what the citizen agreed to publish, never a report,
and no personal data anywhere in the HTML."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from onewindow.accounts.models import User
from onewindow.appeals import publication, services
from onewindow.appeals.choices import Channel, Kind, Rating
from onewindow.appeals.models import Appeal, Category
from onewindow.cases import clock
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
TUE = dt.date(2026, 3, 3)
QINGSHI_VILLAGE = "610799101001"  # 青石镇青石村
LIUWAN_VILLAGE = "610799102001"  # 柳湾镇柳湾村
NAME = "欧阳娜娜"
PHONE = "13912345678"
ID_NUMBER = "61079919900101123X"
ADDRESS = "青石村三组幸福巷 12 号院"
CONTENT = (
    f"我叫{NAME}，家住青石村三组 12 号，电话 {PHONE}，身份证号 {ID_NUMBER}。"
    "组里垃圾点一周没有清运，王师傅说车坏了，请尽快处理。座机 0916-5412399。"
)


def file(**over: Any) -> Appeal:
    data: dict[str, Any] = {
        "channel": Channel.WEB,
        "kind": Kind.HELP,
        "category_id": Category.objects.get(code="0503").pk,
        "region_id": Region.objects.get(code=QINGSHI_VILLAGE).pk,
        "title": "垃圾点清运不及时",
        "content": CONTENT,
        "caller_name": NAME,
        "callback_phone": PHONE,
        "address": ADDRESS,
        "publish_consent": True,
    }
    data.update(over)
    with clock.simulate(MON):
        return services.file_appeal(**data)


def answer(appeal: Appeal, text: str, username: str = "qingshi1_shouli") -> None:
    staff = User.objects.get(username=username)
    turn = appeal.dispatches.get(state="waiting")
    with clock.simulate(TUE):
        services.sign_for(actor=staff, appeal_id=appeal.pk, dispatch_id=turn.pk)
        services.reply(actor=staff, appeal_id=appeal.pk, dispatch_id=turn.pk, text=text)


def html(response: Any) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_anonymise_hides_phones_ids_numbers_and_names() -> None:
    text = publication.anonymise(CONTENT, names=(NAME,))
    for secret in (NAME, "欧阳", PHONE, "5678", ID_NUMBER, "0916-5412399", "12 号", "王师傅"):
        assert secret not in text, secret
    assert "某某" in text and "某师傅" in text and "**号" in text
    assert "垃圾点一周没有清运" in text  # the matter itself stays readable
    assert publication.anonymise("联系人：张三丰，手机 139 1234 5678") == "联系人：某某，手机 ***"
    assert publication.anonymise("卡号6222021234567890123") == "卡号***"
    assert publication.anonymise("邮箱 zhang.san@example.com") == "邮箱 ***"
    assert publication.anonymise("学校老师说三天后答复") == "学校老师说三天后答复"
    kept = "并电话告知诉求人处理结果"
    assert publication.anonymise(kept) == kept
    assert publication.anonymise("诉求人：王建国") == "诉求人：某某"


def test_only_consented_non_report_appeals_are_listed_without_personal_data(client: Any) -> None:
    shown = file()
    answer(shown, f"已联系{NAME}（{PHONE}），当天完成清运，并增加每周清运次数。")
    hidden = file(publish_consent=False, title="不同意公开的诉求")
    report = file(kind=Kind.REPORT, title="举报小饭馆卫生差")
    anonymous = file(kind=Kind.REPORT, anonymous=True, caller_name="", title="匿名举报无证经营")
    duplicate = file(title="垃圾点好几天没人清运")
    with clock.simulate(TUE):
        services.merge(
            actor=User.objects.get(username="jiancha"), appeal_id=duplicate.pk, into_id=shown.pk
        )
    page = html(client.get("/appeals/public/"))
    assert shown.number in page and "垃圾点清运不及时" in page
    for other in (hidden, report, anonymous, duplicate):
        assert other.number not in page and other.title not in page
    assert "青石镇 青石村" in page
    for secret in (NAME, "欧阳", PHONE, ID_NUMBER, "幸福巷", ADDRESS):
        assert secret not in page, secret
    assert "举报" not in page.split('<select id="kind"')[1].split("</select>")[0]

    detail = html(client.get(f"/appeals/public/{shown.number}/"))
    assert "当天完成清运" in detail and "青石村" in detail and "已答复待评价" in detail
    staff = User.objects.get(username="qingshi1_shouli")
    for secret in (NAME, "欧阳", PHONE, "5678", ID_NUMBER, "幸福巷", "12 号", "0916-5412399"):
        assert secret not in detail, secret
    for staff_name in {staff.username, staff.name} - {""}:
        assert staff_name not in detail
    for other in (hidden, report, anonymous, duplicate):
        assert client.get(f"/appeals/public/{other.number}/").status_code == 404
    assert client.get("/appeals/public/MQ000/").status_code == 404


def test_reply_shows_only_once_answered_and_after_rating(client: Any) -> None:
    appeal = file()
    assert "正在办理" in html(client.get(f"/appeals/public/{appeal.number}/"))
    answer(appeal, "已联系镇环卫所，当天完成清运，并增加每周清运次数。")
    with clock.simulate(TUE):
        services.rate(number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.SATISFIED)
    detail = html(client.get(f"/appeals/public/{appeal.number}/"))
    assert "已办结" in detail and "当天完成清运" in detail
    assert "青石村" in detail  # the replying unit's name
    assert "满意" not in detail.split("办理进度")[0]  # the rating itself is the citizen's


def test_filters_and_pagination(client: Any, monkeypatch: Any) -> None:
    help_qs = file()
    road = file(
        kind=Kind.COMPLAINT,
        category_id=Category.objects.get(code="0501").pk,
        title="通组道路塌陷",
    )
    elsewhere = file(
        region_id=Region.objects.get(code=LIUWAN_VILLAGE).pk,
        category_id=Category.objects.get(code="0103").pk,  # 城乡建设 / 供水供气
        title="柳湾村停水",
    )
    answer(help_qs, "已联系镇环卫所，当天完成清运，并增加每周清运次数。")

    def numbers(**params: str) -> set[str]:
        page = html(client.get("/appeals/public/", params))
        return {a.number for a in (help_qs, road, elsewhere) if a.number in page}

    assert numbers() == {help_qs.number, road.number, elsewhere.number}
    assert numbers(kind="complaint") == {road.number}
    assert numbers(category="05") == {help_qs.number, road.number}  # 农业农村
    assert numbers(category="0501") == {road.number}
    assert numbers(region="610799102000") == {elsewhere.number}  # 柳湾镇
    assert numbers(region="610799101000") == {help_qs.number, road.number}
    assert numbers(status="replied") == {help_qs.number}
    assert numbers(region="nowhere") == set()
    assert numbers(kind="report") == set()

    monkeypatch.setattr(publication, "PAGE_SIZE", 2)
    first = html(client.get("/appeals/public/", {"region": "610799101000"}))
    assert "第 1 / 1 页" not in first
    both = html(client.get("/appeals/public/"))
    assert "第 1 / 2 页" in both and "page=2" in both
    second = html(client.get("/appeals/public/", {"page": "2"}))
    assert help_qs.number in second  # the oldest, last
    assert "第 2 / 2 页" in second
    assert client.get("/appeals/public/", {"page": "abc"}).status_code == 200


def test_list_queries_do_not_grow_with_rows(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    file()
    client.get("/appeals/public/")  # warm-up (sessions, caches)
    with CaptureQueriesContext(connection) as one:
        html(client.get("/appeals/public/"))
    for _ in range(4):
        file()
    with CaptureQueriesContext(connection) as five:
        html(client.get("/appeals/public/"))
    assert len(five) == len(one)
    with django_assert_max_num_queries(6):
        html(client.get("/appeals/public/"))
