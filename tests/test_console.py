"""The quiet terminal: TensorFlow's start-up lines dropped, other stderr lines kept."""

import os
import sys

from compare_gan_tf import console

BANNER = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796188168.959673   13333 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1796188169.081892   13333 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n"
)


def test_startup_lines_written_to_descriptor_2_are_dropped_and_the_rest_replayed(capfd):
    with console._stderr_without(console._STARTUP_LINE):
        os.write(2, BANNER.encode())
        os.write(2, b"E0000 a C++ error stays\n")
        print("a Python warning stays", file=sys.stderr)
    # (capfd takes sys.stderr apart from descriptor 2, so the two may come in either order)
    assert sorted(capfd.readouterr().err.splitlines()) == [
        "E0000 a C++ error stays",
        "a Python warning stays",
    ]


def test_the_users_own_log_level_wins(monkeypatch):
    monkeypatch.setattr(console, "_quiet_by_us", False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    console.silence_tensorflow_cpp_logs()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0" and not console._quiet_by_us
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL")
    console.silence_tensorflow_cpp_logs()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3" and console._quiet_by_us
