"""The README's main job, run as a user runs it."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_yin_yang_inference_example_reaches_published_accuracy():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "yin_yang_inference.py")],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    match = re.search(r"test accuracy: ([0-9.]+)% on 1000 examples", result.stdout)
    assert match, result.stdout
    # Reservoirs of this size reach mid-90s on Yin-Yang; well above the 33% of chance
    assert float(match.group(1)) > 90.0
