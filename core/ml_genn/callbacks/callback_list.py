"""The run-local dispatcher that calls a run's callbacks through pluggy."""
from __future__ import annotations

import difflib
import inspect
import warnings
import weakref
from collections import abc
from copy import copy
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import pluggy

from ..utils.module import get_object
from . import hookspecs
from .callback import Callback
from ..errors import InvalidKeyError, InvalidTypeError, InvalidValueError

CallbackType = Union[Callback, str]

#: Every callback hook and the arguments it receives, read from the hookspec module
HOOK_ARGUMENTS: Dict[str, Tuple[str, ...]] = {
    name: tuple(inspect.signature(func).parameters)
    for name, func in vars(hookspecs).items()
    if name.startswith("on_") and callable(func)
}
HOOK_NAMES: Tuple[str, ...] = tuple(HOOK_ARGUMENTS)
TIMESTEP_HOOKS: Tuple[str, ...] = ("on_timestep_begin", "on_timestep_end")


class _PositionalAdapter:
    """Stands in for one callback in the pluggy manager.

    pluggy passes hook arguments by keyword and insists that implementations use the spec's
    parameter names, whereas mlGeNN passes them positionally, so a callback may well write
    ``def on_epoch_end(self, e, m)``. The adapter's methods carry the spec's names and forward
    positionally; only the hooks the callback defines are registered.
    """

    def __init__(self, callback: Any, implemented: Iterable[str]):
        self.callback = callback
        self.implemented = frozenset(implemented)
        for name in self.implemented:
            setattr(self, "_" + name, getattr(callback, name))

    def on_test_begin(self):
        return self._on_test_begin()

    def on_test_end(self, metrics):
        return self._on_test_end(metrics)

    def on_train_begin(self):
        return self._on_train_begin()

    def on_train_end(self, metrics):
        return self._on_train_end(metrics)

    def on_epoch_begin(self, epoch):
        return self._on_epoch_begin(epoch)

    def on_epoch_end(self, epoch, metrics):
        return self._on_epoch_end(epoch, metrics)

    def on_batch_begin(self, batch):
        return self._on_batch_begin(batch)

    def on_batch_end(self, batch, metrics):
        return self._on_batch_end(batch, metrics)

    def on_timestep_begin(self, timestep):
        return self._on_timestep_begin(timestep)

    def on_timestep_end(self, timestep):
        return self._on_timestep_end(timestep)

    def on_after_gradient_update(self, batch):
        return self._on_after_gradient_update(batch)

    def on_after_optimizer_step(self, batch):
        return self._on_after_optimizer_step(batch)


class _InOrder:
    """Calls several hook implementations one after the other with the same arguments."""

    __slots__ = ("functions",)

    def __init__(self, functions: List[Any]):
        self.functions = tuple(functions)

    def __call__(self, *args: Any) -> None:
        for function in self.functions:
            function(*args)


class _KeywordCall:
    """Calls a pluggy hook caller, which takes keyword arguments, with positional ones."""

    __slots__ = ("caller", "names")

    def __init__(self, caller: Any, names: Tuple[str, ...]):
        self.caller = caller
        self.names = names

    def __call__(self, *args: Any) -> None:
        self.caller(**dict(zip(self.names, args)))


def _fix_signatures(functions: Iterable[Any]) -> None:
    """Give each function its signature as ``__signature__``: pluggy reads the signature of
    every hookspec and hook implementation it is given, and a run's manager is built afresh,
    so computing them once saves most of the cost of setting it up."""
    for function in functions:
        function.__signature__ = inspect.signature(function)


_fix_signatures(getattr(hookspecs, name) for name in HOOK_NAMES)
_fix_signatures(getattr(_PositionalAdapter, name) for name in HOOK_NAMES)


class CallbackPluginManager(pluggy.PluginManager):
    """A pluggy manager for one run's callbacks: hooks are found by method name, no decorator."""

    def __init__(self):
        super().__init__(hookspecs.CALLBACK_PROJECT_NAME)
        self.add_hookspecs(hookspecs)

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Optional[dict]:
        if isinstance(plugin, _PositionalAdapter) and name in plugin.implemented:
            return {}  # pluggy fills in the default options
        return None


def _describe(callback: Any) -> str:
    return type(callback).__name__


def _implemented_hooks(callback: Any) -> List[str]:
    """Hooks ``callback`` defines, each checked to accept the hook's arguments positionally."""
    implemented = []
    for name, arguments in HOOK_ARGUMENTS.items():
        method = getattr(callback, name, None)
        if method is None:
            continue
        if not callable(method):
            raise InvalidTypeError(f"{_describe(callback)}.{name} must be a method taking "
                                   f"({', '.join(arguments)}), got {type(method).__name__}")
        function = getattr(method, "__func__", None)
        if function is None or function not in _CHECKED_HOOK_FUNCTIONS:
            try:
                signature = inspect.signature(method)
            except (TypeError, ValueError):  # some builtins have no introspectable signature
                signature = None
            if signature is not None:
                try:
                    signature.bind(*arguments)
                except TypeError:
                    raise InvalidTypeError(
                        f"{_describe(callback)}.{name} must accept "
                        f"({', '.join(arguments)}) (passed positionally), but its "
                        f"signature is {name}{signature}") from None
            if function is not None:
                _CHECKED_HOOK_FUNCTIONS[function] = True
        implemented.append(name)
    return implemented


# Methods whose signature has been checked: a run builds its callback list afresh, and
# inspecting every hook of every callback each time was a measurable part of a short run
_CHECKED_HOOK_FUNCTIONS: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()
_CLASSES_WITHOUT_UNKNOWN_HOOKS: "weakref.WeakSet[type]" = weakref.WeakSet()


def _warn_unknown_hooks(callback: Any) -> None:
    # A misspelt hook (on_epoch_ends) would otherwise silently never run
    cls = type(callback)
    # Hooks set on the instance under their own names (a recorder switching one off with
    # None) leave the class's answer standing; other on_* names need a look
    own_hooks = any(name.startswith("on_") and name not in HOOK_ARGUMENTS
                    for name in getattr(callback, "__dict__", ()))
    if not own_hooks and cls in _CLASSES_WITHOUT_UNKNOWN_HOOKS:
        return
    found = False
    for name in dir(callback):
        if name.startswith("on_") and name not in HOOK_ARGUMENTS \
                and callable(getattr(callback, name, None)):
            found = True
            close = difflib.get_close_matches(name, HOOK_NAMES, n=1)
            advice = f"; did you mean '{close[0]}'?" if close else ""
            warnings.warn(f"{_describe(callback)}.{name} looks like a callback hook but is not "
                          f"one, so it will never be called (hooks: {', '.join(HOOK_NAMES)})"
                          f"{advice}", stacklevel=4)
    if not found and not own_hooks:
        _CLASSES_WITHOUT_UNKNOWN_HOOKS.add(cls)


def _resolve_callback(obj: Any, index: int) -> Callback:
    # mlGeNN makes a *shallow* copy of callback objects: state a callback gains during a run
    # stays off the user's object, but references it holds (lists, arrays) stay shared
    if isinstance(obj, Callback):
        return copy(obj)
    return get_object(obj, Callback, f"callbacks[{index}]", "callback")


def _accepted(function: Any, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The keyword arguments ``function`` takes: all of them when it has ``**kwargs``, else
    those it names (so a parameter a callback does not ask for, such as ``train_loop``, never
    reaches it)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return kwargs
    names = {p.name for p in parameters}
    return {k: v for k, v in kwargs.items() if k in names}


def _execution_order(callback: Any) -> float:
    order = getattr(callback, "execution_order", 0)
    if isinstance(order, bool) or not isinstance(order, (int, float)) or order != order:
        raise InvalidTypeError(f"{type(callback).__name__}.execution_order must be a number "
                               f"(lower runs earlier; 0 by default), got {order!r}")
    return order


def _runs_on_rank(callback: Any, rank: int) -> bool:
    wanted = getattr(callback, "device_idx_execution", None)
    if wanted is None:
        return True
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 0:
        raise InvalidTypeError(f"{type(callback).__name__}.device_idx_execution must be None "
                               f"(every process) or the rank of the one process to run in, "
                               f"got {wanted!r}")
    return wanted == rank


class CallbackList:
    """Calls a run's callbacks; built by compiled networks at the start of each run.

    Parameters
    ----------
    callbacks
        List of :class:`Callback` objects (shallow-copied, as mlGeNN does) or registered names
        such as ``"batch_progress_bar"``.
    data
        Dict passed to every callback's ``set_params`` as ``data`` (a new one if not given).
    compiled_network
        The compiled network running; passed to ``set_params``.
    num_batches
        Batches per epoch (or per evaluation); passed to ``set_params``.
    num_epochs
        Epochs of the run (``None`` for evaluation); passed to ``set_params``.
    **params
        Further keyword arguments passed to every ``set_params``.

    Notes
    -----
    Callbacks run in list order, unless one sets an ``execution_order`` (a number, 0 by default;
    lower runs earlier, equal orders keep list order, as AIToolbox). One that sets
    ``device_idx_execution`` to a rank runs only in that process of a multi-process run
    (AIToolbox's name; without a communicator the rank is 0); ``None`` (the default) runs in
    every process. On construction each callback's ``set_params(data=..., compiled_network=...,
    num_batches=..., num_epochs=..., **params)`` is called in that order, then ``set_first()`` on the first
    callback of each class that defines it. Hooks run in list order. A hook no callback defines
    is never dispatched: its ``on_*`` method here returns at once, and
    :attr:`has_timestep_callbacks` tells the loop whether stepping one timestep at a time is
    needed at all. Every callback is registered with a run-local pluggy manager; hooks call
    the implementations directly until :attr:`plugin_manager` is handed out, and through
    pluggy from then on (so that wrappers and monitoring added to it see every call).
    """

    def __init__(self, callbacks: Optional[Iterable[CallbackType]] = None, *,
                 data: Optional[Dict[Any, Any]] = None, compiled_network: Any = None,
                 num_batches: Optional[int] = None, num_epochs: Optional[int] = None,
                 **params: Any):
        if callbacks is None:
            callbacks = []
        if isinstance(callbacks, (str, Callback)) or not isinstance(callbacks, abc.Iterable):
            raise InvalidTypeError(
                f"callbacks must be a list of Callback objects or callback names, "
                f"got {type(callbacks).__name__}: {callbacks!r}; wrap a single one "
                f"in a list, e.g. [{callbacks!r}]")
        communicator = getattr(compiled_network, "communicator", None)
        rank = 0 if communicator is None else int(communicator.rank)
        resolved = [c for c in (_resolve_callback(c, i) for i, c in enumerate(callbacks))
                    if _runs_on_rank(c, rank)]
        # sorted() is stable: callbacks of equal order keep their list order
        self._callbacks: List[Callback] = sorted(resolved, key=_execution_order)

        self.data: Dict[Any, Any] = {} if data is None else data
        set_params_kwargs = dict(params, data=self.data, compiled_network=compiled_network,
                                 num_batches=num_batches, num_epochs=num_epochs)
        for c in self._callbacks:
            set_params = getattr(c, "set_params", None)
            if callable(set_params):
                set_params(**_accepted(set_params, set_params_kwargs))

        # mlGeNN tells the first callback of each class that it is first, so that one of several
        # (e.g. recorders) can do work they share, such as pulling recordings from the device
        seen_types = set()
        for c in self._callbacks:
            if type(c) not in seen_types:
                seen_types.add(type(c))
                set_first = getattr(c, "set_first", None)
                if callable(set_first):
                    set_first()

        # Hooks are looked up after set_params: a callback may add or drop one once it knows
        # the compiled network (a VarRecorder needs no timestep hook where the engine records)
        implemented = [_implemented_hooks(c) for c in self._callbacks]
        for c in self._callbacks:
            _warn_unknown_hooks(c)

        # pluggy calls the most recently registered implementation first, so register the
        # list backwards to have hooks run in list order
        self._manager = CallbackPluginManager()
        for c, hooks in zip(reversed(self._callbacks), reversed(implemented)):
            if hooks:
                self._manager.register(_PositionalAdapter(c, hooks))

        self._callers = {name: getattr(self._manager.hook, name) for name in HOOK_NAMES}
        self._implemented = frozenset(name for name, caller in self._callers.items()
                                      if caller.get_hookimpls())
        # Until the manager is handed out (which may add wrappers or monitoring to it), a hook
        # calls its implementations directly, in list order, which is the order pluggy calls
        # them in: in a run, between native batches that leave Python's data out of the cache,
        # pluggy's dispatch measured 15-20 us per hook call, a direct call 1-2 us
        self._hooks_in_pluggy = False
        self._set_dispatch({name: [getattr(c, name) for c, hooks in zip(self._callbacks,
                                                                          implemented)
                                   if name in hooks]
                            for name in self._implemented})

    def _set_dispatch(self, hooks: Dict[str, Any]) -> None:
        """Bind each ``_on_*`` attribute to a positional callable running hook ``on_*`` (from
        ``hooks``, a list of implementations or a callable), or None where nothing does."""
        for name in HOOK_NAMES:
            target = hooks.get(name)
            if isinstance(target, list):
                target = target[0] if len(target) == 1 else _InOrder(target)
            setattr(self, "_" + name, target)

    def _dispatch_through_pluggy(self) -> None:
        """From now on, dispatch every hook through the pluggy manager."""
        if self._hooks_in_pluggy:
            return
        self._hooks_in_pluggy = True
        self._set_dispatch({name: _KeywordCall(self._callers[name], HOOK_ARGUMENTS[name])
                            for name in self._implemented})

    # ------------------------------------------------------------------ introspection
    @property
    def callbacks(self) -> Tuple[Callback, ...]:
        """The resolved callback objects, in list order."""
        return tuple(self._callbacks)

    @property
    def has_timestep_callbacks(self) -> bool:
        """Whether any callback defines ``on_timestep_begin`` or ``on_timestep_end``."""
        return self._on_timestep_begin is not None or self._on_timestep_end is not None

    def implements(self, hook_name: str) -> bool:
        """Whether any callback defines the hook ``hook_name``.

        Parameters
        ----------
        hook_name
            One of :data:`HOOK_NAMES`, e.g. ``"on_batch_end"``.
        """
        if hook_name not in HOOK_ARGUMENTS:
            raise InvalidValueError(f"'{hook_name}' is not a callback hook; hooks are "
                                    f"{', '.join(HOOK_NAMES)}")
        return hook_name in self._implemented

    @property
    def plugin_manager(self) -> CallbackPluginManager:
        """The run-local pluggy manager (e.g. for tracing hook calls); once it has been handed
        out, hooks are dispatched through it."""
        self._dispatch_through_pluggy()
        return self._manager

    def __getitem__(self, index: int) -> Callback:
        return self._callbacks[index]

    def __len__(self) -> int:
        return len(self._callbacks)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self._callbacks)

    # ------------------------------------------------------------------ dispatch
    def on_test_begin(self) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_test_begin`."""
        if self._on_test_begin is not None:
            self._on_test_begin()

    def on_test_end(self, metrics: Any) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_test_end`."""
        if self._on_test_end is not None:
            self._on_test_end(metrics)

    def on_train_begin(self) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_train_begin`."""
        if self._on_train_begin is not None:
            self._on_train_begin()

    def on_train_end(self, metrics: Any) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_train_end`."""
        if self._on_train_end is not None:
            self._on_train_end(metrics)

    def on_epoch_begin(self, epoch: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_epoch_begin`."""
        if self._on_epoch_begin is not None:
            self._on_epoch_begin(epoch)

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_epoch_end`."""
        if self._on_epoch_end is not None:
            self._on_epoch_end(epoch, metrics)

    def on_batch_begin(self, batch: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_batch_begin`."""
        if self._on_batch_begin is not None:
            self._on_batch_begin(batch)

    def on_batch_end(self, batch: int, metrics: Any) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_batch_end`."""
        if self._on_batch_end is not None:
            self._on_batch_end(batch, metrics)

    def on_timestep_begin(self, timestep: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_timestep_begin`."""
        if self._on_timestep_begin is not None:
            self._on_timestep_begin(timestep)

    def on_timestep_end(self, timestep: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_timestep_end`."""
        if self._on_timestep_end is not None:
            self._on_timestep_end(timestep)

    def on_after_gradient_update(self, batch: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_after_gradient_update`."""
        if self._on_after_gradient_update is not None:
            self._on_after_gradient_update(batch)

    def on_after_optimizer_step(self, batch: int) -> None:
        """Dispatch :func:`~ml_genn.callbacks.hookspecs.on_after_optimizer_step`."""
        if self._on_after_optimizer_step is not None:
            self._on_after_optimizer_step(batch)

    def close(self) -> None:
        """End the run: unregister every callback from the plugin manager.

        pluggy's manager refers to itself, so without this the callbacks it holds (and the
        data recorders keep) would live on until Python's cycle collector ran, however soon
        the caller dropped them. Compiled networks close their lists once ``cb_data`` is
        collected; hooks dispatched afterwards do nothing.
        """
        for plugin in list(self._manager.get_plugins()):
            self._manager.unregister(plugin)
        self._set_dispatch({})
        self._implemented = frozenset()

    # ------------------------------------------------------------------ results
    def get_data(self) -> Dict[Any, Any]:
        """Collect ``cb_data``: each callback's ``get_data()`` result under its key.

        A callback returning ``None`` as its key gets its position in the list as the key (with
        a warning); two callbacks returning the same key raise :class:`KeyError`.
        """
        cb_data: Dict[Any, Any] = {}
        owners: Dict[Any, Callback] = {}
        for index, c in enumerate(self._callbacks):
            get_data = getattr(c, "get_data", None)
            if not callable(get_data):
                continue
            result = get_data()
            if not (isinstance(result, tuple) and len(result) == 2):
                raise InvalidTypeError(
                    f"{_describe(c)}.get_data() must return a (key, data) tuple, "
                    f"got {type(result).__name__}")
            key, value = result
            if key is None:
                warnings.warn(f"{_describe(c)} (callbacks[{index}]) gave no key for its data; "
                              f"it is stored in cb_data under its position {index}. Give the "
                              f"callback a key (e.g. key='...') to name it", stacklevel=2)
                key = index
            if key in cb_data:
                raise InvalidKeyError(
                    f"Callback data key {key!r} is used by both "
                    f"{_describe(owners[key])} and {_describe(c)} (callbacks[{index}]);"
                    f" give each callback a unique key")
            cb_data[key] = value
            owners[key] = c
        return cb_data
