"""Demo history of 民情直通车: a few dozen appeals over the recent working days, replayed through
the services on simulated days so that every clock, notice and record is real."""

from __future__ import annotations

import datetime as dt
import random

from onewindow.accounts.models import User
from onewindow.calendar.selectors import get_calendar
from onewindow.cases import clock
from onewindow.org.models import Department, Region

from . import services
from .choices import Channel, DispatchState, Kind, Rating
from .models import Appeal, Category

SEED = 12345
STORIES = [
    ("0503", Kind.HELP, "垃圾点清运不及时", "组里垃圾点三天没有清运，天热气味很大，请尽快处理。"),
    ("0501", Kind.COMPLAINT, "通组道路塌陷", "通往三组的水泥路有一段塌陷，摩托车通行危险。"),
    (
        "0201",
        Kind.CONSULTATION,
        "城乡居民养老保险缴费档次",
        "想咨询今年城乡居民养老保险有哪些缴费档次，在哪里缴。",
    ),
    ("0701", Kind.COMPLAINT, "夜间施工噪声扰民", "小区旁工地每天晚上十一点后还在施工，影响休息。"),
    ("0601", Kind.REPORT, "小饭馆卫生条件差", "街边一家小饭馆后厨卫生很差，没有健康证。"),
    (
        "0502",
        Kind.CONSULTATION,
        "耕地地力保护补贴发放时间",
        "请问今年的耕地地力保护补贴什么时候发放到卡。",
    ),
    ("0103", Kind.HELP, "自来水停水三天", "我们这一片已经停水三天了，没有接到通知。"),
    ("0301", Kind.CONSULTATION, "小学一年级入学材料", "孩子今年上一年级，需要准备哪些入学材料。"),
    (
        "0801",
        Kind.CANNOT_GET_DONE,
        "跨省医保备案办不了",
        "在外地务工，医保异地备案网上一直提交不成功。",
    ),
    ("0101", Kind.SUGGESTION, "建议增设路灯", "从镇上到村委会的路段没有路灯，建议增设。"),
    (
        "0802",
        Kind.PRAISE,
        "表扬便民服务站工作人员",
        "村便民服务站的代办员帮我跑完了残疾证，非常感谢。",
    ),
]
CALLERS = ["李秀英", "王建国", "张伟", "刘芳", "陈强", "赵丽", "杨军", "黄敏"]


def build_appeals(*, count: int = 36, end: dt.date | None = None) -> int:
    if Appeal.objects.exists():
        return 0
    rng = random.Random(SEED)
    end = end or clock.today()
    days = [d for d in get_calendar().workdays if end - dt.timedelta(days=60) <= d <= end]
    if not days:
        return 0
    villages = list(Region.objects.filter(level="village").select_related("parent"))
    centre = User.objects.get(username="jiancha")
    zj = Department.objects.filter(code="610799-ZJ").first()
    made = 0
    for n in range(count):
        day = days[min(len(days) - 1, int(n * len(days) / count))]
        code, kind, title, content = STORIES[n % len(STORIES)]
        village = rng.choice(villages)
        with clock.simulate(day):
            appeal = services.file_appeal(
                channel=[Channel.WEB, Channel.HOTLINE, Channel.MOBILE][n % 3],
                kind=kind,
                category_id=Category.objects.get(code=code).pk,
                region_id=village.pk,
                title=title,
                content=content,
                caller_name=CALLERS[n % len(CALLERS)],
                callback_phone=f"1390000{1000 + n:04d}",
                publish_consent=n % 2 == 0,
                recording_ref=f"REC-{day:%Y%m%d}-{n:03d}" if n % 3 == 1 else "",
                actor=centre if n % 3 == 1 else None,
            )
        made += 1
        stage = n % 6  # 0 left waiting, 1 signed, 2 replied, 3 closed, 4 transferred, 5 reopened
        if stage == 0:
            continue
        turn = appeal.dispatches.get(state=DispatchState.WAITING)
        later = days[min(len(days) - 1, days.index(day) + 1)]
        with clock.simulate(later):
            if stage == 4 and zj is not None:
                turn = (
                    services.bounce(
                        actor=centre,
                        appeal_id=appeal.pk,
                        dispatch_id=turn.pk,
                        reason="属县级部门职责，退回指挥中心",
                    )
                    if turn.region.level != "county"
                    else turn
                )
                turn = services.transfer(
                    actor=centre,
                    appeal_id=appeal.pk,
                    dispatch_id=turn.pk,
                    region_id=zj.region_id,
                    department_id=zj.pk,
                    reason="属住建局职责",
                )
            services.sign_for(actor=centre, appeal_id=appeal.pk, dispatch_id=turn.pk)
            if stage == 1:
                continue
            services.reply(
                actor=centre,
                appeal_id=appeal.pk,
                dispatch_id=turn.pk,
                text="经核实已安排专人处理完毕，并电话告知诉求人处理结果。",
            )
            if stage in (3, 4):
                services.rate(
                    number=appeal.number,
                    phone_last4=appeal.callback_phone[-4:],
                    rating=rng.choice([Rating.SATISFIED, Rating.SATISFIED, Rating.BASIC]),
                )
            elif stage == 5:
                services.rate(
                    number=appeal.number,
                    phone_last4=appeal.callback_phone[-4:],
                    rating=Rating.UNSATISFIED,
                    comment="问题没有彻底解决",
                )
    made += _build_joint_and_duplicate(days, centre, zj, villages[0])
    with clock.simulate(end):
        services.sweep(on=end)
    return made


def _build_joint_and_duplicate(
    days: list[dt.date], centre: User, zj: Department | None, village: Region
) -> int:
    """One appeal handled by a lead unit with an assisting one (协办), and a second call about
    the same matter merged into the first (并案), so that both show in the demo."""
    day = days[max(0, len(days) - 4)]
    road = Category.objects.get(code="0501").pk
    with clock.simulate(day):
        first = services.file_appeal(
            channel=Channel.HOTLINE,
            kind=Kind.COMPLAINT,
            category_id=road,
            region_id=village.pk,
            title="村口桥梁护栏缺失",
            content="村口小桥的护栏被车撞掉一段，学生每天经过，很危险，请尽快修复。",
            caller_name="周红梅",
            callback_phone="13900002001",
            publish_consent=True,
            recording_ref=f"REC-{day:%Y%m%d}-901",
            actor=centre,
        )
        again = services.file_appeal(
            channel=Channel.WEB,
            kind=Kind.COMPLAINT,
            category_id=road,
            region_id=village.pk,
            title="村口小桥护栏坏了",
            content="村口桥上的护栏掉了一段，孩子上学要过桥，希望赶紧修好。",
            caller_name="吴志刚",
            callback_phone="13900002002",
            publish_consent=False,
        )
    later = days[min(len(days) - 1, days.index(day) + 1)]
    with clock.simulate(later):
        services.merge(actor=centre, appeal_id=again.pk, into_id=first.pk, reason="同一座桥的护栏")
        if zj is not None:
            services.add_assist(
                actor=centre, appeal_id=first.pk, region_id=zj.region_id, department_id=zj.pk
            )
        lead = first.dispatches.get(lead=True, state=DispatchState.WAITING)
        services.sign_for(actor=centre, appeal_id=first.pk, dispatch_id=lead.pk)
    return 2
