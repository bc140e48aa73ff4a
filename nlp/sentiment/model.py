"""The sentiment network (MiniLM encoder + linear head) and its small weights folder: top layers + head only.

A weights folder holds ``adapter.safetensors`` (fp16 copies of the fine-tuned top encoder layers
and the head) and ``config.json`` (version, how it was trained, its measured metrics). At load the
parameters are applied on top of the bundled all-MiniLM-L6-v2, so a model ships in a few MB.
"""
from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import WeightsUnavailable

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

ADAPTER_FILE = "adapter.safetensors"
CONFIG_FILE = "config.json"
N_ENCODER_LAYERS = 6


@dataclass
class SentimentModelConfig:
    """What a weights folder says about itself."""

    version: str
    base_model: str = "all-MiniLM-L6-v2"
    train_layers: int = 2
    labels: tuple[str, ...] = ("negative", "positive")
    max_length: int = 64
    train_embeddings: bool = False
    encoder_weight: float | None = None  # set when a lexical head is mixed in: w * encoder + (1 - w) * lexical
    trained_on: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    created: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_file(cls, path: Path) -> SentimentModelConfig:
        data = json.loads(path.read_text())
        data["labels"] = tuple(data.get("labels", ("negative", "positive")))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def build_network(backbone: Any, n_labels: int = 2, dropout: float = 0.1) -> torch.nn.Module:
    """Wrap a loaded ``BertModel`` with mean pooling and a linear head."""
    import torch

    from nlp.encoder import EMBEDDING_DIM, mean_pool

    class SentimentNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = backbone
            self.dropout = torch.nn.Dropout(dropout)
            self.head = torch.nn.Linear(EMBEDDING_DIM, n_labels)

        def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return mean_pool(hidden, attention_mask)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.head(self.dropout(self.pooled(input_ids, attention_mask)))

    return SentimentNet()


def trainable_prefixes(train_layers: int, embeddings: bool = False) -> tuple[str, ...]:
    """Parameter-name prefixes that are fine-tuned (and saved): the top ``train_layers`` layers + head
    (+ the token/position embeddings with ``embeddings``, for a language the encoder barely knows)."""
    if not 0 <= train_layers <= N_ENCODER_LAYERS:
        raise ValueError(f"train_layers must be within 0..{N_ENCODER_LAYERS}, got {train_layers}")
    layers = range(N_ENCODER_LAYERS - train_layers, N_ENCODER_LAYERS)
    return ("head.", *(f"backbone.encoder.layer.{i}." for i in layers), *(("backbone.embeddings.",) if embeddings else ()))


def adapter_state(net: torch.nn.Module, train_layers: int, embeddings: bool = False) -> dict[str, torch.Tensor]:
    """The parameters a weights folder stores, as fp16 CPU tensors."""
    prefixes = trainable_prefixes(train_layers, embeddings)
    return {name: tensor.detach().to("cpu").half().contiguous()
            for name, tensor in net.state_dict().items() if name.startswith(prefixes)}


def save_weights(folder: Path, net: torch.nn.Module, config: SentimentModelConfig) -> Path:
    """Write ``adapter.safetensors`` + ``config.json`` into ``folder`` (created)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(adapter_state(net, config.train_layers, config.train_embeddings), str(folder / ADAPTER_FILE))
    (folder / CONFIG_FILE).write_text(config.to_json())
    log.info("saved sentiment model %s to %s", config.version, folder)
    return folder


def read_config(folder: Path) -> SentimentModelConfig:
    if not (folder / ADAPTER_FILE).is_file() or not (folder / CONFIG_FILE).is_file():
        raise WeightsUnavailable(
            f"{folder} is not a sentiment weights folder (needs {ADAPTER_FILE} and {CONFIG_FILE}); build the "
            "default one with `ais sentiment train` or adapt one with `ais sentiment fine-tune`", path=str(folder))
    return SentimentModelConfig.from_file(folder / CONFIG_FILE)


def apply_weights(net: torch.nn.Module, folder: Path, with_head: bool = True) -> SentimentModelConfig:
    """Load a weights folder onto a freshly built network; every stored tensor must match a parameter.

    ``with_head=False`` loads the encoder layers only (starting a model with another label set).
    """
    from safetensors.torch import load_file

    config = read_config(folder)
    state = load_file(str(folder / ADAPTER_FILE))
    if not with_head:
        state = {k: v for k, v in state.items() if not k.startswith("head.")}
    own = net.state_dict()
    unknown = [k for k in state if k not in own]
    if unknown:
        raise WeightsUnavailable(f"{folder}: weights do not fit the network (unknown keys {unknown[:3]})")
    wrong = [k for k, v in state.items() if tuple(v.shape) != tuple(own[k].shape)]
    if wrong:
        raise WeightsUnavailable(f"{folder}: weights do not fit the network ({wrong[0]} has shape "
                                 f"{tuple(state[wrong[0]].shape)}, the network {tuple(own[wrong[0]].shape)}; "
                                 f"the model's labels are {list(config.labels)})")
    net.load_state_dict({k: v.to(dtype=own[k].dtype) for k, v in state.items()}, strict=False)
    return config
