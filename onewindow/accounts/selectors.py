"""Reads about staff: their posts, the posts they cover for absent colleagues, their jurisdiction.

Jurisdiction is answered in the query layer: `scope(queryset, actor, ...)` adds a WHERE clause
built from the actor's posts (region subtree by materialised path, department when the post has
one). Pages and the API call it for every list and every object they fetch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, cast

from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import HttpRequest

from onewindow.core.rows import RowShape, row_shape

from .choices import ADMIN_ROLES, Role, UserKind
from .models import Absence, Applicant, Post, User

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class ActingPost:
    post: Post
    as_backup: bool  # True when the actor holds it as B because A is absent

    @property
    def role(self) -> str:
        return self.post.role


@dataclass(frozen=True)
class Jurisdiction:
    """(region path, department id or None) pairs: the actor may act inside any of them."""

    scopes: frozenset[tuple[str, int | None]] = field(default_factory=frozenset)

    def q(self, region_path: str, department: str | None) -> Q:
        if not self.scopes:
            return Q(pk__in=[])
        combined = Q(pk__in=[])
        for path, department_id in sorted(self.scopes, key=lambda s: (s[0], s[1] or 0)):
            part = Q(**{f"{region_path}__startswith": path})
            if department is not None and department_id is not None:
                part &= Q(**{department: department_id})
            combined |= part
        return combined

    def covers(self, path: str, department_id: int | None) -> bool:
        return any(path.startswith(p) and (d is None or d == department_id) for p, d in self.scopes)


def open_absence_q(user_field: str) -> Exists:
    return Exists(Absence.objects.filter(user=OuterRef(user_field), ended_at__isnull=True))


def acting_posts(user: User) -> list[ActingPost]:
    """The posts the user acts in now: their own A posts (unless absent), their B posts whose A
    holder is absent. Cached on the user object for the request."""
    cached = getattr(user, "_acting_posts", None)
    if cached is not None:
        return cached
    result: list[ActingPost] = []
    if user.is_authenticated and user.kind == UserKind.STAFF and user.is_active:
        for post, a_absent, b_absent in _posts_with_absences(user.pk):
            if post.holder_a_id == user.pk and not a_absent:
                result.append(ActingPost(post, as_backup=False))
            elif post.holder_b_id == user.pk and a_absent and not b_absent:
                result.append(ActingPost(post, as_backup=True))
    user._acting_posts = result  # type: ignore[attr-defined]  # per-request cache
    return result


@dataclass(frozen=True)
class _PostsQuery:
    """The statement behind `acting_posts`, built once per database from the models' metadata:
    every staff request runs it, and building it through the ORM each time cost more than
    running it (see docs/performance.md, "Case lifecycles")."""

    sql: str
    shape: RowShape  # post, region, department


_POSTS_QUERIES: dict[str, _PostsQuery] = {}


def _posts_query(alias: str) -> _PostsQuery:
    from django.db import connections

    from onewindow.org.models import Department, Region

    known = _POSTS_QUERIES.get(alias)
    if known is not None:
        return known
    connection = connections[alias]
    qn = connection.ops.quote_name
    shape = row_shape(connection, (Post, "p"), (Region, "r"), (Department, "d"))
    # every name below comes from the models' metadata, quoted; the user id is a parameter
    absent = (
        f"EXISTS (SELECT 1 FROM {qn(Absence._meta.db_table)} x WHERE x.{qn('user_id')} = "  # noqa: S608
        f"p.{qn('{holder}_id')} AND x.{qn('ended_at')} IS NULL)"
    )
    sql = (
        f"SELECT {shape.columns}, {absent.format(holder='holder_a')}, "  # noqa: S608
        f"{absent.format(holder='holder_b')} "
        f"FROM {qn(Post._meta.db_table)} p "
        f"INNER JOIN {qn(Region._meta.db_table)} r ON r.{qn('id')} = p.{qn('region_id')} "
        f"LEFT OUTER JOIN {qn(Department._meta.db_table)} d ON d.{qn('id')} = "
        f"p.{qn('department_id')} "
        f"WHERE p.{qn('active')} AND (p.{qn('holder_a_id')} = %s OR p.{qn('holder_b_id')} = %s) "
        f"ORDER BY r.{qn('path')} ASC, d.{qn('code')} ASC, p.{qn('role')} ASC, p.{qn('name')} ASC"
    )
    built = _PostsQuery(sql, shape)
    _POSTS_QUERIES[alias] = built
    return built


def _posts_with_absences(user_id: int) -> list[tuple[Post, bool, bool]]:
    """The user's active posts with their region and department, each with whether its A and
    its B holder are away: the same rows as

        Post.objects.filter(active=True).filter(Q(holder_a=user) | Q(holder_b=user))
        .select_related("region", "department")
        .annotate(a_absent=open_absence_q("holder_a"), b_absent=open_absence_q("holder_b"))

    (the test suite checks that they agree), in one statement."""
    from django.db import connections, router

    alias = router.db_for_read(Post)
    connection = connections[alias]
    query = _posts_query(alias)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [user_id, user_id])
        rows = cursor.fetchall()
    out = []
    end = query.shape.width
    region_field = Post._meta.get_field("region")
    department_field = Post._meta.get_field("department")
    for row in rows:
        post, region, department = query.shape.instances(row, connection)
        assert post is not None  # an inner join: the post and its region are always there
        region_field.set_cached_value(post, region)
        department_field.set_cached_value(post, department)
        out.append((cast(Post, post), bool(row[end]), bool(row[end + 1])))
    return out


def _bootstrap_admin(user: User) -> bool:
    """A Django superuser (`onewindow createsuperuser`) is the installation's first system
    administrator: the system administrator's permissions over the whole tree, nothing more, so
    the separation of the three administrators holds for it too."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def roles_of(user: User) -> set[str]:
    roles = {ap.role for ap in acting_posts(user)}
    if _bootstrap_admin(user):
        roles.add(Role.SYSADMIN)
    return roles


def audit_role(actor: object | None, permission: str | None = None, *, fallback: str = "") -> str:
    """The role an audit entry records for the actor: "system" without one (a command, a
    sweep), "applicant" for an applicant, else the first (alphabetically, so it is stable) of the
    roles the actor acts in now — only those carrying `permission`, when given. `fallback` (by
    default the account's kind) when none does."""
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    user = cast(User, actor)
    if user.kind == UserKind.APPLICANT:
        return "applicant"
    roles = roles_of(user)
    if permission is not None:
        from .permissions import roles_for

        roles &= roles_for(permission)
    return min(roles) if roles else (fallback or user.kind)


def jurisdiction(user: User, *, permission: str | None = None) -> Jurisdiction:
    """The scopes in which the user may act, optionally only through posts whose role carries
    `permission`."""
    from .permissions import roles_for

    allowed = roles_for(permission) if permission else None
    scopes = {
        (ap.post.region.path, ap.post.department_id)
        for ap in acting_posts(user)
        if allowed is None or ap.role in allowed
    }
    if _bootstrap_admin(user) and (allowed is None or Role.SYSADMIN in allowed):
        scopes.add(("", None))  # every path starts with ""
    return Jurisdiction(frozenset(scopes))


def scope(
    queryset: QuerySet[M],
    user: User,
    *,
    permission: str,
    region_path: str,
    department: str | None = None,
) -> QuerySet[M]:
    """`queryset` restricted to what `user` may reach with `permission`."""
    return queryset.filter(jurisdiction(user, permission=permission).q(region_path, department))


def is_verified(user: object) -> bool:
    """Whether the session passed the second factor (django-otp's middleware sets this)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def request_actor(request: HttpRequest) -> User:
    """The signed-in user of a page or endpoint already guarded to staff or applicants."""
    return cast(User, request.user)


def has_permission(user: User, permission: str) -> bool:
    from .permissions import roles_for

    return bool(roles_of(user) & roles_for(permission))


def needs_second_factor(user: User) -> bool:
    """Administrators must pass TOTP; other staff may enrol voluntarily."""
    return user.kind == UserKind.STAFF and (
        bool(held_roles(user) & ADMIN_ROLES) or user.is_superuser
    )


def held_roles(user: User, *, exclude_post: int | None = None) -> set[str]:
    """Every role the user holds as A or B, absent or not (for separation-of-duty checks)."""
    posts = Post.objects.filter(Q(holder_a=user) | Q(holder_b=user), active=True)
    if exclude_post is not None:
        posts = posts.exclude(pk=exclude_post)
    roles = set(posts.values_list("role", flat=True))
    if _bootstrap_admin(user):
        roles.add(Role.SYSADMIN)
    return roles


def staff_posts(user: User) -> QuerySet[Post]:
    return (
        Post.objects.filter(Q(holder_a=user) | Q(holder_b=user))
        .select_related("region", "department", "window", "holder_a", "holder_b")
        .annotate(a_absent=open_absence_q("holder_a"))
    )


def staff_list(actor: User) -> QuerySet[User]:
    """Staff whose posts lie inside the actor's jurisdiction (for org.view)."""
    posts = scope(
        Post.objects.all(),
        actor,
        permission="org.view",
        region_path="region__path",
        department="department_id",
    )
    return (
        User.objects.filter(kind=UserKind.STAFF)
        .filter(Q(posts_as_a__in=posts) | Q(posts_as_b__in=posts))
        .distinct()
        .order_by("username")
    )


def applicant_search(
    *, query: str, limit: int = 50, within: QuerySet[Applicant] | None = None
) -> QuerySet[Applicant]:
    """Applicants by name, whole credit code, ID number or phone; `within` limits the search to
    the applicants the actor may see (see cases.selectors.applicants_in_reach)."""
    qs = (within if within is not None else Applicant.objects.all()).select_related("user")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(name__contains=query)
            | Q(credit_code=query.upper())
            | Q(id_number=query.upper())
            | Q(user__phone=query)
        )
    return qs.order_by("-created_at")[:limit]


ROLE_LABELS = dict(Role.choices)


def acting_holder(post: Post) -> User:
    """Who does the post's work now: A, or B while A is absent (the case engine routes by this)."""
    a_absent = Absence.objects.filter(user_id=post.holder_a_id, ended_at__isnull=True).exists()
    if a_absent and post.holder_b is not None:
        return post.holder_b
    return post.holder_a
