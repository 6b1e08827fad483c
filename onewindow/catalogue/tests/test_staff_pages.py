"""The staff catalogue pages: who may see, edit, review and publish; the draft → edit → review →
publish cycle through the pages; bad input shown in Chinese with nothing changed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from onewindow.catalogue import exchange, services
from onewindow.catalogue.models import (
    Devolution,
    Item,
    ItemVersion,
    Material,
    WindowAuthorisation,
)
from onewindow.conftest import follow, login_client
from onewindow.core.errors import NotAllowed
from onewindow.files.models import StoredFile
from onewindow.files.tests.test_files import minimal_pdf
from onewindow.org.models import Region, Window

pytestmark = pytest.mark.django_db

BASE = "/workbench/catalogue/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def scjg_item() -> Item:
    return (
        Item.objects.filter(
            department__code="610799-SCJG",
            published__isnull=False,
            published__handling="promised",
            published__statutory_limit__gte=5,
        )
        .select_related("published")
        .order_by("code")
        .first()
    )


def ga_item() -> Item:
    return Item.objects.filter(department__code="610799-GA", published__isnull=False).first()


def payload(version: ItemVersion, **changes: Any) -> dict[str, Any]:
    """What the edit form posts for `version`, with `changes` applied (materials etc. unchanged)."""
    data = services.version_as_data(version)
    post: dict[str, Any] = {
        "change_note": version.change_note,
        "name": data["name"],
        "kind": data["kind"],
        "levels": data["levels"],
        "power_source": data["power_source"],
        "content": data["content"],
        "legal_basis": "\n".join(data["legal_basis"]),
        "conditions": "\n".join(data["conditions"]),
        "handling": data["handling"],
        "statutory_limit": data["statutory_limit"],
        "promised_limit": data["promised_limit"],
        "limit_unit": version.limit_unit,
        "limit_note": data["limit_note"],
        "visits": data["visits"],
        "online_depth": data["online_depth"],
        "forms": data["forms"],
        "result_type": data["result_type"],
        "result_name": data["result_name"],
        "place": data["place"],
        "hours": data["hours"],
        "phone": data["phone"],
        "keywords": "、".join(data["keywords"]),
    }
    materials = data["materials"]
    post.update({"m-TOTAL_FORMS": len(materials), "m-INITIAL_FORMS": len(materials)})
    for n, m in enumerate(materials):
        for key in ("key", "name", "form", "copies", "source", "standard"):
            post[f"m-{n}-{key}"] = m[key]
        for flag in ("required", "deficiency_ok", "situational"):
            if m[flag]:
                post[f"m-{n}-{flag}"] = "on"
    fees, faqs = data["fees"], data["faqs"]
    post.update({"f-TOTAL_FORMS": len(fees), "f-INITIAL_FORMS": len(fees)})
    for n, f in enumerate(fees):
        for key, value in f.items():
            post[f"f-{n}-{key}"] = value
    post.update({"q-TOTAL_FORMS": len(faqs), "q-INITIAL_FORMS": len(faqs)})
    for n, q in enumerate(faqs):
        post[f"q-{n}-q"], post[f"q-{n}-a"] = q["q"], q["a"]
    rows = [(s, o) for s in data["situations"] for o in s["options"]]
    post.update({"s-TOTAL_FORMS": len(rows), "s-INITIAL_FORMS": len(rows)})
    for n, (situation, option) in enumerate(rows):
        post[f"s-{n}-situation"], post[f"s-{n}-question"] = situation["key"], situation["question"]
        post[f"s-{n}-option"], post[f"s-{n}-answer"] = option["key"], option["answer"]
        post[f"s-{n}-note"] = option["note"]
        post[f"s-{n}-add"], post[f"s-{n}-remove"] = option["add"], option["remove"]
    post["co_departments"] = data["co_departments"]
    post.update(changes)
    return post


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in():
    item = scjg_item()
    for url in (BASE, f"{BASE}{item.code}/", f"{BASE}import/", f"{BASE}devolutions/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_applicant_is_refused():
    client = login_client("13900000001")
    assert client.get(BASE).status_code == 403
    assert client.get(f"{BASE}{scjg_item().code}/").status_code == 403


def test_acceptor_reads_but_cannot_edit():
    client = login_client("zc01")
    item = scjg_item()
    listing = page(client, BASE)
    assert "事项清单" in listing and "新建事项" not in listing
    detail = page(client, f"{BASE}{item.code}/")
    assert item.published.name in detail and "新建修订稿" not in detail
    assert client.post(f"{BASE}{item.code}/draft/").status_code == 403
    assert client.get(f"{BASE}new/").status_code == 403
    assert client.get(f"{BASE}import/").status_code == 403
    assert client.get(f"{BASE}windows/").status_code == 403
    assert not item.versions.filter(status="draft").exists()


def test_department_head_edits_only_own_department():
    client = login_client("scjg_fzr")
    own, other = scjg_item(), ga_item()
    response = client.post(f"{BASE}{own.code}/draft/", {"change_note": "调整承诺时限"})
    draft = own.versions.get(status="draft")
    assert response["Location"] == f"{BASE}version/{draft.pk}/edit/"
    assert page(client, response["Location"]).count("保存草稿") == 1
    assert client.post(f"{BASE}{other.code}/draft/").status_code == 403
    assert not other.versions.filter(status="draft").exists()
    # the page hides the button; the service refuses as well
    with pytest.raises(NotAllowed, match="只能修改本部门的事项"):
        services.version_new_draft(item=other, actor=draft.created_by)
    # a draft of another department's item cannot be opened for editing either
    foreign = services.version_new_draft(item=other, actor=None)
    assert client.get(f"{BASE}version/{foreign.pk}/edit/").status_code == 403
    assert client.post(f"{BASE}version/{foreign.pk}/discard/").status_code == 403
    # nor can a department head review or publish
    assert client.post(f"{BASE}version/{draft.pk}/review/").status_code == 403


def test_menu_entry_shows_to_staff_with_the_permission():
    assert "事项清单" in page(login_client("zc01"), "/workbench/")


PAGES = {  # page → the permission it needs
    "": "catalogue.view",
    "{code}/": "catalogue.view",
    "export.xlsx": "catalogue.view",
    "new/": "catalogue.edit",
    "import/": "catalogue.import",
    "devolutions/": "catalogue.grant",
    "windows/": "catalogue.grant",
    "bundles/": "catalogue.view",
    "bundles/new/": "catalogue.bundle",
}
HOLDERS = {  # who holds each permission among the actors below (accounts/permissions.py)
    "catalogue.view": {"zc01", "scjg_fzr", "jiancha", "xitong"},
    "catalogue.edit": {"scjg_fzr", "xitong"},
    "catalogue.import": {"xitong"},
    "catalogue.grant": {"xitong"},
    "catalogue.bundle": {"xitong"},
}


@pytest.mark.parametrize(
    "who", ["anonymous", "13900000001", "zc01", "scjg_fzr", "jiancha", "xitong", "shenji", "anquan"]
)
def test_page_access_matrix(who):
    client = Client() if who == "anonymous" else login_client(who)
    code = scjg_item().code
    for path, permission in PAGES.items():
        response = client.get(BASE + path.format(code=code))
        allowed = 200 if who in HOLDERS[permission] else 403
        expected = 302 if who == "anonymous" else allowed
        assert response.status_code == expected, (who, path, response.status_code)


def test_items_list_queries_do_not_grow_with_the_page(django_assert_max_num_queries):
    client = login_client("scjg_fzr")
    with django_assert_max_num_queries(14):
        assert client.get(BASE).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"{BASE}?q=登记&status=published&level=town").status_code == 200


# --- the full cycle ---------------------------------------------------------------------------


def test_draft_edit_review_publish_through_the_pages():
    item = scjg_item()
    before = item.published
    head, admin = login_client("scjg_fzr"), login_client("xitong")
    head.post(f"{BASE}{item.code}/draft/", {"change_note": "压缩承诺时限"})
    draft = item.versions.get(status="draft")
    new_limit = max(before.promised_limit - 1, 1)
    response = head.post(
        f"{BASE}version/{draft.pk}/edit/",
        payload(
            draft,
            promised_limit=new_limit,
            phone="0916-5400000",
            **{"m-TOTAL_FORMS": len(before.materials.all()) + 1},
            **{
                f"m-{len(before.materials.all())}-name": "授权委托书（委托他人办理的）",
                f"m-{len(before.materials.all())}-form": "original",
                f"m-{len(before.materials.all())}-copies": 1,
                f"m-{len(before.materials.all())}-source": "applicant",
                f"m-{len(before.materials.all())}-situational": "on",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    draft.refresh_from_db()
    assert (draft.promised_limit, draft.phone, draft.updated_by.username) == (
        new_limit,
        "0916-5400000",
        "scjg_fzr",
    )
    assert draft.materials.filter(name="授权委托书（委托他人办理的）").exists()

    # upload a blank form for the first material
    material = draft.materials.order_by("order").first()
    upload = io.BytesIO(minimal_pdf())
    upload.name = "申请书.pdf"
    head.post(
        f"{BASE}version/{draft.pk}/materials/{material.pk}/upload/",
        {"which": "blank", "file": upload},
    )
    material.refresh_from_db()
    assert material.blank_file is not None and material.has_blank_form

    # the diff on the item page shows old and new side by side with Chinese labels
    detail = page(admin, f"{BASE}{item.code}/?a={before.number}&b={draft.number}")
    assert "承诺办结时限" in detail and "咨询电话" in detail and "0916-5400000" in detail

    assert admin.post(f"{BASE}version/{draft.pk}/review/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == "reviewed" and draft.reviewed_by.username == "xitong"
    assert admin.post(f"{BASE}version/{draft.pk}/publish/").status_code == 302
    item.refresh_from_db()
    assert item.published_id == draft.pk
    before.refresh_from_db()
    assert before.status == "superseded"
    history = page(admin, f"{BASE}{item.code}/")
    assert "已被新版本取代" in history and "压缩承诺时限" in history
    # the published blank form is public now
    response = Client().get(f"{BASE}file/{material.pk}/blank/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response) == minimal_pdf()


def test_nobody_reviews_or_publishes_their_own_draft():
    from onewindow.accounts import services as accounts
    from onewindow.accounts.models import User

    item = scjg_item()
    xitong, xitong_b, jiancha = (
        User.objects.get(username=u) for u in ("xitong", "xitong_b", "jiancha")
    )
    admin = login_client("xitong")
    admin.post(f"{BASE}{item.code}/draft/", {"change_note": "管理员修订"})
    draft = item.versions.get(status="draft")
    assert draft.created_by == xitong
    response = admin.post(f"{BASE}version/{draft.pk}/review/", follow=True)
    assert "不能由您本人审核" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "draft"
    # the B administrator stands in while A is away and reviews
    accounts.absence_start(actor=jiancha, user=xitong, reason="培训")
    other = login_client("xitong_b")
    other.post(f"{BASE}version/{draft.pk}/review/")
    draft.refresh_from_db()
    assert (draft.status, draft.reviewed_by) == ("reviewed", xitong_b)
    accounts.absence_end(actor=jiancha, user=xitong)
    # back at work, the drafter still may not publish
    response = admin.post(f"{BASE}version/{draft.pk}/publish/", follow=True)
    assert "不能由您本人发布" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "reviewed"
    with pytest.raises(NotAllowed, match="审核与起草须分离"):
        services.version_publish(version=draft, actor=xitong)
    accounts.absence_start(actor=jiancha, user=xitong, reason="培训")
    other.post(f"{BASE}version/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.status == "published"


def test_editing_someone_elses_draft_bars_the_editor_from_reviewing_it():
    item = scjg_item()
    login_client("scjg_fzr").post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    admin = login_client("xitong")
    admin.post(f"{BASE}version/{draft.pk}/edit/", payload(draft, phone="0916-5411111"))
    draft.refresh_from_db()
    assert (draft.phone, draft.updated_by.username) == ("0916-5411111", "xitong")
    response = admin.post(f"{BASE}version/{draft.pk}/review/", follow=True)
    assert "不能由您本人审核" in response.content.decode()
    with pytest.raises(NotAllowed):
        services.version_review(version=draft, actor=draft.updated_by)


def test_discard_a_draft():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    response = head.post(f"{BASE}version/{draft.pk}/discard/")
    assert response["Location"] == f"{BASE}{item.code}/"
    assert not ItemVersion.objects.filter(pk=draft.pk).exists()
    assert Item.objects.filter(pk=item.pk, published__isnull=False).exists()


def test_new_item_through_the_page():
    head = login_client("scjg_fzr")
    form = page(head, f"{BASE}new/")
    # the implementing department: only the head's own; co-departments may be any department
    picker = form[
        form.index('name="department"') : form.index("</select>", form.index('name="department"'))
    ]
    assert "青溪县市场监督管理局" in picker and "青溪县公安局" not in picker
    assert 'name="co_departments"' in form
    from onewindow.org.models import Department

    scjg = Department.objects.get(code="610799-SCJG")
    draft_post = {
        "department": scjg.pk,
        "code": "002099001000",
        "name": "小餐饮经营备案",
        "kind": "public_service",
        "levels": ["county"],
        "handling": "promised",
        "statutory_limit": 10,
        "promised_limit": 3,
        "limit_unit": "working_days",
        "visits": 0,
        "online_depth": "full_online",
        "forms": ["window", "online"],
        "result_type": "filing",
        "result_name": "小餐饮备案回执",
        "m-TOTAL_FORMS": 2,
        "m-INITIAL_FORMS": 0,
        "m-0-name": "小餐饮经营备案表",
        "m-0-required": "on",
        "m-0-form": "original",
        "m-0-copies": 1,
        "m-0-source": "applicant",
        "m-1-form": "original",
        "m-1-copies": 1,
        "m-1-source": "applicant",
        "f-TOTAL_FORMS": 0,
        "f-INITIAL_FORMS": 0,
        "q-TOTAL_FORMS": 0,
        "q-INITIAL_FORMS": 0,
        "s-TOTAL_FORMS": 0,
        "s-INITIAL_FORMS": 0,
    }
    response = head.post(f"{BASE}new/", draft_post)
    assert response.status_code == 302, response.content.decode()[:3000]
    item = Item.objects.get(code="002099001000")
    version = item.versions.get()
    assert (version.name, version.status, item.department_id) == (
        "小餐饮经营备案",
        "draft",
        scjg.pk,
    )
    assert [m.key for m in version.materials.all()] == ["m1"]
    # another department is not offered, and a forged post is refused
    forged = head.post(f"{BASE}new/", {**draft_post, "code": "003099001000", "department": 3})
    assert "选择一个有效的选项" in forged.content.decode() or forged.status_code == 403
    assert not Item.objects.filter(code="003099001000").exists()


# --- bad input --------------------------------------------------------------------------------


def test_promised_above_statutory_is_shown_and_nothing_saved():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    before = services.version_as_data(draft)
    response = head.post(
        f"{BASE}version/{draft.pk}/edit/",
        payload(
            draft,
            statutory_limit=5,
            promised_limit=9,
            phone="0916-0000000",
            **{"m-0-DELETE": "on"},
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "承诺时限 9 个工作日超过了法定时限 5 个工作日" in html
    assert 'class="field field-error"' in html  # on the field, not only at the top
    draft.refresh_from_db()
    assert services.version_as_data(draft) == before


def test_empty_name_and_no_materials_are_shown():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    count = draft.materials.count()
    post = payload(draft, name="  ")
    for n in range(count):
        post[f"m-{n}-DELETE"] = "on"
    html = head.post(f"{BASE}version/{draft.pk}/edit/", post).content.decode()
    assert "请填写事项名称" in html and "至少应有一项申请材料" in html
    assert draft.materials.count() == count


def test_fake_pdf_blank_form_is_refused():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    material = draft.materials.order_by("order").first()
    kept, files = material.blank_file_id, StoredFile.objects.count()
    fake = io.BytesIO(b"MZ\x90\x00 this is a program, not a form")
    fake.name = "申请表.pdf"
    response = head.post(
        f"{BASE}version/{draft.pk}/materials/{material.pk}/upload/",
        {"which": "blank", "file": fake},
        follow=True,
    )
    assert "「空白表格」不是 PDF 文件（内容与扩展名不符）" in response.content.decode()
    material.refresh_from_db()
    assert material.blank_file_id == kept  # the demo's form, not replaced
    assert StoredFile.objects.count() == files


def exported_with_duplicate_code() -> io.BytesIO:
    stream = io.BytesIO()
    exchange.export_catalogue(stream)
    stream.seek(0)
    book = load_workbook(stream)
    sheet = book["事项"]
    header = [c.value for c in sheet[1]]
    column = header.index("基本编码") + 1
    sheet.cell(row=3, column=column).value = sheet.cell(row=2, column=column).value
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "事项清单.xlsx"
    return out


def test_import_shows_every_problem_and_imports_nothing():
    admin = login_client("xitong")
    versions = ItemVersion.objects.count()
    response = admin.post(
        f"{BASE}import/", {"step": "check", "file": exported_with_duplicate_code()}
    )
    html = response.content.decode()
    assert "未导入任何内容" in html and "重复，已出现在第 2 行" in html
    assert "<td>事项</td>" in html and "确认导入</button>" not in html
    assert ItemVersion.objects.count() == versions
    # a confirm without a checked file does nothing either
    response = admin.post(f"{BASE}import/", {"step": "confirm"}, follow=True)
    assert "待导入的文件已失效" in response.content.decode()
    assert ItemVersion.objects.count() == versions


def test_import_check_then_confirm_as_drafts():
    admin = login_client("xitong")
    stream = io.BytesIO()
    exchange.export_catalogue(stream)
    stream.seek(0)
    book = load_workbook(stream)
    sheet = book["事项"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("咨询电话") + 1).value = "0916-5499999"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "清单.xlsx"
    html = admin.post(f"{BASE}import/", {"step": "check", "file": out}).content.decode()
    assert "检查通过" in html and "确认导入" in html
    response = admin.post(f"{BASE}import/", {"step": "confirm", "draft": "1"}, follow=True)
    assert "更新 1 个" in response.content.decode()
    assert ItemVersion.objects.filter(status="draft", phone="0916-5499999").count() == 1


def test_import_refuses_a_file_that_is_not_excel():
    admin = login_client("xitong")
    fake = io.BytesIO(b"code,name\n1,2\n")
    fake.name = "清单.xlsx"
    html = admin.post(f"{BASE}import/", {"step": "check", "file": fake}).content.decode()
    assert "内容与扩展名不符" in html


def test_export_streams_the_workbook():
    response = login_client("zc01").get(f"{BASE}export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert "事项" in book.sheetnames


# --- devolution and window authorisations ------------------------------------------------------


def test_demo_grants_exist():
    assert Devolution.objects.filter(region__level="village").exists()
    assert Devolution.objects.filter(region__level="town").count() >= 20
    special = Window.objects.get(service_point__region__code="610799000000", number="D02")
    assert WindowAuthorisation.objects.filter(window=special).exists()
    assert all(
        a.powers == ["accept", "approve"]
        for a in WindowAuthorisation.objects.filter(window=special)
    )
    comprehensive = Window.objects.get(service_point__region__code="610799000000", number="01")
    assert {tuple(a.powers) for a in WindowAuthorisation.objects.filter(window=comprehensive)} == {
        ("accept",)
    }


def test_demo_grants_are_idempotent():
    from onewindow.core.demo_county import DemoBuilder

    builder = DemoBuilder()
    devolutions, authorisations = Devolution.objects.count(), WindowAuthorisation.objects.count()
    builder.build_grants()
    assert builder.created == 0
    assert (Devolution.objects.count(), WindowAuthorisation.objects.count()) == (
        devolutions,
        authorisations,
    )


def test_grant_and_recall_a_devolution_through_the_page():
    admin = login_client("xitong")
    item = Item.objects.get(code="005011003000")
    town = Region.objects.get(code="610799101000")
    Devolution.objects.filter(item=item, region=town).delete()
    html = page(admin, f"{BASE}devolutions/")
    assert "新增下沉授权" in html
    response = admin.post(
        f"{BASE}devolutions/",
        {
            "item": item.pk,
            "regions": [town.pk],
            "scope": "受理、办结",
            "letter_no": "青人社发〔2026〕99号",
            "seal": "青溪县人力资源和社会保障局行政审批专用章",
            "responsible": "张三",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    grant = Devolution.objects.get(item=item, region=town, recalled_on__isnull=True)
    # the same again is refused with a message on the form
    again = admin.post(
        f"{BASE}devolutions/",
        {
            "item": item.pk,
            "regions": [town.pk],
            "scope": "受理",
            "letter_no": "x",
            "seal": "x",
            "responsible": "x",
        },
    )
    assert "已经承接" in again.content.decode()
    admin.post(f"{BASE}devolutions/{grant.pk}/recall/", {"reason": "机构调整"})
    grant.refresh_from_db()
    assert grant.recalled_on is not None and grant.recall_reason == "机构调整"
    assert login_client("scjg_fzr").get(f"{BASE}devolutions/").status_code == 403


def test_window_authorisation_grant_and_revoke():
    admin = login_client("xitong")
    window = Window.objects.get(service_point__region__code="610799000000", number="01")
    authorisation = WindowAuthorisation.objects.filter(
        window=window, revoked_on__isnull=True
    ).first()
    response = admin.post(f"{BASE}windows/{authorisation.pk}/revoke/", {"reason": "窗口调整"})
    assert response.status_code == 302
    authorisation.refresh_from_db()
    assert authorisation.revoked_on is not None
    response = admin.post(
        f"{BASE}windows/",
        {
            "window": window.pk,
            "item": authorisation.item_id,
            "powers": ["accept"],
            "letter_no": "青政务授〔2026〕9号",
            "seal": "青溪县政务服务中心印章",
            "responsible": "李四",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert WindowAuthorisation.objects.filter(
        window=window, item_id=authorisation.item_id, revoked_on__isnull=True
    ).exists()
    html = page(admin, f"{BASE}windows/?window={window.pk}&show=all")
    assert "已撤销" in html


def test_material_file_of_a_draft_is_not_public():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/")
    draft = item.versions.get(status="draft")
    material = draft.materials.order_by("order").first()
    upload = io.BytesIO(minimal_pdf())
    upload.name = "表.pdf"
    head.post(
        f"{BASE}version/{draft.pk}/materials/{material.pk}/upload/",
        {"which": "example", "file": upload},
    )
    material = Material.objects.get(pk=material.pk)
    assert material.example_file is not None
    assert Client().get(f"{BASE}file/{material.pk}/example/").status_code == 404
    assert head.get(f"{BASE}file/{material.pk}/example/").status_code == 200


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_edit_review_publish_and_import_problems(live_server) -> None:  # type: ignore[no-untyped-def]
    """scjg_fzr drafts and edits in Chromium; xitong (session from the test client, as TOTP is
    not typed in a browser here) reviews and publishes; screenshots go to var/screenshots/."""
    import os
    import shutil
    from pathlib import Path

    if not shutil.which("/usr/bin/chromium"):
        pytest.skip("no /usr/bin/chromium here")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    shots = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    item = scjg_item()
    name = item.published.name
    old_limit = item.published.promised_limit

    def session(username: str) -> list[dict[str, str]]:
        client = login_client(username)
        return [
            {"name": key, "value": morsel.value, "url": live_server.url}
            for key, morsel in client.cookies.items()
        ]

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        errors: list[str] = []
        head = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        head.add_cookies(session("scjg_fzr"))  # type: ignore[arg-type]
        tab = head.new_page()
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.goto(f"{live_server.url}{BASE}?q={item.code}")
        follow(tab, tab.get_by_role("link", name=name))
        tab.get_by_label("修订说明").fill("压缩承诺时限，增加咨询电话")
        follow(tab, tab.get_by_role("button", name="新建修订稿"))
        tab.wait_for_url("**/edit/")
        statutory = tab.get_by_label("法定办结时限").input_value()
        tab.get_by_label("承诺办结时限").fill(str(int(statutory) + 5))
        follow(tab, tab.get_by_role("button", name="保存草稿"))
        error = tab.locator(".field-error").first
        assert "不得长于法定时限" in error.inner_text()
        error.scroll_into_view_if_needed()
        tab.screenshot(path=str(shots / "catalogue-edit-error.png"))
        tab.get_by_label("承诺办结时限").fill(str(max(old_limit - 1, 1)))
        tab.get_by_label("咨询电话").fill("0916-5400000")
        tab.screenshot(path=str(shots / "catalogue-edit.png"), full_page=True)
        follow(tab, tab.get_by_role("button", name="保存草稿"))
        assert "草稿已保存" in tab.content()
        head.close()

        admin = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        admin.add_cookies(session("xitong"))  # type: ignore[arg-type]
        tab = admin.new_page()
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.goto(f"{live_server.url}{BASE}{item.code}/")
        diff = tab.locator("table.diff")
        assert "承诺办结时限" in diff.inner_text() and "0916-5400000" in diff.inner_text()
        tab.screenshot(path=str(shots / "catalogue-item-diff.png"), full_page=True)
        follow(tab, tab.get_by_role("button", name="审核通过"))
        assert "已审核通过" in tab.content()
        follow(tab, tab.get_by_role("button", name="发布"))
        assert "已发布" in tab.content()

        tab.goto(f"{live_server.url}{BASE}import/")
        tab.get_by_label("事项清单 Excel 文件（.xlsx）").set_input_files(
            {
                "name": "事项清单.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": exported_with_duplicate_code().getvalue(),
            }
        )
        follow(tab, tab.get_by_role("button", name="上传并检查"))
        assert "未导入任何内容" in tab.content()
        tab.screenshot(path=str(shots / "catalogue-import-problems.png"), full_page=True)
        for url, shot in (
            (f"{BASE}?department=", "catalogue-items.png"),
            (f"{BASE}devolutions/", "catalogue-devolutions.png"),
            (f"{BASE}windows/?window=", "catalogue-windows.png"),
        ):
            tab.goto(f"{live_server.url}{url}")
            tab.screenshot(path=str(shots / shot), full_page=False)
        admin.close()
        browser.close()
    item.refresh_from_db()
    assert item.published.phone == "0916-5400000"
    assert errors == []


def test_situations_and_co_departments_are_edited_on_the_page():
    """A department head adds a question with two options (one adds a situational material) and a
    co-department; the draft keeps them and the default flow gains the joint branch."""
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/", {"change_note": "增加情形"})
    draft = item.versions.get(status="draft")
    data = services.version_as_data(draft)
    situational = next((m["key"] for m in data["materials"] if m["situational"]), None)
    if situational is None:  # make one material situational for the test
        situational = data["materials"][-1]["key"]
    base = payload(draft)
    n = int(base["s-TOTAL_FORMS"])
    last = data["materials"].index(next(m for m in data["materials"] if m["key"] == situational))
    base[f"m-{last}-situational"] = "on"
    base.update(
        {
            "s-TOTAL_FORMS": n + 2,
            f"s-{n}-situation": "branch",
            f"s-{n}-question": "是否设立分支机构？",
            f"s-{n}-option": "yes",
            f"s-{n}-answer": "是",
            f"s-{n}-add": [situational],
            f"s-{n + 1}-situation": "branch",
            f"s-{n + 1}-question": "是否设立分支机构？",
            f"s-{n + 1}-option": "no",
            f"s-{n + 1}-answer": "否",
            "co_departments": ["610799-CG"],
        }
    )
    response = head.post(f"{BASE}version/{draft.pk}/edit/", base)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = services.version_as_data(ItemVersion.objects.get(pk=draft.pk))
    branch = next(s for s in saved["situations"] if s["key"] == "branch")
    assert [(o["key"], o["add"]) for o in branch["options"]] == [
        ("yes", [situational]),
        ("no", []),
    ]
    assert saved["co_departments"] == ["610799-CG"]
    joint = [s for s in saved["flow"]["states"] if s["kind"] == "joint"]
    assert joint and {b["department"] for b in joint[0]["branches"]} >= {"610799-CG"}

    # the page shows the question again, with the option's material selected
    form = page(head, f"{BASE}version/{draft.pk}/edit/")
    assert "是否设立分支机构？" in form


def test_situation_rows_that_disagree_are_refused_and_nothing_saved():
    item = scjg_item()
    head = login_client("scjg_fzr")
    head.post(f"{BASE}{item.code}/draft/", {"change_note": "情形"})
    draft = item.versions.get(status="draft")
    before = services.version_as_data(draft)
    base = payload(draft)
    n = int(base["s-TOTAL_FORMS"])
    base.update(
        {
            "s-TOTAL_FORMS": n + 3,
            f"s-{n}-situation": "branch",
            f"s-{n}-question": "是否设立分支机构？",
            f"s-{n}-option": "yes",
            f"s-{n}-answer": "是",
            f"s-{n + 1}-situation": "branch",
            f"s-{n + 1}-question": "有没有分店？",
            f"s-{n + 1}-option": "no",
            f"s-{n + 1}-answer": "否",
            f"s-{n + 2}-situation": "branch",
            f"s-{n + 2}-question": "是否设立分支机构？",
            f"s-{n + 2}-option": "yes",
            f"s-{n + 2}-answer": "是的",
            "co_departments": [before["department"]],
        }
    )
    response = head.post(f"{BASE}version/{draft.pk}/edit/", base)
    assert response.status_code == 200
    text = response.content.decode()
    assert "情形 branch 的各行问题不一致" in text
    assert "情形 branch 中选项标识 yes 重复" in text
    assert services.version_as_data(ItemVersion.objects.get(pk=draft.pk)) == before

    # a half-filled row names the missing column
    base = payload(draft)
    base.update({"s-TOTAL_FORMS": n + 1, f"s-{n}-situation": "branch"})
    text = head.post(f"{BASE}version/{draft.pk}/edit/", base).content.decode()
    assert "请填写问题" in text and "请填写选项标识" in text

    # the implementing department cannot be its own co-department: the page does not offer it,
    # and the rule stands for the new-item page and the Excel import too
    base = payload(draft, co_departments=[before["department"]])
    response = head.post(f"{BASE}version/{draft.pk}/edit/", base)
    assert response.status_code == 200 and "不在可用的选项中" in response.content.decode()
    assert services.version_as_data(ItemVersion.objects.get(pk=draft.pk)) == before
    problems = services.draft_problems(dict(before, co_departments=[before["department"]]))
    assert any("协办部门不能包括实施部门本身" in message for _field, message in problems)
