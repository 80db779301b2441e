"""Take docs/ui.png: the Temporal UI listing the demo's onboarding with its search attributes.

Run by `make screenshot` while `make demo KEEP=1` is up (the UI's address: TEMPORAL_UI_URL, as
`.tendlc/env` sets it; default http://localhost:8233). Drives Debian's Chromium
(`apt-get install chromium`) through Playwright; no browser is downloaded. The browser test
(tests/e2e/test_ui_browser.py) uses the same columns and flags.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

UI = os.environ.get("TEMPORAL_UI_URL", "http://localhost:8233").rstrip("/")
QUERY = 'OnboardingId="acme-sms"'
COLUMNS = [
    {"label": "Status", "pinned": True},
    {"label": "Workflow ID", "pinned": True},
    {"label": "OnboardingStep", "pinned": False},
    {"label": "OnboardingId", "pinned": False},
    {"label": "BirdBrandId", "pinned": False},
    {"label": "BirdCampaignId", "pinned": False},
    {"label": "BirdConnectorId", "pinned": False},
    {"label": "End", "pinned": False},
]
OUT = Path(__file__).resolve().parent / "ui.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def show_step_columns(page) -> None:
    """The list's columns as README.md's "The Temporal UI" says to choose them: the UI keeps its
    per-namespace column choice in localStorage, so set it before the page loads."""
    columns = json.dumps({"default": COLUMNS})
    page.add_init_script(f"localStorage.setItem('namespace-workflow-table-columns', {json.dumps(columns)});")


def main() -> int:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1700, "height": 520})
        show_step_columns(page)
        page.goto(f"{UI}/namespaces/default/workflows?query={QUERY}")
        page.get_by_text("onboarding-acme-sms").first.wait_for(timeout=20000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
