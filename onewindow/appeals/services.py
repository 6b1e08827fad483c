"""Writes to appeals (民情直通车): file, route, sign for, bounce, transfer, escalate, reply,
rate and reopen, co-handling (assisting units), merging duplicates, and the automatic
escalation sweep.

Every transition locks the appeal row, checks the dispatch's state and the actor's right over
the unit (the unit's own posts, or the county command centre), writes an `AppealEvent` and an
audit entry in the same transaction; messages are queued by `notify`, delivered after commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.conf import settings
from django.db import connection, transaction

from onewindow.accounts.models import Post, User
from onewindow.accounts.selectors import has_permission, jurisdiction
from onewindow.audit.services import audit_record
from onewindow.cases import clock
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.core.personal import mask_phone
from onewindow.core.rows import RowShape, row_shape
from onewindow.files.services import store_uploads
from onewindow.notifications.services import notify
from onewindow.org.choices import RegionLevel
from onewindow.org.models import Department, Region

from . import limits
from .choices import Channel, DispatchState, Kind, Rating, Status, Step, Target, Urgency
from .models import Appeal, AppealEvent, Category, Dispatch, Escalation

CHUNK = 500
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
OPEN = (DispatchState.WAITING, DispatchState.SIGNED)


# ---------------------------------------------------------------- units and rights


def command_centre() -> Region:
    """The county's root region: its unit is the command centre (民情直通车指挥中心)."""
    return _unit(None)[0]


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


def may_act(actor: User, dispatch: Dispatch) -> bool:
    """Whether `actor` works in the dispatch's unit (or the command centre)."""
    try:
        _check_unit(actor, dispatch)
    except NotAllowed:
        return False
    return True


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
    """A unit's new turn. An assisting unit's (lead=False) leaves the appeal's status alone."""
    today = clock.today()
    dispatch = Dispatch.objects.create(
        appeal=appeal,
        region=region,
        department=department,
        lead=lead,
        sign_due=clock.due_date(today, limits.sign_days(appeal.urgency), clock.WORKING_DAYS),
    )
    if lead:
        appeal.status = Status.DISPATCHED
    _tell_unit(
        dispatch,
        topic="appeal.dispatched",
        subject=f"新派{'' if lead else '协办'}诉求 {appeal.number}，请于 {dispatch.sign_due} 前签收",
        body=f"{appeal.get_kind_display()}：{appeal.title}",
    )
    return dispatch


def _save(appeal: Appeal, *, share: str = "", note: str = "") -> None:
    """Save the appeal and give the appeals merged into it the same status and rating; with
    `share` (an action), record it on each of them and tell their callers of a reply or close."""
    appeal.save()
    merged = list(Appeal.objects.select_for_update().filter(merged_into=appeal).order_by("pk"))
    for child in merged:
        if (child.status, child.rating) == (appeal.status, appeal.rating) and not share:
            continue
        child.status, child.rating = appeal.status, appeal.rating
        child.revision += 1
        child.save(update_fields=["status", "rating", "revision", "updated_at"])
        if share:
            _event(child, share, actor=None, note=f"主诉求 {appeal.number}：{note}"[:1000])
        if share in ("reply", "close"):
            _tell_citizen(
                child,
                topic=f"appeal.{'replied' if share == 'reply' else 'closed'}",
                subject=f"您的诉求 {child.number}（与 {appeal.number} 合并办理）"
                + ("已答复" if share == "reply" else "已办结"),
                body="请凭您的诉求编号和回访电话后四位查看答复。",
            )


def _resolve_unit(
    region_id: int | None, department_id: int | None
) -> tuple[Region, Department | None]:
    """A region, or a county department (its region implied), chosen on a form."""
    if not region_id and department_id:
        region_id = (
            Department.objects.filter(pk=department_id).values_list("region_id", flat=True).first()
        )
    region = Region.objects.filter(pk=region_id or 0).first()
    if region is None:
        raise InvalidInput("请选择承办单位。", field="region")
    department = None
    if department_id:
        department = Department.objects.filter(pk=department_id, region=region).first()
        if department is None:
            raise InvalidInput("所选部门不在所选区划。", field="department")
    return region, department


def _outstanding(appeal: Appeal) -> list[Dispatch]:
    """Assisting units that have not yet answered."""
    return list(
        appeal.dispatches.filter(lead=False, state__in=OPEN).select_related("region", "department")
    )


def _up_one(region: Region, department: Department | None) -> tuple[Region, None]:
    """上报: village → town → command centre; a county department → command centre."""
    if department is not None or region.level == RegionLevel.TOWN:
        return command_centre(), None
    if region.level == RegionLevel.VILLAGE and region.parent is not None:
        return region.parent, None
    raise InvalidTransition("县指挥中心已是最高一级，不能再上报。")


# ---------------------------------------------------------------- routing


# The first rule by priority that applies to the category (or one of its ancestors, by a recursive
# CTE) and that can route from a region of this level: a village rule only from a village, a town
# rule from a town or from a village with a town above it (one row, the rest is never read). The
# targets are `Target`'s values, written in; the category and the level are parameters. Routing
# runs for every new appeal, so this and the unit statements below are written by hand rather
# than built through the ORM each time (docs/performance.md, "Appeals").
_RULES_SQL = """
WITH RECURSIVE anc(id, parent_id) AS (
    SELECT id, parent_id FROM appeals_category WHERE id = %(category)s
    UNION ALL
    SELECT c.id, c.parent_id FROM appeals_category c JOIN anc ON c.id = anc.parent_id
)
SELECT r.target, r.department_id FROM appeals_routingrule r
 WHERE (r.category_id IS NULL OR r.category_id IN (SELECT id FROM anc))
   AND (r.region_level = '' OR r.region_level = %(level)s)
   AND (r.target = 'centre'
        OR (r.target = 'village' AND %(level)s = 'village')
        OR (r.target = 'town' AND (%(level)s = 'town' OR (%(level)s = 'village'
                                                            AND %(has_parent)s)))
        OR (r.target = 'department' AND r.department_id IS NOT NULL))
 ORDER BY r.priority DESC, r.id
 LIMIT 1
"""

_UNIT_QUERIES: dict[str, tuple[str, RowShape, str, RowShape]] = {}


def _unit_queries() -> tuple[str, RowShape, str, RowShape]:
    """The statements reading a unit's rows: the command centre's region, and a department with
    its region."""
    known = _UNIT_QUERIES.get(connection.alias)
    if known is not None:
        return known
    qn = connection.ops.quote_name
    region_table, department_table = qn(Region._meta.db_table), qn(Department._meta.db_table)
    centre = row_shape(connection, (Region, "u"))
    department = row_shape(connection, (Department, "d"), (Region, "u"))
    # the names come from the models' metadata, quoted; the level and the id are parameters
    built = (
        f"SELECT {centre.columns} FROM {region_table} u "  # noqa: S608
        f"WHERE u.{qn('level')} = %s AND u.{qn('parent_id')} IS NULL",
        centre,
        f"SELECT {department.columns} FROM {department_table} d "  # noqa: S608
        f"INNER JOIN {region_table} u ON u.{qn('id')} = d.{qn('region_id')} "
        f"WHERE d.{qn('id')} = %s",
        department,
    )
    _UNIT_QUERIES[connection.alias] = built
    return built


def _unit(department_id: int | None) -> tuple[Region, Department | None]:
    """A county department with its region, or (None) the command centre's region."""
    centre_sql, centre, department_sql, department = _unit_queries()
    with connection.cursor() as cursor:
        if department_id is None:
            cursor.execute(centre_sql, [RegionLevel.COUNTY.value])
        else:
            cursor.execute(department_sql, [department_id])
        row = cursor.fetchone()
    if row is None:
        if department_id is None:
            raise Region.DoesNotExist("没有县级根区划（县民情直通车指挥中心）。")
        raise Department.DoesNotExist(f"部门 {department_id} 不存在。")
    if department_id is None:
        return cast(Region, centre.instances(row, connection)[0]), None
    found, region = department.instances(row, connection)
    assert isinstance(found, Department) and isinstance(region, Region)
    Department._meta.get_field("region").set_cached_value(found, region)
    return region, found


def route(category: Category, region: Region) -> tuple[Region, Department | None]:
    """The unit a new appeal goes to: by the first applicable routing rule (data), else the
    command centre. One statement for an appeal its own village or town handles, two for a
    county department or the centre."""
    level = region.level
    with connection.cursor() as cursor:
        cursor.execute(
            _RULES_SQL,
            {"category": category.pk, "level": level, "has_parent": region.parent_id is not None},
        )
        rule = cursor.fetchone()
    if rule is None:
        return _unit(None)
    target, department_id = rule
    if target == Target.VILLAGE:
        return region, None
    if target == Target.TOWN:
        if level == RegionLevel.TOWN:
            return region, None
        assert region.parent is not None  # the statement only names a town rule then
        return region.parent, None
    if target == Target.DEPARTMENT:
        return _unit(department_id)
    return _unit(None)


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
    case_number: str = "",
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
    case = None
    case_number = (case_number or "").strip()
    if case_number:
        from onewindow.cases.models import Case

        if actor is None or not has_permission(actor, "appeal.intake"):
            raise NotAllowed("只有窗口工作人员可以关联办件。")
        case = Case.objects.filter(number=case_number).first()
        if case is None:
            raise InvalidInput(
                f"没有找到办件编号“{case_number[:40]}”，请核对后重新填写。", field="case_number"
            )
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
            case=case,
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
    """签收: the unit takes the dispatch; its handling clock starts today. An assisting unit
    signs for its own part (its own clocks)."""
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
        if dispatch.lead:
            appeal.status = Status.HANDLING
        _save(appeal)
        _event(
            appeal,
            "sign",
            actor=actor,
            dispatch=dispatch,
            note=f"{unit_name(dispatch.region, dispatch.department)}"
            f"{'' if dispatch.lead else '（协办）'}签收，办理时限 {dispatch.handle_due}",
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


def bounce(
    *, actor: User, appeal_id: int, dispatch_id: int, reason: str, revision: int | None = None
) -> Dispatch:
    """退单: the unit says the appeal is not theirs; it goes back to the command centre. An
    assisting unit's bounce just ends its part (the command centre is told); returns the
    command centre's new turn, or the bounced assisting turn."""
    reason = _reason(reason, "退单理由")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.region.level == RegionLevel.COUNTY and dispatch.department is None:
            raise InvalidTransition("县指挥中心不能退单，请转办给承办单位。")
        _close_turn(appeal, dispatch, DispatchState.BOUNCED, reason)
        unit = unit_name(dispatch.region, dispatch.department)
        if not dispatch.lead:
            appeal.save()
            _event(
                appeal,
                "assist_bounce",
                actor=actor,
                dispatch=dispatch,
                note=f"{unit}退回协办：{reason}",
            )
            for user in unit_staff(command_centre(), None):
                notify(
                    topic="appeal.assist",
                    subject=f"诉求 {appeal.number}：{unit}退回协办",
                    body=reason,
                    recipient=user,
                    obj=appeal,
                    channels=["inbox"],
                )
            return dispatch
        new = _new_dispatch(appeal, command_centre(), None)
        _save(appeal)
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
    revision: int | None = None,
) -> Dispatch:
    """转办: the command centre (or the unit itself) hands the appeal to another unit (a region,
    or a county department: its region is implied). An assisting turn stays an assisting one."""
    reason = _reason(reason, "转办理由")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        region, department = _resolve_unit(region_id, department_id)
        if (
            region.pk == dispatch.region_id
            and (department and department.pk) == dispatch.department_id
        ):
            raise InvalidInput("不能转办给本单位。", field="region")
        if appeal.dispatches.filter(state__in=OPEN, region=region, department=department).exists():
            raise InvalidInput("该单位已在办理本诉求（主办或协办），不能重复转办。", field="region")
        _close_turn(appeal, dispatch, DispatchState.TRANSFERRED, reason)
        new = _new_dispatch(appeal, region, department, lead=dispatch.lead)
        _save(appeal)
        unit = unit_name(region, department)
        _event(
            appeal,
            "transfer",
            actor=actor,
            dispatch=new,
            note=f"{'' if dispatch.lead else '协办'}转办{unit}：{reason}",
        )
        if dispatch.lead:
            _tell_citizen(
                appeal,
                topic="appeal.transferred",
                subject=f"您的诉求 {appeal.number} 已转交{unit}办理",
                body=f"请于办理后留意答复短信。（转办日期 {clock.today()}）",
            )
    return new


def escalate(
    *,
    actor: User | None,
    appeal_id: int,
    dispatch_id: int,
    reason: str,
    revision: int | None = None,
) -> Dispatch:
    """上报: the unit (or the sweep, actor None) sends the appeal up one level (an assisting
    turn goes up as an assisting turn)."""
    reason = _reason(reason, "上报理由")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        dispatch = _open_dispatch(appeal, dispatch_id)
        if actor is not None:
            _check_unit(actor, dispatch)
        region, department = _up_one(dispatch.region, dispatch.department)
        _close_turn(appeal, dispatch, DispatchState.ESCALATED, reason)
        new = _new_dispatch(appeal, region, department, lead=dispatch.lead)
        _save(appeal)
        unit = unit_name(region, department)
        _event(
            appeal,
            "escalate",
            actor=actor,
            dispatch=new,
            note=f"{'' if dispatch.lead else '协办'}上报{unit}：{reason}",
        )
        if dispatch.lead:
            _tell_citizen(
                appeal,
                topic="appeal.escalated",
                subject=f"您的诉求 {appeal.number} 已提交上级{unit}办理",
                body=f"上报日期 {clock.today()}，请留意答复短信。",
            )
    return new


def reply(
    *,
    actor: User,
    appeal_id: int,
    dispatch_id: int,
    text: str,
    uploads: Iterable[Any] = (),
    revision: int | None = None,
) -> Dispatch:
    """答复. An assisting unit's reply is its part, told to the lead unit; the lead unit's reply
    answers the citizen, and only once every assisting unit has answered."""
    text = (text or "").strip()
    if len(text) < 10:
        raise InvalidInput("请写明办理结果（至少 10 个字）。", field="text")
    uploads = list(uploads)
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        dispatch = _open_dispatch(appeal, dispatch_id)
        _check_unit(actor, dispatch)
        if dispatch.state != DispatchState.SIGNED:
            raise InvalidTransition("请先签收再答复。")
        if dispatch.lead:
            waiting = _outstanding(appeal)
            if waiting:
                names = "、".join(unit_name(d.region, d.department) for d in waiting)
                raise InvalidTransition(
                    f"协办单位尚未反馈：{names}。请待协办单位全部反馈后再答复诉求人。",
                    code="assists_outstanding",
                )
        files = (
            store_uploads([(u, "attachments", "答复附件") for u in uploads], actor=actor)
            if uploads
            else []
        )
        if files:
            appeal.attachments.add(*files)
        dispatch.reply = text
        _close_turn(appeal, dispatch, DispatchState.REPLIED)
        unit = unit_name(dispatch.region, dispatch.department)
        if not dispatch.lead:
            appeal.save()
            _event(
                appeal, "assist_reply", actor=actor, dispatch=dispatch, note=f"{unit}：{text[:200]}"
            )
            for lead in appeal.dispatches.filter(lead=True, state__in=OPEN).select_related(
                "region", "department"
            ):
                _tell_unit(
                    lead,
                    topic="appeal.assist",
                    subject=f"诉求 {appeal.number}：协办单位{unit}已反馈",
                    body=text[:200],
                )
            return dispatch
        appeal.status = Status.REPLIED
        _save(appeal, share="reply", note=text[:200])
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
    *,
    actor: User,
    appeal_id: int,
    dispatch_id: int,
    days: int,
    reason: str,
    revision: int | None = None,
) -> Dispatch:
    """申请延期: a signed unit asks the command centre for more working days (once per turn)."""
    reason = _reason(reason, "延期理由")
    if not isinstance(days, int) or not 1 <= days <= 15:
        raise InvalidInput("延期天数须在 1 到 15 个工作日之间。", field="days")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
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


def decide_extension(
    *,
    actor: User,
    appeal_id: int,
    dispatch_id: int,
    approve: bool,
    revision: int | None = None,
) -> Dispatch:
    """The command centre approves (the handling due date moves) or refuses an extension."""
    if not _is_centre(actor):
        raise NotAllowed("只有县指挥中心可以审批延期。")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
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


def revisit(*, actor: User, appeal_id: int, note: str, revision: int | None = None) -> Appeal:
    """回访: the command centre calls the citizen back after the reply and records what was said."""
    if not _is_centre(actor):
        raise NotAllowed("只有县指挥中心可以登记回访。")
    note = (note or "").strip()
    if len(note) < 4:
        raise InvalidInput("请填写回访情况（至少 4 个字）。", field="note")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        if appeal.status not in (Status.REPLIED, Status.CLOSED):
            raise InvalidTransition("答复后才能回访。")
        appeal.save()
        _event(appeal, "revisit", actor=actor, note=note[:1000])
    return appeal


# ---------------------------------------------------------------- co-handling


def add_assist(
    *,
    actor: User,
    appeal_id: int,
    region_id: int | None = None,
    department_id: int | None = None,
    revision: int | None = None,
) -> Dispatch:
    """协办: the command centre adds an assisting unit beside the lead one. It signs for and
    answers its own part on its own clocks; the lead replies to the citizen once all have."""
    if not _is_centre(actor):
        raise NotAllowed("只有县指挥中心可以增加协办单位。")
    with transaction.atomic():
        appeal = _lock(appeal_id, revision)
        if appeal.merged_into_id is not None:
            raise InvalidTransition("该诉求已并入其他诉求，不能再增加协办单位。")
        if appeal.status in (Status.REPLIED, Status.CLOSED):
            raise InvalidTransition("诉求已答复，不能再增加协办单位。")
        region, department = _resolve_unit(region_id, department_id)
        if region.level == RegionLevel.COUNTY and department is None:
            raise InvalidInput("县指挥中心不能作为协办单位，请选择县级部门或镇（街道）。")
        if appeal.dispatches.filter(state__in=OPEN, region=region, department=department).exists():
            raise InvalidInput("该单位已在办理本诉求（主办或协办）。", field="region")
        dispatch = _new_dispatch(appeal, region, department, lead=False)
        appeal.save()
        _event(
            appeal,
            "assist_add",
            actor=actor,
            dispatch=dispatch,
            note=f"增加协办单位{unit_name(region, department)}，签收时限 {dispatch.sign_due}",
        )
    return dispatch


# ---------------------------------------------------------------- duplicates


def may_merge(actor: User, appeal: Appeal) -> bool:
    """The command centre, or the operator who filed `appeal` while no unit has signed for it."""
    if _is_centre(actor):
        return True
    return (
        has_permission(actor, "appeal.intake")
        and appeal.filed_by_id == actor.pk
        and not appeal.dispatches.exclude(state=DispatchState.WAITING).exists()
    )


def merge(
    *,
    actor: User,
    appeal_id: int,
    into_id: int,
    reason: str = "",
    revision: int | None = None,
    into_revision: int | None = None,
) -> Appeal:
    """并案: `appeal_id` is the same matter as `into_id` (the master). Its open dispatches end,
    its caller is told the master's number, and from now on it shares the master's status,
    reply and rating. Appeals merged into it follow it to the master."""
    appeal_id, into_id = int(appeal_id), int(into_id)
    reason = (reason or "").strip()[:500] or "重复诉求"
    if appeal_id == into_id:
        raise InvalidInput("不能把诉求并入它自己。", field="into")
    with transaction.atomic():
        locked: dict[int, Appeal] = {}
        for pk in sorted((appeal_id, into_id)):  # one order, so two merges never deadlock
            locked[pk] = _lock(pk, revision if pk == appeal_id else into_revision)
        appeal, master = locked[appeal_id], locked[into_id]
        if not may_merge(actor, appeal):
            raise NotAllowed("只有县指挥中心（或登记该诉求且尚未签收时的话务员）可以合并诉求。")
        if appeal.merged_into_id is not None:
            raise InvalidTransition(
                f"诉求 {appeal.number} 已并入 {appeal.merged_into.number}，不能再次合并。"  # type: ignore[union-attr]
            )
        if master.merged_into_id is not None:
            top = master
            seen = {top.pk}
            while top.merged_into_id is not None and top.merged_into_id not in seen:
                top = Appeal.objects.get(pk=top.merged_into_id)
                seen.add(top.pk)
            if appeal.pk in seen:
                raise InvalidTransition(
                    f"诉求 {master.number} 已并入 {appeal.number}，"
                    f"再把 {appeal.number} 并入 {master.number} 会形成循环。"
                )
            raise InvalidTransition(
                f"诉求 {master.number} 已并入 {top.number}，请直接并入主诉求 {top.number}。"
            )
        if appeal.status == Status.CLOSED:
            raise InvalidTransition(f"诉求 {appeal.number} 已办结，不能并入其他诉求。")
        today = clock.today()
        for dispatch in appeal.dispatches.filter(state__in=OPEN).select_related(
            "region", "department"
        ):
            dispatch.state = DispatchState.MERGED
            dispatch.closed_on = today
            dispatch.reason = f"并入 {master.number}"
            dispatch.save()
            _tell_unit(
                dispatch,
                topic="appeal.merged",
                subject=f"诉求 {appeal.number} 已并入 {master.number} 合并办理，本单位无需再办",
                body=reason,
            )
        appeal.merged_into = master
        appeal.status, appeal.rating = master.status, master.rating
        appeal.save()
        _event(appeal, "merge", actor=actor, note=f"并入诉求 {master.number}：{reason}")
        master.save()
        _event(master, "merge_in", actor=actor, note=f"诉求 {appeal.number} 并入本件：{reason}")
        for child in Appeal.objects.select_for_update().filter(merged_into=appeal).order_by("pk"):
            child.merged_into = master
            child.status, child.rating = master.status, master.rating
            child.revision += 1
            child.save()
            _event(child, "merge", actor=actor, note=f"随 {appeal.number} 并入诉求 {master.number}")
        _tell_citizen(
            appeal,
            topic="appeal.merged",
            subject=f"您的诉求 {appeal.number} 与诉求 {master.number} 反映的是同一问题，已合并办理",
            body="办理结果将短信告知您；凭您的诉求编号和回访电话后四位可查询。",
        )
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
        if appeal.merged_into_id is not None:
            master = Appeal.objects.get(pk=appeal.merged_into_id)
            raise InvalidTransition(
                f"该诉求已与诉求 {master.number} 合并办理，以该诉求的评价为准，无需另行评价。"
            )
        if appeal.status != Status.REPLIED:
            raise InvalidTransition("该诉求当前不能评价。")
        appeal.rating = rating
        last = (
            appeal.dispatches.filter(state=DispatchState.REPLIED, lead=True)
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
            _save(appeal, share="reopen", note=note + "，重新交办")
            _event(appeal, "reopen", actor=None, note=note + "，重新交办")
            unit = unit_name(last.region, last.department)
            _tell_citizen(
                appeal,
                topic="appeal.reopened",
                subject=f"您的诉求 {appeal.number} 已重新交由{unit}办理",
                body=f"第 {appeal.reopen_count} 次重办，办理后将再次短信告知您。",
            )
        else:
            appeal.status = Status.CLOSED
            _save(appeal, share="close", note=note)
            _event(appeal, "close", actor=None, note=note)
            _tell_citizen(
                appeal,
                topic="appeal.closed",
                subject=f"您的诉求 {appeal.number} 已办结",
                body=f"感谢您的评价（{Rating(rating).label}）。",
            )
    return appeal


# ---------------------------------------------------------------- automatic escalation


def sweep(*, on: dt.date | None = None, chunk: int = CHUNK) -> int:
    """催办 → 督办 → 提级 for every overdue open dispatch, each step once. Works from due dates
    and today, so a run after downtime catches up; a second run records nothing new."""
    day = on or clock.today()
    steps = 0
    last_pk = 0
    cuts = ladder_cuts(day)
    # the project's connections run without JIT; where an operator turned it back on
    # (ONEWINDOW_DB_JIT), it is off here: compiling cost more than this query of a few ms
    jit_off = connection.vendor == "postgresql" and settings.ONEWINDOW_DB_JIT
    while True:
        with (
            transaction.atomic() if jit_off else contextlib.nullcontext(),
            connection.cursor() as cursor,
        ):
            if jit_off:
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(pending_selection(day, cuts, after=last_pk, chunk=chunk))
            # a row per rung due: a dispatch may come twice or three times, and the last one's
            # rows may go on past the chunk, which is harmless: `_sweep_one` takes all its rungs
            ids = list(dict.fromkeys(row[0] for row in cursor.fetchall()))
        if not ids:
            break
        last_pk = ids[-1]
        for pk in ids:
            steps += _sweep_one(pk, day)
    return steps


def ladder_cuts(day: dt.date) -> list[tuple[str, dt.date]]:
    """Each rung of the ladder with its cut-off on `day`: the latest due date that is the rung's
    working days late (a rung is due when the clock's due date is on or before it)."""
    cuts = []
    for step, after in limits.LADDER:
        cut = day - dt.timedelta(days=1)
        for _ in range(800):  # bounded: no rung of the ladder is years late
            if clock.elapsed(cut, day, clock.WORKING_DAYS) >= after:
                break
            cut -= dt.timedelta(days=1)
        cuts.append((str(step), cut))
    return cuts


# A row per overdue open dispatch and rung of the ladder (a list of rung and cut-off) that
# is due and not yet taken; the command centre has nobody above it to escalate to. The shape of
# the hand-written query in bench/appeals.py: one anti-join probing the (dispatch, clock, step)
# unique index. An OR of six NOT EXISTS, one per rung and clock, built each as a hashed sub-plan
# over the whole escalation table, and twice (once more for the region's join): 2× the time.
# The first condition lets the planner take the few overdue dispatches from the (state, due date)
# indexes; ordered by `id + 0`, not `id`: ordering by the key itself let the planner walk the
# primary key through every dispatch (0.2 s at a million) instead.
_PENDING_SQL = (
    "SELECT d.id FROM appeals_dispatch d JOIN org_region r ON r.id = d.region_id "
    "CROSS JOIN ({ladder}) l "
    "WHERE d.id > %s AND ((d.state = %s AND d.sign_due < %s) OR (d.state = %s AND "
    "d.handle_due < %s)) AND CASE WHEN d.state = %s THEN d.sign_due ELSE d.handle_due END "
    "<= l.cut AND NOT (l.step = %s AND r.level = %s AND d.department_id IS NULL) "
    "AND NOT EXISTS (SELECT 1 FROM appeals_escalation e WHERE e.dispatch_id = d.id "
    "AND e.clock = CASE WHEN d.state = %s THEN %s ELSE %s END AND e.step = l.step) "
    "ORDER BY d.id + 0 LIMIT %s"
)


def pending_selection(
    day: dt.date, cuts: list[tuple[str, dt.date]] | None = None, *, after: int, chunk: int
) -> str:
    """The statement naming, in order of id after `after` and `chunk` rows at most, the
    dispatches with a rung of the ladder due on `day` and not yet taken (`cuts`: `ladder_cuts`),
    a row per rung — `_sweep_one` checks each again under its lock. A test holds it to the ORM
    condition it replaced.

    The values are written in (`_inline`) rather than bound: prepared with parameters,
    PostgreSQL switched to a generic plan after five runs and took 25–65 ms instead of 15
    (measured at a million dispatches)."""
    waiting, signed = str(DispatchState.WAITING), str(DispatchState.SIGNED)
    # a date written in is text to PostgreSQL until cast (SQLite keeps dates as text)
    date = "::date" if connection.vendor == "postgresql" else ""
    ladder = cuts if cuts is not None else ladder_cuts(day)
    rung = f"SELECT %s AS step, %s{date} AS cut"
    params: list[Any] = []
    for step, cut in ladder:
        params += [step, cut]
    params += [int(after), waiting, day, signed, day, waiting]
    params += [str(Step.ESCALATE), str(RegionLevel.COUNTY), waiting, "sign", "handle", int(chunk)]
    sql = _PENDING_SQL.format(ladder=" UNION ALL ".join([rung] * len(ladder)))
    return _inline(sql, params)


def _inline(sql: str, params: list[Any]) -> str:
    """`sql` with `params` written in as literals. Only for values the code makes itself:
    integers, dates and choice values (anything else is refused)."""

    def literal(value: Any) -> str:
        if isinstance(value, bool):
            raise ValueError("not a plain value: a boolean")
        if isinstance(value, int):
            return str(value)
        if isinstance(value, dt.date):
            return f"'{value.isoformat()}'"
        text = str(value)
        if not re.fullmatch(r"[a-z_]+", text):
            raise ValueError(f"not a plain value: {text!r}")
        return f"'{text}'"

    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        raise ValueError("parameters and placeholders do not match")
    return pieces[0] + "".join(literal(v) + p for v, p in zip(params, pieces[1:], strict=True))


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


# ---------------------------------------------------------------- the dashboard's exports


def dashboard_export_record(
    *, actor: User, what: str, scope_label: str, start: dt.date, end: dt.date
) -> None:
    """An Excel export of the command centre's figures is a disclosure: on record, who took
    which tables of which scope and period (as the statistics' exports are)."""
    from onewindow.accounts.selectors import audit_role

    with transaction.atomic():
        audit_record(
            action="appeals.dashboard.export",
            actor=actor,
            role=audit_role(actor, "appeal.dispatch"),
            object_type="appeals.dashboard",
            summary=f"导出民情直通车统计：{scope_label}，{what}，{start} 至 {end}",
            after={"tables": what, "start": start.isoformat(), "end": end.isoformat()},
        )
