"""Installs compare_gan_tf and its dependencies (ranges that install together on Python 3.11 to
3.13)."""

import setuptools

setuptools.setup(
    name="compare_gan_tf",
    version="0.1.0",
    description="GAN research library on TensorFlow 2 and Keras 3.",
    license="Apache-2.0",
    license_files=["LICENSE"],
    # TensorFlow 2.21 publishes wheels for CPython 3.11 to 3.13 and none for 3.14: the cap gives
    # pip's clear "requires a different Python" instead of a failed search for tensorflow.
    python_requires=">=3.11,<3.14",
    classifiers=[
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
    packages=setuptools.find_packages(include=["compare_gan_tf", "compare_gan_tf.*"]),
    package_data={
        "compare_gan_tf": [
            "gin_configs/*.gin",
            "metrics/weights/*",
            # The pretrained digits generator: a SavedModel directory.
            "pretrained/*/*.pb",
            "pretrained/*/assets/*",
            "pretrained/*/variables/*",
            # Its model card.
            "pretrained/*.md",
        ]
    },
    install_requires=[
        "tensorflow>=2.21,<2.22",
        "keras>=3.10,<4",
        "tensorflow-hub>=0.16,<0.17",
        # tensorflow-hub 0.16 imports pkg_resources: setuptools 82 removed it and 80.9 to 81 warn
        # (UserWarning) on its import. Venvs of Python 3.12 and later come without setuptools.
        "setuptools<80.9",
        "tensorflow-datasets>=4.9,<5",
        "gin-config>=0.5,<0.6",
        "absl-py>=2.1,<3",
        "numpy>=1.26,<3",
        "scipy>=1.11,<2",
        "scikit-learn>=1.4,<2",
        "pillow>=10,<14",
        "matplotlib>=3.8,<4",
        "tensorboard>=2.21,<2.22",
        "tqdm>=4.60,<5",
        "optuna>=4,<5",
        "pandas>=2,<3",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            # Two test processes, each test file in one: the suite takes half the time.
            "pytest-xdist>=3.6,<4",
            "hypothesis>=6.100,<7",
            "ruff>=0.6,<1",
            "nbclient>=0.10,<1",
            "nbformat>=5.9,<6",
            "ipykernel>=6.29,<8",
        ],
        # benchmarks/peer_mimicry.py: the PyTorch peer (uses only torch_mimicry.nets). For the
        # CPU build, install torch first from PyTorch's CPU wheel index.
        "benchmarks": ["torch>=2.4", "torch-mimicry==0.1.16"],
    },
    entry_points={
        "console_scripts": [
            "compare_gan_tf=compare_gan_tf.main:run",
            "compare_gan_tf-sample=compare_gan_tf.commands.sample:run",
            "compare_gan_tf-study=compare_gan_tf.commands.study:run",
            "compare_gan_tf-evaluate-hub=compare_gan_tf.commands.evaluate_hub:run",
            "compare_gan_tf-convert-gin=compare_gan_tf.commands.convert_gin:run",
            "compare_gan_tf-import-module=compare_gan_tf.commands.import_module:run",
        ]
    },
)
