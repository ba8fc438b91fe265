"""BatchProgressBar, Checkpoint, OptimiserParamSchedule and CustomUpdateOn* against fakes."""
import numpy as np
import pytest

from ml_genn.callbacks import (BatchProgressBar, CallbackList, Checkpoint,
                               CustomUpdateOnBatchBegin, CustomUpdateOnBatchEnd,
                               CustomUpdateOnEpochBegin, CustomUpdateOnEpochEnd,
                               CustomUpdateOnTimestepBegin, CustomUpdateOnTimestepEnd,
                               OptimiserParamSchedule)
from ml_genn.metrics import MeanSquareError, SparseCategoricalAccuracy
from ml_genn.serialisers import Numpy


class FakeGeNNModel:
    def __init__(self):
        self.custom_updates = []

    def custom_update(self, name):
        self.custom_updates.append(name)


class FakeCompiledNetwork:
    """Just the parts of a compiled network the built-in callbacks use."""

    def __init__(self, **optimiser_params):
        self.genn_model = FakeGeNNModel()
        self.saves = []
        self.optimiser_params = dict(optimiser_params)

    def save(self, keys, serialiser):
        self.saves.append((keys, serialiser))

    def get_optimiser_param(self, name):
        if name not in self.optimiser_params:
            raise KeyError(f"optimiser has no parameter '{name}'")
        return self.optimiser_params[name]

    def set_optimiser_param(self, name, value):
        self.optimiser_params[name] = value


def run_training(callback_list, num_epochs, num_batches, metrics=None, start_epoch=0):
    """The order in which a compiled network's train() calls hooks."""
    metrics = {} if metrics is None else metrics
    callback_list.on_train_begin()
    for epoch in range(start_epoch, start_epoch + num_epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(num_batches):
            callback_list.on_batch_begin(batch)
            callback_list.on_batch_end(batch, metrics)
        callback_list.on_epoch_end(epoch, metrics)
    callback_list.on_train_end(metrics)


# ---------------------------------------------------------------- BatchProgressBar
def test_progress_bar_counts_batches_and_shows_metrics_in_postfix(capsys):
    accuracy = SparseCategoricalAccuracy()
    accuracy.update(np.array([0, 1, 1, 0]), np.array([[1, 0], [0, 1], [1, 0], [0, 1]]), None)
    mse = MeanSquareError()
    callback_list = CallbackList(["batch_progress_bar"], num_batches=3)
    metrics = {"out": accuracy, "other": mse}  # mse has no result yet: left out
    callback_list.on_test_begin()
    for batch in range(3):
        callback_list.on_batch_begin(batch)
        callback_list.on_batch_end(batch, metrics)
    callback_list.on_test_end(metrics)
    err = capsys.readouterr().err
    assert "3/3" in err
    assert "SparseCategoricalAccuracy: 0.5000" in err
    assert "MeanSquareError" not in err


def test_progress_bar_restarts_each_epoch_with_epoch_in_description(capsys):
    callback_list = CallbackList([BatchProgressBar()], num_batches=2)
    run_training(callback_list, num_epochs=2, num_batches=2)
    err = capsys.readouterr().err
    assert "Epoch 0" in err and "Epoch 1" in err
    assert "2/2" in err
    assert "3/2" not in err and "4/2" not in err  # the count went back to 0 at epoch 1


# ---------------------------------------------------------------- Checkpoint
@pytest.mark.parametrize("interval, start_epoch, num_epochs", [(1, 0, 3), (2, 0, 5), (3, 1, 7)])
def test_checkpoint_saves_on_every_interval_th_epoch(interval, start_epoch, num_epochs):
    net = FakeCompiledNetwork()
    callback_list = CallbackList([Checkpoint(epoch_interval=interval)], compiled_network=net)
    run_training(callback_list, num_epochs, num_batches=2, start_epoch=start_epoch)
    expected = [(e,) for e in range(start_epoch, start_epoch + num_epochs) if e % interval == 0]
    assert [keys for keys, _ in net.saves] == expected
    assert all(isinstance(s, Numpy) for _, s in net.saves)


def test_checkpoint_uses_the_given_serialiser_object_or_name(tmp_path):
    net = FakeCompiledNetwork()
    callback_list = CallbackList([Checkpoint(Numpy(str(tmp_path)))], compiled_network=net)
    callback_list.on_epoch_end(0, {})
    assert net.saves[0][1].path == str(tmp_path)
    assert isinstance(Checkpoint("numpy").serialiser, Numpy)


def test_checkpoint_rejects_bad_arguments():
    with pytest.raises(ValueError, match="epoch_interval must be a positive integer, got 0"):
        Checkpoint(epoch_interval=0)
    with pytest.raises(TypeError, match="Checkpoint serialiser"):
        Checkpoint(serialiser=3)
    with pytest.raises(TypeError, match=r"Checkpoint needs a compiled network with a save"):
        CallbackList([Checkpoint()], compiled_network=object())


# ---------------------------------------------------------------- OptimiserParamSchedule
def test_param_schedule_applies_func_to_current_value_at_each_epoch_begin():
    net = FakeCompiledNetwork(alpha=0.1, beta1=0.9)
    seen = []

    def halve_every_other_epoch(epoch, alpha):
        seen.append((epoch, alpha))
        return alpha * 0.5 if epoch % 2 == 1 else alpha

    callback_list = CallbackList([OptimiserParamSchedule("alpha", halve_every_other_epoch)],
                                 compiled_network=net)
    run_training(callback_list, num_epochs=4, num_batches=1)
    # Independent computation of the same schedule
    alpha, expected = 0.1, []
    for epoch in range(4):
        expected.append((epoch, alpha))
        alpha = alpha * 0.5 if epoch % 2 == 1 else alpha
    assert seen == expected
    assert net.optimiser_params == {"alpha": pytest.approx(alpha), "beta1": 0.9}


def test_param_schedule_errors_name_the_problem_before_running():
    with pytest.raises(TypeError, match="func must be callable"):
        OptimiserParamSchedule("alpha", 0.5)
    with pytest.raises(TypeError, match=r"OptimiserParamSchedule\('alpha'\) needs a compiled "
                                        r"network that trains"):
        CallbackList([OptimiserParamSchedule("alpha", lambda e, a: a)], compiled_network=object())
    with pytest.raises(KeyError, match="no parameter 'alhpa'"):
        CallbackList([OptimiserParamSchedule("alhpa", lambda e, a: a)],
                     compiled_network=FakeCompiledNetwork(alpha=0.1))
    callback_list = CallbackList([OptimiserParamSchedule("alpha", lambda e, a: None)],
                                 compiled_network=FakeCompiledNetwork(alpha=0.1))
    with pytest.raises(TypeError, match="func returned NoneType None for epoch 0"):
        callback_list.on_epoch_begin(0)


# ---------------------------------------------------------------- CustomUpdateOn*
@pytest.mark.parametrize("cls, hook", [
    (CustomUpdateOnBatchBegin, "on_batch_begin"), (CustomUpdateOnBatchEnd, "on_batch_end"),
    (CustomUpdateOnEpochBegin, "on_epoch_begin"), (CustomUpdateOnEpochEnd, "on_epoch_end"),
    (CustomUpdateOnTimestepBegin, "on_timestep_begin"),
    (CustomUpdateOnTimestepEnd, "on_timestep_end")])
def test_custom_update_callbacks_run_their_update_only_at_their_hook(cls, hook):
    net = FakeCompiledNetwork()
    callback_list = CallbackList([cls("Reset")], compiled_network=net)
    assert callback_list.has_timestep_callbacks == ("timestep" in hook)
    num_epochs, num_batches, num_timesteps = 2, 3, 4
    callback_list.on_train_begin()
    for epoch in range(num_epochs):
        callback_list.on_epoch_begin(epoch)
        for batch in range(num_batches):
            callback_list.on_batch_begin(batch)
            for t in range(num_timesteps):
                callback_list.on_timestep_begin(t)
                callback_list.on_timestep_end(t)
            callback_list.on_batch_end(batch, {})
        callback_list.on_epoch_end(epoch, {})
    callback_list.on_train_end({})
    expected_count = {"epoch": num_epochs, "batch": num_epochs * num_batches,
                      "timestep": num_epochs * num_batches * num_timesteps}[hook.split("_")[1]]
    assert net.genn_model.custom_updates == ["Reset"] * expected_count


def test_custom_update_rejects_bad_name_and_network():
    with pytest.raises(TypeError, match="CustomUpdateOnBatchEnd name must be"):
        CustomUpdateOnBatchEnd(3)
    with pytest.raises(TypeError, match=r"CustomUpdateOnBatchEnd\('Reset'\) needs a compiled"):
        CallbackList([CustomUpdateOnBatchEnd("Reset")], compiled_network=object())


@pytest.mark.parametrize("cls, hook", [
    (CustomUpdateOnBatchBegin, "on_batch_begin"), (CustomUpdateOnBatchEnd, "on_batch_end"),
    (CustomUpdateOnEpochBegin, "on_epoch_begin"), (CustomUpdateOnEpochEnd, "on_epoch_end"),
    (CustomUpdateOnTimestepBegin, "on_timestep_begin"),
    (CustomUpdateOnTimestepEnd, "on_timestep_end")])
def test_custom_update_filter_fn_chooses_the_numbers_it_runs_at(cls, hook):
    # mlGeNN: the update runs only where filter_fn(number) is true, number being the
    # batch, epoch or timestep the hook reports
    net = FakeCompiledNetwork()
    seen = []

    def every_third(number):
        seen.append(number)
        return number % 3 == 0
    callback_list = CallbackList([cls("Reset", filter_fn=every_third)], compiled_network=net)
    numbers = list(range(7))
    for n in numbers:
        getattr(callback_list, hook)(*((n, {}) if hook.endswith("_end") and "timestep" not in hook
                                       else (n,)))
    assert seen == numbers
    assert net.genn_model.custom_updates == ["Reset"] * sum(n % 3 == 0 for n in numbers)


def test_custom_update_rejects_a_filter_fn_that_is_not_callable():
    with pytest.raises(TypeError, match=r"CustomUpdateOnEpochEnd\('Reset'\) filter_fn must be"):
        CustomUpdateOnEpochEnd("Reset", filter_fn=3)
