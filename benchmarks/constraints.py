"""Per-step cost of D constraints on sndcgan 32 px (batch 64): ratios to no constraint.

Variants: none; SN and BSSN (D weight normalization); wgan_gp and r1 (gradient penalties); GN and
PGN (gradient-normalized D); CR (consistency regularization on reals). Each is one GAN.train step
(1 D + 1 G update, hinge loss, Adam); all are built in one process and timed in turn, round
after round, and each ratio is the median over rounds. --quick: ch 8, batch 8, 2 rounds.
"""

import statistics

from benchmarks import common, train_step

ARCHITECTURE = "sndcgan"
# name -> (D normalization, GANObjective keyword arguments besides loss="hinge").
VARIANTS = {
    "none": ("none", {}),
    "sn": ("spectral", {}),
    "bssn": ("bssn", {}),
    "wgan_gp": ("none", {"penalty": "wgan_gp"}),
    "r1": ("none", {"penalty": "r1"}),
    "gn": ("none", {"gradient_normalization": "gn"}),
    "pgn": ("none", {"gradient_normalization": "pgn"}),
    "cr": ("none", {"consistency": "cr"}),
}
SN_OVERHEAD_LIMIT = 0.05


def interleaved_step_times(gans, rounds, batch_size):
    """{name: [seconds of one GAN.train step per round]}, the variants timed in turn each round.

    Round-robin rather than one variant after another: this machine's speed drifts by 10-20%
    over minutes, more than the few percent being measured, and drift then hits all alike.
    """
    import tensorflow as tf

    one = tf.constant(1, tf.int64)
    iterators = {name: common.synthetic_iterator(gan, batch_size) for name, gan in gans.items()}

    def step(name):
        return float(gans[name].train(iterators[name], one)["d_loss"])

    first_calls = {name: common.timed(lambda name=name: step(name))[1] for name in gans}
    times = {name: [] for name in gans}
    for _ in range(rounds):
        for name in gans:
            times[name].append(common.timed(lambda name=name: step(name))[1])
    return times, first_calls


def run(quick=False, variants=tuple(VARIANTS)):
    from compare_gan_tf.objectives import GANObjective

    batch_size, _, ch = train_step.settings(quick)
    rounds = 2 if quick else 8
    gans, options_of = {}, {}
    for name in variants:
        normalization, options = VARIANTS[name]
        d_options = {"normalization": normalization, **({"ch": ch} if ch else {})}
        gans[name] = common.build_gan(
            ARCHITECTURE,
            batch_size,
            objective=GANObjective(loss="hinge", **options),
            generator_options={"ch": ch} if ch else {},
            discriminator_options=d_options,
        )
        options_of[name] = (normalization, options)
    times, first_calls = interleaved_step_times(gans, rounds, batch_size)
    results = {}
    for name, seconds in times.items():
        normalization, options = options_of[name]
        results[name] = {
            "d_normalization": normalization,
            "objective": options,
            "step_seconds": statistics.median(seconds),
            "first_call_seconds": first_calls[name],
            "rounds": seconds,
        }
        if "none" in times:
            # Median over rounds of (this variant's step / the unconstrained step of that round).
            ratios = [a / b for a, b in zip(seconds, times["none"])]
            results[name]["ratio_to_none"] = statistics.median(ratios)
    sn_overhead = None
    if "none" in results and "sn" in results:
        # Extra step time that SN costs, as a fraction of the unconstrained step.
        sn_overhead = results["sn"]["ratio_to_none"] - 1.0
    targets = [
        common.target(
            "SN overhead (sndcgan step, fraction)",
            sn_overhead,
            SN_OVERHEAD_LIMIT,
            "<=",
            meaning="one power iteration per D weight costs at most 5% of a step",
        )
    ]
    notes = [f"{rounds} rounds; every variant is timed once per round, in turn."]
    return common.payload("constraints", quick, {"variants": results}, targets, notes)


def table(results):
    rows = [["variant", "step s (median)", "ratio to none (median over rounds)"]]
    for name, r in results["variants"].items():
        rows.append([name, r["step_seconds"], r.get("ratio_to_none")])
    return rows


if __name__ == "__main__":
    common.main("constraints", run, table)
