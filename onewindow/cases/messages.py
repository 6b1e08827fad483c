"""What the applicant is told, and when: through the notifications app, after the commit."""

from __future__ import annotations

from django.urls import reverse

from onewindow.accounts.choices import UserKind
from onewindow.accounts.models import User

from .choices import CaseStatus, Delivery
from .models import Case


def _recipient(case: Case) -> User | None:
    """Whose inbox: the applicant's account. An online case was submitted by it; a walk-in case
    was submitted by the counter's acceptor, so the applicant's own account is looked up."""
    if case.applicant_id is None:
        return None
    submitter = case.submitted_by
    if submitter is not None and submitter.kind != UserKind.STAFF:
        return submitter
    return User.objects.filter(applicant__id=case.applicant_id).first()


def tell(case: Case, topic: str, subject: str, body: str) -> None:
    from onewindow.notifications.services import notify

    notify(
        topic=topic,
        subject=subject,
        body=body,
        recipient=_recipient(case),
        phone=case.applicant_phone,
        link=reverse("cases:track") + f"?number={case.number}",
        obj=case,
    )


def tell_finished(case: Case) -> None:
    name = case.version.name
    if case.status == CaseStatus.DENIED:
        tell(
            case,
            "case.denied",
            "办件已办结",
            f"您的“{name}”（{case.number}）已办结，决定不予许可：{case.decision_reason}",
        )
    elif case.result_held:
        tell(
            case,
            "case.finished_held",
            "办件已办结，待补齐容缺材料",
            f"您的“{name}”（{case.number}）已办结。请按承诺补齐容缺材料，补齐后即可领取结果。",
        )
    else:
        tell_result_ready(case)
    from onewindow.evaluation.services import rating_invite  # 好差评: invite once, after commit

    rating_invite(case)


def tell_result_ready(case: Case) -> None:
    name = case.version.name
    if case.delivery == Delivery.POST:
        body = f"您的“{name}”（{case.number}）已办结，结果将邮寄至您填写的地址。"
    else:
        body = (
            f"您的“{name}”（{case.number}）已办结，请凭取件码 {case.pickup_code} "
            "和本人证件到统一出件窗口领取；电子证照可在网上下载。"
        )
    tell(case, "case.result_ready", "办理结果可以领取", body)
