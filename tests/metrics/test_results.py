"""Result files are appended atomically: a crash leaves the earlier rows, never a torn line."""

import json
import os

import pytest
import tensorflow as tf

from compare_gan_tf.metrics import results


def test_rows_are_appended_in_order(tmp_path):
    path = tmp_path / "eval" / "results.jsonl"
    assert results.read_results(path) == []
    results.append_result(path, {"step": 1, "scores": {"fid": 3.5}})
    results.append_result(path, {"step": 2, "scores": {"fid": 2.5}})
    assert [row["step"] for row in results.read_results(path)] == [1, 2]
    assert len(path.read_text().splitlines()) == 2


def test_a_crash_while_writing_keeps_the_old_rows(tmp_path, monkeypatch):
    path = tmp_path / "results.jsonl"
    results.append_result(path, {"step": 1})
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tf.io.gfile, "rename", crash)
    with pytest.raises(OSError, match="disk full"):
        results.append_result(path, {"step": 2})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["results.jsonl"]  # no temporary file left behind


def test_write_json_round_trips(tmp_path):
    path = tmp_path / "curve.json"
    results.write_json(path, {"rows": [{"truncation": 0.5, "fid": 1.0}]})
    assert json.loads(path.read_text()) == {"rows": [{"fid": 1.0, "truncation": 0.5}]}


def test_a_torn_last_line_is_left_out_and_set_aside(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "sco')
    assert results.read_results(path) == [{"step": 1}, {"step": 2}]
    assert path.read_text().endswith('"sco')  # reading changes nothing
    results.append_result(path, {"step": 4})
    assert results.read_results(path) == [{"step": 1}, {"step": 2}, {"step": 4}]
    assert (tmp_path / "results.jsonl.torn").read_text() == '{"step": 3, "sco\n'


def test_a_bad_line_before_the_last_names_the_file_and_line(tmp_path):
    path = tmp_path / "results.jsonl"
    text = '{"step": 1}\nnot json\n{"step": 3}\n'
    path.write_text(text)
    with pytest.raises(ValueError, match=r"results.jsonl, line 2 of 3, is not a JSON row"):
        results.append_result(path, {"step": 4})
    assert path.read_text() == text
