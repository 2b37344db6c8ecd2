"""A full disk or an unwritable path during evaluation or export names the path, keeps what
was computed (the scores in the message, earlier rows and modules byte-identical) and is a
UserError, which the command line prints without a traceback (exit 1)."""

import errno
import json
import types

import keras
import pytest
import tensorflow as tf

from compare_gan_tf.architectures import build_generator
from compare_gan_tf.errors import UserError
from compare_gan_tf.export import export_generator
from compare_gan_tf.files import WriteError, WritePermissionError, write_atomically
from compare_gan_tf.schedules.eval import CheckpointScorer
from tests.reliability.test_bad_config import _snapshot

FULL = OSError(errno.ENOSPC, "No space left on device")


def _fill_the_disk(monkeypatch):
    def write(self, data):
        raise FULL

    monkeypatch.setattr(tf.io.gfile.GFile, "write", write)


def _scorer(model_dir):
    """What CheckpointScorer.write_row reads of its scorer."""
    kind = types.SimpleNamespace(best_score="fid")
    return types.SimpleNamespace(
        model_dir=str(model_dir),
        settings=lambda: {"extractor": "digits_classifier"},
        experiment=types.SimpleNamespace(kind=kind),
    )


def test_a_full_disk_while_writing_a_score_row_keeps_the_scores_in_the_message(
    tmp_path, monkeypatch
):
    results = tmp_path / "eval" / "results.jsonl"
    results.parent.mkdir()
    results.write_text(json.dumps({"step": 1, "scores": {"fid": 30.0}}) + "\n")
    before = _snapshot(tmp_path)
    _fill_the_disk(monkeypatch)
    scores = {"fid": 12.3456789, "inception_score": 2.5}
    with pytest.raises(WriteError) as raised:
        CheckpointScorer.write_row(_scorer(tmp_path), 2, str(tmp_path / "ckpt-2"), scores)
    assert str(raised.value) == (
        f"Cannot write {results}: No space left on device. The scores of step 2, not saved: "
        f"fid 12.3457, inception_score 2.5. Rows already in {results} are kept; free space or "
        "fix the permissions and rerun --schedule=eval to score the checkpoint again."
    )
    assert isinstance(raised.value, UserError) and isinstance(raised.value, OSError)
    assert _snapshot(tmp_path) == before


def test_an_unwritable_eval_folder_is_named(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise tf.errors.PermissionDeniedError(None, None, "permission denied")

    monkeypatch.setattr(tf.io.gfile, "rename", refuse)
    with pytest.raises(WritePermissionError) as raised:
        CheckpointScorer.write_row(_scorer(tmp_path), 3, "ckpt-3", {"fid": 1.0})
    assert str(raised.value).startswith(
        f"Cannot write {tmp_path}/eval/results.jsonl: permission denied. The scores of step 3, "
        "not saved: fid 1."
    )
    assert isinstance(raised.value, PermissionError)


def test_a_full_disk_during_export_names_the_path_and_keeps_the_old_module(tmp_path, monkeypatch):
    keras.utils.set_random_seed(0)
    generator = build_generator("dcgan", 32, ch=4, z_dim=8)
    target = tmp_path / "hub" / "generator"
    export_generator(generator, target)
    before = _snapshot(tmp_path)

    def full(*args, **kwargs):
        raise FULL

    monkeypatch.setattr(tf.saved_model, "save", full)
    with pytest.raises(WriteError) as raised:
        export_generator(generator, target)
    assert str(raised.value) == (
        f"Cannot write {target}: No space left on device. Nothing was exported; a module "
        f"already at {target} is left as it was. Free space or fix the permissions, or export "
        "elsewhere."
    )
    assert _snapshot(tmp_path) == before


def test_a_sample_grid_on_a_full_disk_is_named(tmp_path, monkeypatch):
    _fill_the_disk(monkeypatch)
    with pytest.raises(WriteError, match=f"^Cannot write {tmp_path}/samples/step.png: No space"):
        write_atomically(f"{tmp_path}/samples/step.png", b"png")
