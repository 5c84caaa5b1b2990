"""The web app as people use it, for the browser tests: the local platform (real functions, a
small demo district) serving the built app, and Debian's Chromium driven by Playwright.

Each role's journey signs in through the real redirect flow (the dev issuer's page, one click on
a demo account), as a person would. Screenshots go to build/screenshots/ for a person to look
at; axe-core checks each page for accessibility problems (WCAG 2.1 AA rules).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import pytest
import requests

from growth.local.demo import FINAL, XLSX, Client, Sources, filled_template
from growth.local.platform import WEB_DIST, Platform, PlatformConfig
from growth.local.seed import DemoDistrict, DemoSize
from shared.term import Term

ROOT: Final = Path(__file__).resolve().parents[1]
SCREENSHOTS: Final = ROOT / "build" / "screenshots"
AXE: Final = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SMALL: Final = DemoSize(schools=1, classes_per_grade=1, students_per_class=6, families_per_class=2)
PHONE: Final = {"width": 360, "height": 740}  # a common Android phone in CSS pixels
DESKTOP: Final = {"width": 1280, "height": 860}
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
# Debian's Chromium as root in a container, with nothing reaching out to the internet.
CHROMIUM_ARGS: Final = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = shutil.which("chromium")
    assert found, "Chromium is missing: `make test` installs it (apt: chromium)"
    return found


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The platform with the real validation function, serving the built web app."""
    assert (WEB_DIST / "index.html").is_file(), "the web app is not built: run `make web`"
    config = PlatformConfig(
        state_dir=tmp_path_factory.mktemp("web-state"), port=0, demo=SMALL, web_dist=WEB_DIST
    )
    with Platform(config) as platform:
        _until_tokens_verify(platform)
        yield platform


def _until_tokens_verify(platform: Platform, timeout_s: float = 60) -> None:
    """Wait until the API verifies a token: its first verification fetches the issuer's keys,
    which on a loaded machine can take longer than the verifier waits (it answers 503, as it
    should, and the next request tries again). Journeys start once that has happened."""
    deadline = time.monotonic() + timeout_s
    with api_as(platform, "district") as session:
        while True:
            answer = session.get(f"{base_url(platform)}/v1/me", timeout=30)
            if answer.status_code == 200:
                return
            assert answer.status_code == 503, answer.text
            assert time.monotonic() < deadline, f"tokens not verified in {timeout_s} s"
            time.sleep(0.5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def base_url(platform: Platform) -> str:
    assert platform.endpoints is not None
    return platform.endpoints.api_url


def new_page(browser: Any, *, phone: bool = False) -> Any:
    """A page in a fresh browser context (no session shared with other tests)."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        locale="zh-CN",
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def sign_in(page: Any, platform: Platform, login: str, path: str = "/") -> None:
    """Open `path`, be sent to the issuer's sign-in page, pick `login`, come back — and wait
    until the app has left its sign-in callback (the token exchange can outlast the network
    going quiet on a busy machine)."""
    origin = base_url(platform)
    page.goto(f"{origin}{path}")
    page.locator(f'button[data-login="{login}"]').click()
    page.wait_for_url(lambda url: url.startswith(f"{origin}/") and "/auth/callback" not in url)
    page.wait_for_load_state("networkidle")


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def accessibility_problems(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of WCAG 2.0/2.1 A and AA rules on the page."""
    assert AXE.is_file(), "axe-core is missing from web/node_modules: run `make web`"
    # A toast fading out or a popup sliding in is half transparent for a moment: judge
    # contrast on the settled page (finite animations finished; spinners run on; 3 s at most).
    page.evaluate(
        """() => Promise.race([
            Promise.allSettled(document.getAnimations()
                .filter((a) => a.effect?.getTiming().iterations !== Infinity)
                .map((a) => a.finished)),
            new Promise((done) => setTimeout(done, 3000)),
        ])"""
    )
    page.add_script_tag(path=str(AXE))
    report = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
        for v in report["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def open_page(
    browser: Any, platform: Platform, login: str, path: str, *, phone: bool = False
) -> Any:
    """A new page (a phone's when `phone`) signed in as `login`, at `path`."""
    page = new_page(browser, phone=phone)
    sign_in(page, platform, login, path)
    return page


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core finding on the page; if any, say where."""
    problems = accessibility_problems(page)
    if problems:  # axe is loaded by now
        where = page.evaluate(
            """async (ids) => (await axe.run(document, {runOnly: {type: 'rule', values: ids}}))
            .violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.html}`))""",
            [p["id"] for p in problems],
        )
        raise AssertionError(f"{describe(problems)}\n" + "\n".join(where))


def api_as(platform: Platform, login: str) -> requests.Session:
    """The API over HTTP as a demo person (for arranging what a journey needs)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {platform.state.mint_token(login)}"
    return session


def describe(problems: list[dict[str, Any]]) -> str:
    return json.dumps(problems, ensure_ascii=False, indent=1)


# ------------------------------------------------------------------ arranging district tasks


def today() -> date:
    return datetime.now(SHANGHAI).date()


def term() -> str:
    """This term, as the API writes it (2024-2025-1)."""
    return str(Term.of(today()))


def exam_day() -> date:
    """A day of the current term, not in the future (a fixed 考核日期 must be both)."""
    return min(today(), Term.of(today()).start + timedelta(days=30))


def create_district_task(platform: Platform, title: str, deadline: datetime) -> str:
    """A district task of this term set by the district admin through the API: 学业成绩 for
    every school, fixing 单元测验 on `exam_day()`. Answers its id."""
    answer = api_as(platform, "district").post(
        f"{base_url(platform)}/v1/tasks",
        json={
            "template_id": "academic-score",
            "term": term(),
            "title": title,
            "deadline": deadline.isoformat(),
            "scope": {"kind": "district"},
            "fixed": {"assessment_type": "单元测验", "assessment_date": exam_day().isoformat()},
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    task_id: str = answer.json()["id"]
    return task_id


def upload_class_scores(
    platform: Platform, plan: DemoDistrict, task_id: str, login: str, class_id: str
) -> dict[str, Any]:
    """A teacher downloads the task's template pre-filled with the class roster (an audited
    export), fills in 学科 数学 and every score, and uploads it through a presigned POST, as
    the teacher's page would. Answers the submission once validated (and accepted)."""
    filename = "一年级1班数学.xlsx"
    client = Client(platform)
    try:
        body = filled_template(login, class_id)(Sources(plan, client, task_id))
        asked = client.ok(
            login,
            "POST",
            f"/v1/tasks/{task_id}/submissions",
            json={"class_id": class_id, "filename": filename, "content_type": XLSX},
        )
        client.post_file(asked["upload"], filename, body, XLSX)
        submission = _until_validated(client, login, asked["submission"]["id"])
    finally:
        client.close()
    assert submission["status"] == "accepted", submission
    return submission


def _until_validated(
    client: Client, login: str, submission_id: str, timeout_s: float = 120
) -> dict[str, Any]:
    started = time.monotonic()
    while True:
        submission: dict[str, Any] = client.ok(login, "GET", f"/v1/submissions/{submission_id}")
        if submission["status"] in FINAL:
            return submission
        elapsed = time.monotonic() - started
        assert elapsed < timeout_s, f"still {submission['status']} after {timeout_s} s"
        time.sleep(0.3)
