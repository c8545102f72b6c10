"""The GIL is released while the engine works: a pure-Python loop in another thread keeps
counting during a long call. Were the GIL held, the loop would stand still for the whole call
(it could run only in the switch interval's slices before and after it)."""

import sys
import threading

import numpy as np
import pytest
import vicino

from conftest import SEED, clustered

# Held for the whole call, the GIL would let the loop count only in the moments around it:
# a 1.4 s sorted() of 3M floats (which holds the GIL) let it count 12,000-40,000 on the 2-core
# VM where this was written, where it counts about 5 million a second while the GIL is free.
A_LOT = 1_000_000


@pytest.fixture(scope="module")
def large():
    rows = clustered(12000, 48, seed=SEED + 3)
    index = vicino.Index(48, metric="l2", ef_construction=64)
    index.add(rows[:10000])
    return index, rows[10000:]


def count_during(call):
    """How far a pure-Python counter in another thread got while `call` ran here."""
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        while counter[0] == 0:  # the spinner is running before the call starts
            pass
        before = counter[0]
        call()
        after = counter[0]
    finally:
        stop.set()
        spinner.join()
        sys.setswitchinterval(interval)
    return after - before


def test_search_releases_the_gil(large):
    index, queries = large
    # One thread, a wide beam, every query five times: a long call.
    many = np.tile(queries, (5, 1))
    advanced = count_during(lambda: index.search(many, k=10, ef=400, threads=1))
    print(f"the counter advanced by {advanced:,} during the search")
    assert advanced > A_LOT


def test_exact_search_and_add_release_the_gil(large):
    index, queries = large
    advanced = count_during(lambda: index.exact_search(np.tile(queries, (3, 1)), k=10, threads=1))
    print(f"the counter advanced by {advanced:,} during the exact search")
    assert advanced > A_LOT
    rows = clustered(8000, 48, seed=SEED + 4)
    fresh = vicino.Index(48, metric="l2", ef_construction=200)
    advanced = count_during(lambda: fresh.add(rows, threads=1))
    print(f"the counter advanced by {advanced:,} during the add")
    assert advanced > A_LOT
