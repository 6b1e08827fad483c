"""The public page of published appeals (诉求公开): no sign-in, anonymised.

What is shown: number, type, category, the place down to the village (region names only, never
the street address the citizen gave), filed date, status, the text and the final reply with the
replying unit's name. What never is: the citizen's name and callback phone, the address field,
staff names, internal notes. Title, content and reply are passed through `anonymise`, which
hides phone numbers, ID numbers, long digit runs, e-mail addresses, house numbers, the caller's
own name and names introduced by the usual patterns (我叫…, 联系人…, 王师傅…).

Which appeals: those whose citizen agreed to publication — except reports (举报), never
published, see `selectors.publishable`. The last four digits of the callback phone are the key to
tracking and rating an appeal, so a phone number is hidden whole, not as 139****5678.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from . import selectors
from .choices import Kind, Status
from .models import Appeal
from .services import unit_name

PAGE_SIZE = 20
HIDDEN = "***"
SOMEONE = "某某"

_D = "[0-9０-９]"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # e-mail addresses
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), HIDDEN),
    # ID numbers (18 digits, the last may be X; old 15-digit ones fall to the digit-run rule)
    (re.compile(rf"(?<!{_D}){_D}{{17}}[0-9０-９Xx](?!{_D})"), HIDDEN),
    # mobile numbers, also written with spaces or dashes (139 1234 5678)
    (re.compile(rf"(?<!{_D})1[3-9]{_D}[\s-]?{_D}{{4}}[\s-]?{_D}{{4}}(?!{_D})"), HIDDEN),
    # landlines with an area code (0916-5412345)
    (re.compile(rf"(?<!{_D})0{_D}{{2,3}}[-－—\s]?{_D}{{7,8}}(?!{_D})"), HIDDEN),
    # any other run of 7 or more digits: landlines, bank cards, licence plates' digits …
    (re.compile(rf"{_D}{{7,}}"), HIDDEN),
    # house numbers: 12号, 3栋, 2单元, 501室 (the address stays at the village)
    (re.compile(rf"{_D}+\s*(号楼|号院|号|栋|幢|单元|室|户)"), r"**\1"),
]
_NAME_INTRO = re.compile(
    r"(我叫|本人叫|我的名字是|(?:姓名|联系人|诉求人|反映人|经办人|承办人)\s*[:：是为])"
    r"\s*[\u4e00-\u9fff·]{2,4}"
)
# the commonest surnames, for 王师傅 / 李大爷 / 张女士 style mentions of a person
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
_TITLED = re.compile(
    rf"[{_SURNAMES}](先生|女士|小姐|师傅|阿姨|大爷|大妈|大娘|大姐|大哥|老人|老汉|奶奶|爷爷)"
)


def anonymise(text: str, *, names: tuple[str, ...] = ()) -> str:
    """`text` with personal data hidden (see the module's docstring). `names`: names known to
    belong to the people involved (the caller's), hidden wherever they occur."""
    out = text or ""
    for name in names:
        name = (name or "").strip()
        if len(name) >= 2:
            out = out.replace(name, SOMEONE)
    out = _NAME_INTRO.sub(lambda m: m.group(1) + SOMEONE, out)
    out = _TITLED.sub(lambda m: "某" + m.group(1), out)
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out


def place(appeal: Appeal) -> str:
    """The appeal's place down to the village: town / village names, nothing more."""
    region = appeal.region
    if region.parent is not None and region.level == "village":
        return f"{region.parent.name} {region.name}"
    return region.name


def public_view(appeal: Appeal, *, with_reply: bool = False) -> dict[str, Any]:
    """What the public page may show of one appeal: every text anonymised."""
    names = (appeal.caller_name,)
    view: dict[str, Any] = {
        "number": appeal.number,
        "kind": appeal.get_kind_display(),
        "category": (
            f"{appeal.category.parent.name} / {appeal.category.name}"
            if appeal.category.parent is not None
            else appeal.category.name
        ),
        "place": place(appeal),
        "filed_on": appeal.filed_on,
        "status": appeal.status,
        "status_label": appeal.get_status_display(),
        "title": anonymise(appeal.title, names=names),
    }
    if with_reply:
        view["content"] = anonymise(appeal.content, names=names)
        reply = selectors.final_reply(appeal)
        view["reply"] = (
            {
                "unit": unit_name(reply.region, reply.department),
                "on": reply.closed_on,
                "text": anonymise(reply.reply, names=names),
            }
            if reply is not None and appeal.status in (Status.REPLIED, Status.CLOSED)
            else None
        )
        view["timeline"] = selectors.public_timeline(appeal)
    return view


FILTERS = ("category", "kind", "region", "status")


def public_list(request: HttpRequest) -> HttpResponse:
    params = {k: request.GET.get(k, "").strip()[:32] for k in FILTERS}
    params = {k: v for k, v in params.items() if v}
    page = Paginator(selectors.published(**params), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appeals/public_list.html",
        {
            "page": page,
            "rows": [public_view(a) for a in page.object_list],
            "params": params,
            "query": urlencode(params),
            "categories": selectors.top_categories(),
            "kinds": [(v, label) for v, label in Kind.choices if v != Kind.REPORT],
            "towns": selectors.towns(),
            "statuses": Status.choices,
        },
    )


def public_detail(request: HttpRequest, number: str) -> HttpResponse:
    appeal = selectors.published_one(number)
    if appeal is None:
        raise Http404("没有这条公开的诉求。")
    return render(
        request, "appeals/public_detail.html", {"a": public_view(appeal, with_reply=True)}
    )
