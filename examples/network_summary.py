"""Build a latency-coded MNIST-shaped classifier with the mlGeNN API and print its summary.

Shows the network API (Network, Population, Connection, default_params), string shortcuts resolved
through the plugin registry, and the installed plugins.
"""
from ml_genn import Connection, Network, Population
from ml_genn.cli import collect_plugins
from ml_genn.connectivity import Dense
from ml_genn.initializers import Normal
from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire, SpikeInput
from ml_genn.synapses import Exponential


def build_network() -> Network:
    network = Network(default_params={LeakyIntegrateFire: {"relative_reset": False}})
    with network:
        inputs = Population(SpikeInput(max_spikes=784 * 32), 784, name="input")
        hidden = Population(LeakyIntegrateFire(v_thresh=1.0, tau_mem=20.0), 128,
                            record_spikes=True, name="hidden")
        output = Population(LeakyIntegrate(tau_mem=20.0, readout="avg_var"), 10, name="output")
        Connection(inputs, hidden, Dense(Normal(mean=0.078, sd=0.045)), Exponential(5.0))
        Connection(hidden, output, Dense(Normal(mean=0.2, sd=0.37)), Exponential(5.0))
    return network


def summarise(network: Network) -> str:
    lines = [f"{'population':<10} {'neuron':<20} {'shape':<8} {'neurons':>7}  incoming from"]
    for pop in network.populations:
        incoming = ", ".join(c.source.name for c in pop.incoming_connections) or "-"
        lines.append(f"{pop.name:<10} {type(pop.neuron).__name__:<20} {str(pop.shape):<8} "
                     f"{pop.num_neurons:>7}  {incoming}")
    num_synapses = sum(c.source.num_neurons * c.target.num_neurons for c in network.connections)
    lines.append(f"{len(network.populations)} populations, {len(network.connections)} connections, "
                 f"{num_synapses} synapses")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarise(build_network()))
    print("\nInstalled plugins:")
    for row in collect_plugins():
        status = f"FAILED ({row['error']})" if row["error"] else f"{len(row['components'])} components"
        print(f"  {row['plugin']:<22} {row['distribution'] or '-':<18} {row['version'] or '-':<8} {status}")
