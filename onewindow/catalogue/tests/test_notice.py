import copy
import datetime
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from onewindow.catalogue import selectors
from onewindow.catalogue.models import Item
from onewindow.catalogue.notice import OfflineFetcher, notice_context, notice_pdf
from onewindow.catalogue.tests.test_catalogue import FOOD, publish

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_catalogue")]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} (poppler-utils) is required in CI")
        pytest.skip(f"{tool} not installed")
    return path


def food_pdf(answers: dict[str, str], tmp_path: Path) -> tuple[bytes, Path]:
    publish(FOOD)
    item = selectors.guide(FOOD["code"])
    assert isinstance(item, Item)
    pdf = notice_pdf(
        item=item,
        answers=answers,
        guide_url=f"https://zwfw.example.gov.cn/guide/{FOOD['code']}/?s_who=agent&s_type=renew",
        centre_name="测试县政务服务中心",
        issued_on=datetime.date(2026, 11, 28),
    )
    path = tmp_path / "notice.pdf"
    path.write_bytes(pdf)
    return pdf, path


def test_notice_pdf_lists_the_materials_for_the_answers(tmp_path: Path) -> None:
    pdf, path = food_pdf({"who": "agent", "type": "renew"}, tmp_path)
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        [need("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "一次性告知单",
        "测试食品经营许可",
        "000105001000",
        "测试县政务服务中心",
        "授权委托书及代理人身份证",  # added by 委托代理人
        "原食品经营许可证",  # added by 延续
        "委托代理人",
        "免提交",  # 营业执照 comes from the e-licence
        "免费",
        "扫码查看网上办事指南",
        "2026年11月28日",
    ):
        assert expected in text, expected
    assert "经营场所平面布局图" not in text  # removed by 延续

    pdftoppm = need("pdftoppm")
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    assert list(tmp_path.glob("page*.png"))


def test_notice_without_answers_keeps_only_base_materials(tmp_path: Path) -> None:
    _, path = food_pdf({}, tmp_path)
    text = subprocess.run(
        [need("pdftotext"), str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "经营场所平面布局图" in text
    assert "授权委托书及代理人身份证" not in text
    assert "未选择" in text


def test_url_fetcher_refuses_the_network() -> None:
    fetcher = OfflineFetcher()
    with pytest.raises(ValueError, match="不加载外部资源"):
        fetcher("http://example.com/logo.png")
    with pytest.raises(ValueError):
        fetcher("file:///etc/passwd")
    response = fetcher("data:text/plain;base64,aGk=")
    try:
        assert response.read() == b"hi"
    finally:
        response.close()


def test_immediate_item_with_fee_shows_on_the_spot_and_the_fee(tmp_path: Path) -> None:
    data = copy.deepcopy(FOOD)
    data.update(
        code="000105002000",
        name="测试即办事项",
        handling="immediate",
        statutory_limit=1,
        promised_limit=0,
        fees=[{"name": "工本费", "standard": "10元/本", "basis": "", "reduction": ""}],
    )
    publish(data)
    item = selectors.guide("000105002000")
    assert isinstance(item, Item)
    context = notice_context(
        item=item, answers={}, guide_url="https://example.gov.cn/", centre_name="测试中心"
    )
    assert context["promised"] == context["statutory"] == "当场办结"
    html = render_to_string("catalogue/notice.html", context)
    assert "工本费：10元/本" in html and "免费" not in html
