"""Tests of compare_gan_tf.study and tools/run_study.py."""
