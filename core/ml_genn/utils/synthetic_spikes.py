"""Synthetic spatio-temporal spike data: classes of sweeping frequency bands, like spoken digits
in the Spiking Heidelberg Digits (SHD) set, generated offline for tests, benchmarks and examples.

Each class is a fixed set of *tracks*: a band of input channels (Gaussian profile) whose centre
moves linearly from one channel to another while the track is on. An example of the class draws
its own time warp and channel shift, then Poisson spikes from the summed rates (plus a
background rate on every channel), so examples of a class differ spike by spike and a little in
time and place, as recordings do.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np
from ..errors import InvalidValueError


def generate_spatio_temporal_dataset(num_classes: int = 20, examples_per_class: int = 10,
                                     num_inputs: int = 700, duration: float = 600.0,
                                     num_tracks: int = 3, peak_rate: float = 40.0,
                                     background_rate: float = 1.0, track_width: float = 20.0,
                                     max_warp: float = 0.1, max_shift: float = 10.0,
                                     seed: int = 0
                                     ) -> Tuple[List[np.ndarray], List[np.ndarray], np.ndarray]:
    """Generate a shuffled, labelled set of spike trains.

    Args:
        num_classes:        Number of classes
        examples_per_class: Examples drawn from each class
        num_inputs:         Input channels (SHD has 700)
        duration:           Length of every example [ms]; spikes fall in ``[0, duration)``
        num_tracks:         Sweeping bands per class
        peak_rate:          Rate at a band's centre [Hz]
        background_rate:    Rate of every channel at all times [Hz]
        track_width:        Standard deviation of a band's profile [channels]
        max_warp:           Each example stretches time by a factor in ``1 +- max_warp``
        max_shift:          Each example shifts every band by up to this many channels
        seed:               Seed of the generator (same seed, same data)

    Returns:
        ``(times, ids, labels)``: per example, spike times [ms] in ascending order and the
        matching channel ids, and the class label of each example.
    """
    for name, value in (("num_classes", num_classes), ("examples_per_class", examples_per_class),
                        ("num_inputs", num_inputs), ("num_tracks", num_tracks)):
        if int(value) != value or value < 1:
            raise InvalidValueError(f"generate_spatio_temporal_dataset {name} must be a positive "
                                    f"integer, got {value!r}")
    if not duration > 0.0:
        raise InvalidValueError(f"generate_spatio_temporal_dataset duration must be positive, got "
                                f"{duration!r}")
    rng = np.random.default_rng(seed)
    # Class templates: (start channel, end channel, on time, off time) per track
    templates = []
    for _ in range(num_classes):
        start_ch = rng.uniform(0.0, num_inputs, num_tracks)
        end_ch = rng.uniform(0.0, num_inputs, num_tracks)
        on = rng.uniform(0.0, 0.5 * duration, num_tracks)
        off = rng.uniform(on + 0.3 * duration, duration)
        templates.append((start_ch, end_ch, on, off))

    bins = np.arange(0.0, duration, 1.0)          # 1-ms rate bins
    channels = np.arange(num_inputs, dtype=float)
    times, ids, labels = [], [], []
    for label, (start_ch, end_ch, on, off) in enumerate(templates):
        for _ in range(examples_per_class):
            warp = rng.uniform(1.0 - max_warp, 1.0 + max_warp)
            shift = rng.uniform(-max_shift, max_shift)
            rate = np.full((bins.size, num_inputs), background_rate)
            for c0, c1, t0, t1 in zip(start_ch, end_ch, on * warp, np.minimum(off * warp,
                                                                               duration)):
                active = (bins >= t0) & (bins < t1)
                progress = np.clip((bins[active] - t0) / max(t1 - t0, 1e-9), 0.0, 1.0)
                centre = c0 + (c1 - c0) * progress + shift
                rate[active] += peak_rate * np.exp(
                    -0.5 * ((channels[None, :] - centre[:, None]) / track_width) ** 2)
            # At most one spike per channel and 1-ms bin, placed uniformly within the bin
            step, channel = np.nonzero(rng.random(rate.shape) < rate * 1e-3)
            t = np.minimum(bins[step] + rng.random(step.size), np.nextafter(duration, 0.0))
            order = np.argsort(t, kind="stable")
            times.append(t[order])
            ids.append(channel[order])
            labels.append(label)
    order = rng.permutation(len(labels))
    return ([times[i] for i in order], [ids[i] for i in order],
            np.asarray(labels, dtype=np.int64)[order])
