"""Writes to appeals (民情直通车): file, route, sign for, bounce, transfer, escalate, reply,
rate and reopen, and the automatic escalation sweep.

Every transition locks the appeal row, checks the dispatch's state and the actor's right over
the unit (the unit's own posts, or the county command centre), writes an `AppealEvent` and an
audit entry in the same transaction; messages are queued by `notify`, delivered after commit.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q

from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import has_permission, jurisdiction
from onewindow.audit.services import audit_record
from onewindow.cases import clock
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.core.personal import mask_phone
from onewindow.files.services import store_uploads
from onewindow.notifications.services import notify
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region

from . import limits
from .choices import Channel, DispatchState, Kind, Rating, Status, Step, Target, Urgency
from .models import Appeal, AppealEvent, Category, Dispatch, Escalation, RoutingRule

CHUNK = 500
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
OPEN = (DispatchState.WAITING, DispatchState.SIGNED)


# ---------------------------------------------------------------- units and rights


def command_centre() -> Region:
    return Region.objects.get(level=RegionLevel.COUNTY, parent__isnull=True)


def unit_name(region: Region, department: Department | None) -> str:
    if department is not None:
        return department.name
    if region.level == RegionLevel.COUNTY:
        return f"{region.name}民情直通车指挥中心"
    return region.name


def _is_centre(actor: User) -> bool:
    return bool(jurisdiction(actor, permission="appeal.dispatch").scopes)


def _check_unit(actor: User, dispatch: Dispatch) -> None:
    """The unit's own staff (region path equal, same department) or the command centre."""
    if jurisdiction(actor, permission="appeal.dispatch").covers(
        dispatch.region.path, dispatch.department_id
    ):
        return
    for path, department_id in jurisdiction(actor, permission="appeal.handle").scopes:
        if path == dispatch.region.path and department_id == dispatch.department_id:
            return
    raise NotAllowed("您不是该诉求承办单位的工作人员，不能办理。")


def unit_staff(region: Region, department: Department | None, *, heads: bool = False) -> list[User]:
    """Who is told about a dispatch: the unit's posts (its heads only, for 督办)."""
    from onewindow.accounts.permissions import roles_for

    posts = Post.objects.filter(active=True, region=region, department=department)
    if heads:
        posts = posts.filter(role="dept_head")
        if not posts.exists() and region.parent_id is not None and department is None:
            # a village has no head of its own: the town's head supervises it
            posts = Post.objects.filter(
                active=True, region_id=region.parent_id, department=None, role="dept_head"
            )
    elif region.level == RegionLevel.COUNTY and department is None:
        posts = posts.filter(role__in=roles_for("appeal.dispatch"))  # the command centre
    else:
        posts = posts.filter(role__in=roles_for("appeal.handle"))
    users: dict[int, User] = {}
    for post in posts.select_related("holder_a"):
        users[post.holder_a.pk] = post.holder_a
    return list(users.values())


def _tell_unit(
    dispatch: Dispatch, *, topic: str, subject: str, body: str, heads: bool = False
) -> None:
    for user in unit_staff(dispatch.region, dispatch.department, heads=heads):
        notify(
            topic=topic,
            subject=subject,
            body=body,
            recipient=user,
            obj=dispatch.appeal,
            channels=["inbox"],
        )


def _tell_citizen(appeal: Appeal, *, topic: str, subject: str, body: str) -> None:
    if appeal.callback_phone:
        notify(
            topic=topic,
            subject=subject,
            body=body,
            phone=appeal.callback_phone,
            obj=appeal,
            channels=["sms"],
        )


def _event(
    appeal: Appeal,
    action: str,
    *,
    actor: User | None,
    dispatch: Dispatch | None = None,
    note: str = "",
) -> None:
    AppealEvent.objects.create(
        appeal=appeal, dispatch=dispatch, action=action, note=note, actor=actor, on=clock.today()
    )
    audit_record(
        action=f"appeal.{action}",
        actor=actor,
        role="system" if actor is None else "",
        obj=appeal,
        summary=f"诉求 {appeal.number}：{note[:80]}",
        after={"status": appeal.status, "dispatch": dispatch.pk if dispatch else None},
    )


def _lock(appeal_id: int, revision: int | None = None) -> Appeal:
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("诉求不存在。")
    if revision is not None and revision != appeal.revision:
        raise InvalidTransition("该诉求已被他人处理，请刷新后再试。", code="revision_conflict")
    appeal.revision += 1
    return appeal


def _open_dispatch(appeal: Appeal, dispatch_id: int) -> Dispatch:
    dispatch = (
        Dispatch.objects.select_related("region", "department", "appeal")
        .filter(pk=dispatch_id, appeal=appeal)
        .first()
    )
    if dispatch is None:
        raise NotFound("派单不存在。")
    return dispatch


def _new_dispatch(
    appeal: Appeal, region: Region, department: Department | None, *, lead: bool = True
) -> Dispatch:
    today = clock.today()
    dispatch = Dispatch.objects.create(
        appeal=appeal,
        region=region,
        department=department,
        lead=lead,
        sign_due=clock.due_date(today, limits.sign_days(appeal.urgency), clock.WORKING_DAYS),
    )
    appeal.status = Status.DISPATCHED
    _tell_unit(
        dispatch,
        topic="appeal.dispatched",
        subject=f"新派诉求 {appeal.number}，请于 {dispatch.sign_due} 前签收",
        body=f"{appeal.get_kind_display()}：{appeal.title}",
    )
    return dispatch


def _up_one(region: Region, department: Department | None) -> tuple[Region, None]:
    """上报: village → town → command centre; a county department → command centre."""
    if department is not None or region.level == RegionLevel.TOWN:
        return command_centre(), None
    if region.level == RegionLevel.VILLAGE and region.parent is not None:
        return region.parent, None
    raise InvalidTransition("县指挥中心已是最高一级，不能再上报。")


# ---------------------------------------------------------------- routing


def route(category: Category, region: Region) -> tuple[Region, Department | None]:
    ancestors = {category.pk}
    node = category
    while node.parent_id is not None:
        node = node.parent  # type: ignore[assignment]
        ancestors.add(node.pk)
    rules = RoutingRule.objects.filter(
        Q(category__isnull=True) | Q(category_id__in=ancestors),
        Q(region_level="") | Q(region_level=region.level),
    ).select_related("department")
    for rule in rules:  # ordered by priority
        if rule.target == Target.VILLAGE and region.level == RegionLevel.VILLAGE:
            return region, None
        if rule.target == Target.TOWN:
            if region.level == RegionLevel.TOWN:
                return region, None
            if region.level == RegionLevel.VILLAGE and region.parent is not None:
                return region.parent, None
        if rule.target == Target.DEPARTMENT and rule.department is not None:
            return rule.department.region, rule.department
        if rule.target == Target.CENTRE:
            return command_centre(), None
    return command_centre(), None


# ---------------------------------------------------------------- intake


def _clean_coordinate(value: Any, field: str, label: str, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{label}须是数字。", field=field) from None
    if not number.is_finite() or abs(number) > bound:
        raise InvalidInput(f"{label}须在 -{bound} 到 {bound} 之间。", field=field)
    return number.quantize(Decimal("0.000001"))


def file_appeal(
    *,
    channel: str,
    kind: str,
    category_id: int | str | None,
    region_id: int | str | None,
    title: str,
    content: str,
    caller_name: str = "",
    callback_phone: str = "",
    anonymous: bool = False,
    publish_consent: bool = False,
    urgency: str = Urgency.NORMAL,
    address: str = "",
    latitude: Any = None,
    longitude: Any = None,
    recording_ref: str = "",
    uploads: Iterable[Any] = (),
    actor: User | None = None,
) -> Appeal:
    """A citizen (web form: actor None or the applicant) or an operator (hotline, window) files
    one appeal; it is routed and dispatched in the same transaction. Nothing is saved when any
    field is wrong."""
    title, content = (title or "").strip(), (content or "").strip()
    caller_name, callback_phone = (caller_name or "").strip(), (callback_phone or "").strip()
    if channel not in Channel.values:
        raise InvalidInput("来源渠道不正确。", field="channel")
    if channel in (Channel.HOTLINE, Channel.WINDOW) and (
        actor is None or not has_permission(actor, "appeal.intake")
    ):
        raise NotAllowed("只有热线话务员和窗口工作人员可以代为登记诉求。")
    if kind not in Kind.values:
        raise InvalidInput("请选择诉求类型。", field="kind")
    if urgency not in Urgency.values:
        raise InvalidInput("紧急程度不正确。", field="urgency")
    category = Category.objects.filter(pk=_int(category_id) or 0).first()
    if category is None:
        raise InvalidInput("请选择诉求分类。", field="category")
    if category.children.exists():
        raise InvalidInput(f"请在“{category.name}”下选择更细的分类。", field="category")
    region = Region.objects.filter(pk=_int(region_id) or 0).select_related("parent").first()
    if region is None:
        raise InvalidInput("请选择诉求发生地所在的镇（街道）或村（社区）。", field="region")
    if not title:
        raise InvalidInput("请填写诉求标题。", field="title")
    if len(title) > 100:
        raise InvalidInput("诉求标题不能超过 100 个字。", field="title")
    if len(content) < 5:
        raise InvalidInput("请把诉求内容写清楚（至少 5 个字）。", field="content")
    if len(content) > 5000:
        raise InvalidInput("诉求内容不能超过 5000 个字。", field="content")
    if len(address) > 200:
        raise InvalidInput("地址不能超过 200 个字。", field="address")
    if anonymous and kind != Kind.REPORT:
        raise InvalidInput("只有举报可以匿名提出。", field="anonymous")
    if not anonymous:
        if not caller_name:
            raise InvalidInput("请填写诉求人姓名。", field="caller_name")
        if len(caller_name) > 64:
            raise InvalidInput("诉求人姓名不能超过 64 个字。", field="caller_name")
        if not PHONE_RE.match(callback_phone):
            raise InvalidInput(
                "请填写正确的回访电话（11 位手机号或带区号的座机号）。", field="callback_phone"
            )
    elif callback_phone and not PHONE_RE.match(callback_phone):
        raise InvalidInput("回访电话格式不正确。", field="callback_phone")
    lat = _clean_coordinate(latitude, "latitude", "纬度", 90)
    lng = _clean_coordinate(longitude, "longitude", "经度", 180)
    if (lat is None) != (lng is None):
        raise InvalidInput(
            "经度和纬度须同时填写。", field="latitude" if lat is None else "longitude"
        )
    if len(recording_ref) > 64:
        raise InvalidInput("录音编号不能超过 64 个字符。", field="recording_ref")
    uploads = list(uploads)
    today = clock.today()
    with transaction.atomic():
        files = (
            store_uploads([(u, "attachments", "附件") for u in uploads], actor=actor)
            if uploads
            else []
        )
        appeal = Appeal.objects.create(
            number=_next_number(today),
            channel=channel,
            kind=kind,
            category=category,
            region=region,
            address=address.strip(),
            latitude=lat,
            longitude=lng,
            title=title,
            content=content,
            anonymous=anonymous,
            caller_name="" if anonymous else caller_name,
            callback_phone=callback_phone,
            publish_consent=bool(publish_consent),
            urgency=urgency,
            recording_ref=recording_ref.strip(),
            filed_on=today,
            filed_by=actor if actor is not None and actor.is_authenticated else None,
        )
        if files:
            appeal.attachments.set(files)
        unit_region, department = route(category, region)
        dispatch = _new_dispatch(appeal, unit_region, department)
        appeal.save()
        _event(
            appeal,
            "file",
            actor=appeal.filed_by,
            dispatch=dispatch,
            note=f"{appeal.get_channel_display()}登记，派往{unit_name(unit_region, department)}",
        )
        _tell_citizen(
            appeal,
            topic="appeal.filed",
            subject=f"您的诉求已受理，编号 {appeal.number}",
            body=f"凭编号和回访电话后四位可查询办理进度。（回访电话 {mask_phone(callback_phone)}）",
        )
    return appeal


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _next_number(day: dt.date) -> str:
    """MQ + date + the day's sequence, from the same locked day counter as case numbers (a
    racing second appeal waits for the first and takes the next number)."""
    from onewindow.cases.services import sequence_next

    return f"MQ{day:%Y%m%d}{sequence_next('MQ', day):04d}"


# ---------------------------------------------------------------- unit actions


def sign_for(
    *, actor: User, appeal_id: int, dispatch_id: int, revision: int | None = None
) -> Dispatch:
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.state != DispatchState.WAITING:
            raise InvalidTransition("该派单不在待签收状态。")
        today = clock.today()
        dispatch.state = DispatchState.SIGNED
        dispatch.signed_on = today
        dispatch.handle_due = clock.due_date(
            today, limits.handle_days(appeal.kind, appeal.urgency), clock.WORKING_DAYS
        )
        dispatch.save()
        appeal.status = Status.HANDLING
        appeal.save()
        _event(
            appeal,
            "sign",
            actor=actor,
            dispatch=dispatch,
            note=f"{unit_name(dispatch.region, dispatch.department)}签收，"
            f"办理时限 {dispatch.handle_due}",
        )
    return dispatch


def _close_turn(appeal: Appeal, dispatch: Dispatch, state: str, reason: str = "") -> None:
    if not dispatch.open:
        raise InvalidTransition("该派单已结束，不能再操作。")
    dispatch.state = state
    dispatch.closed_on = clock.today()
    if reason:
        dispatch.reason = reason
    dispatch.save()


def _reason(reason: str, label: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput(f"请写明{label}（至少 4 个字）。", field="reason")
    if len(reason) > 500:
        raise InvalidInput(f"{label}不能超过 500 个字。", field="reason")
    return reason


def bounce(*, actor: User, appeal_id: int, dispatch_id: int, reason: str) -> Dispatch:
    """退单: the unit says the appeal is not theirs; it goes back to the command centre."""
    reason = _reason(reason, "退单理由")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.region.level == RegionLevel.COUNTY and dispatch.department is None:
            raise InvalidTransition("县指挥中心不能退单，请转办给承办单位。")
        _close_turn(appeal, dispatch, DispatchState.BOUNCED, reason)
        new = _new_dispatch(appeal, command_centre(), None)
        appeal.save()
        _event(
            appeal,
            "bounce",
            actor=actor,
            dispatch=dispatch,
            note=f"{unit_name(dispatch.region, dispatch.department)}退单：{reason}",
        )
    return new


def transfer(
    *,
    actor: User,
    appeal_id: int,
    dispatch_id: int,
    region_id: int | None = None,
    department_id: int | None = None,
    reason: str,
) -> Dispatch:
    """转办: the command centre (or the unit itself) hands the appeal to another unit (a region,
    or a county department: its region is implied)."""
    reason = _reason(reason, "转办理由")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if not region_id and department_id:
            region_id = (
                Department.objects.filter(pk=department_id)
                .values_list("region_id", flat=True)
                .first()
            )
        region = Region.objects.filter(pk=region_id or 0).first()
        if region is None:
            raise InvalidInput("请选择转办的承办单位。", field="region")
        department = None
        if department_id:
            department = Department.objects.filter(pk=department_id, region=region).first()
            if department is None:
                raise InvalidInput("转办的部门不在所选区划。", field="department")
        if (
            region.pk == dispatch.region_id
            and (department and department.pk) == dispatch.department_id
        ):
            raise InvalidInput("不能转办给本单位。", field="region")
        _close_turn(appeal, dispatch, DispatchState.TRANSFERRED, reason)
        new = _new_dispatch(appeal, region, department)
        appeal.save()
        _event(
            appeal,
            "transfer",
            actor=actor,
            dispatch=new,
            note=f"转办{unit_name(region, department)}：{reason}",
        )
    return new


def escalate(*, actor: User | None, appeal_id: int, dispatch_id: int, reason: str) -> Dispatch:
    """上报: the unit (or the sweep, actor None) sends the appeal up one level."""
    reason = _reason(reason, "上报理由")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        if actor is not None:
            _check_unit(actor, dispatch)
        region, department = _up_one(dispatch.region, dispatch.department)
        _close_turn(appeal, dispatch, DispatchState.ESCALATED, reason)
        new = _new_dispatch(appeal, region, department)
        appeal.save()
        _event(
            appeal,
            "escalate",
            actor=actor,
            dispatch=new,
            note=f"上报{unit_name(region, department)}：{reason}",
        )
    return new


def reply(
    *, actor: User, appeal_id: int, dispatch_id: int, text: str, uploads: Iterable[Any] = ()
) -> Dispatch:
    text = (text or "").strip()
    if len(text) < 10:
        raise InvalidInput("请写明办理结果（至少 10 个字）。", field="text")
    uploads = list(uploads)
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.state != DispatchState.SIGNED:
            raise InvalidTransition("请先签收再答复。")
        files = (
            store_uploads([(u, "attachments", "答复附件") for u in uploads], actor=actor)
            if uploads
            else []
        )
        if files:
            appeal.attachments.add(*files)
        dispatch.reply = text
        _close_turn(appeal, dispatch, DispatchState.REPLIED)
        appeal.status = Status.REPLIED
        appeal.save()
        _event(appeal, "reply", actor=actor, dispatch=dispatch, note=text[:200])
        _tell_citizen(
            appeal,
            topic="appeal.replied",
            subject=f"您的诉求 {appeal.number} 已答复",
            body=f"{unit_name(dispatch.region, dispatch.department)}答复：{text[:120]}。"
            "请凭编号和回访电话后四位查看并评价。",
        )
    return dispatch


def request_extension(
    *, actor: User, appeal_id: int, dispatch_id: int, days: int, reason: str
) -> Dispatch:
    """申请延期: a signed unit asks the command centre for more working days (once per turn)."""
    reason = _reason(reason, "延期理由")
    if not isinstance(days, int) or not 1 <= days <= 15:
        raise InvalidInput("延期天数须在 1 到 15 个工作日之间。", field="days")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.state != DispatchState.SIGNED:
            raise InvalidTransition("签收后才能申请延期。")
        if dispatch.extension_state:
            raise InvalidTransition("本次承办已申请过延期。")
        dispatch.extension_days, dispatch.extension_reason = days, reason
        dispatch.extension_state = "requested"
        dispatch.save()
        appeal.save()
        _event(
            appeal,
            "extension_request",
            actor=actor,
            dispatch=dispatch,
            note=f"申请延期 {days} 个工作日：{reason}",
        )
        for user in unit_staff(command_centre(), None, heads=False):
            notify(
                topic="appeal.extension",
                subject=f"诉求 {appeal.number} 申请延期",
                body=reason,
                recipient=user,
                obj=appeal,
                channels=["inbox"],
            )
    return dispatch


def decide_extension(*, actor: User, appeal_id: int, dispatch_id: int, approve: bool) -> Dispatch:
    """The command centre approves (the handling due date moves) or refuses an extension."""
    if not _is_centre(actor):
        raise NotAllowed("只有县指挥中心可以审批延期。")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        dispatch = _open_dispatch(appeal, dispatch_id)
        if dispatch.extension_state != "requested" or dispatch.state != DispatchState.SIGNED:
            raise InvalidTransition("该派单没有待审批的延期申请。")
        dispatch.extension_state = "approved" if approve else "refused"
        if approve and dispatch.handle_due is not None:
            dispatch.handle_due = clock.due_date(
                dispatch.handle_due, dispatch.extension_days, clock.WORKING_DAYS
            )
        dispatch.save()
        appeal.save()
        verdict = f"同意延期至 {dispatch.handle_due}" if approve else "不同意延期"
        _event(appeal, "extension_decide", actor=actor, dispatch=dispatch, note=verdict)
        _tell_unit(
            dispatch,
            topic="appeal.extension",
            subject=f"诉求 {appeal.number}：{verdict}",
            body=verdict,
        )
    return dispatch


def revisit(*, actor: User, appeal_id: int, note: str) -> Appeal:
    """回访: the command centre calls the citizen back after the reply and records what was said."""
    if not _is_centre(actor):
        raise NotAllowed("只有县指挥中心可以登记回访。")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("请填写回访情况（至少 4 个字）。", field="note")
    with transaction.atomic():
        appeal = _lock(appeal_id)
        if appeal.status not in (Status.REPLIED, Status.CLOSED):
            raise InvalidTransition("答复后才能回访。")
        appeal.save()
        _event(appeal, "revisit", actor=actor, note=note[:1000])
    return appeal


# ---------------------------------------------------------------- the citizen's rating


def rate(*, number: str, phone_last4: str, rating: str, comment: str = "") -> Appeal:
    """The citizen rates the reply. Unsatisfied reopens it to the same unit, up to the limit;
    after that the appeal is closed as unsatisfied and the command centre revisits it."""
    if rating not in Rating.values:
        raise InvalidInput("请选择评价：满意、基本满意或不满意。", field="rating")
    if len(comment or "") > 500:
        raise InvalidInput("评价意见不能超过 500 个字。", field="comment")
    with transaction.atomic():
        found = (
            Appeal.objects.filter(number=(number or "").strip())
            .values_list("pk", "callback_phone")
            .first()
        )
        if found is None or not found[1] or found[1][-4:] != (phone_last4 or "").strip():
            raise NotFound("没有找到该诉求，请核对编号和回访电话后四位。")
        appeal = _lock(found[0])
        if appeal.status != Status.REPLIED:
            raise InvalidTransition("该诉求当前不能评价。")
        appeal.rating = rating
        last = (
            appeal.dispatches.filter(state=DispatchState.REPLIED)
            .order_by("-pk")
            .select_related("region", "department")
            .first()
        )
        note = f"群众评价：{Rating(rating).label}" + (f"，{comment.strip()}" if comment else "")
        if (
            rating == Rating.UNSATISFIED
            and last is not None
            and appeal.reopen_count < limits.max_reopen()
        ):
            appeal.reopen_count += 1
            _new_dispatch(appeal, last.region, last.department)
            appeal.save()
            _event(appeal, "reopen", actor=None, note=note + "，重新交办")
        else:
            appeal.status = Status.CLOSED
            appeal.save()
            _event(appeal, "close", actor=None, note=note)
    return appeal


# ---------------------------------------------------------------- automatic escalation


def sweep(*, on: dt.date | None = None, chunk: int = CHUNK) -> int:
    """催办 → 督办 → 提级 for every overdue open dispatch, each step once. Works from due dates
    and today, so a run after downtime catches up; a second run records nothing new."""
    day = on or clock.today()
    steps = 0
    last_pk = 0
    base = Dispatch.objects.filter(
        Q(state=DispatchState.WAITING, sign_due__lt=day)
        | Q(state=DispatchState.SIGNED, handle_due__lt=day)
    )
    while True:
        ids = list(base.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            break
        last_pk = ids[-1]
        for pk in ids:
            steps += _sweep_one(pk, day)
    return steps


def _sweep_one(dispatch_pk: int, day: dt.date) -> int:
    with transaction.atomic():
        dispatch = Dispatch.objects.select_related("appeal", "region", "department").get(
            pk=dispatch_pk
        )
        appeal = _lock(dispatch.appeal_id)
        dispatch.refresh_from_db()
        if not dispatch.open:
            return 0
        which, due = (
            ("sign", dispatch.sign_due)
            if dispatch.state == DispatchState.WAITING
            else ("handle", dispatch.handle_due)
        )
        if due is None or due >= day:
            return 0
        late = clock.elapsed(due, day, clock.WORKING_DAYS)
        done = set(
            Escalation.objects.filter(dispatch=dispatch, clock=which).values_list("step", flat=True)
        )
        label = "签收" if which == "sign" else "办理"
        count = 0
        for step, after in limits.LADDER:
            if late < after or step in done:
                continue
            if (
                step == Step.ESCALATE
                and dispatch.region.level == RegionLevel.COUNTY
                and dispatch.department is None
            ):
                continue  # the command centre has nobody above it
            Escalation.objects.create(dispatch=dispatch, clock=which, step=step, on=day)
            count += 1
            unit = unit_name(dispatch.region, dispatch.department)
            if step == Step.REMIND:
                _tell_unit(
                    dispatch,
                    topic="appeal.remind",
                    subject=f"催办：诉求 {appeal.number} 已超过{label}时限 {due}",
                    body=f"{unit}请尽快{label}。",
                )
                _event(appeal, "remind", actor=None, dispatch=dispatch, note=f"{label}超期催办")
            elif step == Step.SUPERVISE:
                _tell_unit(
                    dispatch,
                    heads=True,
                    topic="appeal.supervise",
                    subject=f"督办：诉求 {appeal.number} {label}超期",
                    body=f"{unit}{label}超期 {late} 个工作日，请督促办理。",
                )
                _event(appeal, "supervise", actor=None, dispatch=dispatch, note=f"{label}超期督办")
            else:
                appeal.save()
                escalate(
                    actor=None,
                    appeal_id=appeal.pk,
                    dispatch_id=dispatch.pk,
                    reason=f"{unit}{label}超期 {late} 个工作日，自动提级",
                )
                return count
        if count:
            appeal.save()
        return count
