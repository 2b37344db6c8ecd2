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
