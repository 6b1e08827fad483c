"""Ratings through every channel, once per stage, never changed, anonymous to the rated staff
member; bad input changes nothing; the invitation goes out once; the summary for statistics."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import connection, transaction

from onewindow.audit.models import AuditEntry
from onewindow.cases.models import Case
from onewindow.core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from onewindow.evaluation import selectors, services, tokens
from onewindow.evaluation.choices import RatingChannel, Stage
from onewindow.evaluation.models import Rating, Rectification
from onewindow.notifications.models import Message
from onewindow.org.models import Window

from .conftest import Days, applicant, food_case, seal_case, user

pytestmark = pytest.mark.django_db


def test_qr_token_rates_both_stages_once_each(finished: Case) -> None:
    token = tokens.rating_token(finished.pk)
    assert selectors.open_stages(finished) == [Stage.COMPLETION, Stage.ACCEPTANCE]
    rating = services.rate_by_token(
        token=token, stage="completion", level="5", reasons=["efficiency"], comment="很快"
    )
    assert rating.channel == RatingChannel.QR and rating.level == 5
    # names the case, its window and the staff member who finished it (zc01, 即办件)
    assert rating.case == finished and rating.window == finished.window
    assert rating.staff == user("zc01") and rating.rated_by is None
    assert rating.department == finished.department  # a comprehensive window: the case's
    services.rate_by_token(token=token, stage="acceptance", level="4")
    assert selectors.open_stages(finished) == []
    with pytest.raises(InvalidTransition, match="每个环节只能评价一次"):
        services.rate_by_token(token=token, stage="completion", level="1")
    assert Rating.objects.filter(case=finished).count() == 2
    assert not Rectification.objects.exists()
    assert AuditEntry.objects.filter(action="evaluation.rate", object_id=str(rating.pk)).exists()


def test_online_rating_by_the_applicant_only_for_their_own_case(days: Days) -> None:
    case = food_case()
    with pytest.raises(NotAllowed, match="本人"):
        services.rate_online(case=case, actor=applicant("13900000011"), stage="completion", level=5)
    rating = services.rate_online(
        case=case, actor=applicant("13900000012"), stage="completion", level=4
    )
    assert rating.channel == RatingChannel.ONLINE
    assert rating.rated_by == applicant("13900000012")
    assert rating.staff == user("scjg_fzr")  # finished by the department head
    acceptance = services.rate_online(
        case=case, actor=applicant("13900000012"), stage="acceptance", level=5
    )
    assert acceptance.staff == user("zc01")


def test_completion_rating_needs_a_finished_case(days: Days) -> None:
    case = food_case(finish=False)
    token = tokens.rating_token(case.pk)
    with pytest.raises(
        InvalidTransition, match="尚未办结，不能进行办结评价；可先对受理环节进行评价"
    ):
        services.rate_by_token(token=token, stage="completion", level=5)
    assert not Rating.objects.exists()
    assert selectors.open_stages(case) == [Stage.ACCEPTANCE]
    services.rate_by_token(token=token, stage="acceptance", level=5)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"level": "6"}, "level", "评价等级“6”无效"),
        ({"level": "很好"}, "level", "评价等级“很好”无效"),
        ({"level": ""}, "level", "请选择评价等级"),
        ({"stage": "later"}, "stage", "评价环节“later”无效"),
        ({"reasons": ["rude"]}, "reasons", "未知的评价原因：rude"),
        ({"comment": "差" * 501}, "comment", "最多 500 字"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_changes_nothing(
    finished: Case, data: dict, field: str, message: str
) -> None:
    before = AuditEntry.objects.count()
    args = {"stage": "completion", "level": "5", "reasons": [], "comment": ""} | data
    with pytest.raises(InvalidInput, match=message) as caught:
        services.rate_by_token(token=tokens.rating_token(finished.pk), **args)
    assert caught.value.field == field
    assert not Rating.objects.exists() and AuditEntry.objects.count() == before


def test_forged_and_expired_tokens_are_refused(finished: Case, settings) -> None:  # type: ignore[no-untyped-def]
    token = tokens.rating_token(finished.pk)
    _value, stamp, signature = token.split(":")
    other = signing.b62_encode(finished.pk + 1)
    for forged in (f"{other}:{stamp}:{signature}", token[:-2] + "xx", "", "abc"):
        with pytest.raises(InvalidInput, match="评价二维码无效") as caught:
            services.rate_by_token(token=forged, stage="completion", level=5)
        assert caught.value.code == "token_invalid"
    settings.ONEWINDOW_RATING_TOKEN_DAYS = -1  # every token is past its age
    with pytest.raises(InvalidInput, match="评价二维码已过期") as caught:
        services.rate_by_token(token=token, stage="completion", level=5)
    assert caught.value.code == "token_expired"
    assert not Rating.objects.exists()


def test_counter_tablet_session_rates_cases_of_its_window(finished: Case) -> None:
    window = finished.window
    assert window is not None
    with pytest.raises(NotAllowed):
        services.counter_session_start(actor=user("scjg_fzr"), window=window)
    other = Window.objects.exclude(pk=window.pk).filter(number="02").first()
    assert other is not None
    with pytest.raises(NotAllowed, match="不在"):
        services.counter_session_start(actor=user("zc01"), window=other)
    session = services.counter_session_start(actor=user("zc01"), window=window)
    assert [c for c, _stages in selectors.counter_cases(session)] == [finished]
    rating = services.rate_at_counter(session=session, case=finished, stage="completion", level=5)
    assert rating.channel == RatingChannel.COUNTER and rating.counter_session == session
    assert rating.entered_by == user("zc01") and rating.rated_by is None
    services.counter_session_end(actor=user("zc01"), session=session)
    with pytest.raises(InvalidTransition, match="签退"):
        services.rate_at_counter(session=session, case=finished, stage="acceptance", level=5)


def test_paper_card_with_or_without_a_case_number(finished: Case) -> None:
    with pytest.raises(NotAllowed):
        services.card_enter(actor=user("scjg_fzr"), level=5, case_number=finished.number)
    card = services.card_enter(
        actor=user("jiancha"), level=3, case_number=finished.number, stage="acceptance"
    )
    assert card.channel == RatingChannel.CARD and card.case == finished
    assert card.staff == user("zc01") and card.entered_by == user("jiancha")
    with pytest.raises(InvalidTransition, match="只能评价一次"):
        services.card_enter(
            actor=user("zc01"), level=5, case_number=finished.number, stage="acceptance"
        )
    with pytest.raises(NotFound, match="没有找到办件编号“X-1”"):
        services.card_enter(actor=user("zc01"), level=5, case_number="X-1")
    comprehensive = Window.objects.get(number="03", service_point__name="青溪县政务服务中心")
    with pytest.raises(InvalidInput, match="综合窗口，请选择") as caught:
        services.card_enter(actor=user("zc01"), level=5, window=comprehensive)
    assert caught.value.field == "department"
    with pytest.raises(InvalidInput, match="请选择被评价的窗口"):
        services.card_enter(actor=user("zc01"), level=5)
    special = Window.objects.get(number="D02", service_point__name="青溪县政务服务中心")
    anonymous = services.card_enter(actor=user("zc01"), level=1, window=special)
    assert anonymous.case is None and anonymous.department == special.department
    assert anonymous.rectification.department == special.department


def test_staff_cannot_change_or_delete_a_rating(finished: Case) -> None:
    rating = services.rate_by_token(
        token=tokens.rating_token(finished.pk), stage="completion", level=1
    )
    rating.level = 5
    with pytest.raises(InvalidTransition, match="不能修改"):
        rating.save()
    with pytest.raises(InvalidTransition, match="不能修改"):
        Rating.objects.filter(pk=rating.pk).update(level=5)
    with pytest.raises(InvalidTransition):
        rating.delete()
    with pytest.raises(InvalidTransition):
        Rating.objects.filter(pk=rating.pk).delete()
    assert not hasattr(services, "rating_update")
    assert Rating.objects.get(pk=rating.pk).level == 1


def test_the_database_refuses_an_update_on_postgresql(finished: Case, require_postgres) -> None:  # type: ignore[no-untyped-def]
    from django.db import DatabaseError

    rating = services.rate_by_token(
        token=tokens.rating_token(finished.pk), stage="completion", level=1
    )
    with (
        pytest.raises(DatabaseError, match="不能修改"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE evaluation_rating SET level = 5 WHERE id = %s", [rating.pk])


def test_ratings_are_anonymous_to_the_rated_staff_member(days: Days) -> None:
    case = food_case()
    services.rate_online(case=case, actor=applicant("13900000012"), stage="acceptance", level=2)
    services.rate_online(case=case, actor=applicant("13900000012"), stage="completion", level=5)
    acceptance = Rating.objects.get(stage="acceptance")
    completion = Rating.objects.get(stage="completion")
    # zc01 sees the acceptance rating about them, without the case or the applicant
    assert [r.pk for r in selectors.ratings_about(user("zc01"))] == [acceptance.pk]
    assert selectors.identity_for(user("zc01"), acceptance) == selectors.HIDDEN
    # scjg_fzr finished the case: the completion rating is about them, so hidden from them too,
    # while they see the case of the acceptance rating they must investigate
    assert selectors.identity_for(user("scjg_fzr"), completion) == selectors.HIDDEN
    assert selectors.identity_for(user("scjg_fzr"), acceptance).case_number == case.number
    assert selectors.identity_for(user("scjg_fzr"), acceptance).applicant == ""
    # the supervisor sees the case and the applicant
    seen = selectors.identity_for(user("jiancha"), acceptance)
    assert seen.case_number == case.number and seen.applicant == case.applicant_name


def test_invitation_goes_out_once_when_the_case_finishes(days: Days) -> None:
    case = food_case(finish=False)
    assert not Message.objects.filter(topic=services.INVITE_TOPIC).exists()
    from onewindow.cases import services as cases

    case = cases.case_act(case=case, actor=user("scjg_sp2"), action="pass")
    case = cases.case_act(case=case, actor=user("scjg_fzr"), action="approve")
    invites = Message.objects.filter(topic=services.INVITE_TOPIC, object_id=str(case.pk))
    assert sorted(invites.values_list("channel", flat=True)) == ["inbox", "sms"]
    inbox = invites.get(channel="inbox")
    assert inbox.recipient == applicant("13900000012")
    assert tokens.case_id_from(inbox.link.rsplit("/", 2)[-2]) == case.pk
    services.rating_invite(case)  # a second call (a retry) sends nothing more
    assert invites.count() == 2


def test_invitation_carries_the_whole_address_when_configured(days: Days, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ONEWINDOW_PUBLIC_URL = "https://zwfw.qingxi.gov.cn"
    case = seal_case()
    sms = Message.objects.get(topic=services.INVITE_TOPIC, object_id=str(case.pk), channel="sms")
    assert sms.link.startswith("https://zwfw.qingxi.gov.cn/rate/")
    assert sms.phone == "13900000013" and sms.recipient is None  # a walk-in: by SMS only


def test_invitation_is_sent_only_after_commit(
    days: Days, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = seal_case()
    invite = Message.objects.get(topic=services.INVITE_TOPIC, object_id=str(case.pk), channel="sms")
    assert invite.status == "pending" and callbacks
    for callback in callbacks:
        callback()
    invite.refresh_from_db()
    assert invite.status == "sent"


def test_rating_summary_counts_unrated_as_unrated(days: Days) -> None:
    a, b, c = seal_case(), seal_case(), seal_case()
    services.rate_by_token(token=tokens.rating_token(a.pk), stage="completion", level=5)
    services.rate_by_token(token=tokens.rating_token(b.pk), stage="completion", level=5)
    services.rate_by_token(token=tokens.rating_token(b.pk), stage="acceptance", level=1)
    summary = selectors.rating_summary(Case.objects.filter(pk__in=[a.pk, b.pk, c.pk]))
    assert (summary.cases, summary.rated, summary.unrated) == (3, 2, 1)
    assert (summary.satisfied, summary.bad, summary.ratings) == (1, 1, 3)
    assert summary.by_level == {5: 2, 4: 0, 3: 0, 2: 0, 1: 1}
    assert summary.satisfaction_rate == 0.5 and summary.coverage == pytest.approx(2 / 3)
    empty = selectors.rating_summary(Case.objects.none())
    assert empty.cases == 0 and empty.satisfaction_rate is None


def test_rating_summary_takes_two_queries(days: Days, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    seal_case()
    with django_assert_num_queries(2):
        selectors.rating_summary(Case.objects.all())
