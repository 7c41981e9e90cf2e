"""Distinct keys of the long table's rows: decide something once per distinct key, not once per row.

The long table has over a hundred thousand rows but only a few thousand distinct (department, kind,
…) keys; each column is factorised once and the per-key decision is spread back to the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def distinct_rows(*columns) -> tuple[np.ndarray, list[tuple]]:
    """The distinct tuples of values across ``columns`` (equal-length arrays) and, for each row, the
    position of its tuple among them (missing values form a value of their own).

    Examples
    --------
    >>> inverse, keys = distinct_rows(["A", "B", "A"], ["x", "x", "x"])
    >>> inverse.tolist(), keys
    ([0, 1, 0], [('A', 'x'), ('B', 'x')])
    """
    parts = [pd.factorize(_factorisable(c)) for c in columns]   # missing values: code −1
    size = len(parts[0][0]) if parts else 0
    if size == 0:
        return np.zeros(0, dtype=np.int64), []
    combo = np.zeros(size, dtype=np.int64)
    for codes, uniq in parts:
        combo = combo * (len(uniq) + 1) + codes + 1
    first, inverse = np.unique(combo, return_index=True, return_inverse=True)[1:]
    values = [np.append(np.asarray(uniq, dtype=object), None)[codes[first]] for codes, uniq in parts]
    return np.ravel(inverse), list(zip(*values))


def _factorisable(values):
    """pandas columns as they are (categorical and Arrow columns factorise natively), anything else as objects."""
    if isinstance(values, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        return values
    return np.asarray(values, dtype=object)


def category_codes(values, categories) -> np.ndarray:
    """Position of each value in ``categories`` (−1 where absent), hashing each distinct value once."""
    codes, uniq = pd.factorize(_factorisable(values))   # missing values: code −1, the appended −1
    return np.append(pd.Index(list(categories), dtype=object).get_indexer(np.asarray(uniq, dtype=object)), -1)[codes]
