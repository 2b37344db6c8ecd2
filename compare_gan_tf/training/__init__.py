"""The trainer: the GAN and its step, the loop with its hooks, checkpoints, EMA, strategy,
optimizers, sampling, and the Experiment that builds it all from gin."""
