"""Training: strategy selection, the GAN step, EMA, and the model_dir runner."""
