"""The whole path of one appeal over simulated days, every clock and every notice checked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from onewindow.accounts.models import User
from onewindow.appeals import services
from onewindow.appeals.choices import Channel, DispatchState, Kind, Rating, Status
from onewindow.appeals.models import Appeal, AppealEvent, Category, Escalation
from onewindow.audit.models import AuditEntry
from onewindow.cases import clock
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.notifications.models import Message
from onewindow.org.models import Department, Region

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
VILLAGE = "610799101001"  # 青石镇青石村
PHONE = "13812345678"


def u(name: str) -> User:
    return User.objects.get(username=name)


def road() -> Category:
    return Category.objects.get(code="0501")  # 农业农村/农村道路


def file(**over: object) -> Appeal:
    data: dict[str, object] = {
        "channel": Channel.WEB,
        "kind": Kind.COMPLAINT,
        "category_id": road().pk,
        "region_id": Region.objects.get(code=VILLAGE).pk,
        "title": "村口道路坑洼积水",
        "content": "青石村村口到小学的水泥路有多处坑洼，下雨积水，孩子上学不便。",
        "caller_name": "王建国",
        "callback_phone": PHONE,
        "publish_consent": True,
    }
    data.update(over)
    return services.file_appeal(**data)  # type: ignore[arg-type]


def topics(user: User) -> list[str]:
    return list(
        Message.objects.filter(recipient=user).order_by("pk").values_list("topic", flat=True)
    )


def sms(topic: str) -> int:
    return Message.objects.filter(phone=PHONE, channel="sms", topic=topic).count()


def sweep(day: dt.date) -> None:
    call_command("appeals", "sweep", "--day", day.isoformat())


def test_village_late_town_bounces_department_resolves_reopened_then_satisfied() -> None:
    with clock.simulate(MON):
        appeal = file()
    first = appeal.dispatches.get()
    assert appeal.number.startswith("MQ20260302")
    assert appeal.status == Status.DISPATCHED
    assert first.region.code == VILLAGE and first.department is None
    assert first.sign_due == dt.date(2026, 3, 3)  # one working day
    assert topics(u("qingshi1_shouli")) == ["appeal.dispatched"]
    assert topics(u("qingshi1_daiban")) == ["appeal.dispatched"]
    assert sms("appeal.filed") == 1
    assert AuditEntry.objects.filter(action="appeal.file", object_id=str(appeal.pk)).exists()

    # the village does not sign: Tue still in time, Wed reminded, Thu supervised, Fri escalated
    sweep(dt.date(2026, 3, 3))
    assert not Escalation.objects.exists()
    sweep(dt.date(2026, 3, 4))
    sweep(dt.date(2026, 3, 4))  # idempotent
    assert list(Escalation.objects.values_list("step", flat=True)) == ["remind"]
    assert topics(u("qingshi1_shouli")) == ["appeal.dispatched", "appeal.remind"]
    sweep(dt.date(2026, 3, 5))
    assert topics(u("qingshi_fzr")) == ["appeal.supervise"]  # the town head over the village
    with clock.simulate(dt.date(2026, 3, 6)):
        sweep(dt.date(2026, 3, 6))
        sweep(dt.date(2026, 3, 6))
    assert Escalation.objects.count() == 3
    first.refresh_from_db()
    assert first.state == DispatchState.ESCALATED
    town_turn = appeal.dispatches.get(state=DispatchState.WAITING)
    assert town_turn.region.code == "610799101000" and town_turn.sign_due == dt.date(2026, 3, 9)
    assert "appeal.dispatched" in topics(u("qingshi_sp1"))

    # the village can no longer act; the town bounces it (not a town matter)
    with clock.simulate(dt.date(2026, 3, 9)), pytest.raises(NotAllowed):
        services.sign_for(actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=town_turn.pk)
    with clock.simulate(dt.date(2026, 3, 9)):
        services.sign_for(actor=u("qingshi_sp1"), appeal_id=appeal.pk, dispatch_id=town_turn.pk)
        centre_turn = services.bounce(
            actor=u("qingshi_sp1"),
            appeal_id=appeal.pk,
            dispatch_id=town_turn.pk,
            reason="县道养护属县住建局职责，镇无权处置",
        )
    assert "appeal.dispatched" in topics(u("jiancha"))
    zj = Department.objects.get(code="610799-ZJ")
    with clock.simulate(dt.date(2026, 3, 9)):
        dept_turn = services.transfer(
            actor=u("jiancha"),
            appeal_id=appeal.pk,
            dispatch_id=centre_turn.pk,
            region_id=zj.region_id,
            department_id=zj.pk,
            reason="属县住建局道路养护职责",
        )
    assert topics(u("zj_sp1")) == ["appeal.dispatched"]
    with clock.simulate(dt.date(2026, 3, 10)):
        dept_turn = services.sign_for(
            actor=u("zj_sp1"), appeal_id=appeal.pk, dispatch_id=dept_turn.pk
        )
    # complaint: 13 working days from the sign-for day
    assert dept_turn.handle_due == dt.date(2026, 3, 27)
    assert appeal.__class__.objects.get(pk=appeal.pk).status == Status.HANDLING
    sweep(dt.date(2026, 3, 27))
    assert not Escalation.objects.filter(dispatch=dept_turn).exists()
    with clock.simulate(dt.date(2026, 3, 20)):
        services.reply(
            actor=u("zj_sp1"),
            appeal_id=appeal.pk,
            dispatch_id=dept_turn.pk,
            text="已安排养护队于3月19日完成坑洼修补并疏通边沟。",
        )
    assert sms("appeal.replied") == 1

    # wrong last four digits: not found; unsatisfied: reopened to the same department
    with pytest.raises(NotFound):
        services.rate(number=appeal.number, phone_last4="0000", rating=Rating.SATISFIED)
    with clock.simulate(dt.date(2026, 3, 23)):
        appeal = services.rate(
            number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.UNSATISFIED
        )
    assert appeal.status == Status.DISPATCHED and appeal.reopen_count == 1
    again = appeal.dispatches.get(state=DispatchState.WAITING)
    assert again.department == zj and again.sign_due == dt.date(2026, 3, 24)
    assert topics(u("zj_sp1")) == ["appeal.dispatched", "appeal.dispatched"]
    with clock.simulate(dt.date(2026, 3, 24)):
        services.sign_for(actor=u("zj_fzr"), appeal_id=appeal.pk, dispatch_id=again.pk)
        services.reply(
            actor=u("zj_fzr"),
            appeal_id=appeal.pk,
            dispatch_id=again.pk,
            text="复查发现小学门口一处漏修，已于当日补修完毕。",
        )
        appeal = services.rate(
            number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.SATISFIED
        )
    assert appeal.status == Status.CLOSED and appeal.rating == Rating.SATISFIED
    assert sms("appeal.replied") == 2
    actions = list(AppealEvent.objects.filter(appeal=appeal).values_list("action", flat=True))
    assert actions == [
        "file",
        "remind",
        "supervise",
        "escalate",
        "sign",
        "bounce",
        "transfer",
        "sign",
        "reply",
        "reopen",
        "sign",
        "reply",
        "close",
    ]
    audited = AuditEntry.objects.filter(object_id=str(appeal.pk), action__startswith="appeal.")
    assert audited.count() == len(actions)
    with pytest.raises(InvalidTransition):
        services.rate(number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.SATISFIED)


def test_sweep_catches_up_after_downtime() -> None:
    with clock.simulate(MON):
        appeal = file()
    sweep(dt.date(2026, 3, 10))  # a week later, nothing ran in between
    steps = list(Escalation.objects.order_by("pk").values_list("step", flat=True))
    assert steps == ["remind", "supervise", "escalate"]
    assert appeal.dispatches.filter(state=DispatchState.WAITING).get().region.code == "610799101000"
    sweep(dt.date(2026, 3, 10))
    assert Escalation.objects.count() == 3


def test_urgent_appeal_due_same_day() -> None:
    with clock.simulate(MON):
        appeal = file(urgency="urgent", kind=Kind.HELP)
        turn = appeal.dispatches.get()
        assert turn.sign_due == MON
        turn = services.sign_for(
            actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=turn.pk
        )
    assert turn.handle_due == MON


def test_unit_outside_jurisdiction_cannot_act() -> None:
    with clock.simulate(MON):
        appeal = file()
        turn = appeal.dispatches.get()
        for outsider in ("liuwan1_shouli", "zj_sp1", "zc01", "baihe_fzr"):
            with pytest.raises(NotAllowed):
                services.sign_for(actor=u(outsider), appeal_id=appeal.pk, dispatch_id=turn.pk)
        # the command centre may act for any unit
        services.sign_for(actor=u("jiancha"), appeal_id=appeal.pk, dispatch_id=turn.pk)
        with pytest.raises(InvalidTransition):
            services.sign_for(actor=u("jiancha"), appeal_id=appeal.pk, dispatch_id=turn.pk)


def test_reply_before_sign_refused() -> None:
    with clock.simulate(MON):
        appeal = file()
        turn = appeal.dispatches.get()
        with pytest.raises(InvalidTransition):
            services.reply(
                actor=u("qingshi1_shouli"),
                appeal_id=appeal.pk,
                dispatch_id=turn.pk,
                text="已经处理完毕，请群众放心。",
            )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"title": " "}, "title"),
        ({"content": "太差"}, "content"),
        ({"caller_name": ""}, "caller_name"),
        ({"callback_phone": "12345"}, "callback_phone"),
        ({"kind": "gossip"}, "kind"),
        ({"category_id": "x"}, "category"),
        ({"region_id": 999999}, "region"),
        ({"anonymous": True, "caller_name": ""}, "anonymous"),
        ({"latitude": "abc", "longitude": "1"}, "latitude"),
        ({"latitude": "33.1"}, "longitude"),
        ({"latitude": "95", "longitude": "108"}, "latitude"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(over: dict[str, object], field: str) -> None:
    before = (Appeal.objects.count(), Message.objects.count(), AuditEntry.objects.count())
    with clock.simulate(MON), pytest.raises(InvalidInput) as caught:
        file(**over)
    assert caught.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)
    assert (Appeal.objects.count(), Message.objects.count(), AuditEntry.objects.count()) == before


def test_parent_category_refused() -> None:
    with clock.simulate(MON), pytest.raises(InvalidInput) as caught:
        file(category_id=Category.objects.get(code="05").pk)
    assert caught.value.field == "category"


def test_anonymous_report_and_hotline_needs_operator() -> None:
    with clock.simulate(MON):
        appeal = file(kind=Kind.REPORT, anonymous=True, caller_name="", callback_phone="")
        assert appeal.caller_name == "" and appeal.anonymous
        with pytest.raises(NotAllowed):
            file(channel=Channel.HOTLINE)
        hotline = file(channel=Channel.HOTLINE, actor=u("jiancha"), recording_ref="REC-0001")
    assert hotline.filed_by == u("jiancha") and hotline.recording_ref == "REC-0001"


def test_reopen_limit_closes_unsatisfied() -> None:
    with clock.simulate(MON):
        appeal = file(kind=Kind.CONSULTATION)
        for _ in range(3):
            turn = appeal.dispatches.get(state=DispatchState.WAITING)
            services.sign_for(actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=turn.pk)
            services.reply(
                actor=u("qingshi1_shouli"),
                appeal_id=appeal.pk,
                dispatch_id=turn.pk,
                text="已向群众解释相关政策并现场查看。",
            )
            appeal = services.rate(
                number=appeal.number, phone_last4=PHONE[-4:], rating=Rating.UNSATISFIED
            )
    assert appeal.status == Status.CLOSED and appeal.reopen_count == 2


def test_extension_approved_moves_due_refused_keeps_it_and_revisit() -> None:
    with clock.simulate(MON):
        appeal = file(kind=Kind.HELP)
        turn = appeal.dispatches.get()
        turn = services.sign_for(
            actor=u("qingshi1_shouli"), appeal_id=appeal.pk, dispatch_id=turn.pk
        )
        assert turn.handle_due == dt.date(2026, 3, 9)  # help: 5 working days
        with pytest.raises(InvalidInput) as caught:
            services.request_extension(
                actor=u("qingshi1_shouli"),
                appeal_id=appeal.pk,
                dispatch_id=turn.pk,
                days=30,
                reason="需要协调镇环卫所",
            )
        assert caught.value.field == "days"
        services.request_extension(
            actor=u("qingshi1_shouli"),
            appeal_id=appeal.pk,
            dispatch_id=turn.pk,
            days=3,
            reason="需要协调镇环卫所车辆",
        )
        assert "appeal.extension" in topics(u("jiancha"))
        assert "appeal.extension" not in topics(u("zc01"))  # only the command centre is asked
        with pytest.raises(NotAllowed):
            services.decide_extension(
                actor=u("qingshi_fzr"), appeal_id=appeal.pk, dispatch_id=turn.pk, approve=True
            )
        turn = services.decide_extension(
            actor=u("jiancha"), appeal_id=appeal.pk, dispatch_id=turn.pk, approve=True
        )
        assert turn.handle_due == dt.date(2026, 3, 12)
        assert topics(u("qingshi1_shouli"))[-1] == "appeal.extension"
        with pytest.raises(InvalidTransition):
            services.request_extension(
                actor=u("qingshi1_shouli"),
                appeal_id=appeal.pk,
                dispatch_id=turn.pk,
                days=2,
                reason="再延一次试试",
            )
        with pytest.raises(InvalidTransition):
            services.revisit(actor=u("jiancha"), appeal_id=appeal.pk, note="电话回访群众")
        services.reply(
            actor=u("qingshi1_shouli"),
            appeal_id=appeal.pk,
            dispatch_id=turn.pk,
            text="已协调环卫车辆完成清运并增加频次。",
        )
        with pytest.raises(NotAllowed):
            services.revisit(actor=u("qingshi1_shouli"), appeal_id=appeal.pk, note="自己回访")
        services.revisit(actor=u("jiancha"), appeal_id=appeal.pk, note="电话回访，群众表示已解决")
    assert AppealEvent.objects.filter(appeal=appeal, action="revisit").count() == 1
    # the sweep now counts from the extended due date
    sweep(dt.date(2026, 3, 11))
    assert not Escalation.objects.exists()


def test_the_sweeps_selection_statement_names_what_the_orm_condition_names() -> None:
    """`pending_selection` is one statement; read whole or a row at a time, on every day of a scenario with
    waiting, signed, escalated and centre dispatches it names exactly the dispatches the ORM
    condition it replaced names (a rung due, not yet taken; the centre never escalated)."""
    from django.db import connection
    from django.db.models import Exists, OuterRef, Q

    from onewindow.appeals import limits
    from onewindow.appeals.choices import Step
    from onewindow.appeals.models import Dispatch
    from onewindow.org.choices import RegionLevel

    def orm(day: dt.date) -> list[int]:
        pending = Q(pk__in=[])
        centre = Q(region__level=RegionLevel.COUNTY, department__isnull=True)
        for step, after in limits.LADDER:
            cut = day - dt.timedelta(days=1)
            while clock.elapsed(cut, day, clock.WORKING_DAYS) < after:
                cut -= dt.timedelta(days=1)
            for which, state, due in (
                ("sign", DispatchState.WAITING, "sign_due"),
                ("handle", DispatchState.SIGNED, "handle_due"),
            ):
                taken = Escalation.objects.filter(dispatch=OuterRef("pk"), clock=which, step=step)
                part = Q(state=state, **{f"{due}__lte": cut}) & ~Q(Exists(taken))
                pending |= part & ~centre if step == Step.ESCALATE else part
        return sorted(Dispatch.objects.filter(pending).values_list("pk", flat=True))

    def raw(day: dt.date, chunk: int = 10_000) -> list[int]:
        pks: set[int] = set()
        last = 0
        while True:  # page by page, as the sweep reads it
            with connection.cursor() as cursor:
                cursor.execute(services.pending_selection(day, after=last, chunk=chunk))
                rows = [row[0] for row in cursor.fetchall()]
            if not rows:
                return sorted(pks)
            assert rows == sorted(rows)
            pks.update(rows)
            last = rows[-1]

    with clock.simulate(MON):
        late = file()
        signed = file(title="路灯不亮", content="青石村村口的路灯坏了三天，晚上看不见路。")
        services.sign_for(
            actor=u("qingshi1_shouli"), appeal_id=signed.pk, dispatch_id=signed.dispatches.get().pk
        )
        centre = file(
            category_id=Category.objects.get(code="0801").pk,
            kind=Kind.CANNOT_GET_DONE,
            title="办事难",
            content="在窗口多次都没有办成营业执照变更。",
        )
    assert centre.dispatches.get().region.level == RegionLevel.COUNTY
    seen = set()
    day = MON
    for _ in range(25):
        day += dt.timedelta(days=1)
        assert raw(day) == orm(day) == raw(day, chunk=1), day
        seen.update(raw(day))
        sweep(day)
    assert seen  # the scenario did select something
    assert {late.pk, signed.pk} <= {d.appeal_id for d in Dispatch.objects.filter(pk__in=seen)}


def test_values_written_into_the_selection_are_only_plain_ones() -> None:
    sql = services._inline("SELECT %s, %s, %s", [7, dt.date(2026, 3, 2), "waiting"])
    assert sql == "SELECT 7, '2026-03-02', 'waiting'"
    for bad in ("x'; DROP TABLE appeals_appeal; --", "Waiting", True, 1.5):
        with pytest.raises(ValueError, match="not a plain value"):
            services._inline("SELECT %s", [bad])
    with pytest.raises(ValueError, match="do not match"):
        services._inline("SELECT %s, %s", [1])


def test_routing_takes_the_first_applicable_rule_for_every_category_and_level() -> None:
    """`route` (one statement naming the first applicable rule) against the rules read plainly:
    for every category and a village, a town (and a village without a town above it), the
    county; with an extra high-priority town rule that a county appeal cannot use."""
    from onewindow.appeals.choices import Target
    from onewindow.appeals.models import RoutingRule
    from onewindow.org.choices import RegionLevel

    def plainly(category: Category, region: Region) -> tuple[int, int | None]:
        ancestors, node = set(), category
        while node is not None:
            ancestors.add(node.pk)
            node = node.parent
        rules = RoutingRule.objects.order_by("-priority", "pk")
        for rule in rules:
            if rule.category_id is not None and rule.category_id not in ancestors:
                continue
            if rule.region_level and rule.region_level != region.level:
                continue
            if rule.target == Target.VILLAGE and region.level == RegionLevel.VILLAGE:
                return region.pk, None
            if rule.target == Target.TOWN and region.level == RegionLevel.TOWN:
                return region.pk, None
            if rule.target == Target.TOWN and region.level == RegionLevel.VILLAGE and region.parent:
                return region.parent_id, None  # type: ignore[return-value]
            if rule.target == Target.DEPARTMENT and rule.department is not None:
                return rule.department.region_id, rule.department_id
            if rule.target == Target.CENTRE:
                break
        return services.command_centre().pk, None

    village = Region.objects.filter(level=RegionLevel.VILLAGE).first()
    assert village is not None and village.parent is not None
    orphan = Region(pk=village.pk, code=village.code, name=village.name, level=village.level)
    regions = [village, village.parent, services.command_centre(), orphan]
    leaf = Category.objects.filter(children__isnull=True).first()
    RoutingRule.objects.create(category=leaf, target=Target.TOWN, priority=10_000)
    checked = 0
    for category in Category.objects.all():
        for region in regions:
            unit, department = services.route(category, region)
            got = (unit.pk, department.pk if department else None)
            assert got == plainly(category, region), (category.code, region.level)
            checked += 1
    assert checked >= 4 * 20


def test_the_units_routing_reads_by_hand_are_the_rows_the_orm_reads(
    django_assert_num_queries: object,
) -> None:
    """The command centre and a department (with its region) come from hand-written statements;
    every field, dates included, is what a queryset gives, and the department's region needs no
    further query."""
    from django.forms.models import model_to_dict

    from onewindow.appeals.choices import Target
    from onewindow.appeals.models import RoutingRule
    from onewindow.org.choices import RegionLevel

    def fields(obj: Region | Department) -> dict[str, object]:
        values = model_to_dict(obj)
        values.update(created_at=getattr(obj, "created_at", None))
        values.update(updated_at=getattr(obj, "updated_at", None))
        return values

    centre = services.command_centre()
    assert fields(centre) == fields(Region.objects.get(level=RegionLevel.COUNTY, parent=None))
    department = Department.objects.select_related("region").order_by("pk").last()
    assert department is not None
    category = road()
    RoutingRule.objects.create(
        category=category, target=Target.DEPARTMENT, department=department, priority=10_000
    )
    village = Region.objects.filter(level=RegionLevel.VILLAGE).first()
    assert village is not None
    with django_assert_num_queries(2):  # type: ignore[operator]  # the rule, then the unit
        unit, found = services.route(category, village)
        assert found is not None
        assert unit is found.region and unit.pk == department.region_id
    assert fields(found) == fields(department) and fields(unit) == fields(department.region)
