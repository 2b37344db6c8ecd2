"""A trial's training cost per G step, read from the steps_per_second its training loop logged.

The first logged loop is left out: it includes tracing and compiling the step. The median of the
rest is robust to a loop slowed by a checkpoint save or another process on the machine.
"""

import os
import statistics

import tensorflow as tf

TAG = "steps_per_second"


def logged_rates(model_dir):
    """[(step, steps per second)] of every loop the run logged to model_dir/train, by step."""
    rates = []
    for path in tf.io.gfile.glob(os.path.join(model_dir, "train", "events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.tag == TAG:
                    rates.append((event.step, float(tf.make_ndarray(value.tensor))))
    return sorted(rates)


def seconds_per_step(model_dir):
    """Median seconds per G step over the logged loops after the first; NaN with fewer than 2."""
    rates = [rate for _, rate in logged_rates(model_dir)[1:] if rate > 0]
    return statistics.median(1.0 / rate for rate in rates) if rates else float("nan")
