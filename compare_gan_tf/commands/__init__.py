"""The console commands: compare_gan_tf, compare_gan_tf-sample, compare_gan_tf-study and
compare_gan_tf-evaluate-hub, each a thin absl program started through `entry.run`."""
