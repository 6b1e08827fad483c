"""The default escalation ladder (data, editable on the ladder page by the centre's supervisor):
1 yellow → the holder; 2 red → the holder; 3 two working days overdue → the department head;
4 five working days overdue → the centre's supervisor."""

from django.db import migrations

LADDER = [
    (
        1,
        "warning",
        0,
        "holder",
        "【黄牌预警】您承办的办件 {number}（{item}）{clock}将于 {due} 到期（环节：{step}），"
        "请抓紧办理。",
    ),
    (
        2,
        "overdue",
        0,
        "holder",
        "【红牌超期】您承办的办件 {number}（{item}）{clock}已于 {due} 到期，现已超期，"
        "请立即办理并说明超期原因。",
    ),
    (
        3,
        "overdue",
        2,
        "dept_head",
        "【超期督办】本部门办件 {number}（{item}）{clock}已超期 {days} 个工作日（到期日 {due}，"
        "环节：{step}），请督促承办人办理。",
    ),
    (
        4,
        "overdue",
        5,
        "supervisor",
        "【超期上报】办件 {number}（{item}，{department}）{clock}已超期 {days} 个工作日"
        "（到期日 {due}），经承办人、部门负责人两级催办仍未办结，请中心督查。",
    ),
]


def seed(apps, schema_editor):
    Rule = apps.get_model("supervision", "EscalationRule")
    if Rule.objects.exists():
        return
    for level, state, after, role, template in LADDER:
        Rule.objects.create(
            level=level, state=state, after_days=after, role=role, template=template
        )


def unseed(apps, schema_editor):
    apps.get_model("supervision", "EscalationRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("supervision", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
