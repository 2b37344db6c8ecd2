"""Step time of one D update + one G update (hinge loss, Adam, EMA) at batch 64, 32 px.

Architectures: sndcgan (ch 64, SN in D), resnet_cifar (SNGAN's ResNet, G ch 256, D ch 128, SN in
D), biggan (ch 96, SN in G and D). Inputs are one fixed random batch, so no input pipeline is
timed. --quick: ch 8, batch 8, two timed steps.
"""

from benchmarks import common

# name -> (generator options, discriminator options) at full size.
ARCHITECTURES = {
    "sndcgan": ({}, {"normalization": "spectral"}),
    "resnet_cifar": ({}, {"normalization": "spectral"}),
    "biggan": ({}, {}),
}
QUICK_CH = 8


def settings(quick):
    """(batch size, timed repeats, channel override or None)."""
    return (8, 2, QUICK_CH) if quick else (common.BATCH_SIZE, 5, None)


def measure(architecture, quick, strategy=None, objective=None, d_options=None):
    """Step seconds and parameter counts of one architecture (see common.time_train_step)."""
    batch_size, repeats, ch = settings(quick)
    g_options, default_d = ARCHITECTURES.get(architecture, ({}, {}))
    g_options = dict(g_options)
    d_options = dict(default_d if d_options is None else d_options)
    if ch:
        g_options["ch"] = d_options["ch"] = ch
    gan = common.build_gan(
        architecture,
        batch_size,
        strategy=strategy,
        objective=objective,
        generator_options=g_options,
        discriminator_options=d_options,
    )
    timing = common.time_train_step(gan, repeats, batch_size=batch_size)
    return {
        "architecture": architecture,
        "batch_size": batch_size,
        "g_ch": gan.generator.ch,
        "d_ch": gan.discriminator.ch,
        "d_normalization": gan.discriminator.normalization,
        "g_params": common.count_params(gan.generator),
        "d_params": common.count_params(gan.discriminator),
        # Median seconds of one GAN.train step (1 D + 1 G update + EMA); images/s = batch / it.
        "step_seconds": timing["median"],
        "timing": timing,
    }


def run(quick=False, architectures=tuple(ARCHITECTURES)):
    results = {name: measure(name, quick) for name in architectures}
    notes = ["Inputs are one fixed random batch; the input pipeline is measured separately."]
    return common.payload("train_step", quick, results, notes=notes)


def table(results):
    rows = [["architecture", "step s", "first call s", "G params", "D params"]]
    for name, r in results.items():
        first = r["timing"]["first_call_seconds"]
        rows.append([name, r["step_seconds"], first, r["g_params"], r["d_params"]])
    return rows


if __name__ == "__main__":
    common.main("train_step", run, table)
