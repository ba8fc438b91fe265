"""Built-in snippets reachable by GeNN 5's names (e.g. ``init_var("Uniform", ...)``)."""
from __future__ import annotations

from .errors import ModelSpecError
from .factories import (create_sparse_connect_init_snippet, create_toeplitz_connect_init_snippet,
                        create_var_init_snippet)
from .models import ToeplitzConnectInitSnippet

VAR_INIT_SNIPPETS = {
    "Constant": create_var_init_snippet("Constant", params=["constant"], var_init_code="value = constant;"),
    "Uniform": create_var_init_snippet("Uniform", params=["min", "max"],
                                       var_init_code="value = min + (gennrand_uniform() * (max - min));"),
    "Normal": create_var_init_snippet("Normal", params=["mean", "sd"],
                                      var_init_code="value = mean + (gennrand_normal() * sd);"),
    "Exponential": create_var_init_snippet("Exponential", params=["lambda"],
                                           var_init_code="value = lambda * gennrand_exponential();"),
}

SPARSE_CONNECT_INIT_SNIPPETS = {
    "OneToOne": create_sparse_connect_init_snippet(
        "OneToOne", row_build_code="if (id_pre < num_post) { addSynapse(id_pre); }",
        calc_max_row_len_func=lambda num_pre, num_post, pars: 1),
    "FixedProbability": create_sparse_connect_init_snippet(
        "FixedProbability", params=["prob"],
        row_build_code="for (unsigned int j = 0; j < num_post; j++) { if (gennrand_uniform() < prob) { addSynapse(j); } }"),
    "FixedProbabilityNoAutapse": create_sparse_connect_init_snippet(
        "FixedProbabilityNoAutapse", params=["prob"],
        row_build_code="for (unsigned int j = 0; j < num_post; j++) { if (j != id_pre && gennrand_uniform() < prob) { addSynapse(j); } }"),
}


def _conv_kernel(p):
    return [int(p["conv_kh"]), int(p["conv_kw"]), int(p["conv_ic"]), int(p["conv_oc"])]


def _conv_row(num_pre, num_post, p):
    return int(p["conv_kh"]) * int(p["conv_kw"]) * int(p["conv_oc"])


def _avg_pool_row(num_pre, num_post, p):
    # A pixel may lie in several pooling windows when strides are smaller than windows.
    windows = -(-int(p["pool_kh"]) // int(p["pool_sh"])) * -(-int(p["pool_kw"]) // int(p["pool_sw"]))
    return windows * int(p["conv_kh"]) * int(p["conv_kw"]) * int(p["conv_oc"])


def _builtin_toeplitz(kind, params, row, kernel):
    snippet = create_toeplitz_connect_init_snippet(kind, params=params, calc_max_row_len_func=row,
                                                   calc_kernel_size_func=kernel)
    # Built-ins are run natively by the backend, keyed on this kind.
    return ToeplitzConnectInitSnippet(**{**snippet.__dict__, "builtin_kind": kind})


#: "Conv2D": stride-1 cross-correlation of an (ih, iw, ic) input (channels last) with a
#: (kh, kw, ic, oc) kernel into (oh, ow, oc); implicit zero padding of
#: ((oh - 1) + kh - ih) // 2 rows (0 for "valid", (kh-1)//2 for "same") and likewise columns.
#: "AvgPoolConv2D": pooling (pool_kh x pool_kw windows, strides pool_sh/pool_sw, valid) of a
#: (pool_ih, pool_iw, pool_ic) input followed by that convolution. As in GeNN 5 each pool is
#: *summed*: the caller makes it an average by dividing the kernel by pool_kh * pool_kw.
TOEPLITZ_CONNECT_INIT_SNIPPETS = {
    "Conv2D": _builtin_toeplitz("Conv2D", ["conv_kh", "conv_kw", "conv_ih", "conv_iw", "conv_ic",
                                           "conv_oh", "conv_ow", "conv_oc"], _conv_row, _conv_kernel),
    "AvgPoolConv2D": _builtin_toeplitz("AvgPoolConv2D",
                                       ["conv_kh", "conv_kw", "pool_kh", "pool_kw", "pool_sh", "pool_sw",
                                        "pool_ih", "pool_iw", "pool_ic", "conv_oh", "conv_ow", "conv_oc"],
                                       _avg_pool_row, _conv_kernel),
}


def lookup(table: dict, name: str, what: str):
    """Return the built-in ``name`` from ``table`` or raise listing the choices."""
    try:
        return table[name]
    except KeyError:
        raise ModelSpecError(f"Unknown built-in {what} {name!r}; choose one of "
                             f"{', '.join(sorted(table))} or pass a snippet object") from None
