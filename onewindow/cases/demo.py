"""The demo county's year of cases: replayed day by day through the same services the counter
and the back office use, on the simulated clock, so that queues, timelines, clocks and (later)
the supervision board and statistics show something true about the data.

Deterministic (a fixed seed) and idempotent (nothing is added when the history exists). Most
cases finish on time; some run late, some are in progress, a few are overdue now, waiting for a
supplement, accepted under 容缺 with the promise broken, refused, withdrawn, in a special
procedure or denied.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q

from onewindow.accounts.models import Absence, Post, User
from onewindow.calendar.selectors import add_working_days, get_calendar
from onewindow.catalogue.models import Item
from onewindow.catalogue.selectors import materials_for
from onewindow.core.errors import DomainError

from . import clock, services
from .choices import CaseStatus
from .models import Case, Step

SEED = 20261129
KEY_PREFIX = "demo-history-"

# (item code, weight): what a county centre sees most
POPULAR = [
    ("002001002000", 14),  # 个体工商户设立登记 (即办)
    ("002001001000", 10),  # 企业设立登记
    ("002001005000", 8),  # 食品经营许可
    ("003003002000", 6),  # 户口迁移
    ("003003003000", 8),  # 居民身份证
    ("003011007000", 6),  # 无犯罪记录证明 (即办)
    ("005011003000", 6),  # 社会保障卡申领 (即办)
    ("005002002000", 3),  # 基本养老金申领 (联办)
    ("006011002000", 3),  # 医保关系转移接续
    ("007002003000", 3),  # 最低生活保障审核确认
    ("008003002000", 5),  # 不动产转移登记 (联办)
    ("008003001000", 2),  # 不动产首次登记
    ("009001001000", 2),  # 建筑工程施工许可 (联办)
    ("012001001000", 3),  # 公共场所卫生许可
    ("013001001000", 2),  # 道路货物运输经营许可
    ("016001001000", 2),  # 消防安全检查
    ("017011001000", 2),  # 残疾人证核发
    ("019001001000", 2),  # 户外广告设施
    ("021001001000", 1),  # 农药经营许可
    ("011001001000", 1),  # 环评审批
]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@dataclass
class Script:
    """One case's planned life: what happens on which day."""

    n: int
    item: Item
    day: dt.date
    applicant: services.ApplicantData
    online_user: User | None
    fate: str
    late: int
    case: Case | None = None
    deferred: list[str] = field(default_factory=list)


def _holder(post: Post) -> User:
    absent = Absence.objects.filter(user=post.holder_a, ended_at__isnull=True).exists()
    return post.holder_b if absent and post.holder_b else post.holder_a


def _step_actor(step: Step) -> User | None:
    posts = Post.objects.filter(
        active=True, region_id=step.region_id, role__in=step.role_list
    ).select_related("holder_a", "holder_b")
    if step.department_id:
        posts = posts.filter(Q(department_id=step.department_id) | Q(department__isnull=True))
        posts = posts.order_by("department")  # the department's own post first
    post = posts.first()
    return _holder(post) if post else None


def _walk_in(rng: random.Random, n: int, item: Item) -> services.ApplicantData:
    from onewindow.core.demo_county import demo_credit_code, demo_id_number, demo_name

    version = item.published
    assert version is not None
    legal = bool(version.business_stages) and not version.life_events
    phone = f"139{rng.randrange(10**7, 10**8)}"
    if legal:
        return services.ApplicantData(
            kind="legal",
            name=f"青溪县{demo_name(n + 300)[1:]}{rng.choice(['商贸', '农业', '建材', '餐饮', '科技'])}有限公司",
            phone=phone,
            credit_code=demo_credit_code(n + 50, kind="91"),
        )
    born = dt.date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 28))
    female = rng.random() < 0.5
    return services.ApplicantData(
        kind="person",
        name=demo_name(n + 100),
        phone=phone,
        id_number=demo_id_number(n + 1000, born=born, female=female),
    )


def _answers(item: Item) -> dict[str, str]:
    version = item.published
    assert version is not None
    return {s.key: s.options.all()[0].key for s in version.situations.all()}


RECENT_FATES = ["normal", "pause", "defer", "supplement", "normal", "deny", "normal"]


def _fate(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "refuse"
    if roll < 0.05:
        return "withdraw"
    if roll < 0.09:
        return "supplement"
    if roll < 0.15:
        return "defer"
    if roll < 0.18:
        return "pause"
    if roll < 0.20:
        return "deny"
    return "normal"


def build_history(*, count: int = 160, end: dt.date | None = None, progress: Any = None) -> int:
    """Replay `count` cases over the year before `end` (default: today). Returns how many cases
    were made (0 when the history is already there)."""
    if Case.objects.filter(submission_key__startswith=KEY_PREFIX).exists():
        return 0
    rng = random.Random(SEED)
    calendar = get_calendar()
    end = end or clock.today()
    first = end - dt.timedelta(days=360)
    workdays = [d for d in calendar.workdays if first <= d <= end]
    codes = [c for c, _ in POPULAR]
    items = {
        i.code: i
        for i in Item.objects.filter(code__in=codes, published__isnull=False).select_related(
            "published", "region", "department"
        )
    }
    weights = [w for c, w in POPULAR if c in items]
    codes = [c for c in codes if c in items]
    if not codes or not workdays:
        return 0
    online = list(User.objects.filter(kind="applicant").select_related("applicant"))
    acceptors = list(User.objects.filter(username__in=[f"zc{i:02d}" for i in range(1, 9)]))
    scripts = []
    for n in range(count):
        if n < count * 0.82:  # spread over the year
            day = workdays[int(len(workdays) * 0.96 * (n + rng.random()) / count) % len(workdays)]
        else:  # and the last three weeks, so that some are still running (some late) now
            day = workdays[-1 - rng.randrange(min(15, len(workdays)))]
        recent = (end - day).days <= 21
        pool = [c for c in codes if items[c].published.promised_limit >= 3] if recent else codes  # type: ignore[union-attr]
        item = items[rng.choice(pool) if recent else rng.choices(codes, weights)[0]]
        user = rng.choice(online) if online and rng.random() < 0.3 else None
        applicant = _walk_in(rng, n, item)
        fate = _fate(rng)
        if recent:  # every kind of running case is there to see now
            fate = RECENT_FATES[n % len(RECENT_FATES)]
        if n >= count - 3 and online:
            # submitted online today: waiting at the counter
            day, user, fate = end, rng.choice(online), "queue"
        scripts.append(
            Script(
                n=n,
                item=item,
                day=day,
                applicant=applicant,
                online_user=user,
                fate=fate,
                late=rng.choice([0] * 8 + [rng.randrange(1, 4), rng.randrange(3, 8)]),
            )
        )
    plan: list[tuple[dt.date, int, Callable[[], None]]] = []

    def at(day: dt.date, order: int, action: Callable[[], None]) -> None:
        if day <= end:
            plan.append((day, order, action))

    for script in scripts:
        at(script.day, script.n * 10, _submitter(script, rng, acceptors, at, end))
    done = 0
    plan.sort(key=lambda p: (p[0], p[1]))
    # actions schedule further actions: run until the plan is exhausted
    while plan:
        day, _order, action = plan.pop(0)
        with clock.simulate(day):
            try:
                action()
                done += 1
            except DomainError:
                pass  # a demo path the rules refuse simply stops there
        plan.sort(key=lambda p: (p[0], p[1]))
        if progress is not None:
            progress(done)
    return Case.objects.filter(submission_key__startswith=KEY_PREFIX).count()


Schedule = Callable[[dt.date, int, Callable[[], None]], None]


def _submitter(
    script: Script, rng: random.Random, acceptors: list[User], at: Schedule, end: dt.date
) -> Callable[[], None]:
    acceptor = rng.choice(acceptors)

    def submit() -> None:
        version = script.item.published
        assert version is not None
        answers = _answers(script.item)
        selection = materials_for(version, answers)
        key = f"{KEY_PREFIX}{script.n}"
        deferrable = [m.key for m in selection.materials if m.deficiency_ok]
        hold_back = deferrable[:1] if script.fate == "defer" and deferrable else []
        if script.online_user is not None:
            script.case = services.case_submit(
                actor=script.online_user,
                item_code=script.item.code,
                answers=answers,
                uploads={
                    m.key: SimpleUploadedFile(f"{m.key}.pdf", PDF, "application/pdf")
                    for m in selection.materials
                    if m.required and m.key not in hold_back
                },
                submission_key=key,
            )
        else:
            script.case = services.case_submit(
                actor=acceptor,
                item_code=script.item.code,
                channel="counter",
                applicant=script.applicant,
                answers=answers,
                presented=[m.key for m in selection.materials if m.key not in hold_back],
                submission_key=key,
            )
        script.deferred = hold_back
        today = clock.today()
        case = script.case
        if script.fate == "queue":
            return
        if script.fate == "refuse":
            at(today, script.n * 10 + 1, lambda: _refuse(case, acceptor))
        elif script.fate == "withdraw" and script.online_user is not None:
            at(today, script.n * 10 + 1, lambda: _withdraw(case))
        elif script.fate == "supplement":
            at(today, script.n * 10 + 1, lambda: _supplement(case, acceptor, script, at))
        else:
            at(today, script.n * 10 + 1, lambda: _accept(case, acceptor, script, at, end))

    return submit


def _refuse(case: Case, acceptor: User) -> None:
    services.case_refuse(
        case=case,
        actor=acceptor,
        reason="申请事项不属于本机关职权范围，已告知申请人向有关行政机关申请",
        legal_basis="《中华人民共和国行政许可法》第三十二条第一款第（二）项",
    )


def _withdraw(case: Case) -> None:
    assert case.submitted_by is not None
    services.case_withdraw(case=case, actor=case.submitted_by, reason="经营计划调整，暂不申请")


def _supplement(case: Case, acceptor: User, script: Script, at: Schedule) -> None:
    material = case.materials.order_by("order").first()
    if material is None:
        return
    services.case_request_supplement(
        case=case,
        actor=acceptor,
        items=[{"key": material.key, "reason": "签字不全，请由申请人本人签字后重新提交"}],
    )
    later = add_working_days(clock.today(), 2)

    def supply() -> None:
        services.case_supply(case=case, actor=acceptor, uploads={}, presented=[material.key])
        services.case_accept(case=case, actor=acceptor)
        script.fate = "normal"
        _schedule_steps(case, script, at)

    at(later, script.n * 10 + 2, supply)


def _accept(case: Case, acceptor: User, script: Script, at: Schedule, end: dt.date) -> None:
    today = clock.today()
    promise = add_working_days(today, 5)
    deferred = dict.fromkeys(script.deferred, promise)
    case = services.case_accept(case=case, actor=acceptor, deferred=deferred)
    # most keep their 容缺 promise; every third breaks it
    if script.deferred and script.n % 3:
        keys = list(script.deferred)

        def supply() -> None:
            for key in keys:
                if case.submitted_by_id:
                    services.case_supply_deferred(
                        case=case,
                        actor=case.submitted_by,  # type: ignore[arg-type]
                        key=key,
                        upload=SimpleUploadedFile(f"{key}.pdf", PDF, "application/pdf"),
                    )
                else:
                    services.case_supply_deferred(
                        case=case, actor=acceptor, key=key, presented=True
                    )
            _schedule_delivery(case, acceptor, script, at)

        at(add_working_days(today, 3), script.n * 10 + 3, supply)
    if case.status == CaseStatus.IN_PROGRESS:
        _schedule_steps(case, script, at)
    _schedule_delivery(case, acceptor, script, at)


def _schedule_steps(case: Case, script: Script, at: Schedule) -> None:
    """Plan the next back-office move of the case: within the step's limit (or late)."""
    case.refresh_from_db()
    if case.status == CaseStatus.PAUSED:
        return
    if case.status != CaseStatus.IN_PROGRESS:
        _schedule_delivery(case, None, script, at)
        return
    steps = list(case.steps.filter(closed_at__isnull=True, state_key=case.state_key))
    if not steps:
        return
    today = clock.today()
    limit = max(s.limit for s in steps)
    took = max(0, min(limit, 1 + script.n % max(limit, 1)) + script.late)
    day = add_working_days(today, took) if took else today

    def move() -> None:
        for step in steps:
            if step.kind == "branch" and not step.lead:
                actor = _step_actor(step)
                if actor is not None:
                    services.branch_answer(case=case, actor=actor, opinion="agree")
        lead = next((s for s in steps if s.kind == "task" or s.lead), steps[0])
        actor = _step_actor(lead)
        if actor is None:
            return
        if script.fate == "pause":
            script.fate = "normal"
            services.pause_start(
                case=case,
                actor=actor,
                kind="survey",
                reason="需现场核查经营场所和设施设备",
                max_days=5,
            )
            resume_day = add_working_days(clock.today(), 3)

            def resume() -> None:
                services.pause_end(case=case, actor=actor)
                _schedule_steps(case, script, at)

            at(resume_day, script.n * 10 + 5, resume)
            return
        flow = case.version.flow
        order = [s["key"] for s in flow["states"]]
        forward = [
            a
            for a in flow["actions"]
            if a["from"] == case.state_key and order.index(a["to"]) > order.index(a["from"])
        ]
        if not forward:
            return
        action = forward[0]
        note = ""
        if script.fate == "deny":
            denial = [a for a in forward if "deny" in a["key"]]
            if denial:
                action, note = denial[0], "经现场核查，经营场所与申请材料不符，不符合许可条件"
        services.case_act(case=case, actor=actor, action=action["key"], note=note)
        _schedule_steps(case, script, at)

    at(day, script.n * 10 + 4, move)


def _schedule_delivery(case: Case, acceptor: User | None, script: Script, at: Schedule) -> None:
    case.refresh_from_db()
    if case.status not in (CaseStatus.APPROVED, CaseStatus.DENIED) or case.result_held:
        return
    window = User.objects.filter(username="chujian1").first()
    if window is None:
        return
    day = add_working_days(clock.today(), script.n % 3)

    def deliver() -> None:
        case.refresh_from_db()
        if case.delivered_at or case.result_held:
            return
        identity = case.applicant_id_number or case.applicant_credit_code
        services.result_deliver(
            case=case,
            actor=window if case.region.level == "county" else acceptor or window,
            pickup_code=case.pickup_code,
            id_tail=identity[-4:],
        )

    at(day, script.n * 10 + 6, deliver)
