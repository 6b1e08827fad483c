from django.db import models


class UserKind(models.TextChoices):
    STAFF = "staff", "工作人员"
    APPLICANT = "applicant", "办事群众/企业"


class Role(models.TextChoices):
    ACCEPTOR = "acceptor", "受理员"
    APPROVER = "approver", "审批员"
    DEPT_HEAD = "dept_head", "部门负责人"
    GUIDE = "guide", "导办员"
    AGENT = "agent", "代办员"
    SUPERVISOR = "supervisor", "中心监察员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"


# MLPS 2.0 level 3 separates the three administrators: none may hold another's role, nor a
# business role, and each needs a TOTP second factor.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN})
BUSINESS_ROLES = frozenset(set(Role) - ADMIN_ROLES)


class ApplicantKind(models.TextChoices):
    PERSON = "person", "自然人"
    LEGAL = "legal", "法人及其他组织"
