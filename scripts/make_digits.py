"""Regenerate engine/datafiles/digits.npz from the copy of the UCI digits bundled with scikit-learn.

Dev-only: scikit-learn is needed to run this script, never to run or test Backprop Lab.
The data set ships inside the scikit-learn package (sklearn/datasets/data/digits.csv.gz),
so nothing is downloaded.

    .venv/bin/pip install scikit-learn
    .venv/bin/python scripts/make_digits.py

Writes ``pixels`` (1797, 64) uint8 in 0..16 and ``labels`` (1797,) uint8 in 0..9 with
np.savez_compressed, then prints the file's sha256 for engine/datafiles/README.md.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "engine" / "datafiles" / "digits.npz"


def main() -> int:
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        print("scikit-learn is needed: .venv/bin/pip install scikit-learn", file=sys.stderr)
        return 1

    bunch = load_digits()
    X = np.asarray(bunch.data)
    y = np.asarray(bunch.target)
    assert X.shape == (1797, 64) and y.shape == (1797,), (X.shape, y.shape)
    # Values are whole counts of set pixels in 4x4 blocks, so uint8 loses nothing.
    assert np.array_equal(X, np.round(X)) and X.min() >= 0 and X.max() <= 16
    assert y.min() == 0 and y.max() == 9

    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, pixels=X.astype(np.uint8), labels=y.astype(np.uint8))
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    print(f"sha256 {digest}")
    print("class counts", np.bincount(y, minlength=10).tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
