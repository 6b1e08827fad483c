"""Flow templates: how a case of an item moves — states, actions, who may take each, the time limit
of each state, and joint-approval stages that fan out to several departments (one leads).

The template is data (shaped after eGov DIGIT's workflow business services: states, actions,
roles, per-state SLA, counted on our working-day calendar). The case engine runs it; this module
defines it and checks it before it can be saved:
- exactly one start state and at least one end state; end states have no actions;
- every state reachable from the start, and an end state reachable from every state;
- on every path from the start to an end (without repeating a state), the state limits add up to
  no more than the item's promised limit;
- a joint stage has at least two departments, exactly one of them leading, each branch's limit
  within the stage's;
- roles are roles the platform knows.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from onewindow.accounts.choices import Role

STATE_KINDS = {"start": "开始", "task": "办理", "joint": "并联审批", "end": "办结"}


def flow_problems(
    flow: dict[str, Any],
    *,
    promised_limit: int,
    departments: set[str],
    unit: str = "个工作日",
) -> list[str]:
    """Every rule the flow breaks, in words a catalogue clerk understands (empty when valid).
    `unit` is the item's time-limit unit as the guide says it (“个工作日”, “个自然日” …): the
    state limits count in the item's unit."""
    bare_unit = unit.removeprefix("个")
    problems: list[str] = []
    states = {s["key"]: s for s in flow.get("states", [])}
    names = {k: s.get("name", k) for k, s in states.items()}
    if len(states) != len(flow.get("states", [])):
        problems.append("环节标识有重复。")
    actions = flow.get("actions", [])
    starts = [k for k, s in states.items() if s.get("kind") == "start"]
    ends = {k for k, s in states.items() if s.get("kind") == "end"}
    if len(starts) != 1:
        problems.append(f"流程应有且只有一个开始环节，现有 {len(starts)} 个。")
    if not ends:
        problems.append("流程至少要有一个办结环节。")
    for key, state in states.items():
        if state.get("kind") not in STATE_KINDS:
            problems.append(f"环节“{names[key]}”的类型无效。")
        limit = state.get("limit", 0)
        if not isinstance(limit, int) or limit < 0:
            problems.append(f"环节“{names[key]}”的时限应为不小于 0 的整数（{bare_unit}）。")
        bad_roles = set(state.get("roles", [])) - set(Role.values)
        if bad_roles:
            problems.append(f"环节“{names[key]}”含有未知角色：{'、'.join(sorted(bad_roles))}。")
        if state.get("kind") == "joint":
            branches = state.get("branches", [])
            leads = [b for b in branches if b.get("lead")]
            if len(branches) < 2:
                problems.append(f"并联环节“{names[key]}”至少要有两个部门。")
            if len(leads) != 1:
                problems.append(f"并联环节“{names[key]}”应有且只有一个牵头部门。")
            for branch in branches:
                if branch.get("department") not in departments:
                    problems.append(
                        f"并联环节“{names[key]}”的部门 {branch.get('department')} 不存在。"
                    )
                if branch.get("limit", 0) > limit:
                    problems.append(
                        f"并联环节“{names[key]}”中部门时限超过了环节时限 {limit} {unit}。"
                    )
    graph: dict[str, list[str]] = {k: [] for k in states}
    for action in actions:
        source, target = action.get("from"), action.get("to")
        label = action.get("name", action.get("key", "?"))
        if source not in states or target not in states:
            problems.append(f"操作“{label}”连接了不存在的环节。")
            continue
        if source in ends:
            problems.append(f"办结环节“{names[source]}”之后不能再有操作“{label}”。")
        bad_roles = set(action.get("roles", [])) - set(Role.values)
        if bad_roles:
            problems.append(f"操作“{label}”含有未知角色：{'、'.join(sorted(bad_roles))}。")
        if not action.get("roles"):
            problems.append(f"操作“{label}”没有指定可执行的角色。")
        graph[source].append(target)
    if problems or len(starts) != 1:
        return problems
    start = starts[0]
    reachable = _reach(start, graph)
    for key in states:
        if key not in reachable:
            problems.append(f"环节“{names[key]}”从开始环节无法到达。")
    reverse: dict[str, list[str]] = {k: [] for k in states}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].append(source)
    can_finish = set().union(*(_reach(end, reverse) for end in ends)) if ends else set()
    for key in states:
        if key in reachable and key not in can_finish:
            problems.append(f"从环节“{names[key]}”无法到达任何办结环节。")
    if not problems:
        longest, path = _longest_path(start, graph, {k: states[k].get("limit", 0) for k in states})
        if longest > promised_limit:
            route = " → ".join(names[k] for k in path)
            problems.append(
                f"各环节时限合计可达 {longest} {unit}（{route}），超过了承诺时限 "
                f"{promised_limit} {unit}。"
            )
    return problems


def situation_state_limit(limit: int, promised: int, item_promised: int) -> int:
    """A flow state's limit for an applicant whose answers shortened the promise (a 情形 with its
    own promised limit): every state's limit shrinks in the same proportion, rounded down, so the
    states of any path still fit inside the shorter promise, as `flow_problems` holds them to the
    item's. A promise as long as the item's or longer leaves the limit as the flow says."""
    if 0 <= promised < item_promised:
        return limit * promised // item_promised
    return limit


def _reach(start: str, graph: dict[str, list[str]]) -> set[str]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph[queue.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _longest_path(
    start: str, graph: dict[str, list[str]], limit: dict[str, int]
) -> tuple[int, list[str]]:
    """The heaviest path without repeated states (flows are small: a few dozen states)."""
    best: tuple[int, list[str]] = (limit[start], [start])

    def walk(node: str, total: int, path: list[str]) -> None:
        nonlocal best
        if total > best[0]:
            best = (total, list(path))
        for nxt in graph[node]:
            if nxt not in path:
                path.append(nxt)
                walk(nxt, total + limit[nxt], path)
                path.pop()

    walk(start, limit[start], [start])
    return best


def default_flow(
    *, handling: str, promised_limit: int, department: str, co_departments: list[str]
) -> dict[str, Any]:
    """The usual flow of a county item: accept at the counter, review, decide, finish; with a
    joint stage when other departments co-handle; accept-and-finish for an immediate item."""
    accept = {"key": "accept", "name": "受理", "kind": "start", "limit": 0, "roles": ["acceptor"]}
    done = {"key": "done", "name": "办结", "kind": "end", "limit": 0, "roles": []}
    if handling == "immediate" or promised_limit == 0:
        return {
            "states": [accept, done],
            "actions": [
                {
                    "key": "finish",
                    "name": "当场办结",
                    "from": "accept",
                    "to": "done",
                    "roles": ["acceptor"],
                }
            ],
        }
    decide_days = 1 if promised_limit >= 3 else 0
    review_days = max(promised_limit - decide_days, 0)
    review: dict[str, Any]
    if co_departments:
        review = {
            "key": "review",
            "name": "并联审查",
            "kind": "joint",
            "limit": review_days,
            "roles": ["approver"],
            "branches": [
                {"department": department, "lead": True, "limit": review_days},
                *({"department": d, "lead": False, "limit": review_days} for d in co_departments),
            ],
        }
    else:
        review = {
            "key": "review",
            "name": "审查",
            "kind": "task",
            "limit": review_days,
            "roles": ["approver"],
        }
    decide = {
        "key": "decide",
        "name": "审批决定",
        "kind": "task",
        "limit": decide_days,
        "roles": ["dept_head"],
    }
    return {
        "states": [accept, review, decide, done],
        "actions": [
            {
                "key": "submit",
                "name": "受理并转审查",
                "from": "accept",
                "to": "review",
                "roles": ["acceptor"],
            },
            {
                "key": "pass",
                "name": "审查通过",
                "from": "review",
                "to": "decide",
                "roles": ["approver"],
            },
            {
                "key": "return",
                "name": "退回受理",
                "from": "review",
                "to": "accept",
                "roles": ["approver"],
            },
            {
                "key": "approve",
                "name": "准予许可",
                "from": "decide",
                "to": "done",
                "roles": ["dept_head"],
            },
            {
                "key": "deny",
                "name": "不予许可",
                "from": "decide",
                "to": "done",
                "roles": ["dept_head"],
            },
            {
                "key": "reconsider",
                "name": "退回审查",
                "from": "decide",
                "to": "review",
                "roles": ["dept_head"],
            },
        ],
    }
