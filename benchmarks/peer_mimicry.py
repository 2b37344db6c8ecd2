"""Our resnet_cifar step against torch-mimicry's SNGAN 32 px ResNet step (the same networks).

Both: 1 D update + 1 G update, hinge loss, Adam, batch 64, G width 256 (ours ch / mimicry ngf),
D width 128 (ch / ndf), SN in D only. Mimicry's step is its own `train_step` methods of
`torch_mimicry.nets.sngan.sngan_32`, on the CPU build of torch. Only mimicry's nets are
imported: its package __init__ also loads its training, metrics and dataset code (torchvision,
TensorBoard, TF1-era metrics), which this comparison does not use.
Install: pip install -e ".[benchmarks]" (torch's CPU wheel: --index-url .../whl/cpu).
"""

import importlib
import importlib.util
import sys
import types

from benchmarks import common, train_step

PEER = "torch-mimicry SNGAN-32 (torch_mimicry.nets.sngan.sngan_32)"


def import_sngan_32():
    """torch_mimicry.nets.sngan.sngan_32 without running torch_mimicry/__init__.py."""
    if "torch_mimicry" not in sys.modules:
        spec = importlib.util.find_spec("torch_mimicry")
        if spec is None:
            raise ImportError("torch-mimicry is not installed: pip install -e '.[benchmarks]'")
        package = types.ModuleType("torch_mimicry")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["torch_mimicry"] = package
    return importlib.import_module("torch_mimicry.nets.sngan.sngan_32")


class _Log:
    """The one method of mimicry's MetricLog that its train_step calls."""

    def add_metric(self, name, value, group=None):
        pass


def measure_peer(quick):
    """Mimicry's step seconds and parameter counts, or {"skipped": reason}."""
    try:
        import torch

        sngan_32 = import_sngan_32()
    except ImportError as error:
        return {"skipped": f"torch or torch-mimicry cannot be imported ({error})."}
    batch_size, repeats, ch = train_step.settings(quick)
    ngf, ndf = (ch, ch) if ch else (256, 128)
    torch.manual_seed(0)
    generator = sngan_32.SNGANGenerator32(ngf=ngf)
    discriminator = sngan_32.SNGANDiscriminator32(ndf=ndf)
    # Mimicry's SNGAN settings: Adam(2e-4, betas (0, 0.9)); the betas do not change the cost.
    opt_g = torch.optim.Adam(generator.parameters(), 2e-4, betas=(0.0, 0.9))
    opt_d = torch.optim.Adam(discriminator.parameters(), 2e-4, betas=(0.0, 0.9))
    real = (torch.rand(batch_size, 3, 32, 32) * 2 - 1, torch.zeros(batch_size, dtype=torch.long))
    device = torch.device("cpu")

    def step():
        discriminator.train_step(real, generator, opt_d, _Log(), device=device)
        generator.train_step(real, discriminator, opt_g, _Log(), device=device)

    timing = common.median_time(step, repeats, warmup=1, max_seconds=60)

    def params(model):
        return int(sum(p.numel() for p in model.parameters() if p.requires_grad))

    return {
        "implementation": PEER,
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "batch_size": batch_size,
        "g_ch": ngf,
        "d_ch": ndf,
        "g_params": params(generator),
        "d_params": params(discriminator),
        # Median seconds of mimicry's D train_step + G train_step.
        "step_seconds": timing["median"],
        "timing": timing,
    }


def run(quick=False, ours=None):
    """`ours`: a train_step result for resnet_cifar to reuse (run_all passes it)."""
    peer = measure_peer(quick)
    if ours is None or ours.get("batch_size") != train_step.settings(quick)[0]:
        ours = train_step.measure("resnet_cifar", quick)
    results = {"ours": ours, "peer": peer}
    notes = []
    ratio = None
    if "skipped" in peer:
        notes.append(f"Peer not measured: {peer['skipped']}")
    else:
        # Step time ours / peer; below 1 means ours is faster.
        ratio = ours["step_seconds"] / peer["step_seconds"]
        results["step_ratio_ours_over_peer"] = ratio
        results["g_params_ratio_ours_over_peer"] = ours["g_params"] / peer["g_params"]
        results["d_params_ratio_ours_over_peer"] = ours["d_params"] / peer["d_params"]
    targets = [
        common.target(
            "resnet_cifar step / mimicry SNGAN-32 step",
            ratio,
            1.0,
            "<=",
            meaning="ours no slower than the PyTorch peer at equal width and batch",
        )
    ]
    return common.payload("peer_mimicry", quick, results, targets, notes)


def table(results):
    rows = [["", "step s", "G params", "D params"]]
    for key in ("ours", "peer"):
        r = results[key]
        if "skipped" in r:
            rows.append([key, "skipped", "", ""])
        else:
            rows.append([key, r["step_seconds"], r["g_params"], r["d_params"]])
    if "step_ratio_ours_over_peer" in results:
        rows.append(
            [
                "ours/peer",
                results["step_ratio_ours_over_peer"],
                results["g_params_ratio_ours_over_peer"],
                results["d_params_ratio_ours_over_peer"],
            ]
        )
    return rows


if __name__ == "__main__":
    common.main("peer_mimicry", run, table)
