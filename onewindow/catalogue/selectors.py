"""Reads of the catalogue: the published guides, what an applicant must bring in their situation,
the differences between two versions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from .choices import (
    BUSINESS_STAGES,
    FORMS,
    FROZEN_STATUSES,
    LEVELS,
    LIFE_EVENTS,
    Handling,
    ItemKind,
    LimitUnit,
    OnlineDepth,
    ResultType,
)
from .flows import situation_state_limit
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
            Prefetch("bundles", queryset=Bundle.objects.filter(active=True)),  # those on offer
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


@dataclass(frozen=True)
class Guide(Selection):
    """What the applicant's answers select: the materials (as `Selection`), plus the acceptance
    conditions (the item's, then those the chosen options add) and the time limits in the
    version's unit. Several chosen options that set a limit: the longest of them applies (a
    promise that holds in every one of the applicant's situations). `limited_by` names the
    answers that changed the limits."""

    conditions: list[str]
    promised_limit: int
    statutory_limit: int
    limited_by: list[str]

    @property
    def limits_changed(self) -> bool:
        return bool(self.limited_by)


@dataclass(frozen=True)
class _Effect:
    """What choosing one option changes besides materials."""

    answer: str
    conditions: tuple[str, ...]
    promised_limit: int | None
    statutory_limit: int | None


_FROZEN_MAX = 1024  # versions (and their questions) kept in memory per process


@dataclass(frozen=True)
class _Situations:
    """What `materials_for` needs of a version: its materials and questions, each question's
    options by key, and what each option adds and removes."""

    materials: list[Material]
    situations: list[Situation]
    options: dict[int, dict[str, int]]  # situation id → option key → option id
    effects: dict[int, tuple[frozenset[int], frozenset[int]]]  # option id → (adds, removes)
    changes: dict[int, _Effect]  # option id → conditions and limits it sets (if any)


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
    changes: dict[int, _Effect] = {}
    if situations:
        for (
            pk,
            situation_id,
            key,
            add,
            remove,
            answer,
            conditions,
            promised,
            statutory,
        ) in SituationOption.objects.filter(situation__version=version).values_list(
            "pk",
            "situation_id",
            "key",
            "adds",
            "removes",
            "answer",
            "conditions",
            "promised_limit",
            "statutory_limit",
        ):
            options.setdefault(situation_id, {})[key] = pk
            if add is not None:
                adds.setdefault(pk, set()).add(add)
            if remove is not None:
                removes.setdefault(pk, set()).add(remove)
            if conditions or promised is not None or statutory is not None:
                changes[pk] = _Effect(answer, tuple(conditions or ()), promised, statutory)
    effects = {
        pk: (frozenset(adds.get(pk, ())), frozenset(removes.get(pk, ())))
        for pk in set(adds) | set(removes)
    }
    found = _Situations(materials, situations, options, effects, changes)
    if version.status in FROZEN_STATUSES:
        if len(_situations) >= _FROZEN_MAX:
            _situations.clear()
        _situations[version.pk] = found
    return found


def guide_for(version: ItemVersion, answers: dict[str, str]) -> Guide:
    """Everything the answers select: base materials, plus what the chosen options add, minus
    what they remove; the item's conditions plus the options' own; the item's limits unless a
    chosen option sets its own (the longest such applies). Unknown questions or options are
    ignored (they come from a URL). It runs on every submission: a published version's
    questions come from memory, a draft's from three small queries."""
    parts = _version_situations(version)
    chosen: dict[str, str] = {}
    unanswered: list[Situation] = []
    added: set[int] = set()
    removed: set[int] = set()
    conditions: list[str] = list(version.conditions or [])
    limits: list[tuple[int, int]] = []
    limited_by: list[str] = []
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
        change = parts.changes.get(option_id)
        if change is None:
            continue
        conditions.extend(c for c in change.conditions if c not in conditions)
        if change.promised_limit is not None or change.statutory_limit is not None:
            statutory = (
                change.statutory_limit
                if change.statutory_limit is not None
                else version.statutory_limit
            )
            promised = (
                change.promised_limit
                if change.promised_limit is not None
                else min(version.promised_limit, statutory)
            )
            limits.append((promised, statutory))
            limited_by.append(change.answer)
    selected = [
        m for m in parts.materials if (not m.situational or m.pk in added) and m.pk not in removed
    ]
    promised_limit = max((p for p, _ in limits), default=version.promised_limit)
    statutory_limit = max((s for _, s in limits), default=version.statutory_limit)
    return Guide(
        selected, chosen, unanswered, conditions, promised_limit, statutory_limit, limited_by
    )


def guide_flow_states(version: ItemVersion, guide: Guide) -> list[dict[str, Any]]:
    """The flow's states as the guide shows them: each state's limit as it will run for these
    answers (shortened with a shorter promise, as the case engine does)."""
    states = []
    for state in (version.flow or {}).get("states", []):
        limit = int(state.get("limit") or 0)
        states.append(
            {
                **state,
                "limit": situation_state_limit(limit, guide.promised_limit, version.promised_limit),
                "flow_limit": limit,  # as the flow says: a state shortened to 0 is 当日
            }
        )
    return states


def materials_for(version: ItemVersion, answers: dict[str, str]) -> Selection:
    """The materials for these answers (`guide_for`, which also gives conditions and limits)."""
    return guide_for(version, answers)


def bundles() -> QuerySet[Bundle]:
    return Bundle.objects.prefetch_related("steps__item__published").order_by("code")


def separate_working_days(stages: Iterable[Iterable[ItemVersion]]) -> int | None:
    """What the items of a bundle would take one after another, stage by stage: the longest
    promised limit of each stage (an immediate item: 0), summed; None when an item's limit is not
    in working days, since those do not add up."""
    total = 0
    for versions in stages:
        limits = []
        for v in versions:
            if v.limit_unit != LimitUnit.WORKING_DAYS:
                return None
            limits.append(0 if v.handling == Handling.IMMEDIATE else v.promised_limit)
        total += max(limits, default=0)
    return total


@dataclass(frozen=True)
class BundleStage:
    number: int
    items: list[Item]


@dataclass(frozen=True)
class BundleOutline:
    """A bundle's items by stage for the staff pages, what doing its published items separately
    would take (`separate_working_days`) and which items are not published."""

    stages: list[BundleStage]
    separately: int | None
    unpublished: list[Item]


def bundle_outline(bundle: Bundle) -> BundleOutline:
    """Of a bundle read through `bundles()` (its steps, items and published versions loaded)."""
    by_stage: dict[int, list[Item]] = {}
    for step in bundle.steps.all():
        by_stage.setdefault(step.stage, []).append(step.item)
    stages = [BundleStage(n, by_stage[n]) for n in sorted(by_stage)]
    return BundleOutline(
        stages=stages,
        separately=separate_working_days(
            [i.published for i in stage.items if i.published] for stage in stages
        ),
        unpublished=[i for stage in stages for i in stage.items if i.published is None],
    )


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


# -- the differences as people read them (the staff version page, the public 变更记录) ----------

CHOICE_TEXT: dict[str, dict[str, str]] = {
    "事项类型": dict(ItemKind.choices),
    "办件类型": dict(Handling.choices),
    "网办深度": dict(OnlineDepth.choices),
    "结果类型": dict(ResultType.choices),
    "时限单位": {code: label.removeprefix("个") for code, label in LimitUnit.choices},
    "可办理层级": dict(LEVELS),
    "办理形式": dict(FORMS),
    "个人主题": LIFE_EVENTS,
    "法人主题": BUSINESS_STAGES,
}
LIMIT_LABELS = frozenset({LABELS["statutory_limit"], LABELS["promised_limit"]})
COUNTED_LABELS = frozenset({"收费", "情形", "常见问题"})


def unit_text(data: dict[str, Any]) -> str:
    """The guide's time-limit unit as a sentence says it: “个工作日”, “个自然日”, “个工作小时”."""
    code = data.get("limit_unit") or LimitUnit.WORKING_DAYS
    return LimitUnit(code).label if code in LimitUnit.values else LimitUnit.WORKING_DAYS.label


def readable(label: str, value: Any, unit: str = LimitUnit.WORKING_DAYS.label) -> str:
    """A diff value as a clerk or an applicant reads it: labels for codes, one line per list
    entry, limits with the item's unit (`unit`, e.g. “个自然日”)."""
    labels = CHOICE_TEXT.get(label, {})
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if label in LIMIT_LABELS and isinstance(value, int):
        return f"{value} {unit}"
    if label in COUNTED_LABELS and isinstance(value, int):  # version_diff counts these rows
        return f"共 {value} 项"
    if label == LABELS["flow"] and isinstance(value, dict):
        states = [st for st in value.get("states") or [] if isinstance(st, dict)]
        return (
            "\n".join(
                f"{st.get('name', st.get('key', ''))}"
                + (f"（{st['limit']} {unit}）" if st.get("limit") else "")
                for st in states
            )
            or "（无）"
        )
    if isinstance(value, list):
        return "\n".join(
            labels.get(str(v), str(v))
            if not isinstance(v, dict)
            else json.dumps(v, ensure_ascii=False)
            for v in value
        )
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return labels.get(str(value), str(value))


def readable_diff(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`version_diff` as text: (label, before, after), codes as their Chinese labels, co-handling
    departments by name, limits and flow steps in each version's own unit (a change of unit is
    a row of its own)."""
    from onewindow.org.models import Department

    rows = version_diff(old, new)
    names: dict[str, str] = {}
    if any(label == LABELS["co_departments"] for label, _, _ in rows):
        codes = [*old.get("co_departments", []), *new.get("co_departments", [])]
        names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    before_unit, after_unit = unit_text(old), unit_text(new)
    out = []
    for label, before, after in rows:
        if label == LABELS["co_departments"]:
            before = [names.get(c, c) for c in before or []]
            after = [names.get(c, c) for c in after or []]
        out.append(
            (label, readable(label, before, before_unit), readable(label, after, after_unit))
        )
    return out


def version_changes(old: ItemVersion, new: ItemVersion) -> list[tuple[str, str, str]]:
    """What changed from one version to another, readable (both the staff and public pages)."""
    from .services import version_as_data

    return readable_diff(version_as_data(old), version_as_data(new))


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
