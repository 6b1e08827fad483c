from __future__ import annotations

from collections.abc import Callable

from django import forms

from onewindow.core.errors import InvalidInput
from onewindow.core.identifiers import validate_credit_code, validate_id_number, validate_phone

from .choices import ApplicantKind


def _checked(check: Callable[..., str], value: str) -> str:
    try:
        return check(value)
    except InvalidInput as exc:
        raise forms.ValidationError(exc.message) from None


class StaffLoginForm(forms.Form):
    username = forms.CharField(
        label="登录名", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ApplicantLoginForm(forms.Form):
    username = forms.CharField(
        label="手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="动态验证码",
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"invalid": "动态验证码为 6 位数字，请查看身份验证器应用。"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ApplicantRegisterForm(forms.Form):
    kind = forms.ChoiceField(
        label="申请人类型",
        choices=ApplicantKind.choices,
        widget=forms.RadioSelect,
        initial=ApplicantKind.PERSON,
    )
    name = forms.CharField(label="姓名 / 单位名称", max_length=100)
    id_number = forms.CharField(label="身份证号码（自然人填写）", max_length=18, required=False)
    credit_code = forms.CharField(
        label="统一社会信用代码（法人填写）", max_length=18, required=False
    )
    legal_representative = forms.CharField(
        label="法定代表人（法人填写）", max_length=64, required=False
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput,
        help_text="至少 10 位，含大写字母、小写字母、数字、符号中的 3 类。",
    )
    password2 = forms.CharField(label="再次输入密码", strip=False, widget=forms.PasswordInput)

    def clean_phone(self) -> str:
        return _checked(validate_phone, self.cleaned_data["phone"])

    def clean(self) -> dict:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == ApplicantKind.PERSON:
            if not data.get("id_number"):
                self.add_error("id_number", "自然人请填写 18 位身份证号码。")
            else:
                try:
                    data["id_number"] = validate_id_number(data["id_number"])
                except InvalidInput as exc:
                    self.add_error("id_number", exc.message)
        elif kind == ApplicantKind.LEGAL:
            if not data.get("credit_code"):
                self.add_error("credit_code", "法人请填写 18 位统一社会信用代码。")
            else:
                try:
                    data["credit_code"] = validate_credit_code(data["credit_code"])
                except InvalidInput as exc:
                    self.add_error("credit_code", exc.message)
            if not data.get("legal_representative"):
                self.add_error("legal_representative", "请填写法定代表人姓名。")
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致。")
        return data
