"""Take docs/ui.png: the Temporal UI listing the demo's onboarding with its search attributes.

Run by `make screenshot` while `make demo KEEP=1` is up. Drives Debian's Chromium
(`apt-get install chromium`) through Playwright; no browser is downloaded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

UI = "http://localhost:8233"
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
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


def main() -> int:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1700, "height": 520})
        # The UI keeps its per-namespace column choice in localStorage.
        columns = json.dumps({"default": COLUMNS})
        page.add_init_script(f"localStorage.setItem('namespace-workflow-table-columns', {json.dumps(columns)});")
        page.goto(f"{UI}/namespaces/default/workflows?query={QUERY}")
        page.get_by_text("onboarding-acme-sms").first.wait_for(timeout=20000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(OUT))
        browser.close()
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
