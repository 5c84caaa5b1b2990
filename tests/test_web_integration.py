"""The district admin's 对接系统 page in a real browser, against the local platform: register
a system with its scopes and schools, see its secret once, and disable it — after which its
token is refused at once. The secret it showed really obtains a token from the issuer."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from growth.local.platform import Platform
from tests.web_world import api_as, assert_accessible, base_url, open_page, screenshot

pytestmark = pytest.mark.timeout(300)


def test_the_district_registers_a_system_sees_its_secret_once_and_disables_it(
    web: Platform, browser: Any
) -> None:
    page = open_page(browser, web, "district", "/district/clients")
    try:
        # When the district admin registers the score system for 学业成绩 and two schools' data
        page.get_by_label("系统名称").fill("区成绩管理系统")
        page.get_by_label("推送「学业成绩」").check()
        page.get_by_label("读取数据变更").check()
        page.get_by_label("全区所有学校").check()
        page.get_by_role("button", name="登记").click()

        # Then its id and secret are shown, once
        credentials = page.get_by_test_id("client-credentials")
        credentials.wait_for()
        client_id = page.get_by_test_id("client-id").inner_text()
        secret = page.get_by_test_id("client-secret").inner_text()
        assert "只显示这一次" in credentials.inner_text()
        screenshot(page, "district-clients")
        assert_accessible(page)

        # And the secret really obtains a token, which the API accepts for that system
        assert web.endpoints is not None
        discovery = requests.get(
            f"{web.endpoints.issuer}/.well-known/openid-configuration", timeout=10
        ).json()
        token = requests.post(
            discovery["token_endpoint"],
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=10,
        ).json()["access_token"]
        batches = f"{base_url(web)}/v1/ingest/batches/none"
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(batches, headers=headers, timeout=10).status_code == 404

        # And the list shows it with its scopes and reach; the secret is gone after closing
        page.get_by_role("button", name="我已保存，关闭").click()
        listed = page.locator(f"[data-client='{client_id}']")
        listed.get_by_text("读取数据变更；推送「学业成绩」").wait_for()
        assert "全区所有学校" in listed.inner_text()
        assert secret not in page.content()

        # When they disable it, its next call is refused
        page.get_by_role("button", name="停用 区成绩管理系统").click()
        listed.get_by_text("已停用").wait_for()
        refused = requests.get(batches, headers=headers, timeout=10)
        assert refused.status_code == 403
        assert refused.json()["code"] == "CLIENT_DISABLED"
        stored = api_as(web, "district").get(f"{base_url(web)}/v1/district/clients", timeout=10)
        assert [c["enabled"] for c in stored.json()["items"] if c["id"] == client_id] == [False]
    finally:
        page.close()


def test_a_system_without_a_name_or_scope_is_not_sent(web: Platform, browser: Any) -> None:
    page = open_page(browser, web, "district", "/district/clients")
    try:
        page.get_by_role("button", name="登记").click()
        page.get_by_text("请填写系统名称").wait_for()
        page.get_by_text("请至少选择一项授权").wait_for()
        assert page.locator(":focus").get_attribute("id") == "client-name"
    finally:
        page.close()
