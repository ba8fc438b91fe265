"""Runs :mod:`reference` networks on the engine with ``ml_genn_eventprop.engine_models``.

Builds a ``ModelSpec`` (double precision) for a reference ``Net`` (population 0 replays an input
raster), runs one batch forward and backward on the cpu backend and returns the loss, the
engine's gradients and forward quantities, so tests can compare them with the NumPy references.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np

import reference_discrete as D
from ml_genn.backends.cpu import CPUBackend
from ml_genn.engine import ModelSpec, create_var_ref
from ml_genn_eventprop import engine_models as EM


@dataclass
class EngineResult:
    loss: float
    grad_w: List[np.ndarray]
    spike_counts: dict
    dropped: dict
    grad_d: dict = None        # connection index -> dL/dd per timestep of delay (learned delays)


class EngineNet:
    """A built and loaded engine model of ``net`` for ``batch_size`` examples."""

    def __init__(self, net, batch_size: int, loss: str, out_pop: int, readout: str = "avg_var",
                 max_spikes: int = 64, learn_delays=(), max_delay_steps=None,
                 relative_reset: bool = False, **loss_kwargs):
        """``learn_delays``: indices of connections whose delays are engine variables with a
        delay gradient; ``max_delay_steps`` (by index) bounds them (default: their largest);
        ``relative_reset``: LIF populations subtract ``v_thresh - v_reset`` on a spike."""
        self.net, self.B, self.out_pop, self.readout = net, batch_size, out_pop, readout
        self.learn_delays = set(learn_delays)
        self.loss, self.loss_kwargs = loss, loss_kwargs
        self.K = net.num_samples
        K, dt = self.K, net.dt
        spec = ModelSpec("double", "eventprop_harness")
        spec.dt, spec.batch_size = dt, batch_size
        taus = {}
        for c in net.conns:
            taus[c.tgt] = net.pops[c.tgt].tau_syn
        self.groups = []
        for p, pop in enumerate(net.pops):
            if pop.kind == "input":
                model = EM.raster_input_model(max_spikes, K, batch_size, pop.n)
            elif pop.kind == "lif":
                model = EM.lif_model(pop.tau_mem, pop.tau_syn, pop.v_thresh, pop.v_reset, 0.0,
                                     relative_reset, p == out_pop, False, max_spikes, K, dt,
                                     batch_size, pop.n)
            else:
                model = EM.li_model(readout, pop.tau_mem, pop.tau_syn, 0.0, K, dt, batch_size,
                                    pop.n)
                self.out_var = model.output_var_name
            engine_model, params, values = model.build()
            g = spec.add_neuron_population(f"pop{p}", pop.n, engine_model, params, values)
            model.apply_to_group(g)
            self.groups.append(g)
        for c_idx, c in enumerate(net.conns):
            src, tgt = self.groups[c.src], self.groups[c.tgt]
            post = net.pops[c.tgt]
            steps = np.rint(c.delays() / dt)
            learn = c_idx in self.learn_delays
            largest = int((max_delay_steps or {}).get(c_idx, steps.max()))
            if learn or np.any(steps != steps.flat[0]):
                delay = steps.reshape(-1)
            else:
                delay = int(steps.flat[0])
            wu = EM.weight_update_model(net.pops[c.src].kind == "lif", post.tau_syn, post.tau_mem,
                                        c.w.reshape(-1), delay=delay, max_delay_steps=largest,
                                        learn_delay=learn, dt=dt)
            wu_init = wu.build()
            if net.pops[c.src].kind == "lif":
                wu_init.pre_var_refs["BackSpike_pre"] = create_var_ref(src, "BackSpike")
            wu_init.post_var_refs["LambdaI_post"] = create_var_ref(tgt, "LambdaI")
            wu_init.post_var_refs["LambdaV_post"] = create_var_ref(tgt, "LambdaV")
            psm = EM.exponential_psm(post.tau_syn, dt)
            s = spec.add_synapse_population(f"conn{c_idx}", "DENSE", src, tgt, wu_init, psm.build())
            wu.apply_to_group(s)
            psm.apply_to_group(s)
            if learn or largest > 0:
                s.max_dendritic_delay_timesteps = largest + 1
            if net.pops[c.src].kind == "lif":
                s.pre_target_var = "RevISyn"
        self.rt = CPUBackend().build(spec).load()
        # These networks are tiny: one thread avoids OpenMP spin-waiting when the machine is busy
        self.rt.set_num_threads(1)
        self._initial = {f"pop{p}": {k: v.view.copy() for k, v in
                                     self.rt.neuron_populations[f"pop{p}"].vars.items()}
                         for p in range(len(net.pops))}

    def _set_phase(self, backward: int):
        for p in range(len(self.net.pops)):
            self.rt.neuron_populations[f"pop{p}"].set_dynamic_param_value("Backward", backward)
        for c_idx, c in enumerate(self.net.conns):
            if self.net.pops[c.src].kind == "input":
                self.rt.synapse_populations[f"conn{c_idx}"].set_dynamic_param_value(
                    "Backward", backward)
        self.rt.timestep = 0
        self.rt.t = 0.0

    def _reset(self):
        for name, vars_ in self._initial.items():
            for k, v in vars_.items():
                self.rt.neuron_populations[name].vars[k].view[...] = v
        for s in self.rt.synapse_populations.values():
            s.vars["Gradient"].view[...] = 0.0
            if "DelayGradient" in s.vars:
                s.vars["DelayGradient"].view[...] = 0.0
        self.rt.reset_in_flight_state()

    def set_weights(self, ws):
        for c_idx, w in enumerate(ws):
            self.rt.synapse_populations[f"conn{c_idx}"].vars["g"].view[...] = np.reshape(w, -1)

    def set_delays(self, ds):
        """Delays (timesteps, floats allowed) of the connections with learned delays."""
        for c_idx, d in ds.items():
            self.rt.synapse_populations[f"conn{c_idx}"].vars["d"].view[...] = np.reshape(d, -1)

    def run(self, inputs, labels, backward: bool = True) -> EngineResult:
        net, B, K, dt = self.net, self.B, self.K, self.net.dt
        assert len(inputs) == B
        self._reset()
        raster = np.stack([D.input_raster(net, x) for x in inputs])      # (B, K, n_in)
        self.rt.neuron_populations["pop0"].extra_global_params["Raster"].view[:] = raster.reshape(-1)
        self._set_phase(0)
        self.rt.run_timesteps(K)

        out = self.rt.neuron_populations[f"pop{self.out_pop}"]
        pop = net.pops[self.out_pop]
        losses = []
        if pop.kind == "li" and self.readout == "var":
            ring = out.extra_global_params["RingV"].view.reshape(B, K, pop.n)
            drive = np.zeros_like(ring)
            for b in range(B):
                trace = D.DiscreteTrace({}, {}, {}, {self.out_pop: ring[b]}, {}, None)
                loss, dv, _ = D.loss_and_output_gradients(net, trace, self.loss, labels[b],
                                                          self.out_pop, self.readout,
                                                          **self.loss_kwargs)
                losses.append(loss)
                drive[b] = dv / B
            out.extra_global_params["DriveRing"].view[:] = drive.reshape(-1)
        elif pop.kind == "li":
            z = out.vars[self.out_var].view
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            onehot = np.eye(pop.n)[np.asarray(labels)]
            log_p = (z - z.max(axis=1, keepdims=True)) - np.log(e.sum(axis=1, keepdims=True))
            losses = list(-log_p[np.arange(B), labels])
            out.vars["Drive"].view[:] = (p - onehot) / B
        else:
            first = out.vars["FirstStep"].view
            dldt = np.zeros((B, pop.n))
            for b in range(B):
                trace = D.DiscreteTrace({}, {}, {}, {}, {self.out_pop: first[b].copy()}, None)
                loss, _, dt_ = D.loss_and_output_gradients(net, trace, self.loss, labels[b],
                                                           self.out_pop, **self.loss_kwargs)
                losses.append(loss)
                dldt[b] = dt_ / B
            out.vars["DLdtFirst"].view[:] = dldt
        counts = {p: self.rt.neuron_populations[f"pop{p}"].vars["SpikeCount"].view.copy()
                  for p, q in enumerate(net.pops) if q.kind != "li"}
        dropped = {p: self.rt.neuron_populations[f"pop{p}"].vars["Dropped"].view.copy()
                   for p in counts}
        grads, grad_d = [], {}
        if backward:
            self._set_phase(1)
            self.rt.run_timesteps(K)
            for c_idx, c in enumerate(net.conns):
                g = self.rt.synapse_populations[f"conn{c_idx}"].vars["Gradient"].view
                grads.append(np.asarray(g).reshape(B, *c.w.shape).sum(axis=0))
                if c_idx in self.learn_delays:
                    gd = self.rt.synapse_populations[f"conn{c_idx}"].vars["DelayGradient"].view
                    grad_d[c_idx] = np.asarray(gd).reshape(B, *c.w.shape).sum(axis=0)
        return EngineResult(float(np.mean(losses)), grads, counts, dropped, grad_d)
