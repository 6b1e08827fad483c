"""List pages read through selectors with their joins: the number of queries does not grow with
the number of rows."""

import pytest

from onewindow.conftest import login_client

pytestmark = pytest.mark.django_db

PAGES = [
    ("/workbench/", 10),
    ("/workbench/windows/", 7),
    ("/workbench/staff/", 7),
    ("/workbench/staff/?page=2", 7),
    ("/workbench/applicants/", 6),
]


@pytest.mark.parametrize(("url", "most"), PAGES)
def test_list_pages_use_a_fixed_number_of_queries(url, most, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client = login_client("jiancha")  # the supervisor sees the whole county: the longest lists
    client.get("/workbench/")  # the first request writes the idle-timeout stamp to the session
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


def test_public_home_queries(django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    from django.test import Client

    with django_assert_max_num_queries(2):
        assert Client().get("/").status_code == 200
