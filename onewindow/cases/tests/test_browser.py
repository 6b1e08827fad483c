"""The case paths in a real browser (Playwright on Debian's Chromium, against a live server):
(1) apply online for 食品经营许可 → accepted under 容缺 → approved → the missing material
supplied → the result released and downloaded; (2) the 企业开办 bundle through one form, finished
with all its results; (3) a joint approval of three departments, returned once."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from onewindow.cases.choices import CaseStatus
from onewindow.cases.models import BundleApplication, Case
from onewindow.conftest import SHOTS, follow, sign_in

from .conftest import BUILDING, PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_file(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def open_case(page: Any, url: str, number: str) -> None:
    page.goto(f"{url}/workbench/cases/{number}/")


def test_online_application_under_tolerance_to_downloaded_result(
    browser: Any, live_server: Any, demo_password: str, days: Any
) -> None:
    url = live_server.url
    applicant = sign_in(browser, url, "13900000012", demo_password)
    applicant.goto(url + "/guide/002001005000/")
    follow(applicant, applicant.get_by_role("link", name="在线申请"))
    applicant.get_by_label("新办", exact=True).check()
    applicant.get_by_label("本人办理", exact=True).check()
    follow(applicant, applicant.get_by_role("button", name="按我的情形列出材料"))
    for key in ("app_form", "licence", "id_card", "layout"):
        applicant.locator(f"#m_{key}").set_input_files(pdf_file(f"{key}.pdf"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    applicant.screenshot(path=str(SHOTS / "case-apply.png"), full_page=True)
    follow(applicant, applicant.get_by_role("button", name="提交申请"))
    applicant.wait_for_url("**/cases/mine/*/")
    case = Case.objects.get(submitted_by__phone="13900000012")
    assert case.number in applicant.content()

    counter = sign_in(browser, url, "zc01", demo_password)
    follow(counter, counter.get_by_role("link", name="办件").first)
    follow(counter, counter.get_by_role("link", name=case.number).first)
    counter.locator("input[name=defer_rules]").check()
    counter.locator("input[name=promise_rules]").fill("2026-03-09")
    counter.screenshot(path=str(SHOTS / "case-counter.png"), full_page=True)
    follow(counter, counter.get_by_role("button", name="受理", exact=True))
    expect(counter.locator("main")).to_contain_text("已受理")

    approver = sign_in(browser, url, "scjg_sp2", demo_password)
    approver.goto(url + "/workbench/cases/")
    follow(approver, approver.get_by_role("link", name=case.number).first)
    follow(approver, approver.get_by_role("button", name="审查通过"))
    head = sign_in(browser, url, "scjg_fzr", demo_password)
    open_case(head, url, case.number)
    follow(head, head.get_by_role("button", name="准予许可"))
    head.screenshot(path=str(SHOTS / "case-approved.png"), full_page=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.result_held

    applicant.goto(f"{url}/cases/mine/{case.number}/")
    assert "结果待容缺材料补齐后发放" in applicant.content()
    applicant.locator("#m_rules").set_input_files(pdf_file("rules.pdf"))
    follow(applicant, applicant.get_by_role("button", name="上传"))
    expect(applicant.locator("main")).to_contain_text("容缺材料已补齐")
    case.refresh_from_db()
    assert case.pickup_code in applicant.content()
    with applicant.expect_download() as download:
        applicant.get_by_role("link", name=f"{case.licence.name}（PDF）").click()
    path = download.value.path()
    assert path is not None and path.read_bytes()[:5] == b"%PDF-"
    applicant.screenshot(path=str(SHOTS / "case-mine.png"), full_page=True)


def test_business_start_bundle_through_one_form(
    browser: Any, live_server: Any, demo_password: str, days: Any
) -> None:
    url = live_server.url
    applicant = sign_in(browser, url, "13900000011", demo_password)
    applicant.goto(url + "/guide/bundle/YJS-001/")
    follow(applicant, applicant.get_by_role("link", name="一件事在线申请（一张表单、一套材料）"))
    # .all() does not wait: let each navigation finish before counting the fields
    applicant.wait_for_url("**/cases/apply-bundle/YJS-001/")
    for group in applicant.locator("fieldset").all():
        group.get_by_role("radio").first.check()
    follow(applicant, applicant.get_by_role("button", name="按我的情形列出材料"))
    applicant.wait_for_url("**/cases/apply-bundle/YJS-001/?*")
    applicant.wait_for_load_state()
    for field in applicant.locator("input[type=file]").all():
        field.set_input_files(pdf_file("m.pdf"))
    applicant.screenshot(path=str(SHOTS / "bundle-apply.png"), full_page=True)
    follow(applicant, applicant.get_by_role("button", name="提交一件事申请"))
    applicant.wait_for_url("**/cases/mine/bundles/*/")
    application = BundleApplication.objects.get()
    cases = list(application.cases.order_by("bundle_order", "pk"))
    assert len(cases) == 7

    # every stage through the counter and the back office, in order
    counter = sign_in(browser, url, "zc01", demo_password)
    for stage in sorted({c.bundle_order for c in cases}):
        for case in [c for c in cases if c.bundle_order == stage]:
            open_case(counter, url, case.number)
            follow(counter, counter.get_by_role("button", name="受理", exact=True))
            case.refresh_from_db()
            while case.status == CaseStatus.IN_PROGRESS:
                step = case.steps.get(closed_at__isnull=True)
                from onewindow.cases.demo import _step_actor

                actor = _step_actor(step)
                assert actor is not None
                page = sign_in(browser, url, actor.username, demo_password)
                open_case(page, url, case.number)
                forward = [
                    a["name"]
                    for a in case.version.flow["actions"]
                    if a["from"] == case.state_key and a["key"] in ("pass", "approve", "submit")
                ]
                follow(page, page.get_by_role("button", name=forward[0]))
                page.context.close()
                case.refresh_from_db()
            assert case.status == CaseStatus.APPROVED, case
    applicant.goto(f"{url}/cases/mine/bundles/{application.number}/")
    assert "已办结 7 / 7" in applicant.locator("main").inner_text().replace("\n", " ")
    applicant.screenshot(path=str(SHOTS / "bundle-progress.png"), full_page=True)


def test_joint_approval_with_three_departments_returned_once(
    browser: Any, live_server: Any, demo_password: str, days: Any
) -> None:
    from onewindow.accounts.models import Applicant
    from onewindow.catalogue.models import Item

    url = live_server.url
    company = Applicant.objects.get(name="陕西青石建设工程有限公司")
    version = Item.objects.get(code=BUILDING).published
    assert version is not None
    counter = sign_in(browser, url, "zc01", demo_password)
    counter.goto(f"{url}/workbench/cases/counter/?item={BUILDING}&s_tender=tender")
    counter.get_by_label("法人及其他组织").check()
    counter.get_by_label("姓名/单位名称").fill(company.name)
    counter.get_by_label("统一社会信用代码（法人）").fill(company.credit_code)
    counter.get_by_label("手机号码（接收短信、查询进度）").fill("13900000013")
    for box in counter.locator("input[name=presented]").all():
        box.check()
    follow(counter, counter.get_by_role("button", name="收件并进入受理"))
    follow(counter, counter.get_by_role("button", name="受理", exact=True))
    case = Case.objects.get(item__code=BUILDING)
    assert case.joint

    def answer(username: str, opinion: str, note: str = "") -> None:
        page = sign_in(browser, url, username, demo_password)
        open_case(page, url, case.number)
        page.screenshot(path=str(SHOTS / f"joint-{username}.png"), full_page=True)
        page.get_by_label(opinion, exact=True).check()
        if note:
            page.get_by_label("说明（不同意时必填）").fill(note)
        follow(page, page.get_by_role("button", name="提交会签意见"))
        page.context.close()

    answer("zr_sp1", "同意")
    answer("cg_sp1", "不同意", "临时占道方案未报城管审批")
    lead = sign_in(browser, url, "zj_sp1", demo_password)
    open_case(lead, url, case.number)
    lead.screenshot(path=str(SHOTS / "joint-fan-out.png"), full_page=True)
    lead.get_by_label("意见（退回、不予许可时必填）").fill("请补充临时占道方案后重新受理")
    follow(lead, lead.get_by_role("button", name="退回受理"))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.returned

    open_case(counter, url, case.number)
    follow(counter, counter.get_by_role("button", name="受理", exact=True))
    answer("zr_sp1", "同意")
    answer("cg_sp1", "同意")
    open_case(lead, url, case.number)
    follow(lead, lead.get_by_role("button", name="审查通过"))
    head = sign_in(browser, url, "zj_fzr", demo_password)
    open_case(head, url, case.number)
    follow(head, head.get_by_role("button", name="准予许可"))
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    head.screenshot(path=str(SHOTS / "joint-done.png"), full_page=True)
