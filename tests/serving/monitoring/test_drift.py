from __future__ import annotations

import numpy as np
import pytest

from serving.monitoring.drift import (
    categorical_psi,
    chi_square_test,
    domain_classifier_auc,
    ks_test,
    mmd_permutation_test,
    population_stability_index,
)


def test_psi_and_ks_separate_same_from_shifted() -> None:
    rng = np.random.default_rng(0)
    ref, same, shifted = rng.normal(0, 1, 3000), rng.normal(0, 1, 1000), rng.normal(0.8, 1, 1000)
    assert population_stability_index(ref, same) < 0.05
    assert population_stability_index(ref, shifted) > 0.2
    assert ks_test(ref, same)[1] > 0.01 > ks_test(ref, shifted)[1]


def test_categorical_tests() -> None:
    ref = {"north": 400, "south": 300, "east": 300}
    assert chi_square_test(ref, {"north": 40, "south": 30, "east": 30})[1] > 0.5
    _, p, v = chi_square_test(ref, {"north": 10, "south": 20, "east": 70})
    assert p < 1e-6 and v > 0.2
    assert categorical_psi(ref, {"north": 10, "south": 20, "east": 70}) > 0.2
    assert chi_square_test({"a": 5}, {"a": 7}) == (0.0, 1.0, 0.0)


def test_mmd_permutation_test() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, (150, 8))
    _, p_same = mmd_permutation_test(x, rng.normal(0, 1, (150, 8)), n_permutations=100)
    mmd2, p_shift = mmd_permutation_test(x, rng.normal(0.5, 1, (150, 8)), n_permutations=100)
    assert p_same > 0.05 and p_shift < 0.02 and mmd2 > 0


@pytest.mark.slow  # cross-validated sklearn fits
def test_domain_classifier() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(0, 1, (200, 4))
    assert domain_classifier_auc(x, rng.normal(0, 1, (200, 4))) < 0.62
    assert domain_classifier_auc(x, rng.normal(1, 1, (200, 4))) > 0.8
