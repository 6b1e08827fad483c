"""The case engine through its services: the real database, real files, the demo county."""

from __future__ import annotations

import datetime as dt

import pytest

from onewindow.audit.models import AuditEntry
from onewindow.cases import selectors, services
from onewindow.cases.choices import CaseStatus, MaterialStatus, TimeState
from onewindow.cases.models import Case, Licence
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound

from .conftest import BUILDING, FOOD, SEAL, applicant, pdf, user

pytestmark = pytest.mark.django_db

FOOD_NEW = {"apply_type": "new", "agent": "self"}
FOOD_UPLOADS = ("app_form", "licence", "id_card", "layout")


def food_online(key: str = "", **extra):  # type: ignore[no-untyped-def]
    return services.case_submit(
        actor=applicant("13900000012"),
        item_code=FOOD,
        answers=FOOD_NEW,
        uploads={k: pdf(f"{k}.pdf") for k in FOOD_UPLOADS},
        submission_key=key,
        **extra,
    )


def walk_in(item: str, *, actor: str = "zc01", presented=(), answers=None):  # type: ignore[no-untyped-def]
    return services.case_submit(
        actor=user(actor),
        item_code=item,
        channel="counter",
        applicant=services.ApplicantData(
            kind="legal",
            name="陕西青石建设工程有限公司",
            phone="13900000013",
            credit_code=applicant("13900000013").applicant.credit_code,
        ),
        answers=answers or {},
        presented=presented,
    )


def test_online_application_under_tolerance_to_delivered_result(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    assert case.number.startswith("610799-20260302-")
    assert case.status == CaseStatus.SUBMITTED
    assert case.version == case.item.published
    rules = case.materials.get(key="rules")
    assert rules.status == MaterialStatus.MISSING and rules.deferrable
    assert case.materials.get(key="layout").file.sha256

    # the counter accepts under 容缺: the rules may follow by a promised date
    case = services.case_accept(
        case=case,
        actor=user("zc01"),
        deferred={"rules": dt.date(2026, 3, 9)},
        expected_revision=case.revision,
    )
    assert case.status == CaseStatus.IN_PROGRESS and case.result_held
    assert case.promised_due == dt.date(2026, 3, 9)  # 5 working days after Monday 2 March
    assert case.statutory_due == dt.date(2026, 3, 16)
    assert case.state_key == "review"

    # scjg_sp1 is absent: his B holder scjg_sp2 sees the review in their queue
    assert not selectors.step_queue(user("scjg_sp1")).exists()
    queue = list(selectors.step_queue(user("scjg_sp2")))
    assert [s.case for s in queue] == [case]
    with pytest.raises(NotAllowed):
        services.case_act(case=case, actor=user("zc01"), action="pass")

    days.working(2)
    case = services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    assert case.state_key == "decide"
    case = services.case_act(case=case, actor=user("scjg_fzr"), action="approve")
    assert case.status == CaseStatus.APPROVED and case.completed_on == dt.date(2026, 3, 4)
    licence = Licence.objects.get(case=case)
    assert licence.holder == applicant("13900000012").applicant

    # the result waits for the missing material
    with pytest.raises(InvalidTransition, match="容缺材料尚未补齐"):
        services.result_deliver(
            case=case, actor=user("chujian1"), pickup_code=case.pickup_code, id_tail="0000"
        )
    case = services.case_supply_deferred(
        case=case, actor=applicant("13900000012"), key="rules", upload=pdf("rules.pdf")
    )
    assert not case.result_held

    credit = case.applicant_credit_code
    with pytest.raises(InvalidInput, match="取件码"):
        services.result_deliver(
            case=case, actor=user("chujian1"), pickup_code="x", id_tail=credit[-4:]
        )
    with pytest.raises(InvalidInput, match="后四位"):
        services.result_deliver(
            case=case, actor=user("chujian1"), pickup_code=case.pickup_code, id_tail="9999"
        )
    case = services.result_deliver(
        case=case, actor=user("chujian1"), pickup_code=case.pickup_code, id_tail=credit[-4:]
    )
    assert case.delivered_at is not None

    labels = [e.label for e in selectors.public_timeline(case)]
    assert labels == [
        "提交申请",
        "容缺受理",
        "审查通过",
        "准予许可",
        "办结：准予",
        "容缺材料已补齐",
        "结果可以发放",
        "结果已送达：窗口领取",
    ]
    actions = set(
        AuditEntry.objects.filter(object_id=str(case.pk)).values_list("action", flat=True)
    )
    assert {
        "case.submit",
        "case.accept",
        "case.act.pass",
        "case.act.approve",
        "case.deliver",
    } <= actions


def test_the_same_submission_twice_is_one_case(days) -> None:  # type: ignore[no-untyped-def]
    first = food_online("key-1")
    again = food_online("key-1")
    assert first.pk == again.pk
    assert Case.objects.filter(submission_key="key-1").count() == 1
    other = food_online("key-2")
    assert other.number != first.number


def test_bad_submissions_are_refused_whole(days) -> None:  # type: ignore[no-untyped-def]
    before = Case.objects.count()
    with pytest.raises(InvalidInput) as missing:
        services.case_submit(
            actor=applicant("13900000012"),
            item_code=FOOD,
            answers=FOOD_NEW,
            uploads={"app_form": pdf()},
        )
    assert missing.value.field == "m_licence"
    with pytest.raises(InvalidInput) as unanswered:
        services.case_submit(actor=applicant("13900000012"), item_code=FOOD, answers={})
    assert unanswered.value.field == "s_apply_type"
    fake = pdf("layout.pdf")
    fake.file.write(b"")
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploads = {k: pdf() for k in FOOD_UPLOADS}
    uploads["layout"] = SimpleUploadedFile("layout.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    with pytest.raises(InvalidInput) as forged:
        services.case_submit(
            actor=applicant("13900000012"), item_code=FOOD, answers=FOOD_NEW, uploads=uploads
        )
    assert forged.value.field == "m_layout"
    with pytest.raises(NotFound):
        services.case_submit(actor=applicant("13900000012"), item_code="999999999999")
    with pytest.raises(InvalidInput, match="身份证号码"):
        services.case_submit(
            actor=user("zc01"),
            item_code=SEAL,
            channel="counter",
            applicant=services.ApplicantData(
                kind="person", name="王五", phone="13800000000", id_number="123"
            ),
        )
    assert Case.objects.count() == before


def test_wrong_action_wrong_role_and_a_stale_page_leave_the_case_unchanged(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    seen = case.revision
    case = services.case_accept(
        case=case, actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)}
    )
    with pytest.raises(InvalidTransition, match="可进行的操作"):
        services.case_act(case=case, actor=user("scjg_fzr"), action="approve")
    with pytest.raises(NotAllowed):
        services.case_act(case=case, actor=user("ga_sp1"), action="pass")
    with pytest.raises(InvalidTransition) as stale:
        services.case_act(case=case, actor=user("scjg_sp2"), action="pass", expected_revision=seen)
    assert stale.value.code == "conflict"
    with pytest.raises(InvalidInput, match="理由"):
        services.case_act(case=case, actor=user("scjg_sp2"), action="return")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.state_key, fresh.revision) == (case.status, "review", case.revision)


def test_supplement_once_and_a_second_request_is_flagged(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    first = services.case_request_supplement(
        case=case, actor=user("zc01"), items=[{"key": "layout", "reason": "未标注设备位置"}]
    )
    assert not first.repeated
    case.refresh_from_db()
    assert case.status == CaseStatus.SUPPLEMENT and case.supplemented
    with pytest.raises(InvalidTransition):
        services.case_accept(case=case, actor=user("zc01"))
    services.case_supply(case=case, actor=applicant("13900000012"), uploads={"layout": pdf()})
    # the id card was there from the start: the first notice could have named it
    second = services.case_request_supplement(
        case=case, actor=user("zc01"), items=[{"key": "id_card", "reason": "复印件不清晰"}]
    )
    assert second.repeated


def test_refusal_needs_reason_and_basis(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    with pytest.raises(InvalidInput) as no_basis:
        services.case_refuse(case=case, actor=user("zc01"), reason="经营场所为住宅", legal_basis="")
    assert no_basis.value.field == "legal_basis"
    case = services.case_refuse(
        case=case,
        actor=user("zc01"),
        reason="经营场所为住宅，不符合食品经营场所要求",
        legal_basis="《食品经营许可和备案管理办法》第十二条",
    )
    assert case.status == CaseStatus.REFUSED and case.returned


def test_immediate_item_is_accepted_and_finished_in_one_step(days) -> None:  # type: ignore[no-untyped-def]
    case = walk_in(
        SEAL, presented=["licence", "lr_id"], answers={"seal_type": "new", "agent": "self"}
    )
    case = services.case_accept(case=case, actor=user("zc01"))
    assert case.status == CaseStatus.APPROVED and case.immediate
    assert case.completed_on == case.accepted_on
    # a walk-in case was submitted by the acceptor: the applicant is told by SMS at the phone
    # declared, and nothing lands in a staff member's inbox
    from onewindow.notifications.models import Message

    told = Message.objects.filter(object_id=str(case.pk))
    assert {m.phone for m in told if m.channel == "sms"} == {"13900000013"}
    assert not told.filter(recipient__kind="staff").exists()


def test_joint_approval_fans_out_and_the_lead_decides(days) -> None:  # type: ignore[no-untyped-def]
    materials = [
        "app_form",
        "licence",
        "land",
        "plan_permit",
        "contract",
        "drawing_review",
        "safety",
        "fund_commit",
        "bid_notice",
    ]
    case = walk_in(BUILDING, presented=materials, answers={"tender": "tender"})
    case = services.case_accept(case=case, actor=user("zc01"))
    assert case.joint and case.state_key == "review"
    branches = {s.department.code.split("-")[-1]: s for s in case.steps.filter(state_key="review")}
    assert set(branches) == {"ZJ", "ZR", "CG"} and branches["ZJ"].lead
    assert selectors.step_queue(user("zr_sp1")).filter(case=case).exists()

    # the lead cannot close the stage while a department has not answered
    with pytest.raises(InvalidTransition, match="尚未全部答复"):
        services.case_act(case=case, actor=user("zj_sp1"), action="pass")
    with pytest.raises(NotAllowed):
        services.branch_answer(case=case, actor=user("zj_sp1"), opinion="agree")
    services.branch_answer(case=case, actor=user("zr_sp1"), opinion="agree")
    with pytest.raises(InvalidInput):
        services.branch_answer(case=case, actor=user("cg_sp1"), opinion="disagree")
    services.branch_answer(
        case=case, actor=user("cg_sp1"), opinion="disagree", note="临时占道方案未报城管审批"
    )
    # the refusal goes to the lead's decision: here it returns the case to the counter
    case = services.case_act(
        case=case, actor=user("zj_sp1"), action="return", note="请补充占道方案"
    )
    assert case.status == CaseStatus.SUBMITTED and case.returned
    case = services.case_accept(case=case, actor=user("zc01"))
    for username in ("zr_sp1", "cg_sp1"):
        services.branch_answer(case=case, actor=user(username), opinion="agree")
    case = services.case_act(case=case, actor=user("zj_sp1"), action="pass")
    case = services.case_act(case=case, actor=user("zj_fzr"), action="approve")
    assert case.status == CaseStatus.APPROVED
    assert selectors.category_counts(Case.objects.filter(pk=case.pk)) == {
        "immediate": 0,
        "promised": 1,
        "joint": 1,
        "reported": 0,
        "returned": 1,
        "supplemented": 0,
    }


def test_a_special_procedure_moves_every_due_date(days) -> None:  # type: ignore[no-untyped-def]
    case = services.case_accept(
        case=food_online(), actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)}
    )
    step = case.steps.get(closed_at__isnull=True)
    assert (case.promised_due, step.due) == (dt.date(2026, 3, 9), dt.date(2026, 3, 6))
    days.working(1)
    services.pause_start(
        case=case, actor=user("scjg_sp2"), kind="survey", reason="现场核查经营场所", max_days=5
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PAUSED
    with pytest.raises(InvalidTransition):
        services.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    days.working(3)
    pause = services.pause_end(case=case, actor=user("scjg_sp2"))
    case.refresh_from_db()
    step.refresh_from_db()
    assert pause.days == 3
    assert case.promised_due == dt.date(2026, 3, 12)
    assert step.due == dt.date(2026, 3, 11)


def test_time_state_turns_warning_then_overdue(days) -> None:  # type: ignore[no-untyped-def]
    case = services.case_accept(
        case=food_online(), actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)}
    )
    states = lambda: [c.state for c in selectors.case_clocks(case)]  # noqa: E731
    assert states() == [TimeState.NORMAL, TimeState.NORMAL]
    days.working(3)  # 2 working days left of 5
    assert states()[0] == TimeState.NORMAL
    days.working(1)  # 1 left: warning (ONEWINDOW_WARNING_DAYS)
    assert states()[0] == TimeState.WARNING
    days.working(2)
    assert states() == [TimeState.OVERDUE, TimeState.NORMAL]


def test_withdraw_and_terminate(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    with pytest.raises(NotFound):
        services.case_withdraw(case=case, actor=applicant("13900000011"))
    case = services.case_withdraw(case=case, actor=applicant("13900000012"), reason="暂不开业")
    assert case.status == CaseStatus.WITHDRAWN
    with pytest.raises(InvalidTransition):
        services.case_withdraw(case=case, actor=applicant("13900000012"))
    other = services.case_accept(
        case=food_online(), actor=user("zc01"), deferred={"rules": dt.date(2026, 3, 9)}
    )
    with pytest.raises(NotAllowed):
        services.case_terminate(case=other, actor=user("scjg_sp2"), reason="x")
    other = services.case_terminate(
        case=other, actor=user("scjg_fzr"), reason="申请人已注销营业执照"
    )
    assert other.status == CaseStatus.TERMINATED
    assert not other.steps.filter(closed_at__isnull=True).exists()


def test_tracking_needs_the_number_and_the_phone_tail(days) -> None:  # type: ignore[no-untyped-def]
    case = food_online()
    assert selectors.track(case.number, "0012") == case
    assert selectors.track(case.number, "1234") is None
    assert selectors.track("610799-20260302-9999", "0012") is None


def test_a_due_date_in_an_unpublished_year_waits_for_its_calendar(days) -> None:  # type: ignore[no-untyped-def]
    days.on = dt.date(2026, 12, 28)
    case = services.case_accept(
        case=food_online(), actor=user("zc01"), deferred={"rules": dt.date(2027, 1, 8)}
    )
    assert case.promised_due is None
    assert selectors.case_clocks(case)[0].state == TimeState.PENDING


def test_publishing_next_year_fills_the_waiting_due_dates(
    days, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    days.on = dt.date(2026, 12, 28)
    case = services.case_accept(
        case=food_online(), actor=user("zc01"), deferred={"rules": dt.date(2027, 1, 8)}
    )
    assert case.promised_due is None
    from onewindow.calendar.selectors import clear_calendar_cache
    from onewindow.calendar.services import calendar_year_publish

    with django_capture_on_commit_callbacks(execute=True):
        calendar_year_publish(
            year=2027,
            holidays=[(dt.date(2027, 1, 1), dt.date(2027, 1, 3), "元旦")],
            makeup_workdays=[],
            notice_ref="国办发明电〔2026〕7号",
            actor=None,
        )
    clear_calendar_cache()
    case.refresh_from_db()
    # 29, 30, 31 December, then 4 and 5 January (1–3 January is the New Year holiday)
    assert case.promised_due == dt.date(2027, 1, 5)


def test_a_devolved_item_is_handled_in_the_town_and_can_be_reported_up(days) -> None:  # type: ignore[no-untyped-def]
    from onewindow.accounts.models import Post

    town = Post.objects.get(holder_a__username="chengguan_sl1").region
    relief = "007002005000"  # 临时救助, devolved to the towns
    from onewindow.catalogue.models import Item

    version = Item.objects.get(code=relief).published
    answers = {s.key: s.options.all()[0].key for s in version.situations.all()}  # type: ignore[union-attr]
    selection = [m.key for m in version.materials.all()]  # type: ignore[union-attr]
    case = services.case_submit(
        actor=user("chengguan_sl1"),
        item_code=relief,
        channel="counter",
        region_code=town.code,
        applicant=services.ApplicantData(
            kind="person",
            name="王建国",
            phone="13900000002",
            id_number=applicant("13900000002").applicant.id_number,
        ),
        answers=answers,
        presented=selection,
    )
    assert case.number.startswith(town.code[:9] + "-")
    with pytest.raises(NotAllowed):  # the county counter does not accept a town's case
        services.case_accept(case=case, actor=user("zc01"))
    case = services.case_accept(case=case, actor=user("chengguan_sl1"))
    step = case.steps.get(closed_at__isnull=True)
    assert (step.region, step.department) == (town, None)
    assert selectors.step_queue(user("chengguan_sp1")).filter(case=case).exists()
    assert not selectors.step_queue(user("mz_sp1")).filter(case=case).exists()
    with pytest.raises(InvalidInput):
        services.case_report_up(case=case, actor=user("chengguan_sp1"), note="")
    case = services.case_report_up(
        case=case, actor=user("chengguan_sp1"), note="救助金额超过镇级审批权限"
    )
    assert case.reported
    assert selectors.step_queue(user("mz_sp1")).filter(case=case).exists()
    assert selectors.visible_cases(user("mz_sp1")).filter(pk=case.pk).exists()
    case = services.case_act(case=case, actor=user("mz_sp1"), action="pass")
    assert case.state_key == "decide"
    decide = case.steps.get(closed_at__isnull=True)
    assert (decide.region, decide.department) == (case.item.region, case.item.department)
