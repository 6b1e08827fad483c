"""Likely duplicates of an appeal (重复件): the same caller or the same place, similar text, filed
recently. Shown to the hotline / window operator and to the command centre, who may merge them.

- Candidates: appeals filed within `ONEWINDOW_APPEAL_DUPLICATE_DAYS` (30) working back from the
  appeal's filing day, not themselves merged into another, from the same callback phone, or in
  the same region, or at the same (non-empty) address. Open and closed ones alike: the window
  keeps the closed ones recent.
- Text similarity: the Jaccard overlap of the jieba words (two or more characters, stop words
  dropped) of title + content. A candidate from the same caller counts from
  `SIMILAR_SAME_CALLER` (0.12), one from the same place from
  `ONEWINDOW_APPEAL_DUPLICATE_SIMILARITY` (0.25).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import jieba
from django.conf import settings
from django.db.models import Q

from .models import Appeal

jieba.setLogLevel(logging.WARNING)

DAYS = 30
SIMILAR = 0.25
SIMILAR_SAME_CALLER = 0.12
MAX_CANDIDATES = 500
SHOWN = 8
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[a-z0-9]{2,}")
STOP_WORDS = frozenset(
    "请求 希望 问题 反映 我们 你们 他们 已经 没有 一个 这个 那个 什么 怎么 可以 不是 还是 "
    "因为 所以 如果 非常 进行 处理 尽快 情况 现在 目前 一直 相关 部门 领导 群众 老百姓".split()
)


@dataclass(frozen=True)
class Duplicate:
    appeal: Appeal
    score: float
    reasons: tuple[str, ...]  # 同一来电人 / 同一地点 / 同一地址

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def window_days() -> int:
    return int(getattr(settings, "ONEWINDOW_APPEAL_DUPLICATE_DAYS", DAYS))


def threshold() -> float:
    return float(getattr(settings, "ONEWINDOW_APPEAL_DUPLICATE_SIMILARITY", SIMILAR))


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    return frozenset(
        w for w in jieba.cut_for_search(text.lower()) if _WORD.fullmatch(w) and w not in STOP_WORDS
    )


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the two texts' words, 0 … 1."""
    wa, wb = words(a[:600]), words(b[:600])
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _text(appeal: Appeal) -> str:
    return f"{appeal.title} {appeal.content}"


def find(
    *,
    text: str,
    phone: str = "",
    region_id: int | None = None,
    address: str = "",
    on: dt.date,
    exclude: int | None = None,
    days: int | None = None,
    limit: int = SHOWN,
) -> list[Duplicate]:
    """Likely duplicates of what is being filed (or of an appeal, `exclude` being itself),
    best first."""
    phone, address = (phone or "").strip(), (address or "").strip()
    place = Q(pk__in=[])
    if phone:
        place |= Q(callback_phone=phone)
    if region_id:
        place |= Q(region_id=region_id)
    if address:
        place |= Q(address=address)
    since = on - dt.timedelta(days=window_days() if days is None else days)
    qs = (
        Appeal.objects.filter(place, filed_on__gte=since, filed_on__lte=on)
        .filter(merged_into__isnull=True)
        .select_related("region", "category")
        .order_by("-filed_on", "-pk")
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    found: list[Duplicate] = []
    bar = threshold()
    for other in qs[:MAX_CANDIDATES]:
        reasons = []
        if phone and other.callback_phone == phone:
            reasons.append("同一来电人")
        if region_id and other.region_id == region_id:
            reasons.append("同一地点")
        if address and other.address == address:
            reasons.append("同一地址")
        score = similarity(text, _text(other))
        needed = SIMILAR_SAME_CALLER if "同一来电人" in reasons else bar
        if score >= needed:
            found.append(Duplicate(other, score, tuple(reasons)))
    found.sort(key=lambda d: (-d.score, -d.appeal.pk))
    return found[:limit]


def of_appeal(appeal: Appeal, *, limit: int = SHOWN) -> list[Duplicate]:
    """Likely duplicates of a filed appeal: filed up to the window before it, or after it
    (a later duplicate of this one) up to today."""
    from onewindow.cases import clock

    return find(
        text=_text(appeal),
        phone=appeal.callback_phone,
        region_id=appeal.region_id,
        address=appeal.address,
        on=max(clock.today(), appeal.filed_on),
        days=window_days() + max((clock.today() - appeal.filed_on).days, 0),
        exclude=appeal.pk,
        limit=limit,
    )
