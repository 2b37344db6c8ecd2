"""sndcgan step time under MirroredStrategy on 1, 2 and 4 logical CPU devices, equal global batch.

Logical devices must be configured before TensorFlow initializes, so every device count runs in
its own process. The CPU has 2 cores whatever the device count: this measures the overhead of
the distributed step (per-replica graphs, all-reduce, synchronized BN), not a speed-up.
"""

import json
import subprocess
import sys

from benchmarks import common, train_step

DEVICE_COUNTS = (1, 2, 4)


def child(devices, quick):
    """Prints JSON: the step time on `devices` logical CPUs (run in a fresh process)."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )
    strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(devices)])
    result = train_step.measure("sndcgan", quick, strategy=strategy)
    result["replicas"] = strategy.num_replicas_in_sync
    print(json.dumps(result))


def measure(devices, quick):
    code = f"from benchmarks.multi_replica import child; child({devices}, {quick})"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=common.ROOT
    )
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick=False, device_counts=DEVICE_COUNTS):
    results = {str(n): measure(n, quick) for n in device_counts}
    base = results.get("1", {}).get("step_seconds")
    for r in results.values():
        if "step_seconds" in r and base:
            # Step time on n devices / on 1 device (MirroredStrategy both), same global batch.
            r["ratio_to_1_device"] = r["step_seconds"] / base
    notes = [f"{n} devices failed: {r['error']}" for n, r in results.items() if "error" in r]
    return common.payload("multi_replica", quick, {"devices": results}, notes=notes)


def table(results):
    rows = [["devices", "global batch", "step s", "ratio to 1"]]
    for n, r in results["devices"].items():
        if "error" in r:
            rows.append([n, "", "error", ""])
        else:
            rows.append([n, r["batch_size"], r["step_seconds"], r.get("ratio_to_1_device")])
    return rows


if __name__ == "__main__":
    common.main("multi_replica", run, table)
