"""examples/few_spike_mnist.py as a user runs it: the converted network keeps the ANN's accuracy."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_few_spike_conversion_keeps_the_anns_accuracy():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "few_spike_mnist.py"),
                             "--epochs", "5"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    match = re.search(r"ANN test accuracy ([0-9.]+)%, few-spike \(k=8\) test accuracy ([0-9.]+)%",
                      result.stdout)
    assert match, result.stdout
    ann, few_spike = float(match.group(1)), float(match.group(2))
    # Real digits: far above chance (10%); 8 digits per activation lose little of the ANN's
    assert ann > 85.0
    assert few_spike > ann - 2.0
