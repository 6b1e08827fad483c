"""The read-only methods in both formats: discovery, services, service definitions."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import BASE, error_of, xml

pytestmark = pytest.mark.django_db


def test_discovery_json_and_xml(client: Any) -> None:
    body = client.get(f"{BASE}/discovery.json").json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["type"] == "production"
    assert "青溪县" in body["contact"]

    root = xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
    point = root.find("endpoints/endpoint")
    assert point is not None
    assert [c.tag for c in point] == ["specification", "url", "changeset", "type", "formats"]
    assert [f.text for f in point.findall("formats/format")] == ["text/xml", "application/json"]
    # the bare root shows the discovery document too
    assert xml(client.get(f"{BASE}/")).tag == "discovery"


def test_services_json_and_xml(client: Any) -> None:
    services = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in services]
    assert "0503" in codes and "0701" in codes and "01" not in codes  # leaves only
    noise = next(s for s in services if s["service_code"] == "0701")
    assert list(noise) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert noise["service_name"] == "噪声扰民" and noise["group"] == "生态环境"
    assert noise["metadata"] is True and noise["type"] == "realtime"

    root = xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    items = root.findall("service")
    assert len(items) == len(services)
    first = items[0]
    assert [c.tag for c in first] == list(noise)
    assert first.findtext("metadata") == "true" and first.findtext("type") == "realtime"


def test_service_definition_json_and_xml(client: Any) -> None:
    body = client.get(f"{BASE}/services/0701.json").json()
    assert body["service_code"] == "0701"
    attrs = body["attributes"]
    assert [a["order"] for a in attrs] == list(range(1, len(attrs) + 1))
    by_code = {a["code"]: a for a in attrs}
    assert {"APPEAL_KIND", "PUBLISH", "SOURCE", "WHEN"} <= set(by_code)
    source = by_code["SOURCE"]
    assert source["datatype"] == "singlevaluelist" and source["required"] is True
    assert source["variable"] is True
    assert {"key": "construction", "name": "建筑施工"} in source["values"]
    assert by_code["WHEN"]["datatype"] == "multivaluelist"

    root = xml(client.get(f"{BASE}/services/0701.xml"))
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"]
    attribute = next(
        a for a in root.findall("attributes/attribute") if a.findtext("code") == "SOURCE"
    )
    assert [c.tag for c in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    value = attribute.find("values/value")
    assert value is not None and [c.tag for c in value] == ["key", "name"]
    # a service with only the common attributes: kind and publication
    plain = client.get(f"{BASE}/services/0503.json").json()
    assert [a["code"] for a in plain["attributes"]] == ["APPEAL_KIND", "PUBLISH"]
    # 办不成事 has its own kind attribute in place of the common one
    window = client.get(f"{BASE}/services/0801.json").json()
    kinds = next(a for a in window["attributes"] if a["code"] == "APPEAL_KIND")
    assert kinds["values"][0]["key"] == "cannot_get_done"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_code_is_404(client: Any, fmt: str) -> None:
    response = client.get(f"{BASE}/services/9999.{fmt}")
    assert response.status_code == 404
    code, text = error_of(response, fmt)
    assert code == 404 and "9999" in text


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_jurisdiction_is_404(client: Any, fmt: str) -> None:
    response = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "110101000000"})
    assert response.status_code == 404
    assert error_of(response, fmt)[0] == 404
    ok = client.get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "610799000000"})
    assert ok.status_code == 200


def test_unknown_resource_and_format_and_method(client: Any) -> None:
    response = client.get(f"{BASE}/services.html")
    assert response.status_code == 404 and error_of(response, "xml")[0] == 404
    response = client.get(f"{BASE}/nothing.json")
    assert response.status_code == 404 and error_of(response, "json")[0] == 404
    response = client.delete(f"{BASE}/requests.json")
    assert response.status_code == 405 and error_of(response, "json")[0] == 405
    assert "POST" in response["Allow"]
    response = client.post(f"{BASE}/services.xml")
    assert response.status_code == 405


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unexpected_failure_is_a_500_in_the_spec_format(
    client: Any, fmt: str, monkeypatch: Any, caplog: Any
) -> None:
    """A fault injected under the view (a bug, a lost database connection): the client still
    gets the spec's error document, and the failure is in the log with its traceback."""
    from onewindow.open311 import views

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("injected fault")

    monkeypatch.setattr(views.selectors, "services", broken)
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 500
    code, description = error_of(response, fmt)
    assert code == 500 and "服务器内部错误" in description and "injected" not in description
    assert any("injected fault" in r.exc_text for r in caplog.records if r.exc_text)
