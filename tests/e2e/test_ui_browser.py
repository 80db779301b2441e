"""The Temporal UI (the dev server's, as runtime/stack.py starts it) seen in a browser: a
NEEDS_ACTION onboarding's page shows why it stopped and the command that moves it on (the
workflow's current details), and the list shows the step column README.md says how to add.

Playwright drives Debian's chromium (`make test-slow` installs both); nothing is downloaded."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runtime.stack import LocalStack
from tests.e2e.stack_helpers import free_port, stack_config, unique_request

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
ROOT = Path(__file__).resolve().parents[2]
REASON = "EIN does not match the legal company name"


def _screenshot_module():
    spec = importlib.util.spec_from_file_location("ui_screenshot", ROOT / "docs" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    config = stack_config(tmp_path_factory.mktemp("stack"), ui_port=free_port(), sandbox_delay=0.2)
    with LocalStack(config) as running:
        yield running


@pytest.fixture(scope="module")
def rejected(stack, tmp_path_factory) -> str:
    path, request = unique_request(tmp_path_factory.mktemp("requests"))
    stack.sandbox("scenario/overrides", method="POST", body={
        "kind": "brand", "match": {"displayName": request["brand"]["displayName"]}, "count": 1,
        "reviews": {"outcome": "reject", "reason": {"description": REASON, "code": "B-7"}},
    })  # fmt: skip
    started = subprocess.run(
        [sys.executable, "-m", "starter.cli", "start", str(path), "--wait", "--interval", "0.2"],
        env={**os.environ, **stack.config.env()}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode == 4, started.stdout + started.stderr  # NEEDS_ACTION
    return request["onboarding_id"]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="make test-slow installs playwright")
    shot = _screenshot_module()
    assert Path(shot.CHROMIUM).exists(), "make test-slow installs chromium (apt-get install -y chromium)"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shot.CHROMIUM, args=shot.CHROMIUM_FLAGS)
        yield browser, shot
        browser.close()


def test_a_needs_action_page_shows_the_reason_and_the_command(stack, rejected, browser):
    chromium, _ = browser
    page = chromium.new_page(viewport={"width": 1600, "height": 1000})
    page.goto(f"{stack.config.ui_url}/namespaces/default/workflows/onboarding-{rejected}")
    command = f"tendlc resubmit-brand {rejected} --file changes.json"
    # the current details are under the page's "User Metadata" tab
    page.get_by_text("User Metadata", exact=True).first.click(timeout=30_000)
    text = ""
    for _ in range(60):  # the page loads its parts one by one
        # the UI renders the Markdown in a sandboxed iframe: read every frame
        text = "\n".join(frame.inner_text("body") for frame in page.frames)
        if REASON in text and command in text:
            break
        page.wait_for_timeout(500)
    page.close()
    assert REASON in text and command in text, text[:3000]


def test_the_list_shows_the_step_column(stack, rejected, browser):
    chromium, shot = browser
    page = chromium.new_page(viewport={"width": 1700, "height": 600})
    shot.show_step_columns(page)
    page.goto(f"{stack.config.ui_url}/namespaces/default/workflows?query=OnboardingId%3D%22{rejected}%22")
    row = page.get_by_role("row").filter(has_text=f"onboarding-{rejected}")
    row.first.wait_for(timeout=30_000)
    assert "NEEDS_ACTION" in row.first.inner_text()
    assert page.get_by_role("columnheader", name="OnboardingStep").count() >= 1
    page.close()
