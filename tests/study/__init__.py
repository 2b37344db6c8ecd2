"""Tests of compare_gan_tf.study and the compare_gan_tf-study command."""
