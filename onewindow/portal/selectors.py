"""Reads for the public pages that put catalogue rows together for one visitor's question."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from onewindow.catalogue.choices import MaterialSource
from onewindow.catalogue.models import Bundle, BundleItem, Item, ItemVersion, Material
from onewindow.catalogue.selectors import separate_working_days


@dataclass
class BundleStep:
    """One item of a bundle, in its stage."""

    item: Item
    version: ItemVersion
    # material names this item asks for that are collected once for the whole bundle
    shared: list[str] = field(default_factory=list)
    own_materials: list[Material] = field(default_factory=list)


@dataclass
class BundleStage:
    number: int
    steps: list[BundleStep]
    # the stages that must be finished before this one starts (all the earlier ones)
    after: list[int]

    @property
    def parallel(self) -> bool:
        return len(self.steps) > 1


@dataclass
class SharedMaterial:
    name: str
    # names of the items that ask for it; empty when the bundle lists it without an item match
    items: list[str]


@dataclass
class BundleGuide:
    bundle: Bundle
    stages: list[BundleStage]
    shared: list[SharedMaterial]
    # the promised limits of the items one after another, stage by stage (the longest item of
    # each stage), when every item counts working days; None when the units differ
    separate_working_days: int | None

    @property
    def item_count(self) -> int:
        return sum(len(stage.steps) for stage in self.stages)


def _asked(version: ItemVersion) -> list[Material]:
    """The materials an applicant brings in the general case (no situation answered)."""
    return [
        m
        for m in version.materials.all()
        if not m.situational and m.source == MaterialSource.APPLICANT
    ]


def bundle_guide(code: str) -> BundleGuide | None:
    """A bundle as a visitor reads it: its stages in order, each item's published guide, and the
    materials handed in once for several items. Items not published are left out."""
    bundle = (
        Bundle.objects.filter(code=code)
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=BundleItem.objects.select_related(
                    "item__department", "item__published"
                ).prefetch_related(
                    Prefetch(
                        "item__published__materials",
                        queryset=Material.objects.order_by("order", "id"),
                    )
                ),
            )
        )
        .first()
    )
    if bundle is None:
        return None
    by_stage: dict[int, list[BundleStep]] = {}
    for step in bundle.steps.all():
        version = step.item.published
        if version is None:
            continue
        by_stage.setdefault(step.stage, []).append(BundleStep(item=step.item, version=version))
    numbers = sorted(by_stage)
    stages = [
        BundleStage(number=n, steps=by_stage[n], after=[m for m in numbers if m < n])
        for n in numbers
    ]
    steps = [s for stage in stages for s in stage.steps]

    # a material is shared when the bundle lists it or when two or more items ask for it by the
    # same name; each item's own list then leaves the shared ones out
    askers: dict[str, list[str]] = {}
    for s in steps:
        for m in _asked(s.version):
            names = askers.setdefault(m.name, [])
            if s.version.name not in names:
                names.append(s.version.name)
    listed = [str(name) for name in bundle.shared_materials]
    shared = [SharedMaterial(name, askers.get(name, [])) for name in listed]
    shared += [
        SharedMaterial(name, items)
        for name, items in askers.items()
        if len(items) > 1 and name not in listed
    ]
    shared_names = {m.name for m in shared}
    for s in steps:
        for m in _asked(s.version):
            if m.name in shared_names:
                s.shared.append(m.name)
            else:
                s.own_materials.append(m)

    separate = separate_working_days([s.version for s in stage.steps] for stage in stages)
    return BundleGuide(bundle=bundle, stages=stages, shared=shared, separate_working_days=separate)
