"""Search that understands how people ask: "我想开饭店" finds 食品经营许可 and the 开餐馆 bundle.

How it works
- Documents are the published items and the bundles. Each has weighted fields: name, the
  colloquial phrases staff entered (keywords), the result's name, department, content, materials.
- Text is segmented with jieba, whose dictionary is taught the catalogue's own terms (item names,
  keywords, result names), then normalised through a synonym table (饭店/饭馆/餐馆 → 餐饮 …), and
  also cut into character bigrams so that a two-character word jieba misses still matches.
- Score: BM25 per field, weighted by field, summed; a whole-phrase match on the name or a keyword
  adds a bonus. Stop words (我想、怎么、办理 …) are dropped from queries.
- Pinyin initials (`sfz` → 居民身份证) for kiosks with a letter keyboard.
- The index lives in the process and is rebuilt when the published catalogue changes (a cheap
  stamp is rechecked at most every 30 s).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import jieba
from django.db.models import Count, Max
from pypinyin import Style, lazy_pinyin

from .models import Bundle, Item

jieba.setLogLevel(logging.WARNING)

FIELD_WEIGHTS = {
    "name": 6.0,
    "keywords": 5.0,
    "result": 3.0,
    "department": 1.0,
    "content": 1.0,
    "materials": 0.4,
}
K1, B = 1.2, 0.6
PHRASE_BONUS = 4.0
CHECK_SECONDS = 30.0

# Words people use → the catalogue's word. Both sides are added to jieba's dictionary.
SYNONYMS: dict[str, str] = {
    "饭店": "餐饮",
    "饭馆": "餐饮",
    "餐馆": "餐饮",
    "餐厅": "餐饮",
    "小吃店": "餐饮",
    "饭庄": "餐饮",
    "酒楼": "餐饮",
    "开店": "设立",
    "开公司": "企业设立",
    "注册公司": "企业设立",
    "办执照": "营业执照",
    "上户口": "户口登记",
    "报户口": "户口登记",
    "落户": "户口登记",
    "入户": "户口登记",
    "孩子": "新生儿",
    "宝宝": "新生儿",
    "小孩": "新生儿",
    "生孩子": "出生",
    "出生证": "出生医学证明",
    "身份证": "居民身份证",
    "丢了": "补领",
    "补办": "补领",
    "换证": "换领",
    "过户": "转移登记",
    "买房": "转移登记",
    "二手房": "转移登记",
    "房产证": "不动产",
    "房本": "不动产",
    "退休": "养老金",
    "领养老金": "养老金",
    "社保卡": "社会保障卡",
    "医保": "医疗保险",
    "失业金": "失业保险金",
    "低保": "最低生活保障",
    "结婚": "结婚登记",
    "领证": "结婚登记",
    "离婚": "离婚登记",
    "护照": "普通护照",
    "港澳通行证": "往来港澳通行证",
    "去香港": "往来港澳通行证",
    "去澳门": "往来港澳通行证",
    "刻章": "印章刻制",
    "公章": "印章刻制",
    "发票": "发票领用",
    "报税": "纳税人",
    "开诊所": "医疗机构",
    "诊所": "医疗机构",
    "开药店": "药品零售",
    "药店": "药品零售",
    "盖房": "乡村建设规划许可",
    "建房": "乡村建设规划许可",
    "无犯罪证明": "无犯罪记录证明",
    "开网吧": "互联网上网服务营业场所",
    "网吧": "互联网上网服务",
    "ktv": "娱乐场所",
    "歌厅": "娱乐场所",
    "公积金": "住房公积金",
    "取公积金": "住房公积金提取",
    "残疾证": "残疾人证",
    "砍树": "林木采伐",
    "打井": "取水许可",
    "挖路": "城市道路挖掘",
    "招牌": "户外广告",
    "广告牌": "户外广告",
    "跑运输": "道路货物运输",
    "拉货": "道路货物运输",
    "开出租": "出租汽车",
    "办学": "民办学校",
    "开学校": "民办学校",
    "农药": "农药经营",
    "兽药": "兽药经营",
    "养殖场": "动物防疫条件",
    "卖农药": "农药经营",
    "化学品": "危险化学品",
    "排污": "排污许可",
    "环评": "环境影响",
    "消防": "消防安全检查",
    "开业检查": "消防安全检查",
    "燃气": "燃气经营",
    "煤气": "燃气经营",
    "预售": "商品房预售",
    "施工": "施工许可",
    "盖楼": "建筑工程施工许可",
    "验收": "竣工验收",
    "立项": "投资项目",
}
STOP_WORDS = frozenset(
    "我 我想 想 要 想要 需要 怎么 怎样 如何 办 办理 去 在 哪里 哪儿 什么 的 了 吗 呢 啊 个 一个 给 "
    "帮 请问 可以 能 能不能 应该 手续 流程 需要什么 材料 带 哪些 一下 我们 家 家里 自己 "
    "是 和 与 及 或 把 被 让 为 有 没有 还 都 也 就".split()
)
_BIGRAM_CHARS = re.compile(r"[\u4e00-\u9fff]+")
_ASCII = re.compile(r"^[a-z]+$")


def _normalise(token: str) -> list[str]:
    token = token.strip().lower()
    if not token or token in STOP_WORDS:
        return []
    synonym = SYNONYMS.get(token)
    return [token, synonym] if synonym else [token]


def _bigrams(text: str) -> Iterable[str]:
    for run in _BIGRAM_CHARS.findall(text):
        for i in range(len(run) - 1):
            yield "#" + run[i : i + 2]


def tokens(text: str) -> list[str]:
    """Words (after synonyms) and character bigrams of `text`."""
    out: list[str] = []
    for word in jieba.cut_for_search(text):
        out.extend(_normalise(word))
    expanded = " ".join(SYNONYMS.get(t, t) for t in out if not t.startswith("#"))
    out.extend(_bigrams(expanded))
    return out


def initials(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()


@dataclass
class Doc:
    kind: str  # "item" or "bundle"
    code: str
    name: str
    department: str
    levels: tuple[str, ...]
    fields: dict[str, Counter[str]] = field(default_factory=dict)
    phrases: tuple[str, ...] = ()
    initials: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    kind: str
    code: str
    name: str
    department: str
    score: float


class SearchIndex:
    def __init__(self, docs: list[Doc]) -> None:
        self.docs = docs
        self.postings: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.lengths: dict[str, list[int]] = {f: [] for f in FIELD_WEIGHTS}
        for n, doc in enumerate(docs):
            for name in FIELD_WEIGHTS:
                counts = doc.fields.get(name, Counter())
                self.lengths[name].append(sum(counts.values()))
                for token, tf in counts.items():
                    self.postings[name][token].append((n, tf))
        self.avg = {f: (sum(v) / len(v) if v else 0.0) or 1.0 for f, v in self.lengths.items()}

    def search(self, query: str, *, level: str | None = None, limit: int = 10) -> list[Hit]:
        query = query.strip()[:100]
        if not query:
            return []
        scores: dict[int, float] = defaultdict(float)
        q = query.lower()
        if _ASCII.match(q) and len(q) >= 2:  # pinyin initials from a kiosk keyboard
            for n, doc in enumerate(self.docs):
                if any(q in i for i in doc.initials):
                    scores[n] += 10.0 + (5.0 if any(i.startswith(q) for i in doc.initials) else 0)
        terms = Counter(tokens(query))
        total = len(self.docs) or 1
        common = max(50, total // 5)
        for name, weight in FIELD_WEIGHTS.items():
            postings = self.postings[name]
            lengths, avg = self.lengths[name], self.avg[name]
            for term, qtf in terms.items():
                plist = postings.get(term)
                if not plist or len(plist) > common:
                    continue  # absent, or in so many documents that it cannot tell them apart
                idf = math.log(1 + (total - len(plist) + 0.5) / (len(plist) + 0.5))
                bigram = 0.5 if term.startswith("#") else 1.0
                for n, tf in plist:
                    norm = tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[n] / avg))
                    scores[n] += weight * idf * norm * bigram * min(qtf, 2)
        for n in list(scores):
            doc = self.docs[n]
            if any(p and (p in query or query in p) for p in doc.phrases):
                scores[n] += PHRASE_BONUS * FIELD_WEIGHTS["keywords"]
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], self.docs[kv[0]].code))
        hits = []
        for n, score in ranked:
            doc = self.docs[n]
            if level and doc.kind == "item" and level not in doc.levels:
                continue
            hits.append(Hit(doc.kind, doc.code, doc.name, doc.department, round(score, 3)))
            if len(hits) >= limit:
                break
        return hits

    def suggest(self, prefix: str, *, limit: int = 8) -> list[str]:
        prefix = prefix.strip()
        if not prefix:
            return []
        names = [d.name for d in self.docs] + [p for d in self.docs for p in d.phrases]
        starts = [n for n in names if n.startswith(prefix)]
        inside = [n for n in names if prefix in n and not n.startswith(prefix)]
        return list(dict.fromkeys(starts + inside))[:limit]


def item_doc(
    *,
    code: str,
    name: str,
    department: str,
    levels: Iterable[str],
    keywords: Iterable[str],
    result_name: str,
    content: str,
    materials: Iterable[str],
) -> Doc:
    keywords = list(keywords)
    return Doc(
        kind="item",
        code=code,
        name=name,
        department=department,
        levels=tuple(levels),
        fields={
            "name": Counter(tokens(name)),
            "keywords": Counter(t for k in keywords for t in tokens(k)),
            "result": Counter(tokens(result_name)),
            "department": Counter(tokens(department)),
            "content": Counter(tokens(content)),
            "materials": Counter(t for m in materials for t in tokens(m)),
        },
        phrases=tuple([name, *keywords]),
        initials=tuple(initials(t) for t in [name, result_name, *keywords]),
    )


def bundle_doc(
    *, code: str, name: str, keywords: Iterable[str], description: str, item_names: Iterable[str]
) -> Doc:
    keywords = list(keywords)
    return Doc(
        kind="bundle",
        code=code,
        name=name,
        department="一件事一次办",
        levels=("county",),
        fields={
            "name": Counter(tokens(name)),
            "keywords": Counter(t for k in keywords for t in tokens(k)),
            "content": Counter(tokens(description + " " + " ".join(item_names))),
        },
        phrases=tuple([name, *keywords]),
        initials=tuple(initials(t) for t in [name, *keywords]),
    )


def learn_terms(terms: Iterable[str]) -> None:
    """Teach jieba the catalogue's own words, so "食品经营许可" stays one word."""
    for term in [*SYNONYMS, *SYNONYMS.values(), *terms]:
        term = term.strip()
        if 2 <= len(term) <= 12 and not term.isascii():
            jieba.add_word(term, freq=20000)


def build_index() -> SearchIndex:
    items = list(
        Item.objects.filter(published__isnull=False)
        .select_related("published", "department")
        .prefetch_related("published__materials")
    )
    bundles = list(Bundle.objects.filter(active=True).prefetch_related("steps__item__published"))
    versions = [(item, item.published) for item in items if item.published is not None]
    learn_terms(
        [t for _, v in versions for t in (v.name, v.result_name, *v.keywords)]
        + [t for b in bundles for t in (b.name, *b.keywords)]
    )
    docs = [
        item_doc(
            code=item.code,
            name=v.name,
            department=item.department.name,
            levels=v.levels,
            keywords=v.keywords,
            result_name=v.result_name,
            content=v.content,
            materials=[m.name for m in v.materials.all()],
        )
        for item, v in versions
    ]
    docs += [
        bundle_doc(
            code=b.code,
            name=b.name,
            keywords=b.keywords,
            description=b.description,
            item_names=[s.item.published.name for s in b.steps.all() if s.item.published],
        )
        for b in bundles
    ]
    return SearchIndex(docs)


_cache: tuple[SearchIndex, tuple[object, ...], float] | None = None
_lock = threading.Lock()


def catalogue_stamp() -> tuple[object, ...]:
    items = Item.objects.filter(published__isnull=False).aggregate(
        n=Count("id"), at=Max("published__published_at")
    )
    bundles = Bundle.objects.aggregate(n=Count("id"), at=Max("updated_at"))
    return (items["n"], items["at"], bundles["n"], bundles["at"])


def get_index() -> SearchIndex:
    """The process-wide index, rebuilt when the published catalogue has changed."""
    global _cache
    now = time.monotonic()
    cached = _cache
    if cached is not None and now - cached[2] < CHECK_SECONDS:
        return cached[0]
    with _lock:
        stamp = catalogue_stamp()
        if _cache is not None and _cache[1] == stamp:
            _cache = (_cache[0], stamp, now)
            return _cache[0]
        index = build_index()
        _cache = (index, stamp, now)
        return index


def clear_index() -> None:
    global _cache
    _cache = None


def search(query: str, *, level: str | None = None, limit: int = 10) -> list[Hit]:
    return get_index().search(query, level=level, limit=limit)
