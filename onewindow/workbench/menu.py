"""The workbench menu: each entry shows only to the roles whose permission it needs."""

from __future__ import annotations

from onewindow.accounts.models import User
from onewindow.accounts.selectors import has_permission

MENU = [
    ("home", "我的工作台", "workbench:home", None),
    ("cases", "办件", "casework:queue", "case.view"),
    ("supervision", "电子监察", "supervision:board", "supervision.view"),
    ("evaluation", "好差评", "evaluation:home", "evaluation.mine"),
    ("appeals", "民情直通车", "appeals:queue", "appeal.handle"),
    ("appeal_window", "办不成事窗口", "appeals:window", "appeal.intake"),
    ("appeals-dashboard", "民情指挥", "appeals:dashboard", "appeal.dispatch"),
    ("windows", "窗口", "workbench:windows", "org.view"),
    ("staff", "人员与AB岗", "workbench:staff", "org.view"),
    ("applicants", "申请人", "workbench:applicants", "applicant.view"),
    ("catalogue", "事项清单", "catalogue:items", "catalogue.view"),
    ("calendar", "工作日历", "workbench:calendar", "org.view"),
    ("stats", "统计分析", "stats:overview", "stats.view"),
    ("audit", "审计日志", "workbench:audit", "audit.view"),
    ("security", "登录安全", "workbench:security", "security.manage"),
    ("sysadmin", "系统管理", "admin:index", "org.manage"),
    ("messages", "消息发送", "notifications:outbox", "notify.view"),
]


def menu_for(user: User) -> list[tuple[str, str, str]]:
    return [
        (key, label, url)
        for key, label, url, perm in MENU
        if perm is None or has_permission(user, perm)
    ]
