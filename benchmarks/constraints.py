"""Per-step cost of D constraints on sndcgan 32 px (batch 64): ratios to no constraint.

Variants: none; SN and BSSN (D weight normalization); wgan_gp and r1 (gradient penalties); GN and
PGN (gradient-normalized D); CR (consistency regularization on reals). Each is one GAN.train step
(1 D + 1 G update, hinge loss, Adam) timed as in train_step.py. --quick: ch 8, batch 8.
"""

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


def run(quick=False, variants=tuple(VARIANTS)):
    from compare_gan_tf.objectives import GANObjective

    results = {}
    for name in variants:
        normalization, options = VARIANTS[name]
        measured = train_step.measure(
            ARCHITECTURE,
            quick,
            objective=GANObjective(loss="hinge", **options),
            d_options={"normalization": normalization},
        )
        results[name] = {"d_normalization": normalization, "objective": options, **measured}
    base = results.get("none", {}).get("step_seconds")
    for r in results.values():
        # Step time of the variant / step time without any constraint.
        r["ratio_to_none"] = r["step_seconds"] / base if base else None
    sn_overhead = None
    if base and "sn" in results:
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
    return common.payload("constraints", quick, {"variants": results}, targets)


def table(results):
    rows = [["variant", "step s", "ratio to none"]]
    for name, r in results["variants"].items():
        rows.append([name, r["step_seconds"], r["ratio_to_none"]])
    return rows


if __name__ == "__main__":
    common.main("constraints", run, table)
