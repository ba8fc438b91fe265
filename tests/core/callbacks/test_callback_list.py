"""The run-local callback dispatcher: hooks by name, order, set_params/set_first, get_data."""
import warnings

import pytest

from ml_genn.callbacks import BatchProgressBar, Callback, CallbackList, HOOK_NAMES
from ml_genn.callbacks import hookspecs
from ml_genn.plugins import ComponentNotFoundError

# Arguments each hook is dispatched with in these tests
HOOK_CALL_ARGS = {
    "on_test_begin": (), "on_test_end": ({"out": 1},),
    "on_train_begin": (), "on_train_end": ({"out": 2},),
    "on_epoch_begin": (3,), "on_epoch_end": (3, {"out": 4}),
    "on_batch_begin": (5,), "on_batch_end": (5, {"out": 6}),
    "on_timestep_begin": (7,), "on_timestep_end": (8,),
    "on_after_gradient_update": (9,), "on_after_optimizer_step": (10,),
}


class Recorder(Callback):
    """Defines every hook; logs (tag, hook, args)."""

    def __init__(self, log, tag):
        self.log = log
        self.tag = tag

    def on_test_begin(self):
        self.log.append((self.tag, "on_test_begin", ()))

    def on_test_end(self, metrics):
        self.log.append((self.tag, "on_test_end", (metrics,)))

    def on_train_begin(self):
        self.log.append((self.tag, "on_train_begin", ()))

    def on_train_end(self, metrics):
        self.log.append((self.tag, "on_train_end", (metrics,)))

    def on_epoch_begin(self, epoch):
        self.log.append((self.tag, "on_epoch_begin", (epoch,)))

    def on_epoch_end(self, epoch, metrics):
        self.log.append((self.tag, "on_epoch_end", (epoch, metrics)))

    def on_batch_begin(self, batch):
        self.log.append((self.tag, "on_batch_begin", (batch,)))

    def on_batch_end(self, batch, metrics):
        self.log.append((self.tag, "on_batch_end", (batch, metrics)))

    def on_timestep_begin(self, timestep):
        self.log.append((self.tag, "on_timestep_begin", (timestep,)))

    def on_timestep_end(self, timestep):
        self.log.append((self.tag, "on_timestep_end", (timestep,)))

    def on_after_gradient_update(self, batch):
        self.log.append((self.tag, "on_after_gradient_update", (batch,)))

    def on_after_optimizer_step(self, batch):
        self.log.append((self.tag, "on_after_optimizer_step", (batch,)))


def dispatch_all(callback_list):
    for name, args in HOOK_CALL_ARGS.items():
        getattr(callback_list, name)(*args)


def test_hook_names_match_hookspec_module_and_each_spec_is_documented():
    assert set(HOOK_NAMES) == set(HOOK_CALL_ARGS)
    for name in HOOK_NAMES:
        doc = getattr(hookspecs, name).__doc__
        assert doc and doc.strip(), f"hookspec {name} has no docstring"


@pytest.mark.parametrize("dispatch", ["direct", "through_pluggy"])
def test_every_hook_reaches_every_callback_in_list_order_with_its_arguments(dispatch):
    # Hooks call their implementations directly until the pluggy manager is handed out; from
    # then on pluggy dispatches them (monitoring sees each call), in the same order
    log = []
    callback_list = CallbackList([Recorder(log, "a"), Recorder(log, "b"), Recorder(log, "c")])
    pluggy_calls = []
    if dispatch == "through_pluggy":
        callback_list.plugin_manager.add_hookcall_monitoring(
            lambda name, impls, kwargs: pluggy_calls.append((name, kwargs)), lambda *a: None)
    dispatch_all(callback_list)
    expected = [(tag, name, args) for name, args in HOOK_CALL_ARGS.items()
                for tag in ("a", "b", "c")]
    assert log == expected
    if dispatch == "through_pluggy":
        assert [name for name, _ in pluggy_calls] == list(HOOK_CALL_ARGS)
        assert dict(pluggy_calls)["on_batch_end"] == {"batch": 5, "metrics": {"out": 6}}
    else:
        assert pluggy_calls == []


def test_hooks_are_found_by_name_and_called_positionally_whatever_the_parameter_names():
    calls = []

    class OddNames(Callback):
        def on_epoch_end(self, e, m):
            calls.append(("epoch_end", e, m))

        def on_batch_begin(self, *args):
            calls.append(("batch_begin",) + args)

    callback_list = CallbackList([OddNames()])
    callback_list.on_epoch_end(2, {"acc": 0.5})
    callback_list.on_batch_begin(9)
    assert calls == [("epoch_end", 2, {"acc": 0.5}), ("batch_begin", 9)]


def test_plain_callback_without_base_hooks_is_never_dispatched_and_hooks_nobody_defines_skip_pluggy():
    class OnlyEpochEnd(Callback):
        def __init__(self):
            self.epochs = []

        def on_epoch_end(self, epoch, metrics):
            self.epochs.append(epoch)

    callback_list = CallbackList([OnlyEpochEnd()])
    pluggy_calls = []
    callback_list.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: pluggy_calls.append(name), lambda *a: None)
    dispatch_all(callback_list)
    # Only the defined hook reached pluggy at all; the other nine returned before dispatching
    assert pluggy_calls == ["on_epoch_end"]
    assert callback_list[0].epochs == [3]
    assert [callback_list.implements(n) for n in HOOK_NAMES] == \
        [n == "on_epoch_end" for n in HOOK_NAMES]


def test_has_timestep_callbacks_only_when_a_timestep_hook_is_defined():
    class Begin(Callback):
        def on_timestep_begin(self, timestep):
            pass

    class End(Callback):
        def on_timestep_end(self, timestep):
            pass

    class Batch(Callback):
        def on_batch_end(self, batch, metrics):
            pass

    assert not CallbackList([]).has_timestep_callbacks
    assert not CallbackList([Batch(), "batch_progress_bar"]).has_timestep_callbacks
    assert CallbackList([Batch(), Begin()]).has_timestep_callbacks
    assert CallbackList([End()]).has_timestep_callbacks


def test_set_params_gets_run_parameters_and_base_class_ignores_unknown_kwargs():
    received = {}

    class Params(Callback):
        def set_params(self, compiled_network, num_batches, **kwargs):
            received.update(kwargs, compiled_network=compiled_network, num_batches=num_batches)

    net = object()
    data = {}
    callback_list = CallbackList([Params(), Callback()], compiled_network=net, num_batches=4,
                                 num_epochs=2, data=data, extra="x")
    assert received == {"compiled_network": net, "num_batches": 4, "num_epochs": 2,
                        "data": data, "extra": "x"}
    assert callback_list.data is data
    # The base class's set_params accepts anything
    Callback().set_params(anything=1, compiled_network=None)


def test_set_first_is_called_once_on_the_first_callback_of_each_class_after_set_params():
    log = []

    class Pull(Callback):
        def __init__(self, tag):
            self.tag = tag

        def set_params(self, **kwargs):
            log.append(("set_params", self.tag))

        def set_first(self):
            log.append(("set_first", self.tag))

    class OtherPull(Pull):
        pass

    CallbackList([Pull("p0"), OtherPull("o0"), Pull("p1"), OtherPull("o1")])
    assert log == [("set_params", "p0"), ("set_params", "o0"), ("set_params", "p1"),
                   ("set_params", "o1"), ("set_first", "p0"), ("set_first", "o0")]


def test_callback_objects_are_shallow_copied_like_mlgenn():
    shared = []

    class Appender(Callback):
        def __init__(self, out):
            self.out = out
            self.state = None

        def set_params(self, num_batches, **kwargs):
            self.state = num_batches

        def on_batch_end(self, batch, metrics):
            self.out.append(batch)

    original = Appender(shared)
    callback_list = CallbackList([original], num_batches=7)
    callback_list.on_batch_end(1, {})
    assert callback_list[0] is not original
    assert original.state is None and callback_list[0].state == 7
    assert shared == [1]  # references held by the callback stay shared


def test_string_names_resolve_through_the_registry():
    callback_list = CallbackList(["batch_progress_bar"], num_batches=2)
    assert isinstance(callback_list[0], BatchProgressBar)


def test_bad_callbacks_are_rejected_with_clear_errors():
    with pytest.raises(ComponentNotFoundError, match="batch_progres_bar"):
        CallbackList(["batch_progres_bar"])
    with pytest.raises(TypeError, match=r"callbacks\[1\].*got int"):
        CallbackList([Callback(), 42])
    with pytest.raises(TypeError, match="wrap a single one in a list"):
        CallbackList("batch_progress_bar")

    class WrongArity(Callback):
        def on_epoch_end(self, epoch):
            pass

    with pytest.raises(TypeError, match=r"WrongArity.on_epoch_end must accept \(epoch, metrics\)"):
        CallbackList([WrongArity()])


def test_misspelt_hook_warns_with_a_suggestion():
    class Typo(Callback):
        def on_epoch_ends(self, epoch, metrics):
            pass

    with pytest.warns(UserWarning, match="Typo.on_epoch_ends.*did you mean 'on_epoch_end'"):
        callback_list = CallbackList([Typo()])
    assert not callback_list.implements("on_epoch_end")


class Keyed(Callback):
    def __init__(self, key, value):
        self.key = key
        self.value = value

    def get_data(self):
        return self.key, self.value


def test_get_data_collects_each_callbacks_data_under_its_key():
    callback_list = CallbackList([Keyed("spikes", [1, 2]), Callback(), Keyed(("v", 0), 3.5)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no key is missing, so no warning
        assert callback_list.get_data() == {"spikes": [1, 2], ("v", 0): 3.5}


def test_get_data_missing_key_warns_and_uses_the_callbacks_position():
    callback_list = CallbackList([Keyed("a", 1), Callback(), Keyed(None, 2)])
    with pytest.warns(UserWarning, match=r"Keyed \(callbacks\[2\]\) gave no key.*position 2"):
        cb_data = callback_list.get_data()
    assert cb_data == {"a": 1, 2: 2}


def test_get_data_duplicate_key_raises_key_error_naming_both():
    callback_list = CallbackList([Keyed("same", 1), Keyed("same", 2)])
    with pytest.raises(KeyError, match="'same' is used by both Keyed and Keyed"):
        callback_list.get_data()


def test_callback_exceptions_propagate_unchanged():
    class Boom(Callback):
        def on_batch_begin(self, batch):
            raise RuntimeError(f"boom {batch}")

    with pytest.raises(RuntimeError, match="boom 3"):
        CallbackList([Boom()]).on_batch_begin(3)


def test_close_lets_callbacks_go_as_soon_as_they_are_dropped():
    # pluggy's manager refers to itself: without close() the callbacks it holds would live on
    # until the cycle collector ran. With it, dropping the list frees them at once.
    import gc
    import weakref

    log = []
    callback_list = CallbackList([Recorder(log, "a")])
    alive = weakref.ref(callback_list[0])
    gc.disable()
    try:
        callback_list.close()
        dispatch_all(callback_list)   # hooks after close do nothing
        assert log == []
        del callback_list
        assert alive() is None
    finally:
        gc.enable()

    # Without close(), only the cycle collector frees them
    callback_list = CallbackList([Recorder(log, "b")])
    alive = weakref.ref(callback_list[0])
    gc.disable()
    try:
        del callback_list
        assert alive() is not None
    finally:
        gc.enable()
    gc.collect()
    assert alive() is None


def test_execution_order_and_rank_restriction():
    """AIToolbox's ``execution_order`` (lower first, ties in list order) and
    ``device_idx_execution`` (only in that rank's process; rank 0 without a communicator)."""
    from ml_genn.callbacks import Callback
    from ml_genn.errors import InvalidTypeError
    calls = []

    class Named(Callback):
        def __init__(self, name, order=None, rank=None):
            self.name = name
            if order is not None:
                self.execution_order = order
            self.device_idx_execution = rank

        def on_epoch_begin(self, epoch):
            calls.append(self.name)

    callbacks = [Named("a"), Named("late", order=5), Named("b"), Named("early", order=-1),
                 Named("rank0", rank=0), Named("rank1", rank=1), Named("c", order=0)]
    CallbackList(callbacks).on_epoch_begin(0)
    assert calls == ["early", "a", "b", "rank0", "c", "late"]

    class FakeCommunicator:
        rank = 1

    class FakeNetwork:
        communicator = FakeCommunicator()

    calls.clear()
    CallbackList(callbacks, compiled_network=FakeNetwork()).on_epoch_begin(0)
    assert calls == ["early", "a", "b", "rank1", "c", "late"]
    with pytest.raises(InvalidTypeError, match="execution_order"):
        CallbackList([Named("x", order="first")])
    with pytest.raises(InvalidTypeError, match="device_idx_execution"):
        CallbackList([Named("x", rank=-1)])
