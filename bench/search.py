"""Catalogue search over a synthetic catalogue of 5,000 items, beside a plain substring search
(what `name__icontains` / `keywords__icontains` would find), in the same run.

    python bench/search.py [--items 5000]

The real demo catalogue (onewindow/catalogue/demo_items.py) is embedded among synthetic items
made of the same vocabulary, and the labelled colloquial queries
(onewindow/catalogue/tests/search_queries.tsv) are asked of both. Prints the top-3 hit rate and
p50/p95 query time of each, and the ratios. Goals: hit rate >= 95 %; p95 within 3x substring's.
No database is needed: the index is built from the data directly.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onewindow.settings.test")

import django  # noqa: E402

django.setup()

from onewindow.catalogue.demo_items import BUNDLES, ITEMS  # noqa: E402
from onewindow.catalogue.search import (  # noqa: E402
    Doc,
    SearchIndex,
    bundle_doc,
    item_doc,
    learn_terms,
)
from onewindow.catalogue.tests.test_search_labelled import hit, load_queries  # noqa: E402

SUBJECTS = [
    "水产",
    "林下",
    "光伏",
    "充电桩",
    "民宿",
    "农家乐",
    "快递",
    "物业",
    "殡葬",
    "停车场",
    "加油站",
    "游泳场",
    "健身房",
    "幼儿园",
    "养老院",
    "屠宰场",
    "采砂",
    "渔船",
    "无人机",
    "粮食收购",
    "种子",
    "肥料",
    "饲料",
    "蜂业",
    "茶叶",
    "文物",
    "档案",
    "气象",
    "地震",
    "人防",
]
ACTS = [
    "登记",
    "备案",
    "许可",
    "审批",
    "核准",
    "认定",
    "年检",
    "变更",
    "注销",
    "延续",
    "补证",
    "证明",
    "确认",
    "奖励",
    "补贴发放",
    "资格认定",
]
DEPTS = [
    "农业农村局",
    "自然资源局",
    "住房和城乡建设局",
    "交通运输局",
    "文化和旅游局",
    "应急管理局",
    "市场监督管理局",
    "民政局",
    "水利局",
    "林业局",
]


def synthetic(n: int, rng: random.Random) -> list[Doc]:
    docs = []
    for i in range(n):
        subject, act = rng.choice(SUBJECTS), rng.choice(ACTS)
        name = f"{subject}{rng.choice(['经营', '建设', '使用', '从业', ''])}{act}"
        docs.append(
            item_doc(
                code=f"9{i:011d}",
                name=name,
                department=f"青溪县{rng.choice(DEPTS)}",
                levels=["county"],
                keywords=[f"办{subject}{act}", f"{subject}手续"],
                result_name=f"{subject}{act}证明",
                content=f"{subject}相关的{act}事项。",
                materials=["申请表", "身份证明", f"{subject}情况说明"],
            )
        )
    return docs


def real_docs() -> list[Doc]:
    names = {item["code"]: item["name"] for item in ITEMS}
    docs = [
        item_doc(
            code=item["code"],
            name=item["name"],
            department=item["department"],
            levels=item["levels"],
            keywords=item["keywords"],
            result_name=item["result_name"],
            content=item["content"],
            materials=[m["name"] for m in item["materials"]],
        )
        for item in ITEMS
    ]
    docs += [
        bundle_doc(
            code=b["code"],
            name=b["name"],
            keywords=b.get("keywords", []),
            description=b.get("description", ""),
            item_names=[names[c] for stage in b["order"] for c in stage if c in names],
        )
        for b in BUNDLES
    ]
    return docs


def substring_search(docs: list[Doc], query: str, limit: int = 3) -> list[str]:
    """The reference: what a LIKE '%query%' over name and keywords finds, names first."""
    by_name = [d.name for d in docs if query in d.name]
    by_phrase = [d.name for d in docs if query not in d.name and any(query in p for p in d.phrases)]
    return (by_name + by_phrase)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(20261128)
    real = real_docs()
    learn_terms([p for d in real for p in d.phrases])
    started = time.perf_counter()
    docs = real + synthetic(max(args.items - len(real), 0), rng)
    rng.shuffle(docs)
    index = SearchIndex(docs)
    build = time.perf_counter() - started
    queries = load_queries()

    def run(name: str, answer) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
        times, hits = [], 0
        for _ in range(3):  # three passes: steadier percentiles
            hits = 0
            for query, expected in queries:
                t = time.perf_counter()
                names = answer(query)
                times.append(time.perf_counter() - t)
                hits += hit(names, expected)
        rate = hits / len(queries)
        p50 = statistics.median(times) * 1000
        p95 = statistics.quantiles(times, n=20)[18] * 1000
        print(f"  {name:<28} top-3 hit rate {rate:6.1%}   p50 {p50:7.3f} ms   p95 {p95:7.3f} ms")
        return rate, p50, p95

    print(
        f"catalogue: {len(docs)} documents ({len(real)} real), index built in {build:.1f} s; "
        f"{len(queries)} labelled queries"
    )
    ours = run(
        "ours (jieba + synonyms + BM25)", lambda q: [h.name for h in index.search(q, limit=3)]
    )
    ref = run("substring (icontains)", lambda q: substring_search(docs, q))
    print(
        f"  hit rate: {ours[0]:.1%} vs {ref[0]:.1%};  p95 ratio ours/substring: "
        f"{ours[2] / ref[2]:.2f}x (goal <= 3x);  goal hit rate >= 95 %: "
        f"{'met' if ours[0] >= 0.95 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
