"""examples/eprop/ as a user runs them: e-prop learns latency MNIST and Bellec's pattern
generation task."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "eprop" / script), *args],
                            capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return result.stdout


ACCURACY = r"e-prop test accuracy ([0-9.]+)% on 1000 held-out digits"


@pytest.fixture(scope="module")
def dense_accuracy():
    out = _run("latency_mnist.py")
    match = re.search(ACCURACY, out)
    assert match, out
    return float(match.group(1))


def test_latency_mnist_reaches_90_percent_on_held_out_digits(dense_accuracy):
    assert dense_accuracy >= 90.0


def test_deep_r_at_10_percent_connectivity_is_within_3_points_of_dense(dense_accuracy):
    out = _run("latency_mnist.py", "--deep-r", "0.1")
    match = re.search(ACCURACY + r", Deep-R input connectivity ([0-9.]+)% \((\d+) synapses\)",
                      out)
    assert match, out
    assert float(match.group(1)) >= dense_accuracy - 3.0
    # The connection kept the synapses FixedProbability(0.1) drew (about 10% of 784 x 128)
    assert abs(int(match.group(3)) - 0.1 * 784 * 128) < 5 * (0.1 * 0.9 * 784 * 128) ** 0.5
    # and it was rewired along the way
    rewired = [int(n) for n in re.findall(r"(\d+) synapses rewired", out)]
    assert len(rewired) == 10 and min(rewired) > 0


def test_pattern_generation_loss_falls():
    out = _run("pattern_recognition.py", "--iterations", "300")
    losses = [float(v) for v in re.findall(r"loss 0.5 sum \(y - y\*\)\^2 = ([0-9.]+)", out)]
    assert len(losses) >= 3, out
    # From the untrained network's error to a close fit of the 1 s target
    assert losses[0] > 100.0 and losses[-1] < 0.05 * losses[0]
    match = re.search(r"normalised MSE ([0-9.]+)\) after 300 iterations", out)
    assert match and float(match.group(1)) < 0.2, out
