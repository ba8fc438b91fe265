"""``init_*`` functions: bind a model or snippet to parameter and variable values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Union

from . import builtins
from .errors import ModelSpecError
from .models import (PostsynapticModel, SparseConnectInitSnippet, ToeplitzConnectInitSnippet,
                     VarInitSnippet, WeightUpdateModel)


@dataclass
class VarInit:
    """A variable initialised per element by a var-init snippet."""
    snippet: VarInitSnippet
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class SparseConnectivityInit:
    """Sparse connectivity built by a snippet when the model is loaded."""
    snippet: SparseConnectInitSnippet
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class ToeplitzConnectivityInit:
    """Toeplitz (convolution kernel) connectivity."""
    snippet: ToeplitzConnectInitSnippet
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class WeightUpdateInit:
    """A weight update model with its params, vars and neuron var refs."""
    snippet: WeightUpdateModel
    params: Dict[str, Any] = field(default_factory=dict)
    vars: Dict[str, Any] = field(default_factory=dict)
    pre_vars: Dict[str, Any] = field(default_factory=dict)
    post_vars: Dict[str, Any] = field(default_factory=dict)
    pre_var_refs: Dict[str, Any] = field(default_factory=dict)
    post_var_refs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class PostsynapticInit:
    """A postsynaptic model with its params, vars and neuron var refs."""
    snippet: PostsynapticModel
    params: Dict[str, Any] = field(default_factory=dict)
    vars: Dict[str, Any] = field(default_factory=dict)
    var_refs: Dict[str, Any] = field(default_factory=dict)


def _dict(d, owner, what):
    if d is None:
        return {}
    if not isinstance(d, Mapping):
        raise ModelSpecError(f"{owner}: {what} must be a dict of name -> value, got {type(d).__name__}")
    return dict(d)


def _resolve_snippet(snippet: Any, table: Mapping[str, Any], snippet_class: type,
                     description: str, caller: str) -> Any:
    """A snippet object, or the built-in one a name refers to; anything else is an error."""
    if isinstance(snippet, str):
        snippet = builtins.lookup(table, snippet, description)
    if not isinstance(snippet, snippet_class):
        raise ModelSpecError(f"{caller} needs a {description} or a built-in name, got {snippet!r}")
    return snippet


def init_var(snippet: Union[str, VarInitSnippet], params: Optional[Mapping[str, Any]] = None) -> VarInit:
    """Initialise a variable with a var-init snippet.

    Parameters
    ----------
    snippet
        A snippet from :func:`create_var_init_snippet` or a built-in name
        ("Constant", "Uniform", "Normal", "Exponential").
    params
        The snippet's parameter values.
    """
    snippet = _resolve_snippet(snippet, builtins.VAR_INIT_SNIPPETS, VarInitSnippet,
                               "var init snippet", "init_var")
    return VarInit(snippet, _dict(params, f"init_var({snippet.class_name})", "params"))


def init_sparse_connectivity(snippet: Union[str, SparseConnectInitSnippet],
                             params: Optional[Mapping[str, Any]] = None) -> SparseConnectivityInit:
    """Build SPARSE connectivity with a snippet (or built-in name such as "FixedProbability").

    Parameters
    ----------
    snippet
        Snippet object or built-in name.
    params
        The snippet's parameter values.
    """
    snippet = _resolve_snippet(snippet, builtins.SPARSE_CONNECT_INIT_SNIPPETS,
                               SparseConnectInitSnippet, "sparse connect init snippet",
                               "init_sparse_connectivity")
    return SparseConnectivityInit(snippet, _dict(params, f"init_sparse_connectivity({snippet.class_name})", "params"))


def init_toeplitz_connectivity(snippet: Union[str, ToeplitzConnectInitSnippet],
                               params: Optional[Mapping[str, Any]] = None) -> ToeplitzConnectivityInit:
    """TOEPLITZ connectivity from a snippet or built-in name ("Conv2D", "AvgPoolConv2D").

    Parameters
    ----------
    snippet
        Snippet object or built-in name.
    params
        The snippet's parameter values.
    """
    snippet = _resolve_snippet(snippet, builtins.TOEPLITZ_CONNECT_INIT_SNIPPETS,
                               ToeplitzConnectInitSnippet, "toeplitz connect init snippet",
                               "init_toeplitz_connectivity")
    return ToeplitzConnectivityInit(snippet, _dict(params, f"init_toeplitz_connectivity({snippet.class_name})", "params"))


def init_weight_update(snippet: WeightUpdateModel, params: Optional[Mapping[str, Any]] = None,
                       vars: Optional[Mapping[str, Any]] = None, pre_vars: Optional[Mapping[str, Any]] = None,
                       post_vars: Optional[Mapping[str, Any]] = None,
                       pre_var_refs: Optional[Mapping[str, Any]] = None,
                       post_var_refs: Optional[Mapping[str, Any]] = None) -> WeightUpdateInit:
    """Bind a weight update model to its values.

    Parameters
    ----------
    snippet
        Model from :func:`create_weight_update_model`.
    params, vars, pre_vars, post_vars
        Values: numbers, arrays or :func:`init_var` results.
    pre_var_refs, post_var_refs
        :func:`create_var_ref` results for the model's pre/post neuron var refs.
    """
    if not isinstance(snippet, WeightUpdateModel):
        raise ModelSpecError(f"init_weight_update needs a weight update model, got {snippet!r}")
    o = f"init_weight_update({snippet.class_name})"
    return WeightUpdateInit(snippet, _dict(params, o, "params"), _dict(vars, o, "vars"),
                            _dict(pre_vars, o, "pre_vars"), _dict(post_vars, o, "post_vars"),
                            _dict(pre_var_refs, o, "pre_var_refs"), _dict(post_var_refs, o, "post_var_refs"))


def init_postsynaptic(snippet: PostsynapticModel, params: Optional[Mapping[str, Any]] = None,
                      vars: Optional[Mapping[str, Any]] = None,
                      var_refs: Optional[Mapping[str, Any]] = None) -> PostsynapticInit:
    """Bind a postsynaptic model to its values.

    Parameters
    ----------
    snippet
        Model from :func:`create_postsynaptic_model`.
    params, vars
        Values: numbers, arrays or :func:`init_var` results.
    var_refs
        :func:`create_var_ref` results for the model's neuron var refs.
    """
    if not isinstance(snippet, PostsynapticModel):
        raise ModelSpecError(f"init_postsynaptic needs a postsynaptic model, got {snippet!r}")
    o = f"init_postsynaptic({snippet.class_name})"
    return PostsynapticInit(snippet, _dict(params, o, "params"), _dict(vars, o, "vars"), _dict(var_refs, o, "var_refs"))


def fill_initial_values(array: Any, init: Any, positions: Any = None,
                        order: Any = None) -> None:
    """Write a variable's initial value held on the host (a number or an array; a
    :class:`VarInit` is the backend's to run) into its storage ``array``, as every backend
    lays variables out: ``(batch, n)`` or ``(n,)``; an array of one row is shared by every
    batch element.

    Parameters
    ----------
    array
        The variable's storage.
    init
        Its initial value.
    positions, order
        For SPARSE connectivity given as indices: the storage slot of each synapse and the
        order that takes values given in the indices' order to the slots' order.
    """
    import numpy as np
    if isinstance(init, VarInit):
        return
    value = np.asarray(init)
    if positions is None:
        if value.ndim == 0 or value.size == 1:
            array[...] = value.reshape(())
        elif value.size == array.size:
            array[...] = value.reshape(array.shape)
        else:
            array[...] = value.reshape(array.shape[-1:])   # one row shared by every batch
        return
    if value.ndim == 0 or value.size == 1:
        array[..., positions] = value.reshape(())
        return
    value = value.reshape((-1, len(order)))[:, order]
    array[..., positions] = value if array.ndim > 1 else value[0]
