"""Reads of the catalogue: the published guides, what an applicant must bring in their situation,
the differences between two versions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .choices import FROZEN_STATUSES
from .models import Bundle, Item, ItemVersion, Material, Situation, SituationOption


def published_items() -> QuerySet[Item]:
    return (
        Item.objects.filter(published__isnull=False)
        .select_related("published", "department", "region")
        .order_by("department__code", "code")
    )


def items_for_level(level: str) -> QuerySet[Item]:
    # JSON "contains" is not portable to SQLite; the list is short, so match the JSON text
    return published_items().filter(published__levels__icontains=f'"{level}"')


def items_for_topic(
    *, life_event: str | None = None, business_stage: str | None = None
) -> QuerySet[Item]:
    qs = published_items()
    if life_event:
        qs = qs.filter(published__life_events__icontains=f'"{life_event}"')
    if business_stage:
        qs = qs.filter(published__business_stages__icontains=f'"{business_stage}"')
    return qs


def guide(code: str) -> Item | None:
    """The published guide of one item with everything its page shows, in a fixed number of
    queries."""
    return (
        published_items()
        .prefetch_related(
            Prefetch("published__materials", queryset=Material.objects.order_by("order", "id")),
            "published__fees",
            "published__faqs",
            "published__co_departments",
            Prefetch(
                "published__situations",
                queryset=Situation.objects.order_by("order", "id").prefetch_related(
                    Prefetch(
                        "options",
                        queryset=SituationOption.objects.prefetch_related("adds", "removes"),
                    )
                ),
            ),
            "bundles",
        )
        .filter(code=code)
        .first()
    )


@dataclass(frozen=True)
class Selection:
    """The materials for one applicant's answers, and the answers that were understood."""

    materials: list[Material]
    answers: dict[str, str]
    unanswered: list[Situation]


_FROZEN_MAX = 1024  # versions (and their questions) kept in memory per process


@dataclass(frozen=True)
class _Situations:
    """What `materials_for` needs of a version: its materials and questions, each question's
    options by key, and what each option adds and removes."""

    materials: list[Material]
    situations: list[Situation]
    options: dict[int, dict[str, int]]  # situation id → option key → option id
    effects: dict[int, tuple[frozenset[int], frozenset[int]]]  # option id → (adds, removes)


_situations: dict[int, _Situations] = {}


def _version_situations(version: ItemVersion) -> _Situations:
    """Read in three small queries, however many questions the item asks; kept in memory for a
    published version (frozen with its children), so a submission reads none."""
    known = _situations.get(version.pk)
    if known is not None:
        return known
    materials = list(version.materials.all())
    situations = list(version.situations.all())
    options: dict[int, dict[str, int]] = {}
    adds: dict[int, set[int]] = {}
    removes: dict[int, set[int]] = {}
    if situations:
        for pk, situation_id, key, add, remove in SituationOption.objects.filter(
            situation__version=version
        ).values_list("pk", "situation_id", "key", "adds", "removes"):
            options.setdefault(situation_id, {})[key] = pk
            if add is not None:
                adds.setdefault(pk, set()).add(add)
            if remove is not None:
                removes.setdefault(pk, set()).add(remove)
    effects = {
        pk: (frozenset(adds.get(pk, ())), frozenset(removes.get(pk, ())))
        for pk in set(adds) | set(removes)
    }
    found = _Situations(materials, situations, options, effects)
    if version.status in FROZEN_STATUSES:
        if len(_situations) >= _FROZEN_MAX:
            _situations.clear()
        _situations[version.pk] = found
    return found


def materials_for(version: ItemVersion, answers: dict[str, str]) -> Selection:
    """Base materials, plus what the chosen options add, minus what they remove. Unknown
    questions or options are ignored (they come from a URL). It runs on every submission: a
    published version's questions come from memory, a draft's from three small queries."""
    parts = _version_situations(version)
    chosen: dict[str, str] = {}
    unanswered: list[Situation] = []
    added: set[int] = set()
    removed: set[int] = set()
    for situation in parts.situations:
        answer = answers.get(situation.key)
        option_id = parts.options.get(situation.pk, {}).get(answer) if answer is not None else None
        if option_id is None:
            unanswered.append(situation)
            continue
        chosen[situation.key] = str(answer)
        add, remove = parts.effects.get(option_id, (frozenset(), frozenset()))
        added |= add
        removed |= remove
    selected = [
        m for m in parts.materials if (not m.situational or m.pk in added) and m.pk not in removed
    ]
    return Selection(selected, chosen, unanswered)


def bundles() -> QuerySet[Bundle]:
    return Bundle.objects.prefetch_related("steps__item__published").order_by("code")


def version_history(item: Item) -> QuerySet[ItemVersion]:
    return item.versions.filter(Q(status="published") | Q(status="superseded")).order_by("-number")


LABELS = {
    f.name: str(f.verbose_name)
    for f in ItemVersion._meta.get_fields()
    if hasattr(f, "verbose_name")
}
LABELS["co_departments"] = "协办部门"
LABELS.pop("item", None)


def may_edit(actor: Any, item: Item) -> bool:
    """Whether a post of the actor's that carries `catalogue.edit` covers the item (a department
    head: their own department's items; the system administrator: every item)."""
    from onewindow.accounts.selectors import jurisdiction

    return jurisdiction(actor, permission="catalogue.edit").covers(
        item.region.path, item.department_id
    )


def staff_items(
    *,
    query: str = "",
    department: int | None = None,
    status: str = "",
    level: str = "",
) -> QuerySet[Item]:
    """Every item for the staff catalogue list (staff see the whole catalogue; editing is scoped),
    with the published version and whether an unpublished version is waiting."""
    pending = ItemVersion.objects.filter(item=OuterRef("pk"))
    qs = (
        Item.objects.select_related("published", "department", "region")
        .annotate(
            has_draft=Exists(pending.filter(status="draft")),
            has_reviewed=Exists(pending.filter(status="reviewed")),
        )
        .order_by("department__code", "code")
    )
    if query:
        qs = qs.filter(
            Q(code__icontains=query)
            | Q(published__name__icontains=query)
            | Q(versions__name__icontains=query)
        ).distinct()
    if department:
        qs = qs.filter(department_id=department)
    if status == "draft":
        qs = qs.filter(has_draft=True)
    elif status == "reviewed":
        qs = qs.filter(has_reviewed=True)
    elif status == "published":
        qs = qs.filter(published__isnull=False)
    elif status == "unpublished":
        qs = qs.filter(published__isnull=True)
    if level:
        qs = qs.filter(published__levels__icontains=f'"{level}"')
    return qs


def staff_versions(item: Item) -> QuerySet[ItemVersion]:
    """All versions of an item, newest first, with who drafted, edited, reviewed, published."""
    return item.versions.select_related(
        "created_by", "updated_by", "reviewed_by", "published_by"
    ).order_by("-number")


def version_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(label, before, after) for every element that differs between two versions' data (as
    `services.version_as_data` gives them); materials compared by their key."""
    rows: list[tuple[str, Any, Any]] = []
    for field, label in LABELS.items():
        if field in old and old.get(field) != new.get(field):
            rows.append((label, old.get(field), new.get(field)))
    before = {m["key"]: m for m in old.get("materials", [])}
    after = {m["key"]: m for m in new.get("materials", [])}
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            rows.append(
                (
                    "申请材料",
                    before[key]["name"] if key in before else "（无）",
                    _material_text(after[key]) if key in after else "（删除）",
                )
            )
    for name in ("fees", "situations", "faqs"):
        if old.get(name) != new.get(name):
            label = {"fees": "收费", "situations": "情形", "faqs": "常见问题"}[name]
            rows.append((label, len(old.get(name, [])), len(new.get(name, []))))
    return rows


def _material_text(m: dict[str, Any]) -> str:
    flags = "必需" if m.get("required") else "非必需"
    if m.get("deficiency_ok"):
        flags += "，可容缺"
    return f"{m['name']}（{flags}）"


# -- published versions, from memory --------------------------------------------------------------

_frozen: dict[int, ItemVersion] = {}


def frozen_version(pk: int) -> ItemVersion:
    """A version by primary key, from a per-process cache once it is published: the content of a
    published version never changes (its model refuses the save), and every case step reads it.
    The instance is shared: read it, never change it. Its `status` may lag behind a supersession
    made in another process, so callers that decide on the status read the row instead.
    A draft or reviewed version is read from the database each time."""
    version = _frozen.get(pk)
    if version is not None:
        return version
    version = ItemVersion.objects.get(pk=pk)
    if version.status in FROZEN_STATUSES:
        if len(_frozen) >= _FROZEN_MAX:
            _frozen.clear()
        _frozen[pk] = version
    return version


def frozen_versions(pks: Iterable[int]) -> dict[int, ItemVersion]:
    """`frozen_version` for several at once: what memory lacks in one query."""
    wanted = set(pks)
    missing = [pk for pk in wanted if pk not in _frozen]
    found = {pk: _frozen[pk] for pk in wanted if pk in _frozen}
    for version in ItemVersion.objects.filter(pk__in=missing):
        found[version.pk] = version
        if version.status in FROZEN_STATUSES:
            if len(_frozen) >= _FROZEN_MAX:
                _frozen.clear()
            _frozen[version.pk] = version
    return found


def forget_frozen_versions(pk: int | None = None) -> None:
    """Drop one cached version (after its row is saved) or all of them (tests, migrations)."""
    if pk is None:
        _frozen.clear()
        _situations.clear()
    else:
        _frozen.pop(pk, None)
        _situations.pop(pk, None)
