#!/usr/bin/env python3
"""Write the small HDF5 fixtures used by tests/ann_hdf5.rs.

Usage:  python3 tests/make_hdf5_fixtures.py [OUT_DIR]   (default: tests/data)
Needs:  pip install h5py numpy

Every vector value comes from a seeded splitmix64 stream that the Rust tests
re-implement (`splitmix_values` in tests/ann_hdf5.rs), and every value is a
multiple of 1/64 in [-15.625, 15.625], so it is exact in float32, float64 and
in the squared L2 distances. The tests therefore recompute the expected
train/test/neighbors themselves: no sidecar files are needed.

`ann-tiny.hdf5` is written the way ann-benchmarks' `write_output` writes a
dataset (float32 train/test, int64 neighbors, float32 distances, root
attributes distance/type/point_type/dimension, distance as a Python str, i.e.
a variable-length UTF-8 string). The other files are variants and malformed
files for the error paths.
"""
import os
import sys

import h5py
import numpy as np

MASK = (1 << 64) - 1
N, Q, D, K = 50, 5, 8, 10


def splitmix_values(seed, count):
    """`count` floats, multiples of 1/64 in [-15.625, 15.625]."""
    state = seed & MASK
    out = np.empty(count, dtype=np.float64)
    for i in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        out[i] = (int((z >> 40) % 2001) - 1000) / 64.0
    return out


def vectors(seed, rows, dim):
    return splitmix_values(seed, rows * dim).reshape(rows, dim)


def exact_knn(train, test, k):
    """Exact L2 neighbours; ties broken by the lower id (stable sort)."""
    d2 = ((test[:, None, :] - train[None, :, :]) ** 2).sum(axis=2)
    ids = np.argsort(d2, axis=1, kind="stable")[:, :k]
    dist = np.sqrt(np.take_along_axis(d2, ids, axis=1))
    return ids, dist


TRAIN = vectors(1, N, D)
TEST = vectors(2, Q, D)
IDS, DIST = exact_knn(TRAIN, TEST, K)

# The variants use a smaller shape to keep the fixtures small.
SN, SQ, SD, SK = 12, 3, 4, 3
STRAIN = vectors(1, SN, SD)
STEST = vectors(2, SQ, SD)
SIDS, _ = exact_knn(STRAIN, STEST, SK)


def write(path, *, train=STRAIN, test=STEST, neighbors=SIDS, distances=None,
          distance="euclidean", train_dtype="f4", ids_dtype="i8",
          extra_attrs=False, libver=None, train_kwargs=None, **dataset_kwargs):
    with h5py.File(path, "w", libver=libver) as f:
        if distance is not None:
            f.attrs["distance"] = distance
        if extra_attrs:
            f.attrs["type"] = "dense"
            f.attrs["point_type"] = "float"
            if train is not None:
                f.attrs["dimension"] = np.shape(train)[-1]
        if train is not None:
            f.create_dataset("train", data=np.asarray(train, dtype=train_dtype),
                             **(train_kwargs if train_kwargs is not None else dataset_kwargs))
        if test is not None:
            f.create_dataset("test", data=np.asarray(test, dtype="f4"), **dataset_kwargs)
        if neighbors is not None:
            f.create_dataset("neighbors", data=np.asarray(neighbors, dtype=ids_dtype), **dataset_kwargs)
        if distances is not None:
            f.create_dataset("distances", data=np.asarray(distances, dtype="f4"), **dataset_kwargs)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)  # noqa: E731

    # --- valid files -----------------------------------------------------
    # Exactly like ann-benchmarks: 50x8 float32, Python str attribute,
    # int64 neighbours, float32 distances, the usual extra root attributes.
    # The other files use the small 12x4 / 3x4 / 3x3 shape.
    write(p("ann-tiny.hdf5"), train=TRAIN, test=TEST, neighbors=IDS, distances=DIST, extra_attrs=True)
    # ann-tiny's vectors with the 10 *farthest* rows as "neighbors": a bench scored against
    # them must show near-zero recall, which proves the file's ids are the ones used.
    far = np.argsort(((TEST[:, None, :] - TRAIN[None, :, :]) ** 2).sum(axis=2), axis=1,
                     kind="stable")[:, ::-1][:, :K]
    write(p("ann-wrong-neighbors.hdf5"), train=TRAIN, test=TEST, neighbors=far)
    # float64 train (narrowed to f32 on read), int32 ids, angular metric.
    write(p("ann-angular-f64.hdf5"), distance="angular", train_dtype="f8", ids_dtype="i4")
    # Fixed-length bytes attribute (numpy bytes_ -> H5T_STRING fixed, ASCII).
    write(p("ann-fixed-bytes.hdf5"), distance=np.bytes_(b"dot"))
    # Full shape, chunked + gzip + shuffle, chunks that do not divide the shapes
    # (partial edge chunks), uint32 ids. Default chunk B-tree fan-out: one level.
    write(p("ann-chunked-gzip.hdf5"), train=TRAIN, test=TEST, neighbors=IDS, distance="ip",
          ids_dtype="u4", chunks=(3, 3), compression="gzip", compression_opts=4, shuffle=True)
    # Same data, only train chunked, in 1x3 chunks: 150 chunks, more than one
    # chunk B-tree node holds (64), so a two-level B-tree. test/neighbors contiguous.
    write(p("ann-chunked-deep.hdf5"), train=TRAIN, test=TEST, neighbors=IDS, distance=np.bytes_(b"euclidean"),
          train_kwargs=dict(chunks=(1, 3), compression="gzip"))
    # Full shape, chunked without filter, h5py "latest" format: superblock v3,
    # object header v2, link messages, layout v4 with a fixed-array chunk index.
    write(p("ann-latest-chunked.hdf5"), train=TRAIN, test=TEST, neighbors=IDS, distance="cosine",
          libver="latest", chunks=(4, 3))
    # Latest format, contiguous, gzip-compressed (small) and "l2".
    write(p("ann-latest-gzip.hdf5"), distance="l2", libver="latest", chunks=(2, 3), compression="gzip")
    # No neighbours, no distance attribute.
    write(p("ann-no-neighbors.hdf5"), neighbors=None, distance=None)
    # Padding ids (-1) are allowed.
    padded = SIDS.copy()
    padded[:, -1:] = -1
    write(p("ann-padded-ids.hdf5"), neighbors=padded, ids_dtype="i4")

    # --- malformed files -------------------------------------------------
    # A fixed-length distance attribute keeps them small (a variable-length
    # string costs a 4 KiB global heap collection).
    keep_small = dict(distance=np.bytes_(b"euclidean"))
    write(p("bad-missing-test.hdf5"), test=None, neighbors=None, **keep_small)
    write(p("bad-1d-train.hdf5"), train=STRAIN.reshape(-1), neighbors=None, **keep_small)
    write(p("bad-int-vectors.hdf5"), train_dtype="i4", **keep_small)
    write(p("bad-float-ids.hdf5"), ids_dtype="f4", **keep_small)
    write(p("bad-unknown-distance.hdf5"), distance="hamming", train_dtype="i4")
    write(p("bad-int-distance.hdf5"), distance=np.int32(3))
    too_far = SIDS.copy()
    too_far[1, 2] = SN  # one past the last train row
    write(p("bad-id-past-train.hdf5"), neighbors=too_far, **keep_small)
    write(p("bad-neighbors-rows.hdf5"), neighbors=SIDS[:SQ - 1], **keep_small)
    write(p("bad-test-dim.hdf5"), test=STEST[:, :SD - 1], **keep_small)
    write(p("bad-empty-train.hdf5"), train=np.zeros((0, SD)), neighbors=None, **keep_small)
    big_ids = SIDS.copy()
    big_ids[0, 0] = np.iinfo(np.int64).max
    write(p("bad-id-overflow.hdf5"), neighbors=big_ids, **keep_small)

    total = 0
    for name in sorted(os.listdir(out)):
        if name.endswith(".hdf5"):
            size = os.path.getsize(os.path.join(out, name))
            total += size
            print(f"{size:7d}  {name}")
    print(f"{total:7d}  total")


if __name__ == "__main__":
    main()
