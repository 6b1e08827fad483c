"""Staff forms of the catalogue. They only turn posted fields into the guide dict the services take
(`services.version_as_data` shape); every rule is checked by the services."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from onewindow.org.models import Department, Region, Window

from .choices import (
    BUSINESS_STAGES,
    FORMS,
    LEVELS,
    LIFE_EVENTS,
    Handling,
    ItemKind,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ResultType,
)
from .models import Item, WindowAuthorisation

SEP = re.compile(r"[、,，\n]")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _words(value: str) -> list[str]:
    return [part.strip() for part in SEP.split(value or "") if part.strip()]


class VersionForm(forms.Form):
    """The main fields of a draft guide."""

    change_note = forms.CharField(label="修订说明", max_length=200, required=False)
    name = forms.CharField(label="事项名称", max_length=100, required=False)
    kind = forms.ChoiceField(label="事项类型", choices=ItemKind.choices)
    levels = forms.MultipleChoiceField(
        label="可办理层级", choices=LEVELS, widget=forms.CheckboxSelectMultiple, required=False
    )
    power_source = forms.CharField(label="权力来源", max_length=50, required=False)
    content = forms.CharField(
        label="服务内容", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    legal_basis = forms.CharField(
        label="设定依据",
        required=False,
        help_text="每行一条。",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    conditions = forms.CharField(
        label="受理条件",
        required=False,
        help_text="每行一条。",
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    handling = forms.ChoiceField(label="办件类型", choices=Handling.choices)
    statutory_limit = forms.IntegerField(label="法定办结时限", min_value=0, max_value=3650)
    promised_limit = forms.IntegerField(label="承诺办结时限", min_value=0, max_value=3650)
    limit_unit = forms.ChoiceField(label="时限单位", choices=LimitUnit.choices)
    limit_note = forms.CharField(label="时限说明", max_length=200, required=False)
    visits = forms.IntegerField(label="到现场次数", min_value=0, max_value=99)
    online_depth = forms.ChoiceField(label="网办深度", choices=OnlineDepth.choices)
    forms_ = forms.MultipleChoiceField(  # renamed to "forms" below (the name shadows the module)
        label="办理形式", choices=FORMS, widget=forms.CheckboxSelectMultiple, required=False
    )
    result_type = forms.ChoiceField(label="结果类型", choices=ResultType.choices)
    result_name = forms.CharField(label="结果名称", max_length=100, required=False)
    place = forms.CharField(label="办理地点", max_length=200, required=False)
    hours = forms.CharField(label="办理时间", max_length=100, required=False)
    phone = forms.CharField(label="咨询电话", max_length=32, required=False)
    keywords = forms.CharField(
        label="常用说法", required=False, help_text="用“、”分隔，例如：开饭店、办餐饮许可。"
    )
    co_departments = forms.MultipleChoiceField(
        label="协办部门",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="需要并联审批的部门。保存后，默认办理流程会为每个协办部门增加一个会签分支。",
    )

    LIST_FIELDS = ("legal_basis", "conditions")
    WORD_FIELDS = ("keywords",)

    def __init__(self, *args: Any, department: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["co_departments"].choices = [  # type: ignore[attr-defined]
            (d.code, d.name)
            for d in Department.objects.order_by("code").only("code", "name")
            if d.code != department
        ]

    @classmethod
    def initial_from(cls, data: dict[str, Any]) -> dict[str, Any]:
        initial = {name: data.get(name) for name in cls.base_fields}
        for name in cls.LIST_FIELDS:
            initial[name] = "\n".join(data.get(name) or [])
        for name in cls.WORD_FIELDS:
            initial[name] = "、".join(data.get(name) or [])
        return initial

    def apply_to(self, data: dict[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for name, value in self.cleaned_data.items():
            if name in self.LIST_FIELDS:
                out[name] = _lines(value)
            elif name in self.WORD_FIELDS:
                out[name] = _words(value)
            elif isinstance(value, str):
                out[name] = value.strip()
            else:
                out[name] = value
        return out


VersionForm.base_fields = {
    ("forms" if name == "forms_" else name): field
    for name, field in VersionForm.base_fields.items()
}


class NewItemForm(forms.Form):
    department = forms.ModelChoiceField(
        label="实施部门", queryset=Department.objects.none(), empty_label="请选择"
    )
    code = forms.RegexField(
        label="基本编码",
        regex=r"^\d{12}$",
        error_messages={"invalid": "基本编码应为 12 位数字。"},
        help_text="12 位数字，按省级事项目录填写。",
    )

    def __init__(self, *args: Any, departments: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"]
        if Item.objects.filter(code=code).exists():
            raise forms.ValidationError(f"基本编码 {code} 已有事项，请在清单中找到它修订。")
        return code


class RowForm(forms.Form):
    """A row of a table of inputs: the column header is the only visible label, so each input
    carries its own for screen readers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label or ""))


class MaterialForm_(RowForm):
    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    name = forms.CharField(label="材料名称", max_length=200, required=False)
    required = forms.BooleanField(label="必须", required=False)
    deficiency_ok = forms.BooleanField(label="可容缺", required=False)
    situational = forms.BooleanField(label="特定情形", required=False)
    form = forms.ChoiceField(label="形式", choices=MaterialForm.choices)
    copies = forms.IntegerField(label="份数", min_value=0, max_value=99, initial=1)
    source = forms.ChoiceField(
        label="来源", choices=MaterialSource.choices, initial=MaterialSource.APPLICANT
    )
    standard = forms.CharField(label="受理标准", max_length=300, required=False)


class FeeForm(RowForm):
    name = forms.CharField(label="收费项目", max_length=100, required=False)
    standard = forms.CharField(label="收费标准", max_length=200, required=False)
    basis = forms.CharField(label="收费依据", max_length=300, required=False)
    reduction = forms.CharField(label="减免政策", max_length=300, required=False)


class FaqForm(RowForm):
    q = forms.CharField(label="问题", max_length=200, required=False)
    a = forms.CharField(label="解答", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SituationRowForm(RowForm):
    """One option of one situation question, as in the exchange workbook's 情形 sheet: the rows
    of one question share its 情形标识 and its wording."""

    situation = forms.CharField(label="情形标识", max_length=40, required=False)
    question = forms.CharField(label="问题", max_length=200, required=False)
    option = forms.CharField(label="选项标识", max_length=40, required=False)
    answer = forms.CharField(label="选项", max_length=100, required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)
    add = forms.MultipleChoiceField(
        label="增加材料", required=False, widget=forms.CheckboxSelectMultiple
    )
    remove = forms.MultipleChoiceField(
        label="去除材料", required=False, widget=forms.CheckboxSelectMultiple
    )
    conditions = forms.CharField(
        label="增加受理条件",
        required=False,
        help_text="选择该选项时另需满足的条件，每行一条。",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    promised_limit = forms.IntegerField(
        label="承诺时限", required=False, min_value=0, max_value=3650, help_text="不变的留空"
    )
    statutory_limit = forms.IntegerField(
        label="法定时限", required=False, min_value=0, max_value=3650, help_text="不变的留空"
    )

    def __init__(
        self, *args: Any, materials: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in ("add", "remove"):
            self.fields[name].choices = materials or []  # type: ignore[attr-defined]

    def _chosen(self, name: str) -> str:
        """The names of the materials ticked in `name`, for the folded cell's summary."""
        value = self[name].value() or []
        names = dict(self.fields[name].choices)  # type: ignore[attr-defined]
        return "、".join(str(names[k]) for k in value if k in names)

    @property
    def add_names(self) -> str:
        return self._chosen("add")

    @property
    def remove_names(self) -> str:
        return self._chosen("remove")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("DELETE") or not any(
            str(data.get(k) or "").strip() for k in ("situation", "question", "option", "answer")
        ):
            return data
        for name, label in (
            ("situation", "情形标识"),
            ("question", "问题"),
            ("option", "选项标识"),
            ("answer", "选项"),
        ):
            if not str(data.get(name) or "").strip():
                self.add_error(
                    name, f"请填写{label}（同一问题的各选项行填写相同的情形标识和问题）。"
                )
        return data


def situation_rows(situations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The formset's initial rows: one per option."""
    return [
        {
            "situation": s["key"],
            "question": s["question"],
            "option": o["key"],
            "answer": o["answer"],
            "note": o.get("note", ""),
            "add": list(o.get("add", [])),
            "remove": list(o.get("remove", [])),
            "conditions": "\n".join(o.get("conditions") or []),
            "promised_limit": o.get("promised_limit"),
            "statutory_limit": o.get("statutory_limit"),
        }
        for s in situations
        for o in s.get("options", [])
    ]


def option_effects(row: dict[str, Any]) -> dict[str, Any]:
    """What a situation row's option changes besides materials, as the services take it."""
    return {
        "conditions": _lines(str(row.get("conditions") or "")),
        "promised_limit": row.get("promised_limit"),
        "statutory_limit": row.get("statutory_limit"),
    }


def situations_from(formset: Any) -> list[dict[str, Any]]:
    """The situations as the services take them: rows grouped by 情形标识 in their order, the
    question from the first row of each."""
    grouped: dict[str, dict[str, Any]] = {}
    for row in rows_from(formset, ("situation", "question", "option", "answer")):
        key = str(row["situation"]).strip()
        situation = grouped.setdefault(
            key, {"key": key, "question": str(row["question"]).strip(), "options": []}
        )
        situation["options"].append(
            {
                "key": str(row["option"]).strip(),
                "answer": str(row["answer"]).strip(),
                "note": str(row.get("note") or "").strip(),
                "add": list(row.get("add") or []),
                "remove": list(row.get("remove") or []),
                **option_effects(row),
            }
        )
    return list(grouped.values())


MaterialFormSet = forms.formset_factory(MaterialForm_, extra=2, can_delete=True)


class BaseSituationFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        questions: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        problems = []
        for row in rows_from(self, ("situation", "question", "option", "answer")):
            key, option = str(row["situation"]).strip(), str(row["option"]).strip()
            question = str(row["question"]).strip()
            if questions.setdefault(key, question) != question:
                problems.append(
                    f"情形 {key} 的各行问题不一致（“{questions[key]}”与“{question}”），"
                    "请改为相同的问题，或给不同的问题用不同的情形标识。"
                )
            if (key, option) in seen:
                problems.append(f"情形 {key} 中选项标识 {option} 重复，请改为不同的标识。")
            seen.add((key, option))
        if problems:
            raise forms.ValidationError(problems)


SituationFormSet = forms.formset_factory(
    SituationRowForm, formset=BaseSituationFormSet, extra=2, can_delete=True
)
FeeFormSet = forms.formset_factory(FeeForm, extra=1, can_delete=True)
FaqFormSet = forms.formset_factory(FaqForm, extra=1, can_delete=True)


def rows_from(formset: Any, keep: tuple[str, ...]) -> list[dict[str, Any]]:
    """The filled, not deleted rows of a formset (a blank extra row is ignored)."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE"):
            continue
        if not any(str(data.get(k) or "").strip() for k in keep):
            continue
        rows.append({k: v for k, v in data.items() if k != "DELETE"})
    return rows


def materials_from(formset: Any, previous: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Material rows with their keys: an existing row keeps its key (situations and uploads refer
    to it); a new row gets the next free `mN`."""
    rows = rows_from(formset, ("name",))
    taken = {m["key"] for m in previous} | {r["key"] for r in rows if r.get("key")}
    n = 1
    out = []
    by_key = {m["key"]: m for m in previous}
    for row in rows:
        if not row.get("key"):
            while f"m{n}" in taken:
                n += 1
            row["key"] = f"m{n}"
            taken.add(row["key"])
        row["name"] = str(row.get("name") or "").strip()
        row["blank_form"] = bool(by_key.get(row["key"], {}).get("blank_form", False))
        out.append(row)
    return out


class ImportForm(forms.Form):
    file = forms.FileField(label="事项清单 Excel 文件（.xlsx）")


class DevolutionForm(forms.Form):
    item = forms.ModelChoiceField(
        label="事项", queryset=Item.objects.none(), empty_label="请选择事项"
    )
    regions = forms.ModelMultipleChoiceField(
        label="承接区划",
        queryset=Region.objects.none(),
        help_text="可多选（按住 Ctrl 键），乡镇（街道）或村（社区）。",
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    scope = forms.CharField(
        label="授权范围", max_length=300, initial="受理、审核、办结（全链条下沉）"
    )
    letter_no = forms.CharField(label="授权书文号", max_length=100)
    seal = forms.CharField(label="使用印章", max_length=100)
    responsible = forms.CharField(label="责任人", max_length=64)
    granted_on = forms.DateField(
        label="授权日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RecallForm(forms.Form):
    reason = forms.CharField(label="收回原因", max_length=200)


class WindowAuthorisationForm(forms.Form):
    window = forms.ModelChoiceField(
        label="窗口", queryset=Window.objects.none(), empty_label="请选择窗口"
    )
    item = forms.ModelChoiceField(
        label="事项", queryset=Item.objects.none(), empty_label="请选择事项"
    )
    powers = forms.MultipleChoiceField(
        label="授权权限",
        choices=WindowAuthorisation.POWERS,
        widget=forms.CheckboxSelectMultiple,
        initial=["accept"],
    )
    letter_no = forms.CharField(label="授权书文号", max_length=100)
    seal = forms.CharField(label="使用印章", max_length=100)
    responsible = forms.CharField(label="责任人", max_length=64)
    granted_on = forms.DateField(
        label="授权日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


class BundleForm(forms.Form):
    """A "one thing" bundle's own fields; its items come from `BundleStepFormSet`."""

    code = forms.CharField(
        label="编码",
        max_length=20,
        help_text="1 至 20 位字母、数字、“-”或“_”，例如 YJS-003；保存后不可更改。",
    )
    name = forms.CharField(label="名称", max_length=100, help_text="例如：开餐馆一件事")
    target = forms.ChoiceField(
        label="服务对象",
        choices=[("person", "个人"), ("company", "企业")],
        widget=forms.RadioSelect,
        initial="person",
    )
    promised_limit = forms.IntegerField(
        label="承诺办结时限（工作日）",
        min_value=1,
        max_value=365,
        help_text="一件事从受理到全部办结的承诺时限。",
    )
    description = forms.CharField(
        label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    shared_materials = forms.CharField(
        label="共用材料",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="各事项都要的材料只交一份，每行一项，例如：营业执照",
    )
    keywords = forms.CharField(
        label="常用说法",
        required=False,
        help_text="群众怎么说这件事，搜索时能找到，用顿号分隔，例如：我想开饭店、开餐馆",
    )
    life_events = forms.MultipleChoiceField(
        label="个人主题",
        required=False,
        choices=list(LIFE_EVENTS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    business_stages = forms.MultipleChoiceField(
        label="法人主题",
        required=False,
        choices=list(BUSINESS_STAGES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    # when the editor was loaded (`Bundle.updated_at`, ISO 8601 with microseconds): a bundle
    # changed since is refused, not overwritten
    updated = forms.DateTimeField(widget=forms.HiddenInput, required=False)

    def data_dict(self, stages: list[list[str]]) -> dict[str, Any]:
        """The cleaned fields in `services.bundle_save`'s shape."""
        d = self.cleaned_data
        return {
            "code": d["code"].strip(),
            "name": d["name"].strip(),
            "target": d["target"],
            "promised_limit": d["promised_limit"],
            "description": d["description"],
            "shared_materials": _lines(d["shared_materials"]),
            "keywords": _words(d["keywords"]),
            "life_events": d["life_events"],
            "business_stages": d["business_stages"],
            "order": stages,
        }

    @staticmethod
    def initial_from(data: dict[str, Any], updated: str) -> dict[str, Any]:
        return {
            **{k: v for k, v in data.items() if k != "order"},
            "shared_materials": "\n".join(data["shared_materials"]),
            "keywords": "、".join(data["keywords"]),
            "updated": updated,
        }


class BundleStepForm(RowForm):
    """One item of a bundle: its stage (same number: in parallel) and the item, typed as its code
    or picked from the list of published items ("002001005000 食品经营许可")."""

    stage = forms.IntegerField(label="阶段", min_value=1, max_value=20, required=False)
    item = forms.CharField(
        label="事项",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "bundle-items", "autocomplete": "off"}),
    )

    def clean_item(self) -> str:
        value = self.cleaned_data["item"].strip()
        return value.split()[0] if value else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        missing = not data.get("stage") and "stage" not in self.errors
        if data.get("item") and missing and not data.get("DELETE"):
            self.add_error("stage", "请填写阶段序号。")
        return data


def stages_from(formset: Any) -> list[list[str]]:
    """A valid `BundleStepFormSet`'s items grouped by stage, stages in order."""
    by_stage: dict[int, list[str]] = {}
    for row in rows_from(formset, ("item",)):
        by_stage.setdefault(row["stage"], []).append(row["item"])
    return [by_stage[n] for n in sorted(by_stage)]


class BaseBundleStepFormSet(forms.BaseFormSet):
    """A gap in the stage numbers (1, 3) is an error, so nobody loses a stage to a renumbering
    they did not see."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        numbers = sorted({row["stage"] for row in rows_from(self, ("item",))})
        if not numbers:
            raise forms.ValidationError("请至少列出一个事项。")
        if numbers != list(range(1, len(numbers) + 1)):
            gap = next(n for n in range(1, numbers[-1] + 1) if n not in numbers)
            raise forms.ValidationError(
                f"第 {gap} 阶段没有事项：阶段须从 1 起连续编号（已填：{'、'.join(map(str, numbers))}）。"
            )


BundleStepFormSet = forms.formset_factory(
    BundleStepForm, formset=BaseBundleStepFormSet, extra=3, can_delete=True
)
