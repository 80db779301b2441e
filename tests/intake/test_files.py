"""intake/files.py: the caps and refusals, on their own (the CLI table: tests/starter/test_malformed_files.py)."""

from __future__ import annotations

import pytest

from intake.files import FileProblem, read_json, read_json_lines


def test_a_file_at_the_cap_is_read_and_one_byte_more_is_not(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('"' + "x" * 98 + '"')
    assert read_json(path, cap=100) == "x" * 98
    path.write_text('"' + "x" * 99 + '"')
    with pytest.raises(FileProblem, match="larger than the 100 bytes"):
        read_json(path, cap=100)


def test_a_utf8_bom_is_allowed_and_nesting_inside_strings_does_not_count(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"a": "' + b"[" * 500 + b'"}')
    assert read_json(path) == {"a": "[" * 500}


def test_duplicate_keys_are_found_at_any_depth(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"brand": {"ein": "1", "ein": "2"}}')
    with pytest.raises(FileProblem, match="key 'ein' appears twice"):
        read_json(path)


def test_a_batch_is_read_line_by_line_each_line_capped(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text('{"a": 1}\n\n{"b": 2}\n' + '"' + "x" * 200 + '"\n')
    lines = read_json_lines(path, line_cap=100)
    assert next(lines) == (1, {"a": 1}) and next(lines) == (3, {"b": 2})
    with pytest.raises(FileProblem, match=r"batch.jsonl:4: line longer than the 100 bytes"):
        next(lines)
    path.write_text('{"a": 1}\n{"a": 1, "a": 2}\n')
    with pytest.raises(FileProblem, match=r"batch.jsonl:2: key 'a' appears twice"):
        list(read_json_lines(path))
