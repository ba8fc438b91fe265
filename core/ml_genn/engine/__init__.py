"""The engine IR: GeNN 5's model concepts with pygenn 5's names.

Compilers build a :class:`ModelSpec` from models made with the ``create_*`` factories
and values bound with the ``init_*`` functions; a backend (``ml_genn.backends``) builds
and runs it.
"""
from .access import CustomUpdateVarAccess, VarAccess, VarAccessMode
from .errors import CodeCompileError, CompilerNotFoundError, EngineError, ModelSpecError, RuntimeStateError
from .factories import (create_custom_connectivity_update_model, create_custom_update_model, create_neuron_model,
                        create_postsynaptic_model,
                        create_sparse_connect_init_snippet, create_toeplitz_connect_init_snippet,
                        create_var_init_snippet, create_weight_update_model)
from .initialisers import (init_postsynaptic, init_sparse_connectivity, init_toeplitz_connectivity, init_var,
                           init_weight_update)
from .model_spec import ModelSpec
from .refs import (create_egp_ref, create_post_var_ref, create_pre_var_ref, create_psm_egp_ref,
                   create_psm_var_ref, create_var_ref, create_wu_egp_ref, create_wu_post_var_ref,
                   create_wu_pre_var_ref, create_wu_var_ref)
from .synapse_matrix_type import SynapseMatrixType

__all__ = [
    "CustomUpdateVarAccess", "VarAccess", "VarAccessMode", "SynapseMatrixType", "ModelSpec",
    "EngineError", "ModelSpecError", "CodeCompileError", "CompilerNotFoundError", "RuntimeStateError",
    "create_neuron_model", "create_postsynaptic_model", "create_weight_update_model",
    "create_custom_update_model", "create_custom_connectivity_update_model", "create_var_init_snippet", "create_sparse_connect_init_snippet",
    "create_toeplitz_connect_init_snippet", "init_var", "init_sparse_connectivity",
    "init_toeplitz_connectivity", "init_weight_update", "init_postsynaptic", "create_var_ref",
    "create_wu_var_ref", "create_psm_var_ref", "create_wu_pre_var_ref", "create_wu_post_var_ref",
    "create_pre_var_ref", "create_post_var_ref", "create_egp_ref", "create_psm_egp_ref", "create_wu_egp_ref",
]
