"""Seeded data for the tests: clustered Gaussians, like the engine's own recall tests."""

import numpy as np
import pytest

SEED = 20261204


def clustered(rows, dim, clusters=16, seed=SEED):
    """`rows` float32 vectors around `clusters` random centres (a stand-in for embeddings)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 4.0, size=(clusters, dim))
    which = rng.integers(0, clusters, size=rows)
    return (centres[which] + rng.normal(0.0, 1.0, size=(rows, dim))).astype(np.float32)


def recall(found, truth):
    """The fraction of the true neighbours found, over all queries."""
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth))
    return hits / truth.size


@pytest.fixture(scope="session")
def data():
    """4,000 base vectors and 200 queries from the same clusters, 32-d."""
    rows = clustered(4200, 32)
    return rows[:4000], rows[4000:]
