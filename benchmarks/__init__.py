"""Reproducible speed and memory measurements of compare_gan_tf; each module writes JSON.

Run everything with `python benchmarks/run_all.py [--quick]`; see benchmarks/common.py.
"""

import os

# Quiet TensorFlow's C++ start-up logging in every benchmark process (set before TF loads).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
