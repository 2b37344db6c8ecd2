"""The study benchmarks in their --quick form: ring8 calibration rows and study throughput."""

import json
import subprocess
import sys

import pytest

from tests.test_benchmarks import ROOT, check_part


def _run(name, results_dir):
    out = results_dir / f"{name}.json"
    command = [sys.executable, "-m", f"benchmarks.{name}", "--quick", "--out", str(out)]
    process = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert process.returncode == 0, process.stdout + process.stderr
    return json.loads(out.read_text())


def test_mixture_calibration_scores_every_chunk_of_every_run(tmp_path):
    part = _run("mixture_calibration", tmp_path)
    check_part("mixture_calibration", part, tmp_path)
    assert len(part["results"]) == 6
    for result in part["results"].values():
        assert [row["step"] for row in result["rows"]] == [50, 100]
        for row in result["rows"]:
            counts = row["high_quality_per_mode"]
            assert row["modes_recovered"] == sum(count > 0 for count in counts)
            assert row["high_quality_fraction"] == pytest.approx(sum(counts) / 2500)
            assert sum(row["share_nearest_each_mode"]) == pytest.approx(1.0, abs=0.01)
            assert row["largest_share"] == pytest.approx(
                max(row["share_nearest_each_mode"]), abs=1e-3
            )


@pytest.mark.slow
def test_study_throughput_counts_the_trials_each_worker_count_finished(tmp_path):
    part = _run("study_throughput", tmp_path)
    check_part("study_throughput", part, tmp_path)
    for workers in ("1_workers", "2_workers"):
        result = part["results"][workers]
        assert result["trials"] >= 2
        assert result["trials_per_hour"] == pytest.approx(
            3600 * result["trials"] / result["wall_seconds"], rel=0.01
        )
