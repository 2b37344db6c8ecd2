"""What a TF1 generator module's graph tells beyond its variables' names and shapes.

A compare_gan module stores its settings in the graph, not in variables: the BN epsilon is the
constant that tf.nn.batch_normalization adds to the variance (arch_ops.standardize_batch), the
number of classes is the depth of tf.one_hot(labels) (gans/modular_gan.py, _get_one_hot_labels)
and the self-attention's place is the size of the maps its 1x1 convolutions see
(arch_ops.non_local_block; its variable scope names no block). A graph that cannot be read gives
empty facts, and the import falls back on the variables and compare_gan's defaults.
"""

import dataclasses

import numpy as np
import tensorflow as tf


@dataclasses.dataclass
class GraphFacts:
    bn_epsilons: tuple = ()  # distinct epsilons of the graph's batch norms, sorted
    attention_sizes: tuple = ()  # distinct heights of the maps entering a non_local_block
    num_classes: object = None  # depth of the labels' one-hot encoding; None: none found


def _constant(tensor):
    """The value of a Const op's output, or None when `tensor` is computed."""
    if tensor.op.type != "Const":
        return None
    return tf.make_ndarray(tensor.op.get_attr("value"))


def read_graph(signature):
    """GraphFacts of a loaded module signature (a ConcreteFunction); empty when its graph has
    no readable operations."""
    try:
        operations = signature.graph.get_operations()
    except (AttributeError, ValueError):
        return GraphFacts()
    epsilons, sizes, depths = set(), set(), set()
    for op in operations:
        # tf.nn.batch_normalization: rsqrt(variance + epsilon), in name scope "batchnorm".
        if op.type == "Const" and op.name.endswith("/batchnorm/add/y"):
            epsilons.add(float(np.asarray(_constant(op.outputs[0]))))
        # arch_ops.non_local_block: conv1x1 "conv2d_theta" on the block's input.
        elif op.type == "Conv2D" and "non_local_block" in op.name and "/conv2d_theta/" in op.name:
            height = op.outputs[0].shape[1]
            if height is not None:
                sizes.add(int(height))
        elif op.type == "OneHot":
            depth = _constant(op.inputs[1])
            if depth is not None:
                depths.add(int(depth))
    num_classes = depths.pop() if len(depths) == 1 else None
    return GraphFacts(tuple(sorted(epsilons)), tuple(sorted(sizes)), num_classes)
