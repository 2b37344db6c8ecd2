"""compare_gan's TF1 ops in inference mode, written again in tf.compat.v1 graph mode from its
architectures/arch_ops.py and resnet_ops.py, to build tiny generator modules in the tests.

Variables get compare_gan's scope names and shapes and seeded random values; `drop` leaves a
variable out (the op then skips it, where compare_gan's graph allows), `misshape` stores it one
wider in its last axis (the op reads the slice it needs).
"""

import numpy as np
import tensorflow as tf

v1 = tf.compat.v1
BATCH = 8
EPSILON = 1e-3  # compare_gan's standardize_batch default
EMA_SUFFIX = "ExponentialMovingAverage"
# The trainable variables: those ModularGAN's g_use_ema shadows (no u_var, accumulators, ...).
TRAINABLE = ("kernel", "bias", "gamma", "beta", "sigma")


class CompareGanOps:
    """compare_gan's linear, conv2d, deconv2d, batch norms and spectral_norm (inference).

    singular_value: None (G.spectral_norm = False), or spectral_norm.singular_value ("left",
    "right", "auto"). ema: every trainable variable gets an ExponentialMovingAverage shadow of
    other values, and the graph reads the shadow (ModularGAN._module_fn with g_use_ema).
    """

    def __init__(
        self,
        seed,
        accumulators=False,
        drop=(),
        misshape=(),
        singular_value=None,
        ema=False,
        epsilon=EPSILON,
        batch=BATCH,
    ):
        self.rng = np.random.default_rng(seed)
        self.accumulators = accumulators
        self.drop = drop
        self.misshape = misshape
        self.singular_value = singular_value
        self.ema = ema
        self.epsilon = epsilon
        self.batch = batch

    def _value(self, name, shape, kind):
        if kind == "positive":
            return self.rng.uniform(0.5, 1.5, shape)
        if kind == "counter":
            return np.float32(self.rng.uniform(2, 5))
        if name == "kernel":  # fan-in scaling keeps activations near 1, as in a trained G
            return self.rng.normal(0, 1 / np.sqrt(np.prod(shape[:-1])), shape)
        return self.rng.normal(0, 0.3, shape)

    def _get(self, name, shape, kind):
        value = np.asarray(self._value(name, shape, kind), np.float32)
        return v1.get_variable(name, initializer=tf.constant(value), dtype=tf.float32)

    def variable(self, name, shape, kind="normal"):
        full = v1.get_variable_scope().name + "/" + name
        if any(full.endswith(dropped) for dropped in self.drop):
            return None
        stored = list(shape)
        if any(full.endswith(bad) for bad in self.misshape):
            stored[-1] += 1
        variable = self._get(name, stored, kind)
        if self.ema and name.split("/")[-1] in TRAINABLE:
            variable = self._get(f"{name}/{EMA_SUFFIX}", stored, kind)
        return variable[..., : shape[-1]] if stored != list(shape) else variable

    def spectral_norm(self, kernel):
        """arch_ops.spectral_norm: one power-iteration step from u_var, which it then assigns."""
        w = tf.reshape(kernel, [-1, kernel.shape[-1]])
        rows, columns = w.shape
        side = self.singular_value
        if side == "auto":
            side = "left" if rows <= columns else "right"
        shape = [rows, 1] if side == "left" else [1, columns]
        u_var = self.variable("kernel/u_var", shape)
        if side == "left":
            v = tf.math.l2_normalize(tf.matmul(tf.transpose(w), u_var), epsilon=1e-12)
            u = tf.math.l2_normalize(tf.matmul(w, v), epsilon=1e-12)
            sigma = tf.matmul(tf.matmul(tf.transpose(u), w), v)
        else:
            v = tf.math.l2_normalize(tf.matmul(u_var, w, transpose_b=True), epsilon=1e-12)
            u = tf.math.l2_normalize(tf.matmul(v, w), epsilon=1e-12)
            sigma = tf.matmul(tf.matmul(v, w), u, transpose_b=True)
        if isinstance(u_var, tf.Variable):  # a misshapen u_var is read through a slice
            with tf.control_dependencies([v1.assign(u_var, u)]):
                sigma = tf.identity(sigma)
        return tf.reshape(w / sigma, kernel.shape)

    def _kernel(self, shape, use_sn):
        kernel = self.variable("kernel", shape)
        return self.spectral_norm(kernel) if use_sn and self.singular_value else kernel

    def linear(self, x, units, scope, use_sn=False, use_bias=True):
        with v1.variable_scope(scope):
            y = tf.matmul(x, self._kernel([x.shape[-1], units], use_sn))
            return y + self.variable("bias", [units]) if use_bias else y

    def conv(self, x, filters, size, scope, use_sn=False, use_bias=True):
        with v1.variable_scope(scope):
            kernel = self._kernel([size, size, x.shape[-1], filters], use_sn)
            y = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], "SAME")
            return y + self.variable("bias", [filters]) if use_bias else y

    def deconv(self, x, filters, size, stride, scope):
        with v1.variable_scope(scope):
            kernel = self.variable("kernel", [size, size, filters, x.shape[-1]])
            shape = [self.batch, x.shape[1] * stride, x.shape[2] * stride, filters]
            y = tf.nn.conv2d_transpose(x, kernel, shape, [1, stride, stride, 1])
            return y + self.variable("bias", [filters])

    def standardize(self, x):
        """arch_ops.standardize_batch in inference: moving averages or accumulators."""
        channels = x.shape[-1]
        if self.accumulators:
            with v1.variable_scope("accu"):
                counter = self.variable("accu_counter", [], "counter")
                mean = self.variable("accu_mean", [channels])
                variance = self.variable("accu_variance", [channels], "positive")
                mean, variance = mean / counter, variance / counter
                v1.get_variable("update_accus", [], tf.int32, v1.zeros_initializer())
        else:
            mean = self.variable("moving_mean", [channels])
            variance = self.variable("moving_variance", [channels], "positive")
        return tf.nn.batch_normalization(x, mean, variance, None, None, self.epsilon)

    def batch_norm(self, x, scope):
        """arch_ops.batch_norm (a 2-D input is standardized per unit)."""
        shape = x.shape
        if len(shape) == 2:
            x = tf.reshape(x, [-1, 1, 1, shape[-1]])
        with v1.variable_scope(scope):
            y = self.standardize(x)
            gamma = self.variable("gamma", [shape[-1]], "positive")
            if gamma is not None:
                y *= gamma
            y += self.variable("beta", [shape[-1]])
        return tf.reshape(y, [-1, *shape[1:]])

    def conditional_batch_norm(self, x, y, scope):
        """arch_ops.conditional_batch_norm (use_bias=False): gain gamma(y), no +1."""
        channels = x.shape[-1]
        with v1.variable_scope(scope):
            out = self.standardize(x)
            with v1.variable_scope("condition"):
                gamma = self.linear(y, channels, "gamma", use_sn=True, use_bias=False)
                beta = self.linear(y, channels, "beta", use_sn=True, use_bias=False)
            return out * gamma[:, None, None, :] + beta[:, None, None, :]

    def self_modulated_batch_norm(self, x, z, scope, num_hidden=32):
        """arch_ops.self_modulated_batch_norm: gain and bias are linear maps of relu(W z + b)."""
        channels = x.shape[-1]
        with v1.variable_scope(scope):
            out = self.standardize(x)
            with v1.variable_scope("sbn"):
                h = tf.nn.relu(self.linear(z, num_hidden, "hidden", use_sn=True))
                gamma = self.linear(h, channels, "gamma", use_sn=True)
                beta = self.linear(h, channels, "beta", use_sn=True)
            return out * gamma[:, None, None, :] + beta[:, None, None, :]


def unpool(x):
    """compare_gan's resnet_ops.unpool: zero insertion, each value at its 2x2 cell's top left."""
    shape = x.shape.as_list()
    out = tf.reshape(x, [-1] + shape[-2:])
    for axis in (2, 1):
        out = tf.concat([out, tf.zeros_like(out)], axis)
    return tf.reshape(out, [-1] + [s * 2 for s in shape[1:-1]] + [shape[-1]])
