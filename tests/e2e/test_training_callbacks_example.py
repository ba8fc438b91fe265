"""examples/training_callbacks.py as a user runs it: Yin-Yang learns under the training
callbacks, and the experiment folder holds what each of them writes."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_training_callbacks_example(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "training_callbacks.py"),
                             "--epochs", "12", "--root", str(tmp_path)],
                            capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    match = re.search(r"test accuracy ([0-9.]+)% on 1000 held-out", result.stdout)
    assert match and float(match.group(1)) > 85.0, result.stdout
    (folder,) = (tmp_path / "yin_yang").iterdir()
    names = {p.name for p in folder.iterdir()}
    assert {"checkpoints", "history.json", "hyperparameters.json", "log.csv", "tensorboard",
            "training_callbacks.py", "training_history.png"} <= names
    assert len(list((folder / "checkpoints").iterdir())) == 2        # keep_best_n
    assert list((folder / "tensorboard").glob("events.out.tfevents.*"))
