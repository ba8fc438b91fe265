"""Cost of each ml-genn-training callback: one training epoch of EventProp Yin-Yang (dt 0.1,
4096 examples, batch 64: 64 batches) with the callback against the same epoch without, in
alternating rounds; reports the median ratio per callback (goal: under 3% for everything but
histograms)."""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

NAME = "training_callbacks"
ROUNDS = 5


def _callbacks(folder: str) -> dict:
    from ml_genn.callbacks import (CSVLogger, EarlyStopping, GradientClipping, GradientStats,
                                   ModelCheckpoint, StepLR, TensorBoard, TerminateOnNaN)
    return {
        "EarlyStopping": lambda: EarlyStopping("accuracy", patience=100),
        "TerminateOnNaN": lambda: TerminateOnNaN(),
        "StepLR per batch": lambda: StepLR(4, 0.9, per_batch=True),
        "GradientClipping": lambda: GradientClipping(max_norm=1.0),
        "GradientStats": lambda: GradientStats(),
        "CSVLogger": lambda: CSVLogger(os.path.join(folder, "log.csv")),
        "ModelCheckpoint": lambda: ModelCheckpoint(os.path.join(folder, "ckpt"), keep_best_n=1),
        "TensorBoard": lambda: TensorBoard(os.path.join(folder, "tb")),
        "TensorBoard with histograms": lambda: TensorBoard(os.path.join(folder, "tbh"),
                                                           histogram_freq=1),
    }


def run(threads: int, repeats: int = ROUNDS, backend: str = "cpu") -> list:
    from workloads.backend_support import batch_size, skipped
    if batch_size(backend, 64) != 64:
        return skipped(f"measures each callback against 64 batches of 64 examples; backend "
                       f"'{backend}' runs one example at a time, which would make it 4096 "
                       f"batches per epoch and a different measurement")
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
    from yin_yang import TRIAL_MS, build
    from ml_genn.compilers import EventPropCompiler
    from ml_genn.losses import RelativeMeanSquareError
    from ml_genn.optimisers import Adam
    from ml_genn.utils.data import generate_yin_yang_dataset
    dt = 0.1
    x, y = generate_yin_yang_dataset(4096, scale=TRIAL_MS - 4 * dt, offset=2 * dt, bias=False,
                                     rng=1)
    network, inp, out = build(4, 64, 1.5, 0.78, 0.93, 0.1)
    compiled = EventPropCompiler(example_timesteps=int(round(TRIAL_MS / dt)),
                                 losses=RelativeMeanSquareError(1.0), optimiser=Adam(0.003),
                                 dt=dt, batch_size=64, max_spikes=100, rng_seed=1,
                                 backend=backend).compile(network, "bench_callbacks")
    rows = []
    with compiled, tempfile.TemporaryDirectory() as folder:
        compiled.genn_model.set_num_threads(threads)
        makers = _callbacks(folder)

        def epoch(callbacks):
            start = time.perf_counter()
            compiled.train({inp: x}, {out: np.asarray(y)}, num_epochs=1, callbacks=callbacks)
            return time.perf_counter() - start
        epoch([])
        ratios = {name: [] for name in makers}
        for _ in range(max(1, repeats)):
            for name, make in makers.items():
                base = epoch([])
                ratios[name].append(epoch([make()]) / base)
        for name, values in ratios.items():
            rows.append({"callback": name, "median_cost_percent":
                         100.0 * (float(np.median(values)) - 1.0), "rounds": len(values),
                         "batches_per_epoch": 64})
    return rows
