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
        # one query: the user's posts, each with whether its A and its B holder are away (the
        # user's own absence is the one of the side they hold)
        posts = (
            Post.objects.filter(active=True)
            .filter(Q(holder_a=user) | Q(holder_b=user))
            .select_related("region", "department")
            .annotate(a_absent=open_absence_q("holder_a"), b_absent=open_absence_q("holder_b"))
        )
        for post in posts:
            if post.holder_a_id == user.pk and not post.a_absent:
                result.append(ActingPost(post, as_backup=False))
            elif post.holder_b_id == user.pk and post.a_absent and not post.b_absent:
                result.append(ActingPost(post, as_backup=True))
    user._acting_posts = result  # type: ignore[attr-defined]  # per-request cache
    return result


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
