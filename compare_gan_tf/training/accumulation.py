"""The gradient of a batch as the mean of k micro-batches' (gradient accumulation), for one
optimizer update.

For models without batch statistics this is exactly the update of the whole batch. Spectral
norm's power iteration advances once per update: every micro-batch starts from the same u, so
all see the same sigma. Batch norm normalizes each micro-batch by its own statistics (as on a
replica of a k times smaller batch) and its moving averages take one momentum step per
micro-batch (k per update; they are recomputed before sampling anyway). Other state the
objective keeps (ADA's p, LeCam's averages) is also updated per micro-batch, and terms that
pair examples (mode seeking, PacGAN) pair them within a micro-batch.
"""

import tensorflow as tf

from compare_gan_tf.layers import SpectralNormalization


def power_iteration_vectors(*models):
    """The power-iteration vectors u of every spectral norm in `models` (Keras models or
    layers): what `mean_gradient` resets before each micro-batch."""
    return [
        variable
        for model in models
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, SpectralNormalization)
        for variable in layer.non_trainable_variables
    ]


def scaled_loss(optimizer, loss):
    """The replica's share of the global-mean loss, times the optimizer's loss scale: Keras
    optimizers sum gradients over replicas."""
    replicas = tf.distribute.get_replica_context().num_replicas_in_sync
    return optimizer.scale_loss(loss / replicas)


def mean_gradient(optimizer, variables, loss_fn, batch, micro_batches, reset, compiled):
    """(gradients, metrics): the gradient of loss_fn's mean over `micro_batches` equal slices
    of `batch` (a tuple of tensors or None, split along axis 0), and its mean metrics.

    loss_fn(index, *micro_batch) -> (loss, metrics), with `index` the micro-batch's number (an
    int64 tensor: it keys the micro-batch's random draws). Before every micro-batch after the
    first, the variables of `reset` (spectral norm's power-iteration vectors) go back to their
    values at the start of the update, so every micro-batch sees the same sigma. `compiled`,
    if given, wraps the function of one micro-batch's loss and gradients (XLA).
    """
    k = micro_batches

    def gradients_of(index, *micro):
        with tf.GradientTape() as tape:
            loss, metrics = loss_fn(index, *micro)
            scaled = scaled_loss(optimizer, loss) / k
        gradients = tape.gradient(scaled, variables)
        gradients = [
            tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
            for g, v in zip(gradients, variables)
        ]
        return gradients, {name: value / k for name, value in metrics.items()}

    if compiled is not None:
        gradients_of = compiled(gradients_of)
    start = [tf.identity(variable) for variable in reset if k > 1]
    total, metrics = None, None
    # A Python loop: under MirroredStrategy, u's assignment synchronizes the replicas, which
    # TensorFlow does not allow inside a graph loop.
    for index in range(k):
        if index:
            for variable, value in zip(reset, start):
                variable.assign(value)
        micro = [None if part is None else _micro_batch(part, index, k) for part in batch]
        gradients, more = gradients_of(tf.constant(index, tf.int64), *micro)
        if total is None:
            total, metrics = gradients, more
        else:
            total = [g + m for g, m in zip(total, gradients)]
            metrics = {name: metrics[name] + more[name] for name in metrics}
    return total, metrics


def _micro_batch(tensor, index, count):
    """Micro-batch `index` of `count` equal ones along axis 0."""
    size = tf.shape(tensor)[0] // count
    return tensor[index * size : (index + 1) * size]
