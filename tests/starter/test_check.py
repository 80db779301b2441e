"""`tendlc check`: exit codes, what it prints, and the examples staying clean."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from starter.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(str(p) for p in (ROOT / "examples").glob("*.json"))
BASE = json.loads((ROOT / "examples" / "onboarding.json").read_text())


def write(tmp_path: Path, name: str, data: object) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


@pytest.fixture
def with_error(tmp_path) -> str:
    data = copy.deepcopy(BASE)
    data["campaign"]["samples"][1] = "Your technician is on the way: https://bit.ly/acme-eta. Reply STOP to opt out."
    return write(tmp_path, "with-error.json", data)


@pytest.fixture
def with_warning(tmp_path) -> str:
    data = copy.deepcopy(BASE)
    data["brand"]["email"] = "acmeplumbing@gmail.com"
    return write(tmp_path, "with-warning.json", data)


def test_the_examples_are_clean(capsys):
    assert EXAMPLES, "no example requests found"
    assert main(["check", *EXAMPLES]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{path}: ok" for path in EXAMPLES]


def test_the_installed_command_checks_the_examples():
    # the same entry point as `tendlc check examples/*.json`, in a fresh interpreter
    result = subprocess.run(
        [sys.executable, "-m", "starter.cli", "check", *EXAMPLES], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout and "error" not in result.stdout


def test_a_rule_error_exits_1_and_names_rule_field_and_reason(capsys, with_error):
    assert main(["check", with_error]) == 1
    out = capsys.readouterr().out
    assert f"{with_error}: 3 errors, 0 warnings" in out
    lines = [line.split() for line in out.splitlines()[1:]]
    assert [line[:3] for line in lines] == [
        ["error", "CAMPAIGN_BRAND_IN_SAMPLES", "campaign.samples[1]"],
        ["error", "CAMPAIGN_EMBEDDED_LINK", "campaign.embeddedLink"],
        ["error", "CAMPAIGN_LINK_SHORTENER", "campaign.samples[1]"],
    ]
    assert "public link shorteners" in out and "https://bit.ly/acme-eta" in out
    assert "\x1b[" not in out  # not a terminal: plain text


def test_warnings_alone_exit_0_and_are_printed(capsys, with_warning):
    assert main(["check", with_warning]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 1 warning" in out
    assert "warning  BRAND_EMAIL_PUBLIC_DOMAIN  brand.email" in out


def test_an_invalid_file_exits_2_listing_every_field_error(capsys, tmp_path):
    data = copy.deepcopy(BASE)
    data["brand"]["ein"] = "1" * 30
    del data["campaign"]["messageFlow"]
    data["campaign"]["samples"] = []
    path = write(tmp_path, "invalid.json", data)
    assert main(["check", path]) == 2
    out = capsys.readouterr().out
    assert f"{path}: invalid request" in out
    for field in ("brand.ein", "campaign.samples", "campaign.messageFlow"):
        assert f"invalid {field}:" in out


@pytest.mark.parametrize(("content", "message"), [("{", "not valid JSON"), (None, "file not found")])
def test_unreadable_files_exit_2(capsys, tmp_path, content, message):
    path = write(tmp_path, "bad.json", content) if content else str(tmp_path / "missing.json")
    assert main(["check", path]) == 2
    assert message in capsys.readouterr().out


def test_every_file_is_reported_and_the_worst_outcome_wins(capsys, tmp_path, with_error, with_warning):
    invalid = write(tmp_path, "invalid.json", {"onboarding_id": "x"})
    assert main(["check", with_warning, with_error, invalid, EXAMPLES[0]]) == 2
    out = capsys.readouterr().out
    for path in (with_warning, with_error, invalid, EXAMPLES[0]):
        assert f"{path}:" in out
    assert main(["check", with_warning, with_error]) == 1


def test_json_lists_each_file_with_its_findings(capsys, with_error, tmp_path):
    invalid = write(tmp_path, "invalid.json", {"onboarding_id": "x"})
    assert main(["check", "--json", EXAMPLES[0], with_error, invalid]) == 2
    ok, bad, broken = json.loads(capsys.readouterr().out)
    assert ok == {"file": EXAMPLES[0], "valid": True, "schema_errors": [], "findings": []}
    assert bad["valid"] is True
    assert {f["rule_id"] for f in bad["findings"]} == {
        "CAMPAIGN_BRAND_IN_SAMPLES", "CAMPAIGN_EMBEDDED_LINK", "CAMPAIGN_LINK_SHORTENER",
    }  # fmt: skip
    assert set(bad["findings"][0]) == {"rule_id", "severity", "field", "message", "source", "accepted"}
    assert broken["valid"] is False and "brand: Field required" in broken["schema_errors"]


def test_colour_on_a_terminal(capsys, monkeypatch, with_error):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["check", with_error]) == 1
    assert "\x1b[" in capsys.readouterr().out


def test_a_jsonl_batch_is_checked_line_by_line(capsys, tmp_path):
    good = json.loads(Path(EXAMPLES[0]).read_text())
    bad = copy.deepcopy(good)
    del bad["connector"]
    path = tmp_path / "fleet.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(bad) + "\n{oops\n")
    assert main(["check", str(path), "--json"]) == 2
    reports = {r["file"]: r for r in json.loads(capsys.readouterr().out)}
    assert reports[f"{path}:1"]["valid"] is True
    assert reports[f"{path}:3"]["schema_errors"] == ["connector: Field required"]
    assert reports[f"{path}:4"]["schema_errors"][0].startswith("(request): not valid JSON:")
