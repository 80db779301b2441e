"""Files that are not a request: `tendlc check` and `tendlc start` refuse each with exit 2 and one
line naming the file and the problem — no traceback, no unbounded read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from intake.files import MAX_DEPTH, REQUEST_FILE_CAP

ROOT = Path(__file__).resolve().parents[2]
BASE = (ROOT / "examples" / "onboarding.json").read_text()


def _binary(tmp: Path) -> str:
    path = tmp / "binary.json"
    path.write_bytes(bytes(range(256)) * 4)
    return str(path)


def _utf16(tmp: Path) -> str:
    path = tmp / "utf16.json"
    path.write_text(BASE, encoding="utf-16")
    return str(path)


def _deep(tmp: Path) -> str:
    path = tmp / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return str(path)


def _directory(tmp: Path) -> str:
    return str(tmp)


def _over_the_cap(tmp: Path) -> str:
    path = tmp / "big.json"
    path.write_text('{"pad": "' + "x" * REQUEST_FILE_CAP + '"}')
    return str(path)


def _dev_zero(tmp: Path) -> str:
    return "/dev/zero"


def _duplicate_keys(tmp: Path) -> str:
    path = tmp / "dup.json"
    path.write_text(BASE.replace('"onboarding_id": "acme-sms"', '"onboarding_id": "a", "onboarding_id": "b"', 1))
    assert path.read_text() != BASE
    return str(path)


# (what, how to make it, the words the one line must contain)
TABLE = [
    ("binary", _binary, "not UTF-8"),
    ("UTF-16", _utf16, "UTF-16"),
    ("100k-deep nesting", _deep, f"nests deeper than {MAX_DEPTH} levels"),
    ("directory", _directory, "is a directory"),
    ("over the cap", _over_the_cap, "larger than the 1 MiB"),
    ("/dev/zero", _dev_zero, "larger than the 1 MiB"),
    ("duplicate keys", _duplicate_keys, "key 'onboarding_id' appears twice"),
]


@pytest.mark.parametrize("command", ["check", "start"])
@pytest.mark.parametrize(("what", "make", "words"), TABLE, ids=[row[0] for row in TABLE])
def test_a_malformed_file_exits_2_with_one_line(tmp_path, command, what, make, words):
    path = make(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "starter.cli", command, path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        # start must refuse before it looks for Temporal; the ids are set so only the file is wrong
        env={"PATH": "/usr/bin:/bin", "BIRD_WORKSPACE_ID": "w", "BIRD_ORGANIZATION_ID": "o",
             "TEMPORAL_ADDRESS": "127.0.0.1:9"},  # fmt: skip
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert words in output
    problem_lines = [line for line in output.splitlines() if words in line]
    assert len(problem_lines) == 1 and path in problem_lines[0], output
