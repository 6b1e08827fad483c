import pytest
from django.db import connection

from onewindow.accounts import services
from onewindow.accounts.choices import ApplicantKind, Role
from onewindow.accounts.models import Absence, Applicant, User
from onewindow.accounts.selectors import acting_posts, has_permission, needs_second_factor
from onewindow.audit.models import AuditEntry
from onewindow.core.errors import InvalidInput, NotAllowed, NotFound
from onewindow.org.models import Region

pytestmark = pytest.mark.django_db


def fresh(username: str) -> User:
    return User.objects.get(username=username)  # drops the per-request cache of posts


def test_applicant_register_person_and_legal() -> None:
    person = services.applicant_register(
        kind=ApplicantKind.PERSON,
        name="赵六",
        phone="13711112222",
        password="Good#Pass2026",
        id_number="11010519491231002x",
    )
    assert person.id_number == "11010519491231002X"
    assert person.user.kind == "applicant"
    legal = services.applicant_register(
        kind=ApplicantKind.LEGAL,
        name="测试公司",
        phone="13711113333",
        password="Good#Pass2026",
        credit_code="91350100M000100Y43",
        legal_representative="钱七",
    )
    assert legal.credit_code == "91350100M000100Y43"
    entry = AuditEntry.objects.filter(action="accounts.applicant.register").latest("id")
    assert "19491231" not in str(entry.changes)  # no whole ID in the log


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"phone": "1234"}, "phone"),
        ({"password": "short"}, "password"),
        ({"password": "alllowercaseletters"}, "password"),
        ({"name": "  "}, "name"),
        ({"kind": "robot"}, "kind"),
        ({"phone": "13900000001"}, "phone"),  # already registered by the demo
    ],
)
def test_applicant_register_refuses_bad_input_and_saves_nothing(changes, field) -> None:  # type: ignore[no-untyped-def]
    data = {
        "kind": ApplicantKind.PERSON,
        "name": "赵六",
        "phone": "13711112222",
        "password": "Good#Pass2026",
        "id_number": "11010519491231002X",
    }
    data.update(changes)
    before = Applicant.objects.count(), User.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.applicant_register(**data)
    assert exc.value.field == field
    assert (Applicant.objects.count(), User.objects.count()) == before


def test_legal_person_needs_a_valid_credit_code() -> None:
    with pytest.raises(InvalidInput) as exc:
        services.applicant_register(
            kind=ApplicantKind.LEGAL,
            name="某公司",
            phone="13711114444",
            password="Good#Pass2026",
            credit_code="91350100M000100Y44",
            legal_representative="钱七",
        )
    assert exc.value.field == "credit_code"


def test_three_administrators_cannot_hold_each_others_roles_or_business_roles() -> None:
    county = Region.objects.get(code="610799000000")
    sysadmin, acceptor = fresh("xitong"), fresh("zc01")
    with pytest.raises(NotAllowed, match="三员分立"):
        services.post_create(
            actor=None, name="兼任审计", role=Role.AUDITADMIN, region=county, holder_a=sysadmin
        )
    with pytest.raises(NotAllowed, match="三员分立"):
        services.post_create(
            actor=None, name="兼任受理", role=Role.ACCEPTOR, region=county, holder_a=sysadmin
        )
    with pytest.raises(NotAllowed, match="三员分立"):
        services.post_create(
            actor=None,
            name="受理员兼安全管理",
            role=Role.SECADMIN,
            region=county,
            holder_a=acceptor,
        )
    # and each administrator's permissions are disjoint
    assert has_permission(sysadmin, "org.manage")
    assert not has_permission(sysadmin, "audit.view")
    assert not has_permission(sysadmin, "security.manage")
    assert not has_permission(fresh("shenji"), "org.manage")
    assert has_permission(fresh("shenji"), "audit.view")
    assert not has_permission(fresh("anquan"), "audit.view")
    assert has_permission(fresh("anquan"), "security.manage")
    assert needs_second_factor(sysadmin) and not needs_second_factor(acceptor)


def test_only_the_system_administrator_creates_staff() -> None:
    with pytest.raises(NotAllowed):
        services.staff_create(
            actor=fresh("zc01"), username="newbie", name="新人", password="Good#Pass2026"
        )
    user = services.staff_create(
        actor=fresh("xitong"), username="newbie", name="新人", password="Good#Pass2026"
    )
    assert user.kind == "staff"
    with pytest.raises(InvalidInput) as exc:
        services.staff_create(
            actor=fresh("xitong"), username="newbie2", name="新人", password="Password1"
        )
    assert exc.value.field == "password"


def test_absence_hands_a_posts_to_b_and_back_on_record() -> None:
    head, a, b = fresh("ga_fzr"), fresh("ga_sp1"), fresh("ga_sp2")
    assert {p.post.name for p in acting_posts(a)} >= {"公安审批岗"}
    assert not any(p.post.name == "公安审批岗" for p in acting_posts(b))
    services.absence_start(actor=head, user=a, reason="病假")
    a, b = fresh("ga_sp1"), fresh("ga_sp2")
    assert acting_posts(a) == []
    backup = [p for p in acting_posts(b) if p.post.name == "公安审批岗"]
    assert backup and backup[0].as_backup
    entry = AuditEntry.objects.filter(action="accounts.absence.start").latest("id")
    assert entry.actor_id == head.pk and entry.role == Role.DEPT_HEAD
    assert "B 岗接替" in entry.summary
    with pytest.raises(InvalidInput, match="已处于离岗"):
        services.absence_start(actor=head, user=a, reason="再次")
    services.absence_end(actor=head, user=a)
    assert any(p.post.name == "公安审批岗" for p in acting_posts(fresh("ga_sp1")))
    assert not any(p.post.name == "公安审批岗" for p in acting_posts(fresh("ga_sp2")))
    assert Absence.objects.filter(user=a, ended_at__isnull=False).count() == 1


def test_absence_outside_jurisdiction_or_without_the_role() -> None:
    with pytest.raises(NotFound):
        services.absence_start(actor=fresh("ga_fzr"), user=fresh("scjg_ck1"), reason="x")
    with pytest.raises(NotAllowed):
        services.absence_start(actor=fresh("zc01"), user=fresh("zc02"), reason="x")
    # the centre supervisor reaches everyone in the county
    services.absence_start(actor=fresh("jiancha"), user=fresh("chengguan_sl1"), reason="培训")


def test_personal_reveal_is_for_the_counter_and_on_record() -> None:
    applicant = Applicant.objects.filter(kind="person").first()
    assert applicant is not None
    value = services.personal_reveal(actor=fresh("zc01"), applicant=applicant, field="id_number")
    assert value == applicant.id_number and len(value) == 18
    assert AuditEntry.objects.filter(action="personal.reveal", object_id=str(applicant.pk)).exists()
    with pytest.raises(NotAllowed):
        services.personal_reveal(actor=fresh("ga_sp1"), applicant=applicant, field="phone")


def test_concurrent_registrations_with_one_phone_make_one_account(require_postgres) -> None:  # type: ignore[no-untyped-def]
    assert connection.vendor == "postgresql"
    # the partial unique index is the last line of defence when two requests race
    from django.db import IntegrityError, transaction

    User.objects.create(username="race1", kind="applicant", phone="13722223333")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="race2", kind="applicant", phone="13722223333")


def test_every_post_needs_a_distinct_b_holder() -> None:
    county = Region.objects.get(code="610799000000")
    with pytest.raises(InvalidInput, match="B 岗") as exc:
        services.post_create(
            actor=None, name="无B岗", role=Role.GUIDE, region=county, holder_a=fresh("daoban1")
        )
    assert exc.value.field == "holder_b"
    with pytest.raises(InvalidInput, match="同一人"):
        services.post_create(
            actor=None,
            name="自己顶自己",
            role=Role.GUIDE,
            region=county,
            holder_a=fresh("daoban1"),
            holder_b=fresh("daoban1"),
        )


def test_acting_holder_follows_absence() -> None:
    from onewindow.accounts.models import Post
    from onewindow.accounts.selectors import acting_holder

    post = Post.objects.get(name="公安审批岗")
    assert acting_holder(post).username == "ga_sp1"
    services.absence_start(actor=fresh("ga_fzr"), user=fresh("ga_sp1"), reason="年休假")
    assert acting_holder(post).username == "ga_sp2"


def test_createsuperuser_makes_a_bootstrap_system_administrator(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    from onewindow.conftest import login_client

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Boot#Strap2026")
    call_command(
        "createsuperuser", "--no-input", username="root_admin", email="a@example.cn", verbosity=0
    )
    root = fresh("root_admin")
    assert needs_second_factor(root)
    assert has_permission(root, "org.manage") and has_permission(root, "calendar.manage")
    assert not has_permission(root, "audit.view") and not has_permission(root, "security.manage")
    assert not has_permission(root, "personal.reveal")
    with pytest.raises(NotAllowed, match="三员分立"):  # and cannot take a business post
        services.post_create(
            actor=None,
            name="兼任",
            role=Role.ACCEPTOR,
            region=Region.objects.get(code="610799000000"),
            holder_a=root,
            holder_b=fresh("zc02"),
        )
    monkeypatch.setattr("onewindow.conftest.DEMO_PASSWORD", "Boot#Strap2026")
    client = login_client("root_admin")  # passes TOTP enrolment
    assert client.get("/sysadmin/").status_code == 200
    assert client.get("/workbench/windows/").status_code == 200  # the whole county


def test_acting_posts_statement_agrees_with_the_orm_for_every_staff_member() -> None:
    """`acting_posts` runs one prepared statement built from the models' metadata; it must return
    what the ORM query it replaces returns: the same posts in the same order, with the same
    region and department rows and absence flags, with someone away."""
    from django.db.models import Q

    from onewindow.accounts.models import Post, User
    from onewindow.accounts.selectors import _posts_with_absences, open_absence_q

    services.absence_start(actor=fresh("ga_fzr"), user=fresh("ga_sp1"), reason="病假")
    staff = list(User.objects.filter(kind="staff"))
    assert len(staff) > 20
    compared = 0
    for user in staff:
        orm = list(
            Post.objects.filter(active=True)
            .filter(Q(holder_a=user) | Q(holder_b=user))
            .select_related("region", "department")
            .annotate(a_absent=open_absence_q("holder_a"), b_absent=open_absence_q("holder_b"))
        )
        raw = _posts_with_absences(user.pk)
        assert [(p.pk, p.a_absent, p.b_absent) for p in orm] == [(p.pk, a, b) for p, a, b in raw], (
            user.username
        )
        for expected, (got, _a, _b) in zip(orm, raw, strict=True):
            for field in Post._meta.concrete_fields:
                assert getattr(got, field.attname) == getattr(expected, field.attname)
            assert got.region.__dict__.keys() >= {"path", "name", "level"}
            assert [getattr(got.region, f.attname) for f in got.region._meta.concrete_fields] == [
                getattr(expected.region, f.attname) for f in expected.region._meta.concrete_fields
            ]
            if expected.department is None:
                assert got.department is None
            else:
                assert got.department is not None
                assert got.department.pk == expected.department.pk
                assert got.department.name == expected.department.name
            assert not got._state.adding and got._state.db == expected._state.db
            compared += 1
    assert compared > 20
    assert any(a for _u in staff for _p, a, _b in _posts_with_absences(_u.pk))
