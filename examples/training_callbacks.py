"""Yin-Yang trained with EventProp under the training-control and tracking callbacks of
``ml-genn-training``: early stopping on validation accuracy (restoring the best weights), a
cosine learning-rate schedule, model checkpoints (the two best), TensorBoard, a CSV log, and an
experiment folder with the history plot.

The network is ``examples/yin_yang.py``'s (4 latency inputs, 100 LIF, 3 first-spike outputs,
RelativeMeanSquareError), at dt 0.1 ms. Afterwards ``tensorboard --logdir <experiment
folder>/tensorboard`` shows the run.

Needs ``ml-genn-eventprop`` and ``ml-genn-training[tensorboard]`` (the repository's
``requirements.txt`` installs both). Run: python examples/training_callbacks.py [--epochs N]
"""
import argparse
import os
import time

import numpy as np

from ml_genn.callbacks import (CosineAnnealingWarmRestarts, CSVLogger, EarlyStopping,
                               ExperimentFolder, ModelCheckpoint, TensorBoard,
                               TrainingHistoryPlot)
from ml_genn.compilers import EventPropCompiler
from ml_genn.losses import RelativeMeanSquareError
from ml_genn.optimisers import Adam
from ml_genn.utils.data import generate_yin_yang_dataset

from yin_yang import TRIAL_MS, build

DT = 0.1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--train", type=int, default=5120)
    parser.add_argument("--root", default="experiments", help="folder of the experiments")
    args = parser.parse_args()
    start = time.perf_counter()
    scale, offset = TRIAL_MS - 4 * DT, 2 * DT
    data = [generate_yin_yang_dataset(n, scale=scale, offset=offset, bias=False, rng=seed)
            for n, seed in ((args.train, 1), (1000, 2), (1000, 3))]
    (x, y), (valid_x, valid_y), (test_x, test_y) = data
    network, inp, out = build(4, 64, 1.5, 0.78, 0.93, 0.1)
    compiler = EventPropCompiler(example_timesteps=int(round(TRIAL_MS / DT)),
                                 losses=RelativeMeanSquareError(1.0),
                                 optimiser=Adam(0.003, 0.9, 0.99), dt=DT, batch_size=64,
                                 max_spikes=100, rng_seed=1)
    compiled = compiler.compile(network, "yin_yang_callbacks")
    experiment = ExperimentFolder("yin_yang", "eventprop", root=args.root,
                                  hyperparameters={"epochs": args.epochs, "train": args.train,
                                                   "dt": DT, "lr": 0.003, "batch": 64})
    with compiled:
        # Checkpoints, TensorBoard events and the CSV log go into the experiment folder
        callbacks = [experiment, TrainingHistoryPlot(),
                     EarlyStopping("val_accuracy", patience=5, restore_best_weights=True),
                     CosineAnnealingWarmRestarts(t_0=args.epochs, eta_min=1e-4),
                     ModelCheckpoint(monitor="val_accuracy", keep_best_n=2),
                     TensorBoard(histogram_freq=5), CSVLogger()]
        compiled.train({inp: x}, {out: np.asarray(y)}, num_epochs=args.epochs,
                       validation_x={inp: valid_x}, validation_y={out: np.asarray(valid_y)},
                       callbacks=callbacks, validation_callbacks=[])
        stopped = compiled.stopped_epoch
        metrics, _ = compiled.evaluate({inp: test_x}, {out: np.asarray(test_y)})
    folder = experiment.folders[-1]
    print(f"Experiment folder: {folder} ({', '.join(sorted(os.listdir(folder)))})")
    print(f"Stopped early in epoch {stopped}" if stopped is not None
          else f"Ran all {args.epochs} epochs")
    print(f"Yin-Yang with training callbacks: test accuracy {100 * metrics[out].result:.1f}% on "
          f"{len(test_y)} held-out examples (best validation weights), wall time "
          f"{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
