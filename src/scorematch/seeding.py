"""Per-run random streams derived from the root seed, the experiment and the run index.

Each run owns its streams, so a run's numbers do not depend on the batch it shares, on
job order or on the machine (numpy's SeedSequence and PCG64 are platform independent).
"""

import hashlib

import numpy as np

# Separate streams per run for separate purposes: drawing the initial parameters must not
# shift when minibatch sampling is switched on.
STREAM_INIT = 0
STREAM_SAMPLING = 1


def experiment_key(name):
    """A stable 64-bit integer for an experiment name (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def case_seed_name(spec, name):
    """The name keying a case's per-run streams: the spec's `seed_name` when the case reuses
    another case's streams (e.g. its initial parameters), else the case's own name."""
    return spec.get("seed_name", name)


def run_spawn_key(name, run_index, stream):
    """The SeedSequence spawn key of one run's stream: (experiment key, run, stream)."""
    return (experiment_key(name), int(run_index), int(stream))


def run_generators(root_seed, name, *, n_runs, stream):
    """One numpy Generator per run for the given stream."""
    return [
        np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=run_spawn_key(name, i, stream)))
        )
        for i in range(n_runs)
    ]
