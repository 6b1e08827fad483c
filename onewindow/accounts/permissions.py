"""What each role may do. One table, read by pages, the API and the tests' permission matrix.

The three administrators are kept apart (MLPS 2.0 level 3): the system administrator manages the
organisation, staff and calendar; the security administrator manages sign-in security; the
audit administrator reads the audit log. None holds another's permission nor a business one.
"""

from __future__ import annotations

from .choices import Role

R = Role

PERMISSIONS: dict[str, frozenset[str]] = {
    # everyone on staff may look at the organisation within their jurisdiction
    "org.view": frozenset(
        {R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.GUIDE, R.AGENT, R.SUPERVISOR, R.SYSADMIN}
    ),
    "org.manage": frozenset({R.SYSADMIN}),
    "calendar.manage": frozenset({R.SYSADMIN}),
    "staff.manage": frozenset({R.SYSADMIN}),
    "staff.mark_absent": frozenset({R.DEPT_HEAD, R.SUPERVISOR}),
    "applicant.view": frozenset(
        {R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.GUIDE, R.AGENT, R.SUPERVISOR}
    ),
    # whole ID and phone numbers: the counter checks identity, the supervisor investigates
    "personal.reveal": frozenset({R.ACCEPTOR, R.SUPERVISOR}),
    "security.manage": frozenset({R.SECADMIN}),
    "audit.view": frozenset({R.AUDITADMIN}),
    # the catalogue: every business post reads the staff view of it; a department head drafts
    # their own department's items; the system administrator drafts any item, reviews and
    # publishes (never a version they drafted themselves), imports, grants and defines the
    # "one thing" bundles, which cross departments
    "catalogue.view": frozenset(
        {R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.GUIDE, R.AGENT, R.SUPERVISOR, R.SYSADMIN}
    ),
    "catalogue.edit": frozenset({R.DEPT_HEAD, R.SYSADMIN}),
    "catalogue.publish": frozenset({R.SYSADMIN}),
    "catalogue.import": frozenset({R.SYSADMIN}),
    "catalogue.grant": frozenset({R.SYSADMIN}),
    "catalogue.bundle": frozenset({R.SYSADMIN}),
    # cases: business posts see the cases of their jurisdiction; the counter accepts and hands
    # results over; approvers and department heads handle the back-office steps
    "case.view": frozenset({R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.GUIDE, R.AGENT, R.SUPERVISOR}),
    "case.accept": frozenset({R.ACCEPTOR}),
    "case.handle": frozenset({R.APPROVER, R.DEPT_HEAD}),
    # messages to applicants and staff: the supervisor and the system administrator read the
    # outbox (numbers masked); only the system administrator sends a failed message again
    "notify.view": frozenset({R.SUPERVISOR, R.SYSADMIN}),
    "notify.retry": frozenset({R.SYSADMIN}),
    # 电子监察: the supervisor watches the whole jurisdiction's clocks, a department head their
    # department's; only the supervisor edits the escalation ladder
    "supervision.view": frozenset({R.SUPERVISOR, R.DEPT_HEAD}),
    "supervision.manage": frozenset({R.SUPERVISOR}),
    # 民情直通车: a unit (village/town post, county department post) signs for and answers
    # the appeals dispatched to it; the county command centre (the supervisor) dispatches,
    # transfers and approves; the hotline operator (supervisor) and the counter file for callers
    "appeal.handle": frozenset({R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.AGENT, R.SUPERVISOR}),
    "appeal.dispatch": frozenset({R.SUPERVISOR}),
    "appeal.intake": frozenset({R.SUPERVISOR, R.ACCEPTOR}),
    # 好差评: every business post sees the ratings of their own service (without who rated);
    # the counter runs the rating tablet; cards are entered by the counter and the supervisor;
    # department heads and the supervisor see the ratings of their jurisdiction; a bad review's
    # rectification is investigated and answered by the department head, revisited and closed
    # by the supervisor
    "evaluation.mine": frozenset(
        {R.ACCEPTOR, R.APPROVER, R.DEPT_HEAD, R.GUIDE, R.AGENT, R.SUPERVISOR}
    ),
    "evaluation.counter": frozenset({R.ACCEPTOR}),
    "evaluation.enter_card": frozenset({R.ACCEPTOR, R.SUPERVISOR}),
    "evaluation.view": frozenset({R.SUPERVISOR, R.DEPT_HEAD}),
    "rectification.handle": frozenset({R.DEPT_HEAD}),
    "rectification.review": frozenset({R.SUPERVISOR}),
    # statistics: business figures, so not the three administrators; the supervisor sees the
    # jurisdiction, a department head their department; the supervisor runs the periodic
    # assessment (日督查、周回访、月评议、季考核) and its reports
    "stats.view": frozenset({R.SUPERVISOR, R.DEPT_HEAD}),
    "stats.report": frozenset({R.SUPERVISOR}),
}


def roles_for(permission: str) -> frozenset[str]:
    return PERMISSIONS[permission]


def admin_role(actor: object | None) -> str:
    """The role an organisation write is recorded under: the system administrator's, or the
    system's own when a command (the demo, an import) makes it."""
    return R.SYSADMIN if actor is not None else "system"
