"""benchmarks/run_all.py --quick in a subprocess: every part writes JSON of the common schema.

The fast test runs the scoring part only (about 40 s on a loaded 2-core machine); the slow one
runs every part (several minutes, mostly TensorFlow tracing the train steps).
"""

import json
import pathlib
import subprocess
import sys

import pytest

from benchmarks import report

ROOT = pathlib.Path(__file__).resolve().parent.parent
PART_KEYS = {"schema_version", "name", "quick", "machine", "results", "targets", "notes"}
TARGET_KEYS = {"name", "value", "limit", "comparison", "pass", "source", "meaning"}


def run_all(results_dir, *args):
    command = [sys.executable, "benchmarks/run_all.py", "--quick", "--results-dir"]
    process = subprocess.run(
        [*command, str(results_dir), *args], cwd=ROOT, capture_output=True, text=True
    )
    assert process.returncode == 0, process.stdout + process.stderr
    return json.loads((results_dir / "all.json").read_text()), process.stdout


def check_part(name, part, results_dir):
    assert set(part) >= PART_KEYS, sorted(part)
    assert part["name"] == name and part["quick"] is True
    assert {"cpu_model", "cpu_count", "tensorflow"} <= set(part["machine"])
    for target in part["targets"]:
        assert set(target) >= TARGET_KEYS
        assert target["pass"] in (True, False, None)
        assert target["comparison"] in ("<=", ">=")
    assert json.loads((results_dir / f"{name}.json").read_text())["name"] == name


def test_scoring_part_writes_schema_and_matches_scipy(tmp_path):
    combined, stdout = run_all(tmp_path, "--only", "scoring")
    assert set(combined["parts"]) == {"scoring"}
    part = combined["parts"]["scoring"]
    check_part("scoring", part, tmp_path)
    fid = part["results"]["fid"]
    # Our FID equals TTUR's scipy.linalg.sqrtm reference on the same features.
    assert fid["relative_difference"] < 1e-6
    assert fid["fid_ours"] > 0
    assert part["results"]["extractors"]["digits_classifier"]["images_per_second"] > 0
    assert part["results"]["memory"]["features_mib"] == pytest.approx(2 * 2000 * 256 * 4 / 2**20)
    assert [t["part"] for t in combined["targets"]] == ["scoring", "scoring"]
    assert "targets" in stdout

    # The doc's results block is rewritten from the JSON; the text around it stays.
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\nbefore\n{report.BEGIN}\nold\n{report.END}\nafter\n")
    doc.write_text(report.replace_block(doc.read_text(), report.render(combined)))
    text = doc.read_text()
    assert text.startswith("# Benchmarks\nbefore\n") and text.endswith(f"{report.END}\nafter\n")
    assert "old" not in text and "### scoring" in text and "| FID ours / reference |" in text
    assert "|  |  |  |\n|---|---|---|\n| FID ours / reference |" in text  # not a header
    assert f"| {fid['fid_ours']:.4g} | {fid['fid_reference']:.4g} |" in text
    with pytest.raises(ValueError, match="no results block"):
        report.replace_block("# Benchmarks\n", "tables")


@pytest.mark.slow
def test_every_part_runs_quick(tmp_path):
    combined, _ = run_all(tmp_path)
    names = [
        "train_step",
        "peer_mimicry",
        "constraints",
        "scoring",
        "input_pipeline",
        "machine_limit",
        "multi_replica",
    ]
    assert list(combined["parts"]) == names
    for name in names:
        check_part(name, combined["parts"][name], tmp_path)
    parts = combined["parts"]
    steps = parts["train_step"]["results"]
    assert set(steps) == {"sndcgan", "resnet_cifar", "biggan"}
    assert all(r["timing"]["tracing_count"] == 1 for r in steps.values())
    peer = parts["peer_mimicry"]["results"]["peer"]
    if "skipped" not in peer:
        # Same networks: equal parameter counts at equal widths.
        assert peer["g_params"] == steps["resnet_cifar"]["g_params"]
        assert peer["d_params"] == steps["resnet_cifar"]["d_params"]
    assert set(parts["constraints"]["results"]["variants"]) == {
        "none",
        "sn",
        "bssn",
        "wgan_gp",
        "r1",
        "gn",
        "pgn",
        "cr",
    }
    assert parts["machine_limit"]["results"]["flops"]["step"] > 0
    assert set(parts["multi_replica"]["results"]["devices"]) == {"1", "2", "4"}


def test_digits_quality_scores_the_references_it_is_measured_against():
    """The held-out digits score what DESIGN.md measured (FID 20.6, recall 0.78) and a
    memorization ratio of exactly 1; the training digits themselves score FID 0 and ratio 0."""
    from benchmarks import digits_quality
    from compare_gan_tf.metrics.digits_classifier import DigitsClassifier

    data = digits_quality.run(modules={})
    held_out = data["results"]["held_out_real_digits"]
    assert held_out["fid"] == pytest.approx(20.6, abs=0.05)
    assert held_out["recall"] == pytest.approx(0.78, abs=0.01)
    assert held_out["memorization_ratio"] == 1.0
    training, _ = digits_quality._real("train")
    extractor = DigitsClassifier()
    features = extractor(training)["features"]
    copy = digits_quality.score(training, training, features, 1.0, extractor)
    assert copy["fid"] == pytest.approx(0.0, abs=1e-6) and copy["memorization_ratio"] == 0.0


def test_launches_counts_one_strategy_run_per_step_and_times_a_step(tmp_path):
    """benchmarks.launches --quick, with one timed configuration: the counts of the loop and the
    step time, each from its own process (about a minute on a loaded 2-core machine)."""
    out = tmp_path / "launches.json"
    command = [sys.executable, "-m", "benchmarks.launches", "--quick", "--out", str(out)]
    command += ["--inputs", json.dumps({"configurations": [[1, False]]})]
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert process.returncode == 0, process.stdout + process.stderr
    data = json.loads(out.read_text())
    assert set(data) >= PART_KEYS and data["name"] == "launches" and data["quick"] is True
    counts = data["results"]["per_loop"]
    assert counts["settings"]["loops_counted"] == 2 and counts["settings"]["disc_iters"] == 2
    # One strategy.run per G step, executed once per iteration of GAN.train's loop; traced
    # twice (the first step and the loop's body).
    assert counts["strategy_run_per_step"] == 1.0
    assert counts["strategy_run_sites_traced"]["train"] == 2
    assert counts["dispatches_per_loop"] == (
        counts["function_calls_per_loop"] + counts["single_ops_per_loop"]
    )
    # One call each: the loop, the summaries and the sample grid.
    assert counts["functions"] == {
        "__inference_train": 1.0,
        "__inference__write_all": 1.0,
        "__inference__standing_then_sample": 1.0,
    }
    reads = counts["host_reads_by_site"]
    assert sum(reads.values()) == counts["host_reads_per_loop"]
    assert counts["host_reads_of_variables_per_loop"] <= 1.0  # the sample file's step
    assert not any("hooks.py" in site for site in reads)  # summaries read nothing back
    [step] = data["results"]["step"]
    assert (step["replicas"], step["jit_compile"]) == (1, False)
    assert step["step_seconds"] > 0 and step["tracing_count"] == [1]
    assert step["cross_replica_bn"] is False
