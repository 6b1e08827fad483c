"""Blank application forms (空白表格) and a filled example (填写样例) for the demo catalogue.

Real centres upload the forms their departments print; the demo county has none, so the demo
draws a plain one for each material flagged 有空白表格 whose kind it can tell from the name: an
application form (申请书, 申请表, 登记表 …: the applicant's particulars, what is applied for, the
pledge, the signature), a power of attorney (委托书), a pledge or declaration (承诺书, 声明书 …)
and a table whose columns the name lists (“参保人员增员表（职工姓名、身份证号码 …）”). Articles,
agreements, rules and minutes (章程, 协议, 制度, 决议 …) are model texts a department writes; the
demo has none. The food permit, the item of the demo's walk-through, also gets an example filled
in for a fictional applicant. They are stored and attached through the same services as an
upload (checked by content, audited)."""

from __future__ import annotations

import re
from typing import Any

import weasyprint
from django.template.loader import render_to_string

from onewindow.core.identifiers import credit_code_check_char
from onewindow.files.services import store_bytes

from .models import ItemVersion, Material
from .notice import OfflineFetcher
from .services import material_attach

FORM_NAME = re.compile(r"申请书|申请表|登记表|审批表|信息表|采集表|备案表|注册书")
MANDATE = re.compile(r"委托书")
PLEDGE = re.compile(r"承诺|声明|意愿书|书面意见|授权书")
TABLE = re.compile(r"(?:表|清册|书)（(?P<columns>[^）]+)）")  # the fields it asks for, if listed
ROSTER = re.compile(r"清册|增员表|花名册")  # one row per person
FORM_TITLE = re.compile(
    r"([^（]*?(?:委托书|承诺书|声明书|意愿书|授权书|申请书|申请表|登记表|审批表|信息表|采集表"
    r"|备案表|注册书|增员表|清册))"
)
EXAMPLE_ITEMS = {"002001005000"}  # 食品经营许可: the walk-through's item
_CODE = "91610799MA6X8Y2Q3"  # a fictional company's credit code, its check character computed
EXAMPLE = {
    "applicant": "青溪县好味道餐饮有限公司",
    "code": _CODE + credit_code_check_char(_CODE),
    "person": "王  明（法定代表人）",
    "phone": "139 0000 0012",
    "address": "青溪县城关街道人民路 18 号",
    "content": "新办：在人民路 18 号一层经营热食类食品制售（餐饮服务，营业面积 120 平方米）",
    "signed": "王明",
    "date": "2026 年 3 月 2 日",
}


def form_kind(name: str) -> tuple[str, list[str]] | None:
    """What form the demo draws for a material of this name, with the fields the name lists; None
    when it is a model text the demo does not write."""
    table = TABLE.search(name)
    columns = [c.strip() for c in table["columns"].split("、")] if table else []
    columns = columns if len(columns) >= 2 else []
    if columns and ROSTER.search(name):
        return "table", columns
    if MANDATE.search(name):
        return "mandate", []
    if FORM_NAME.search(name):
        return "application", columns
    if PLEDGE.search(name):
        return "pledge", columns
    return None


def form_title(name: str) -> str:
    """The form's own name within the material's: “授权委托书及受托人身份证件” → “授权委托书”,
    “参保人员增员表（职工姓名 …）” → “参保人员增员表”."""
    own = FORM_TITLE.match(name)
    return own[1] if own else name


_RENDERED: dict[tuple[str, str, bool], bytes] = {}


def form_pdf(
    version: ItemVersion,
    material: Material,
    form: tuple[str, list[str]],
    *,
    example: bool = False,
) -> bytes:
    """The form (`form_kind` of the material's name) as a PDF, drawn once per process for an
    item's material."""
    key = (version.item.code, material.key, example)
    if key not in _RENDERED:
        kind, columns = form
        html = render_to_string(
            "catalogue/demo_form.html",
            {
                "v": version,
                "m": material,
                "kind": kind,
                "columns": columns,
                "title": form_title(material.name),
                "rows": range(12),
                "example": EXAMPLE if example else None,
            },
        )
        _RENDERED[key] = weasyprint.HTML(
            string=html, base_url=None, url_fetcher=OfflineFetcher()
        ).write_pdf()
    return _RENDERED[key]


def attach_forms(version: ItemVersion, *, actor: Any = None) -> int:
    """Attach a blank form to each material of a draft flagged 有空白表格 that has none yet and
    whose kind `form_kind` knows; for `EXAMPLE_ITEMS` an example of its application form too.
    Returns how many files were attached."""
    attached = 0
    for material in version.materials.filter(has_blank_form=True, blank_file__isnull=True):
        kind = form_kind(material.name)
        if kind is None:
            continue
        kinds = [("blank", "空白表格", False)]
        if kind[0] == "application" and version.item.code in EXAMPLE_ITEMS:
            kinds.append(("example", "填写样例", True))
        for which, label, example in kinds:
            stored = store_bytes(
                content=form_pdf(version, material, kind, example=example),
                name=f"{material.name}（{label}）.pdf",
                actor=actor,
            )
            material_attach(
                version=version, material=material, which=which, stored=stored, actor=actor
            )
            attached += 1
    return attached
