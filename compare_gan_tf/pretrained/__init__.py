"""Hub modules that ship with the package: the digits generator the default config trains.

`DIGITS_GENERATOR` is the path of a class-conditional SNDCGAN (ch 32, DiffAugment, mode seeking;
its BN statistics tabulated for truncation thresholds) trained by
`python -m compare_gan_tf.main` (digits_sndcgan.gin, seed 0, 1,200 steps; the best checkpoint
by FID); its scores are in its metadata (`json.loads(module.metadata.numpy())["scores"]`).
"""

import os

DIGITS_GENERATOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits_sndcgan")
