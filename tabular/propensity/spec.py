"""Registry entry of the propensity task (light: imports only core)."""

from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="propensity",
    summary="Bancassurance lead generation: who buys a policy next month, suggested premium, segment",
    task="tabular.propensity.model:PropensityModel",
    extra="tabular",
    requires=("sklearn", "lightgbm", "pandas", "duckdb", "optuna", "scipy", "matplotlib", "joblib"),
    weights="tabular.propensity.weights:status",
    samples="tabular.propensity.samples:sample_inputs",
    bad_input="tabular.propensity.samples:bad_input",
    datasets={"synthetic": "tabular.propensity.samples:evaluation_dataset"},
    input_kind="record",
    result="tabular.propensity.schemas:Lead",
    options="tabular.propensity.options:PropensityOptions",
)
