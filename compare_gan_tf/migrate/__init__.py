"""Reading the configs of other GAN libraries into compare_gan_tf's.

compare_gan_gin.py converts a compare_gan (v3, 2019) gin config, binding for binding:

    from compare_gan_tf.migrate.compare_gan_gin import convert_file
    text = convert_file("example_configs/resnet_cifar10.gin")

The mapping is one table (table.py, a row per compare_gan binding) over the rules of rules.py;
parse.py reads the file without resolving its names, vocabulary.py holds compare_gan's names and
defaults, and detect.py tells a compare_gan config apart before TensorFlow loads. Nothing here
imports TensorFlow. The command line is compare_gan_tf-convert-gin (commands/convert_gin.py).
"""
