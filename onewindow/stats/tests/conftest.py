from __future__ import annotations

import datetime as dt

import pytest

from onewindow.calendar.selectors import clear_calendar_cache

END = dt.date(2026, 10, 30)  # a Friday: the demo's history runs up to it


@pytest.fixture
def history(db: None) -> int:
    """Forty cases replayed through the case services on simulated days over the year up to
    `END` (the demo's own script: refusals, supplements, 容缺, pauses, denials, late ones)."""
    from onewindow.cases.demo import build_history

    clear_calendar_cache()
    return build_history(count=40, end=END)


TOWN_ACCEPTORS = {  # town code → its counter's acceptor (demo county)
    "610799001000": "chengguan_sl1",
    "610799002000": "dongcheng_sl1",
    "610799101000": "qingshi_sl1",
    "610799102000": "liuwan_sl1",
}
SOCIAL_CARD = "005011003000"  # 社会保障卡申领: 即办, devolved to every town


@pytest.fixture
def town_cases(db: None) -> list[int]:
    """A few 即办 cases at the towns' counters (the demo history is all at the county centre),
    on simulated days in October 2026; the first town gets most."""
    from onewindow.accounts.models import User
    from onewindow.cases import clock, services
    from onewindow.catalogue.models import Item
    from onewindow.catalogue.selectors import materials_for

    clear_calendar_cache()
    item = Item.objects.select_related("published").get(code=SOCIAL_CARD)
    assert item.published is not None
    answers = {s.key: s.options.all()[0].key for s in item.published.situations.all()}
    keys = [m.key for m in materials_for(item.published, answers).materials]
    made = []
    for n, (town, username) in enumerate(TOWN_ACCEPTORS.items()):
        acceptor = User.objects.get(username=username)
        for k in range(4 - n):
            with clock.simulate(dt.date(2026, 10, 12 + k)):
                case = services.case_submit(
                    actor=acceptor,
                    item_code=SOCIAL_CARD,
                    channel="counter",
                    region_code=town,
                    applicant=services.ApplicantData(
                        kind="person",
                        name="王秀兰",
                        phone="13900001234",
                        id_number="610799195003121104",
                    ),
                    answers=answers,
                    presented=keys,
                )
                services.case_accept(case=case, actor=acceptor)
                made.append(case.pk)
    return made
