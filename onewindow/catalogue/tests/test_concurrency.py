"""Real concurrent connections on PostgreSQL: two administrators creating a bundle under the same
new code at the same moment; one is created, the other is told the code is taken (before, the
second silently became an edit of the first)."""

from __future__ import annotations

import pytest

from onewindow.accounts.models import User
from onewindow.cases.tests.test_concurrency import run_together
from onewindow.catalogue import services
from onewindow.catalogue.models import Bundle
from onewindow.core.errors import InvalidInput

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_same_new_code_twice_at_once_is_one_bundle(require_postgres: None) -> None:
    admin = User.objects.get(username="xitong")

    def create(name: str) -> Bundle:
        data = {
            "code": "YJS-900",
            "name": name,
            "description": "",
            "target": "company",
            "promised_limit": 10,
            "order": [["002001001000"], ["002001005000"]],
            "shared_materials": [],
            "keywords": [],
            "life_events": [],
            "business_stages": ["start"],
        }
        return services.bundle_save(data=data, actor=admin, new=True)

    results, errors = run_together([lambda n=n: create(f"并发新建 {n}") for n in range(3)])
    assert len(results) == 1 and len(errors) == 2, errors
    assert all(isinstance(e, InvalidInput) and e.field == "code" for e in errors)
    bundle = Bundle.objects.get(code="YJS-900")
    assert bundle.name == results[0].name  # type: ignore[attr-defined]
    assert bundle.steps.count() == 2
