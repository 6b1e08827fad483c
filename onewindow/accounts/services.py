"""Writes about accounts: applicants register, staff and posts are set up, absences recorded.

Every function is keyword-only, runs in one transaction, and writes its audit entry there.
"""

from __future__ import annotations

import uuid

from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from onewindow.audit.services import audit_record
from onewindow.core.errors import InvalidInput, NotAllowed, NotFound
from onewindow.core.identifiers import validate_credit_code, validate_id_number, validate_phone
from onewindow.core.personal import mask_id_number, mask_phone
from onewindow.org.models import Department, Region, Window

from .choices import ADMIN_ROLES, ApplicantKind, Role, UserKind
from .models import Absence, Applicant, Post, User
from .permissions import admin_role, roles_for
from .selectors import Jurisdiction, acting_posts, has_permission, held_roles


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("密码不符合要求：" + "；".join(exc.messages), field="password") from None


def _require_name(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}。", field=field)
    if len(value) > 100:
        raise InvalidInput(f"{label}不能超过 100 个字。", field=field)
    return value


def applicant_register(
    *,
    kind: str,
    name: str,
    phone: str,
    password: str,
    id_number: str = "",
    credit_code: str = "",
    legal_representative: str = "",
) -> Applicant:
    """Create an applicant account (natural or legal person). Signs in with phone + password."""
    if kind not in ApplicantKind.values:
        raise InvalidInput("请选择申请人类型：自然人或法人。", field="kind")
    name = _require_name(name, "name", "姓名" if kind == ApplicantKind.PERSON else "单位名称")
    phone = validate_phone(phone)
    if kind == ApplicantKind.PERSON:
        id_number = validate_id_number(id_number)
        credit_code, legal_representative = "", ""
    else:
        credit_code = validate_credit_code(credit_code)
        legal_representative = _require_name(
            legal_representative, "legal_representative", "法定代表人"
        )
        id_number = ""
    _check_password(password)
    if User.objects.filter(kind=UserKind.APPLICANT, phone=phone).exists():
        raise InvalidInput("该手机号码已注册，请直接登录或找回密码。", field="phone")
    if (
        kind == ApplicantKind.PERSON
        and Applicant.objects.filter(kind=kind, id_number=id_number).exists()
    ):
        raise InvalidInput("该身份证号码已注册账户，请用原手机号登录。", field="id_number")
    if (
        kind == ApplicantKind.LEGAL
        and Applicant.objects.filter(kind=kind, credit_code=credit_code).exists()
    ):
        raise InvalidInput("该统一社会信用代码已注册账户。", field="credit_code")
    try:
        with transaction.atomic():
            user = User(
                username=f"a-{uuid.uuid4().hex[:20]}",
                kind=UserKind.APPLICANT,
                name=name,
                phone=phone,
            )
            user.set_password(password)
            user.save()
            applicant = Applicant.objects.create(
                user=user,
                kind=kind,
                name=name,
                id_number=id_number,
                credit_code=credit_code,
                legal_representative=legal_representative,
            )
            audit_record(
                action="accounts.applicant.register",
                actor=user,
                role="applicant",
                obj=applicant,
                summary=f"申请人注册：{name}",
                after={
                    "kind": kind,
                    "phone": mask_phone(phone),
                    "id_number": mask_id_number(id_number),
                    "credit_code": credit_code,
                },
            )
    except IntegrityError:
        # a concurrent registration with the same phone or identifier won the race
        raise InvalidInput("该手机号码或证件号码已注册，请直接登录。", field="phone") from None
    return applicant


def staff_create(
    *, actor: User | None, username: str, name: str, phone: str = "", password: str
) -> User:
    if actor is not None and not has_permission(actor, "staff.manage"):
        raise NotAllowed("只有系统管理员可以新增工作人员。")
    username = (username or "").strip()
    if not username or not username.replace("_", "").replace(".", "").isalnum():
        raise InvalidInput("登录名只能由字母、数字、下划线或点组成。", field="username")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"登录名 {username} 已被使用，请换一个。", field="username")
    name = _require_name(name, "name", "姓名")
    phone = validate_phone(phone) if phone else ""
    user = User(username=username, name=name, phone=phone, kind=UserKind.STAFF, is_staff=False)
    _check_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.save()
        audit_record(
            action="accounts.staff.create",
            actor=actor,
            role=admin_role(actor),
            obj=user,
            summary=f"新增工作人员：{name}（{username}）",
            after={"username": username, "phone": mask_phone(phone)},
        )
    return user


def check_separation(user: User, role: str, *, exclude_post: int | None = None) -> None:
    """Refuse a post that would make `user` combine an administrator role with any other."""
    roles = held_roles(user, exclude_post=exclude_post) | {role}
    admin = roles & ADMIN_ROLES
    if admin and len(roles) > 1:
        labels = "、".join(sorted(Role(r).label for r in roles))
        raise NotAllowed(
            f"{user} 将同时担任 {labels}：系统管理员、安全管理员、审计管理员三员分立，"
            "不得相互兼任，也不得兼任业务岗位。请为该岗位另选人员。",
            field="holder",
        )


def post_create(
    *,
    actor: User | None,
    name: str,
    role: str,
    region: Region,
    holder_a: User,
    holder_b: User | None = None,
    department: Department | None = None,
    window: Window | None = None,
) -> Post:
    """Create a post with its A holder and its B holder (AB岗), keeping the three
    administrators apart."""
    if actor is not None and not has_permission(actor, "staff.manage"):
        raise NotAllowed("只有系统管理员可以设置岗位。")
    if role not in Role.values:
        raise InvalidInput("角色无效。", field="role")
    for holder, field in ((holder_a, "holder_a"), (holder_b, "holder_b")):
        if holder is None:
            continue
        if holder.kind != UserKind.STAFF:
            raise InvalidInput(f"{holder} 不是工作人员账户。", field=field)
        check_separation(holder, role)
    if holder_b is None:
        raise InvalidInput("每个岗位都须设 A 岗和 B 岗：请指定 B 岗人员。", field="holder_b")
    if holder_b.pk == holder_a.pk:
        raise InvalidInput("A 岗与 B 岗不能是同一人。", field="holder_b")
    if window is not None and not window.service_point.region.path.startswith(region.path):
        raise InvalidInput("窗口不在该岗位的管辖区划内。", field="window")
    with transaction.atomic():
        post = Post.objects.create(
            name=_require_name(name, "name", "岗位名称"),
            role=role,
            region=region,
            department=department,
            window=window,
            holder_a=holder_a,
            holder_b=holder_b,
        )
        audit_record(
            action="accounts.post.create",
            actor=actor,
            role=admin_role(actor),
            obj=post,
            summary=f"设置岗位：{post.name}",
            after={
                "role": role,
                "region": region.code,
                "department": department.pk if department else None,
                "holder_a": holder_a.pk,
                "holder_b": holder_b.pk if holder_b else None,
            },
        )
    return post


def _covering_role(actor: User, user: User, permission: str) -> str:
    """The actor's role through which `permission` reaches one of `user`'s A posts, or NotFound."""
    allowed = roles_for(permission)
    targets = [
        (p.region.path, p.department_id)
        for p in Post.objects.filter(holder_a=user).select_related("region")
    ]
    for acting in acting_posts(actor):
        if acting.role not in allowed:
            continue
        scope = Jurisdiction(frozenset({(acting.post.region.path, acting.post.department_id)}))
        if any(scope.covers(path, dept) for path, dept in targets):
            return acting.role
    raise NotFound("找不到该人员，或其岗位不在您的管辖范围内。")


def absence_start(*, actor: User, user: User, reason: str) -> Absence:
    """Mark `user` absent: from now on the B holder of each of their posts receives their work."""
    if not has_permission(actor, "staff.mark_absent"):
        raise NotAllowed("只有部门负责人或中心监察员可以登记离岗。")
    role = _covering_role(actor, user, "staff.mark_absent")
    reason = _require_name(reason, "reason", "离岗事由")
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        if Absence.objects.filter(user=user, ended_at__isnull=True).exists():
            raise InvalidInput(f"{user} 已处于离岗状态。", field="user")
        absence = Absence.objects.create(
            user=user, started_at=timezone.now(), reason=reason, recorded_by=actor
        )
        covering = list(
            Post.objects.filter(holder_a=user, active=True).values_list("name", "holder_b__name")
        )
        audit_record(
            action="accounts.absence.start",
            actor=actor,
            role=role,
            obj=absence,
            summary=f"{user} 离岗（{reason}），由 B 岗接替",
            after={"posts": [{"post": p, "b_holder": b} for p, b in covering]},
        )
    return absence


def absence_end(*, actor: User, user: User) -> Absence:
    if not has_permission(actor, "staff.mark_absent"):
        raise NotAllowed("只有部门负责人或中心监察员可以登记返岗。")
    role = _covering_role(actor, user, "staff.mark_absent")
    with transaction.atomic():
        absence = (
            Absence.objects.select_for_update().filter(user=user, ended_at__isnull=True).first()
        )
        if absence is None:
            raise InvalidInput(f"{user} 当前不在离岗状态。", field="user")
        absence.ended_at = timezone.now()
        absence.save(update_fields=["ended_at", "updated_at"])
        audit_record(
            action="accounts.absence.end",
            actor=actor,
            role=role,
            obj=absence,
            summary=f"{user} 返岗，A 岗恢复办理",
        )
    return absence


def lockout_reset(*, actor: User, attempt_id: int, what: str) -> int:
    """Lift a sign-in lockout early (after checking who is asking): the account's or the
    address's. Returns the number of failure records cleared."""
    if not has_permission(actor, "security.manage"):
        raise NotAllowed("只有安全管理员可以解除登录锁定。")
    attempt = AccessAttempt.objects.filter(pk=attempt_id).first()
    if attempt is None:
        raise NotFound("找不到这条登录失败记录，可能已被解除或已过期。")
    if what not in ("username", "ip"):
        raise InvalidInput("请选择解锁账户或解锁地址。", field="what")
    shown = mask_phone(attempt.username) if (attempt.username or "").isdigit() else attempt.username
    with transaction.atomic():
        if what == "username":
            count = axes_reset(username=attempt.username)
            summary = f"解除账户登录锁定：{shown}"
        else:
            count = axes_reset(ip=attempt.ip_address)
            summary = f"解除地址登录锁定：{attempt.ip_address}"
        audit_record(
            action="security.unlock",
            actor=actor,
            role=Role.SECADMIN,
            summary=summary,
            after={
                "what": what,
                "account": shown,
                "ip": attempt.ip_address,
                "attempts_cleared": count,
            },
        )
    return count


def personal_reveal(*, actor: User, applicant: Applicant, field: str) -> str:
    """The whole ID or phone number, for a role that needs it; every look is on record."""
    if not has_permission(actor, "personal.reveal"):
        raise NotAllowed("您的岗位无权查看完整的个人信息。")
    if field == "id_number":
        value = applicant.id_number
    elif field == "phone":
        value = applicant.user.phone
    else:
        raise InvalidInput("只能查看身份证号码或手机号码。", field="field")
    with transaction.atomic():
        audit_record(
            action="personal.reveal",
            actor=actor,
            obj=applicant,
            role=",".join(sorted(held_roles(actor))),
            summary=f"查看 {applicant.name} 的完整{'身份证号码' if field == 'id_number' else '手机号码'}",
            after={"field": field},
        )
    return value
