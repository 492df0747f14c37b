"""The web UI in a real browser (Debian's Chromium, driven by Playwright) against a real
`fireline serve` process: log in, match a dropped file, decide a case, uphold an appeal,
comply with a removal order as legal staff.

Screenshots of each step go to ``FIRELINE_UI_SCREENSHOTS`` (default: the test's temporary
folder), for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from fireline.bootstrap import build, migrate
from fireline.domain import Role
from fireline.services.screening import Upload
from fireline.settings import Settings
from fireline.testing.media import encode, random_photo
from fireline.testing.prose import Prose, paragraphs
from fireline.testing.server import running_server

#: Debian's Chromium (the Makefile installs it); FIRELINE_CHROMIUM points elsewhere.
CHROMIUM = os.environ.get("FIRELINE_CHROMIUM", "/usr/bin/chromium")
BANKED = encode(random_photo(71))
PROSE = Prose(71)
MANIFESTO = PROSE.document(1500)


@dataclass
class Site:
    base_url: str
    keys: dict[str, str]
    shots: Path
    case_id: int

    def api(self, method: str, path: str, key: str, body: object | None = None) -> object:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {self.keys[key]}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
            return json.loads(response.read())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("ui")
    env = {
        **os.environ,
        "FIRELINE_DATA_DIR": str(folder),
        "FIRELINE_DATABASE_URL": f"sqlite:///{folder / 'fireline.db'}",
    }
    settings = Settings(data_dir=folder, database_url=env["FIRELINE_DATABASE_URL"])
    migrate(settings)
    container = build(settings)
    keys = {}
    for name, role in [
        ("alice", Role.REVIEWER),
        ("bob", Role.REVIEWER),
        ("pipeline", Role.MATCHER),
        ("observer", Role.OBSERVER),
        ("lena", Role.LEGAL),
    ]:
        _, keys[name] = container.keys.create(name=name, role=role)
    container.banks.create(name="tvec", description="synthetic perpetrator stills")
    container.banks.add_content(
        bank="tvec", data=BANKED, labels=["category:perpetrator_livestream"], note=""
    )
    container.banks.add_content(
        bank="tvec", data=MANIFESTO.encode(), labels=["category:attacker_manifesto"], note=""
    )
    screened = container.screening.screen_content(
        BANKED, upload=Upload(content_ref="post-17", uploader="user-5"), actor="test"
    )
    assert screened.blocked and screened.case is not None
    container.close()
    shots = Path(os.environ.get("FIRELINE_UI_SCREENSHOTS") or folder / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    with running_server(env=env) as server:
        yield Site(server.base_url, keys, shots, screened.case.id)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


def _login(browser: Browser, site: Site, who: str) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
    page.goto(site.base_url + "/")
    expect(page).to_have_url(f"{site.base_url}/ui/login?next=/ui/")
    page.get_by_label("API key").fill(site.keys[who])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    return page


def test_logging_in_shows_what_the_role_may_use(browser: Browser, site: Site) -> None:
    page = browser.new_page()
    page.goto(site.base_url + "/ui/login")
    page.get_by_label("API key").fill("flk_not-a-key")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.screenshot(path=site.shots / "login-refused.png")
    page.close()

    reviewer = _login(browser, site, "alice")
    nav = reviewer.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review queue")).to_be_visible()
    expect(reviewer.get_by_text("Cases waiting for review")).to_be_visible()
    reviewer.screenshot(path=site.shots / "dashboard-reviewer.png", full_page=True)
    reviewer.close()

    observer = _login(browser, site, "observer")
    nav = observer.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review queue")).to_have_count(0)
    observer.goto(site.base_url + "/ui/queue")
    expect(observer.get_by_role("heading", name="Not allowed")).to_be_visible()
    observer.close()


def test_a_file_dropped_into_the_match_debugger_shows_its_matches(
    browser: Browser, site: Site
) -> None:
    page = _login(browser, site, "alice")
    page.get_by_role("link", name="Match debugger").click()
    # Drop the file the way a person drags it from their desktop onto the form.
    page.evaluate(
        """async (bytes) => {
            const file = new File([new Uint8Array(bytes)], "upload.png", {type: "image/png"});
            const transfer = new DataTransfer();
            transfer.items.add(file);
            const zone = document.querySelector("form[data-dropzone]");
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true}));
        }""",
        list(BANKED),
    )
    expect(page.get_by_role("heading", name="upload.png: 3 matches")).to_be_visible()
    matches = page.locator("#matches tbody tr")
    expect(matches).to_have_count(3)
    expect(page.locator("#matches")).to_contain_text("tvec")
    expect(page.locator("#signals")).to_contain_text("pdq")
    page.screenshot(path=site.shots / "match-debugger.png", full_page=True)
    page.close()


def test_a_pasted_post_shows_the_passage_it_copies(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "alice")
    page.get_by_role("link", name="Match debugger").click()
    post = PROSE.paragraph() + "\n\n" + "\n\n".join(paragraphs(MANIFESTO)[3:6])
    page.get_by_label("a text to match").fill(post)
    page.get_by_role("button", name="Match", exact=True).click()
    expect(page.get_by_role("heading", name="the pasted text: 1 match")).to_be_visible()
    expect(page.locator("#matches")).to_contain_text("text_minhash")
    expect(page.locator("#matches")).to_contain_text("characters")
    expect(page.locator("#matches")).to_contain_text("containment")
    page.screenshot(path=site.shots / "match-text.png", full_page=True)
    page.close()


def test_a_reviewer_decides_a_case_and_another_upholds_the_appeal(
    browser: Browser, site: Site
) -> None:
    alice = _login(browser, site, "alice")
    alice.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    alice.get_by_role("link", name=f"Case {site.case_id}").click()
    media = alice.locator(".shield img")
    expect(media).to_have_class("veiled")
    alice.screenshot(path=site.shots / "case-veiled.png", full_page=True)
    alice.get_by_role("button", name="Reveal media").click()
    expect(alice.locator("#exposure")).to_have_text("1")
    expect(media).not_to_have_class("veiled")
    alice.get_by_label("remove").check()
    alice.get_by_label("Reason (kept in the case and the audit log)").fill("a copy of the video")
    alice.get_by_role("button", name="Record decision").click()
    expect(alice.get_by_role("status")).to_contain_text("Decided: remove")
    expect(alice.locator("#content-status")).to_have_text("blocked")
    alice.screenshot(path=site.shots / "case-decided.png", full_page=True)

    site.api(
        "POST",
        f"/v1/cases/{site.case_id}/appeals",
        "pipeline",
        {"appellant": "user-5", "reason": "this is my news report"},
    )
    alice.reload()
    expect(alice.get_by_text("another reviewer decides its appeal")).to_be_visible()
    alice.close()

    bob = _login(browser, site, "bob")
    bob.get_by_role("navigation", name="Main").get_by_role("link", name="Appeals").click()
    bob.get_by_role("link", name=f"Case {site.case_id}").click()
    bob.get_by_label("uphold: restore the content").check()
    bob.get_by_label("the hash match itself was wrong").check()
    bob.get_by_label("Reason", exact=True).fill("a news report, not the attack video")
    bob.get_by_role("button", name="Decide appeal").click()
    expect(bob.get_by_role("status")).to_contain_text("Appeal upheld")
    expect(bob.locator("#content-status")).to_have_text("restored")
    expect(bob.locator(".history")).to_contain_text("on appeal")
    bob.screenshot(path=site.shots / "appeal-upheld.png", full_page=True)
    bob.close()


def test_legal_staff_see_an_orders_clock_and_comply_and_its_case_is_decided(
    browser: Browser, site: Site
) -> None:
    order = site.api(
        "POST",
        "/v1/orders",
        "lena",
        {
            "authority": "BKA",
            "reference": "TCO-UI-1",
            "content_ref": "post-99",
            "reason": "glorifies an attack",
            "uploader": "user-99",
        },
    )
    assert isinstance(order, dict)
    page = _login(browser, site, "lena")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review queue")).to_have_count(0)
    expect(page.get_by_text("Removal orders open")).to_be_visible()
    nav.get_by_role("link", name="Removal orders").click()
    row = page.locator("#orders tbody tr", has_text="TCO-UI-1")
    expect(row.locator(".clock")).to_have_text(re.compile(r"^(59|60) min left$"))
    page.screenshot(path=site.shots / "orders.png", full_page=True)

    row.get_by_role("link", name=f"Order {order['id']}").click()
    expect(page.get_by_role("heading", name=f"Removal order {order['id']}")).to_be_visible()
    expect(page.locator("#order-clock")).to_contain_text("min left")
    expect(page.locator("#case-state")).to_have_text("open")
    page.screenshot(path=site.shots / "order-open.png", full_page=True)
    # With the keyboard alone: the labelled field, then Tab to the button and Enter.
    page.get_by_label("Confirmation sent to the authority").fill("disabled at once; BKA told")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Mark complied")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Complied within the deadline")
    expect(page.locator("#order-state")).to_have_text("complied")
    expect(page.locator("#case-state")).to_have_text("decided")
    expect(page.locator("#order-case")).to_contain_text("(remove)")
    expect(page.locator("#case-content")).to_have_text("removed")
    page.screenshot(path=site.shots / "order-complied.png", full_page=True)
    case = site.api("GET", f"/v1/cases/{order['case_id']}", "alice")
    assert isinstance(case, dict)
    assert (case["state"], case["outcome"], case["content_status"]) == (
        "decided",
        "remove",
        "removed",
    )

    page.locator("#order-holds").get_by_role("link").first.click()
    expect(page.locator("#hold-state")).to_have_text("active")
    expect(page.get_by_text("cannot be released early")).to_be_visible()
    page.screenshot(path=site.shots / "hold.png", full_page=True)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Preservation holds"
    ).click()
    expect(page.locator("#holds")).to_contain_text(f"order {order['id']}")
    page.close()


def test_keyboard_users_reach_the_content_first(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "alice")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.close()


def test_an_observer_reads_the_transparency_report(browser: Browser, site: Site) -> None:
    page = _login(browser, site, "observer")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Transparency").click()
    expect(page.get_by_role("heading", name="Transparency")).to_be_visible()
    report = page.frame_locator("#report")
    expect(report.locator("svg").first).to_be_visible()
    expect(report.locator("body")).to_contain_text("Appeals")
    expect(report.locator("body")).not_to_contain_text("post-17")
    page.screenshot(path=site.shots / "transparency.png", full_page=True)
    page.close()
