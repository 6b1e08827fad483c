from django import forms


class StaffForm(forms.Form):
    username = forms.CharField(
        label="登录名",
        max_length=150,
        help_text="字母、数字、下划线或点，例如 zhangsan 或 scjg_sp3。",
    )
    name = forms.CharField(label="姓名", max_length=64)
    phone = forms.CharField(label="手机号码", max_length=20, required=False)
    password = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput,
        help_text="至少 10 位，含大写字母、小写字母、数字、符号中的 3 类。",
    )
