"""The one place statistics read ratings (好差评) and rectification (差评整改) from.

`onewindow.evaluation.selectors.rating_summary(cases)` (built by the evaluation app) returns, for
a queryset of cases, how many were rated, unrated, satisfied and bad, and how many
rectifications are closed and open. Until that module exists the two figures are "no data"
(`None`), shown as “—” and left out of the assessment score. `rating_summary` does not (yet)
count rectifications; until it does, `_rectifications` reads the evaluation app's
`Rectification` rows (status `closed` or not) — the only place statistics touch that model.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, QuerySet

from onewindow.cases.models import Case


@dataclass(frozen=True)
class RatingFigures:
    rated: int = 0
    satisfied: int = 0
    bad: int = 0
    rectified: int = 0  # rectifications closed
    rectifying: int = 0  # rectifications still open

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None

    @property
    def rectification_rate(self) -> float | None:
        total = self.rectified + self.rectifying
        return self.rectified / total if total else None


def _read(summary: Any, *names: str) -> int:
    for name in names:
        value = summary.get(name) if isinstance(summary, dict) else getattr(summary, name, None)
        if value is not None:
            return int(value)
    return 0


def rating_figures(cases: QuerySet[Case]) -> RatingFigures | None:
    """Ratings of `cases`, or None when the evaluation app is not installed."""
    if not apps.is_installed("onewindow.evaluation"):
        return None
    try:
        module = import_module("onewindow.evaluation.selectors")
    except ImportError:
        return None
    summary_of = getattr(module, "rating_summary", None)
    if summary_of is None:
        return None
    summary = summary_of(cases)
    if _has(summary, "rectification_closed") or _has(summary, "rectified"):
        rectified = _read(summary, "rectification_closed", "rectified")
        rectifying = _read(summary, "rectification_open", "rectifying")
    else:
        rectified, rectifying = _rectifications(cases)
    return RatingFigures(
        rated=_read(summary, "rated"),
        satisfied=_read(summary, "satisfied", "good"),
        bad=_read(summary, "bad"),
        rectified=rectified,
        rectifying=rectifying,
    )


def _has(summary: Any, name: str) -> bool:
    return name in summary if isinstance(summary, dict) else hasattr(summary, name)


def _rectifications(cases: QuerySet[Case]) -> tuple[int, int]:
    """(closed, open) rectification tasks of `cases`, read from the evaluation app's
    `Rectification` rows while `rating_summary` does not report them itself (one query)."""
    try:
        model = apps.get_model("evaluation", "Rectification")
    except LookupError:
        return 0, 0
    names = {f.name for f in model._meta.get_fields()}
    if not {"case", "status"} <= names:
        return 0, 0
    counts = model.objects.filter(case__in=cases.order_by().values("pk")).aggregate(
        closed=Count("pk", filter=Q(status="closed")), total=Count("pk")
    )
    return counts["closed"], counts["total"] - counts["closed"]
