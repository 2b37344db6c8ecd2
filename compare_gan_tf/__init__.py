"""compare_gan_tf: GAN research library on TensorFlow 2 and Keras 3."""

__version__ = "0.1.0"
