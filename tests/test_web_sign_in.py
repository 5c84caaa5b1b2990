"""Signing in to the web app as each role, through the real redirect flow (the issuer's page,
one click on a demo account, code + PKCE), and landing where that role works; a person sent
to sign in comes back to the page they asked for; an expired session signs in again keeping
the page; a page outside one's role is not shown."""

from __future__ import annotations

from typing import Any

import pytest

from growth.local.platform import Platform
from shared.domain.models import Role
from tests.web_world import base_url, new_page, sign_in

pytestmark = pytest.mark.timeout(180)

HOME = {
    Role.STUDENT: "/growth",
    Role.GUARDIAN: "/growth",
    Role.TEACHER: "/teacher/tasks",
    Role.SCHOOL_ADMIN: "/school/completion",
    Role.DISTRICT_ADMIN: "/district/tasks",
}


def first(platform: Platform, role: Role) -> Any:
    return next(d for d in platform.logins if d.role is role)


@pytest.mark.parametrize("role", list(HOME), ids=lambda r: r.value)
def test_each_role_signs_in_and_lands_where_it_works(
    web: Platform, browser: Any, role: Role
) -> None:
    # Given a person of this role opening the site
    person = first(web, role)
    page = new_page(browser, phone=role in (Role.STUDENT, Role.GUARDIAN))
    try:
        # When they pick their account on the issuer's page
        sign_in(page, web, person.login)
        # Then they are back on the site, on their role's home page, under their own name
        assert page.url.split("?")[0] == f"{base_url(web)}{HOME[role]}"
        page.get_by_text(person.name).first.wait_for()
    finally:
        page.context.close()


def test_a_deep_link_survives_signing_in_and_a_lost_session(web: Platform, browser: Any) -> None:
    teacher = first(web, Role.TEACHER)
    page = new_page(browser)
    try:
        # Given a link to a page, opened before signing in
        sign_in(page, web, teacher.login, path="/teacher/tasks?from=link")
        # Then the person lands on that very page
        assert page.url == f"{base_url(web)}/teacher/tasks?from=link"
        # When the session is lost (the token expired) and the page is reloaded
        page.evaluate("() => sessionStorage.clear()")
        page.reload()
        # Then they are asked to sign in again and come back to the same page
        page.locator(f'button[data-login="{teacher.login}"]').click()
        page.wait_for_url(f"{base_url(web)}/teacher/tasks?from=link")
    finally:
        page.context.close()


def test_a_page_of_another_role_is_not_shown(web: Platform, browser: Any) -> None:
    student = first(web, Role.STUDENT)
    page = new_page(browser, phone=True)
    try:
        sign_in(page, web, student.login, path="/district/tasks")
        # A student asking for the district's page is taken to their own
        page.wait_for_url(f"{base_url(web)}/growth**")
    finally:
        page.context.close()
