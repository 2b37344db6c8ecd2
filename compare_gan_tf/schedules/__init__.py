"""The run: one entry (run.py) that reads and checks gin once, builds the Experiment and hands it
to the schedules, one module each (train, eval, continuous_eval, truncation, export, sample).

This package's __init__ imports nothing, so the command line reads names.py (the schedule and
config names) before TensorFlow loads.
"""
