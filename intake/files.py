"""Reading the JSON files people hand to `tendlc` (requests, changes, corrections) safely.

A request is a few kilobytes of UTF-8 JSON. Anything else — a directory, a device such as
/dev/zero, a binary or UTF-16 file, a 50 MB file, a 100 000-deep nesting, an object that names a
key twice — is refused with one `FileProblem` line naming the file and what is wrong, never a
traceback and never by reading without bound.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# One request file: generous for a request (the examples are ~3 KB) and small enough to read whole.
REQUEST_FILE_CAP = 1024 * 1024
# One line of a .jsonl batch: a batch file may be long, each request in it is capped like a file.
BATCH_LINE_CAP = REQUEST_FILE_CAP
# Nesting depth: a request nests about five levels; the cap keeps the parser off its recursion limit.
MAX_DEPTH = 64


class FileProblem(Exception):
    """A file that cannot be read as JSON; str() is the one line to print."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


def _size(cap: int) -> str:
    return f"{cap // (1024 * 1024)} MiB" if cap % (1024 * 1024) == 0 else f"{cap} bytes"


def read_capped(path: str | Path, cap: int = REQUEST_FILE_CAP) -> bytes:
    """The file's bytes, at most `cap` of them; a longer file (or an endless device) is refused."""
    source = str(path)
    path = Path(path)
    try:
        if path.is_dir():
            raise FileProblem(source, "is a directory, not a JSON file")
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
    except FileNotFoundError:
        raise FileProblem(source, "file not found") from None
    except PermissionError:
        raise FileProblem(source, "permission denied") from None
    except OSError as exc:
        raise FileProblem(source, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > cap:
        raise FileProblem(source, f"larger than the {_size(cap)} a request file may be")
    return data


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Duplicate(key)
        result[key] = value
    return result


def _depth_exceeds(text: str, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (checked before parsing, which
    would otherwise recurse once per level)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def parse_json(data: bytes, source: str) -> Any:
    """UTF-8 JSON bytes to a value; every other content is a `FileProblem`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(source, "is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileProblem(source, f"not UTF-8 text (byte {exc.start}); a request is a UTF-8 JSON file") from None
    if "\x00" in text:
        raise FileProblem(source, "contains NUL bytes: a binary file, not JSON")
    if _depth_exceeds(text, MAX_DEPTH):
        raise FileProblem(source, f"nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_reject_duplicates)
    except _Duplicate as exc:
        raise FileProblem(source, f"key {exc.key!r} appears twice in one object") from None
    except json.JSONDecodeError as exc:
        raise FileProblem(source, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def read_json(path: str | Path, cap: int = REQUEST_FILE_CAP) -> Any:
    """Read one JSON file: capped, UTF-8, not too deep, no key twice."""
    return parse_json(read_capped(path, cap), str(path))


def json_lines(path: str | Path, line_cap: int = BATCH_LINE_CAP) -> Iterator[tuple[int, Any]]:
    """A `.jsonl` batch, one `(line number, value)` at a time, where a line that cannot be read is
    its `FileProblem` as the value (so every bad line of a batch can be listed); blank lines are
    skipped. The file may be any length, each line is capped like a request file (read at most
    `line_cap` + 1 bytes of it). A file that cannot be opened at all raises `FileProblem`."""
    source = str(path)
    if Path(path).is_dir():
        raise FileProblem(source, "is a directory, not a JSON lines file")
    try:
        handle = Path(path).open("rb")  # noqa: SIM115 - opened apart to name the failure; the `with` below closes it
    except FileNotFoundError:
        raise FileProblem(source, "file not found") from None
    except OSError as exc:
        raise FileProblem(source, f"cannot be read: {exc.strerror or exc}") from None
    with handle:
        number = 0
        while line := handle.readline(line_cap + 1):
            number += 1
            where = f"{source}:{number}"
            if len(line.rstrip(b"\r\n")) > line_cap:  # cut off by the cap, or over it
                yield number, FileProblem(where, f"line longer than the {_size(line_cap)} a request may be")
                while line and not line.endswith(b"\n"):  # skip the rest of the long line
                    line = handle.readline(line_cap + 1)
                continue
            if line.strip():
                try:
                    yield number, parse_json(line, where)
                except FileProblem as problem:
                    yield number, problem


def read_json_lines(path: str | Path, line_cap: int = BATCH_LINE_CAP) -> Iterator[tuple[int, Any]]:
    """`json_lines`, raising the first line's `FileProblem` instead of yielding it."""
    for number, value in json_lines(path, line_cap):
        if isinstance(value, FileProblem):
            raise value
        yield number, value
