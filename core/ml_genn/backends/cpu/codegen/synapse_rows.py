"""Walking a synapse group's connectivity: the targets of one presynaptic neuron (DENSE,
SPARSE or convolution kernel rows) and the pre/post indices of one synapse element."""
from __future__ import annotations

from typing import List

from ....engine.synapse_matrix_type import SynapseMatrixType

DENSE, SPARSE, TOEPLITZ = SynapseMatrixType.DENSE, SynapseMatrixType.SPARSE, SynapseMatrixType.TOEPLITZ


class SynapseRowsMixin:
    """Loops over synapse rows and elements (part of :class:`.generator.Generator`)."""

    @staticmethod
    def _can_split_targets(s) -> bool:
        """Whether spike propagation of ``s`` may be split across target ranges: its code writes
        nothing presynaptic (no addToPre, no pre vars or pre neuron var refs), so each thread's
        writes stay on its own targets."""
        wu = s.wu_model
        if s.uses_add_to_pre or wu.pre_vars or wu.pre_neuron_var_refs:
            return False
        # A convolution kernel entry serves many targets: only split if nothing writes it
        return s.matrix_type is not TOEPLITZ or all(v.access.read_only for v in wu.vars)

    def _synapse_element_indices(self, sg, indent: str) -> List[str]:
        """C lines turning element ``_e`` of synapse group ``sg`` into ``_id_pre``/``_id_post``
        (SPARSE padding elements ``continue``; kernel elements have no single pre/post)."""
        T = self.table
        if sg.matrix_type is DENSE:
            npost = sg.target.num_neurons
            lines = [f"const uint32_t _id_pre = (uint32_t)(_e / {npost}), _id_post = (uint32_t)(_e % {npost});"]
        elif sg.matrix_type is SPARSE:
            M = max(sg.max_row_length, 1)
            lines = [f"const uint32_t _id_pre = (uint32_t)(_e / {M});",
                     f"if ((_e % {M}) >= {T['rowlen', sg.name].cname}[_id_pre]) continue;",
                     f"const uint32_t _id_post = {T['ind', sg.name].cname}[_e];"]
        else:
            lines = ["const uint32_t _id_pre = 0, _id_post = 0;"]
        lines.append("(void)_id_pre; (void)_id_post;")
        return [indent + line for line in lines]

    def _row_loop(self, s, body: List[str], indent: str, pre_accumulator: bool = False
                  ) -> List[str]:
        """Loop over the targets of presynaptic neuron ``_id_pre`` (in batch ``_b``).

        With ``pre_accumulator`` the body's ``addToPre`` adds to a local ``_pre_acc`` that is
        written once after the row: a sum over the row instead of a read-modify-write of one
        memory cell per target, whose chain of dependent additions kept the loop scalar. Dense
        rows sum it as an OpenMP SIMD reduction (a fixed order for a given build, so results
        do not depend on the thread count)."""
        if pre_accumulator:
            npre = s.source.num_neurons
            outpre = self.table["outpre", s.name].cname
            inner = self._row_loop(s, body, indent + "  ")
            if s.matrix_type is DENSE:
                inner = [f"{indent}  #pragma omp simd reduction(+:_pre_acc)"] + inner
            return ([f"{indent}{{ {self.sc} _pre_acc = 0;"] + inner
                    + [f"{indent}  {outpre}[(size_t)_b * {npre} + _id_pre] += _pre_acc; }}"])
        npost = s.target.num_neurons
        T, L = self.table, []
        if s.matrix_type is DENSE:
            L.append(f"{indent}for (uint32_t _id_post = 0; _id_post < {npost}; _id_post++) {{")
            L.append(f"{indent}    const size_t _id_syn = (size_t)_id_pre * {npost} + _id_post;")
            L += body
            L.append(f"{indent}}}")
        elif s.matrix_type is SPARSE:
            M = s.max_row_length
            L.append(f"{indent}for (uint32_t _k = 0; _k < {T['rowlen', s.name].cname}[_id_pre]; _k++) {{")
            L.append(f"{indent}    const size_t _id_syn = (size_t)_id_pre * {M} + _k;")
            L.append(f"{indent}    const uint32_t _id_post = {T['ind', s.name].cname}[_id_syn];")
            L += body
            L.append(f"{indent}}}")
        else:
            L += self._toeplitz_loop(s, body, indent)
        return L

    def _toeplitz_loop(self, s, body, indent):
        p = s.conn_param_values
        kind = s.connectivity_init.snippet.builtin_kind
        KH, KW, IH, IW, IC = (int(p[k]) for k in ("conv_kh", "conv_kw", "conv_ih", "conv_iw", "conv_ic"))
        OH, OW, OC = int(p["conv_oh"]), int(p["conv_ow"]), int(p["conv_oc"])
        PH, PW = ((OH - 1) + KH - IH) // 2, ((OW - 1) + KW - IW) // 2
        L = []
        conv = [f"{indent}    for (int _ky = 0; _ky < {KH}; _ky++) {{",
                f"{indent}      const int _oy = _iy - _ky + {PH}; if (_oy < 0 || _oy >= {OH}) continue;",
                f"{indent}      for (int _kx = 0; _kx < {KW}; _kx++) {{",
                f"{indent}        const int _ox = _ix - _kx + {PW}; if (_ox < 0 || _ox >= {OW}) continue;",
                f"{indent}        for (uint32_t _oc = 0; _oc < {OC}; _oc++) {{",
                f"{indent}          const uint32_t _id_post = (uint32_t)((_oy * {OW} + _ox) * {OC}) + _oc;",
                f"{indent}          const size_t _id_syn = (size_t)(((_ky * {KW} + _kx) * {IC} + _ic) * {OC}) + _oc;",
                f"{indent}          const size_t id_kernel = _id_syn; (void)id_kernel;"]
        conv += body
        conv += [f"{indent}        }}", f"{indent}      }}", f"{indent}    }}"]
        if kind == "Conv2D":
            L.append(f"{indent}{{ const int _iy = (int)(_id_pre / {IW * IC}), _ix = (int)((_id_pre / {IC}) % {IW}), _ic = (int)(_id_pre % {IC});")
            L += conv
            L.append(f"{indent}}}")
        else:
            PKH, PKW, PSH, PSW = (int(p[k]) for k in ("pool_kh", "pool_kw", "pool_sh", "pool_sw"))
            PIW, PIC = int(p["pool_iw"]), int(p["pool_ic"])
            L.append(f"{indent}{{ const int _py = (int)(_id_pre / {PIW * PIC}), _px = (int)((_id_pre / {PIC}) % {PIW}), _ic = (int)(_id_pre % {PIC});")
            # Every pooling window containing this pixel feeds one conv input.
            L.append(f"{indent}  for (int _iy = 0; _iy < {IH}; _iy++) {{ if (_py < _iy * {PSH} || _py >= _iy * {PSH} + {PKH}) continue;")
            L.append(f"{indent}  for (int _ix = 0; _ix < {IW}; _ix++) {{ if (_px < _ix * {PSW} || _px >= _ix * {PSW} + {PKW}) continue;")
            L += conv
            L.append(f"{indent}  }} }}")
            L.append(f"{indent}}}")
        return L
