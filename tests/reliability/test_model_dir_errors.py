"""An unwritable model_dir or a full disk: one clear error, the last checkpoint intact."""

import errno
import os

import pytest
import tensorflow as tf
from tensorflow.python.checkpoint import checkpoint_management

from compare_gan_tf.training import checkpoints, loop
from compare_gan_tf.training.experiment import Experiment


def test_a_model_dir_inside_a_file_is_refused_before_training(quiet_tiny_config, tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    model_dir = str(tmp_path / "notes.txt" / "run")
    with pytest.raises(checkpoints.ModelDirError) as raised:
        loop.train(model_dir, training_steps=1)
    message = str(raised.value)
    assert f"Cannot write to model_dir {model_dir!r} (NotADirectoryError" in message
    assert "none saved" in message and "pass another --model_dir" in message


def test_a_model_dir_without_permission_is_refused(quiet_tiny_config, tmp_path, monkeypatch):
    # Tests run as root here, which chmod cannot lock out: simulate the refusal instead.
    def refuse(path, exist_ok=False):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(os, "makedirs", refuse)
    with pytest.raises(
        checkpoints.ModelDirError, match="Permission denied.*make the folder writable"
    ):
        loop.train(str(tmp_path / "run"), training_steps=1)


def test_a_full_disk_while_saving_keeps_the_last_complete_checkpoint(
    quiet_tiny_config, tmp_path, monkeypatch
):
    record_state = checkpoint_management.update_checkpoint_state_internal

    def disk_full_at_ckpt_3(save_dir, model_checkpoint_path, **kwargs):
        if model_checkpoint_path.endswith("ckpt-3"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), save_dir)
        return record_state(save_dir, model_checkpoint_path, **kwargs)

    monkeypatch.setattr(
        checkpoint_management, "update_checkpoint_state_internal", disk_full_at_ckpt_3
    )
    with pytest.raises(checkpoints.ModelDirError) as raised:
        loop.train(str(tmp_path), training_steps=4)
    message = str(raised.value)  # gin re-raises a proxy of the error: its text, not its errno
    assert f"Cannot write to model_dir {str(tmp_path)!r}" in message
    assert "No space left on device" in message and "Free disk space" in message
    assert f"the last complete checkpoint, {tmp_path}/ckpt-2, is intact" in message
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-2")

    monkeypatch.undo()
    fresh = Experiment()
    assert checkpoints.restore(
        checkpoints.checkpoint_manager(fresh.gan, str(tmp_path)), str(tmp_path)
    )
    assert int(fresh.gan.step.numpy()) == 2
    loop.train(str(tmp_path), training_steps=4, experiment=fresh)
    assert tf.train.latest_checkpoint(str(tmp_path)).endswith("ckpt-4")
