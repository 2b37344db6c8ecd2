"""Runs every benchmark, each in its own process; writes results/<name>.json and all.json.

  python benchmarks/run_all.py [--quick] [--only a,b] [--results-dir DIR]

Quick results go to benchmarks/results/quick/ (ignored by git), full ones to benchmarks/results/.

Full mode is budgeted to finish within 30 minutes on an idle 2-core machine: each part has a
time limit (BUDGET_SECONDS) and is stopped when it passes it. --quick runs tiny settings (a
few seconds of work per part, plus TensorFlow's tracing). Later parts reuse earlier results:
peer_mimicry takes train_step's resnet_cifar time, input_pipeline and machine_limit its sndcgan
time. The exit status is 1 when a part failed; a missed target is reported, not an error.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import common  # noqa: E402

# Part -> seconds it may take in full mode (idle 2 cores); they add up to 30 minutes.
BUDGET_SECONDS = {
    "train_step": 360,
    "peer_mimicry": 180,
    "constraints": 480,
    "scoring": 240,
    "input_pipeline": 90,
    "machine_limit": 90,
    "multi_replica": 360,
}
QUICK_LIMIT_SECONDS = 600  # per part, generous for a loaded machine


def inputs_for(name, done):
    """Results of earlier parts that `name` reuses instead of measuring again."""
    steps = done.get("train_step", {}).get("results", {})
    if name == "peer_mimicry" and "resnet_cifar" in steps:
        return {"ours": steps["resnet_cifar"]}
    if name in ("input_pipeline", "machine_limit") and "sndcgan" in steps:
        inputs = {"step_seconds": steps["sndcgan"]["step_seconds"]}
        if name == "input_pipeline":
            inputs["step_batch_size"] = steps["sndcgan"]["batch_size"]
        return inputs
    return {}


def run_part(name, quick, results_dir, done):
    out = results_dir / f"{name}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", f"benchmarks.{name}", "--out", str(out)]
    command += ["--quick"] if quick else []
    inputs = inputs_for(name, done)
    if inputs:
        command += ["--inputs", json.dumps(inputs)]
    limit = QUICK_LIMIT_SECONDS if quick else BUDGET_SECONDS[name]
    log = results_dir / f"{name}.log"
    start = time.perf_counter()
    try:
        with log.open("w") as stderr:
            process = subprocess.run(command, cwd=ROOT, stderr=stderr, timeout=limit)
        error = None if process.returncode == 0 else f"exit status {process.returncode}"
    except subprocess.TimeoutExpired:
        error = f"stopped after its limit of {limit} s"
    seconds = round(time.perf_counter() - start, 1)
    if error is None and out.exists():
        data = json.loads(out.read_text())
        data["wall_seconds"] = seconds
        return data
    lines = log.read_text().strip().splitlines() if log.exists() else []
    detail = lines[-1] if lines else ""
    return {"name": name, "error": f"{error or 'no JSON written'}: {detail}", "log": str(log)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny settings for every part")
    parser.add_argument("--only", default=None, help="comma-separated parts (default: all)")
    parser.add_argument(
        "--results-dir", default=None, help="default: benchmarks/results (quick: results/quick)"
    )
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(BUDGET_SECONDS)
    unknown = sorted(set(names) - set(BUDGET_SECONDS))
    if unknown:
        parser.error(f"unknown parts {unknown}; choose from {', '.join(BUDGET_SECONDS)}")
    quick_dir = common.RESULTS_DIR / "quick"
    results_dir = pathlib.Path(
        args.results_dir or (quick_dir if args.quick else common.RESULTS_DIR)
    )
    results_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = {}
    for name in names:
        print(f"\n### {name}", flush=True)
        done[name] = run_part(name, args.quick, results_dir, done)
        if "error" in done[name]:
            print(f"{name} FAILED: {done[name]['error']}", flush=True)
    targets = [{"part": name, **t} for name, data in done.items() for t in data.get("targets", [])]
    combined = {
        "schema_version": common.SCHEMA_VERSION,
        "quick": args.quick,
        "machine": common.machine(),
        "budget_seconds": None if args.quick else sum(BUDGET_SECONDS[n] for n in names),
        "elapsed_seconds": round(time.perf_counter() - start, 1),
        "parts": done,
        "targets": targets,
    }
    path = common.write_json(results_dir / "all.json", combined)
    rows = [["part", "seconds", "status"]]
    for name, data in done.items():
        rows.append([name, data.get("wall_seconds", ""), "error" if "error" in data else "ok"])
    common.print_table("parts", rows)
    if targets:
        common.print_table("targets", common.target_rows(targets))
    print(f"\nwrote {path} ({combined['elapsed_seconds']} s)")
    return 1 if any("error" in data for data in done.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
