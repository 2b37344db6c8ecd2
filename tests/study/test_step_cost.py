"""A trial's cost per step: the median of the logged loop rates after the first."""

import math

import tensorflow as tf

from compare_gan_tf.study.step_cost import logged_rates, seconds_per_step


def _log_rates(model_dir, rates):
    writer = tf.summary.create_file_writer(str(model_dir / "train"))
    with writer.as_default():
        for step, rate in rates:
            tf.summary.scalar("steps_per_second", rate, step=step)
            tf.summary.scalar("d_loss", 0.5, step=step)
    writer.close()


def test_the_first_loop_is_left_out_and_the_median_taken(tmp_path):
    # The first loop (compiling) is slow; the rest run at 2, 4 and 8 steps/s.
    _log_rates(tmp_path, [(10, 0.1), (20, 2.0), (30, 8.0), (40, 4.0)])
    assert [step for step, _ in logged_rates(str(tmp_path))] == [10, 20, 30, 40]
    assert math.isclose(seconds_per_step(str(tmp_path)), 0.25, rel_tol=1e-6)


def test_a_run_with_one_logged_loop_has_no_cost(tmp_path):
    _log_rates(tmp_path, [(10, 3.0)])
    assert math.isnan(seconds_per_step(str(tmp_path)))
    assert math.isnan(seconds_per_step(str(tmp_path / "missing")))
