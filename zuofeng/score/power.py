"""Power in plain words: the smallest change of an index a comparison could have detected.

A two-sided test at level 1 − CONF (5%) detects a true change δ with probability ``POWER`` (80%) when
``δ ≥ (z₁₋α/₂ + z_power) · se`` (the minimum detectable effect of Bloom 1995, "Minimum detectable
effects: a simple way to report the statistical power of experimental designs", *Evaluation Review*
19(5); Cohen 1988, *Statistical Power Analysis*, ch. 2, in the normal approximation). The standard
error is read from the published 95% interval, ``se = half-width / z₁₋α/₂``:

- from a change's own interval: ``MDC = (z₀.₉₇₅ + z₀.₈) / z₀.₉₇₅ × half-width`` (≈ 1.43 × half-width);
- from one round's index interval, for a comparison with a next round of the same size and spread
  (independent samples, so the change's se is √2 times the index's):
  ``MDC = √2 (z₀.₉₇₅ + z₀.₈) / z₀.₉₇₅ × half-width`` (≈ 2.02 × half-width).

A change smaller than the MDC may well be real and still show as 无明显变化: "no clear change" then
says the group is too small to tell, not that nothing changed.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

CONF = 0.95
POWER = 0.80
Z_TEST = float(sps.norm.ppf(0.5 + CONF / 2))
Z_POWER = float(sps.norm.ppf(POWER))
FACTOR = (Z_TEST + Z_POWER) / Z_TEST


def from_change(ci_low, ci_high) -> np.ndarray:
    """The minimum detectable change of a comparison from its own 95% interval.

    >>> round(float(from_change(-10.0, 10.0)), 2)
    14.29
    """
    lo, hi = np.asarray(ci_low, dtype="float64"), np.asarray(ci_high, dtype="float64")
    return FACTOR * (hi - lo) / 2


def from_index(ci_low, ci_high) -> np.ndarray:
    """The minimum detectable change against a next round of the same size, from one round's 95% index
    interval.

    >>> round(float(from_index(70.0, 80.0)), 2)
    10.11
    """
    return np.sqrt(2.0) * from_change(ci_low, ci_high)
