"""A small plate-specific CRNN (conv backbone + conv or BiLSTM sequence head + CTC) and the recogniser built on it.

Trained from scratch on generated plate crops (``reader_crops``, ``train_reader``); its per-frame
CTC probabilities feed the same template decoding as easyocr's (``read.TemplateDecoder``), so
format rules and confusion repair apply only where a plate format explains the frames.

>>> import torch
>>> model = PlateCRNN()
>>> model(torch.zeros(2, 1, INPUT_HEIGHT, INPUT_WIDTH)).shape  # batch, frames, classes
torch.Size([2, 32, 37])
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.device import Placement
from core.errors import InvalidInput, WeightsUnavailable
from vision.plate.formats import ALPHABET, PlateFormat, formats_for
from vision.plate.read import Reading, TemplateDecoder, format_priors
from vision.plate.weights_status import CRNN_WEIGHTS

log = logging.getLogger(__name__)

INPUT_HEIGHT, INPUT_WIDTH = 32, 128
CHARSET: tuple[str, ...] = ("[blank]", *ALPHABET)
# The default reader: two CRNNs whose per-frame log-probabilities are averaged (``CrnnPlateRecognizer``);
# ``WEIGHTS`` (the first) is where ``train_reader`` writes by default.
DEFAULT_WEIGHTS: tuple[Path, ...] = CRNN_WEIGHTS
WEIGHTS = DEFAULT_WEIGHTS[0]
TRAIN_READER_HINT = "rebuild them with `ais plate train-reader` (about 20 minutes on one CPU thread)"


@dataclass(frozen=True)
class CrnnConfig:
    """Shape of the network (stored in the checkpoint so a file says what it holds)."""

    channels: tuple[int, ...] = (24, 48, 64, 64, 96, 96)
    hidden: int = 0  # BiLSTM units per direction; 0: a conv-only sequence head (see PlateCRNN)
    height: int = INPUT_HEIGHT
    width: int = INPUT_WIDTH


def _block(cin: int, cout: int, pool: tuple[int, int] | None) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool is not None:
        layers.append(nn.MaxPool2d(pool, pool))
    return layers


class PlateCRNN(nn.Module):
    """Grey 32x128 crop -> 32 frames x 37 classes (blank + 0-9 + A-Z) of CTC logits."""

    def __init__(self, config: CrnnConfig | None = None) -> None:
        super().__init__()
        config = config or CrnnConfig()
        self.config = config
        c = config.channels
        # Height 32 -> 1 in five steps; width 128 -> 32 frames (4 px per frame: 7-10 plate glyphs
        # cover 20-30 frames, enough room for CTC blanks between repeated characters).
        self.backbone = nn.Sequential(
            *_block(1, c[0], (2, 2)), *_block(c[0], c[1], (2, 2)),
            *_block(c[1], c[2], None), *_block(c[2], c[3], (2, 1)),
            *_block(c[3], c[4], (2, 1)), *_block(c[4], c[5], None),
            nn.Conv2d(c[5], c[5], (2, 1), bias=False), nn.BatchNorm2d(c[5]), nn.ReLU(inplace=True),
        )
        # A BiLSTM sees the whole plate but, trained from scratch, sat on CTC's all-blank plateau for
        # the whole CPU budget; a conv head (each frame sees ~50 of 128 px, 3-4 glyphs) learns in
        # a few hundred steps, like LPRNet.
        self.rnn = nn.LSTM(c[5], config.hidden, bidirectional=True, batch_first=True) if config.hidden else None
        self.sequence = None if config.hidden else nn.Sequential(
            nn.Conv1d(c[5], c[5], 3, padding=1, bias=False), nn.BatchNorm1d(c[5]), nn.ReLU(inplace=True))
        self.head = nn.Linear(2 * config.hidden if config.hidden else c[5], len(CHARSET))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.backbone(x).squeeze(2)  # N x C x T
        if self.rnn is not None:
            out, _ = self.rnn(features.transpose(1, 2))
        else:
            out = self.sequence(features).transpose(1, 2)  # type: ignore[misc]
        return self.head(out)  # N x T x classes


def to_input(crops: Sequence[np.ndarray], height: int = INPUT_HEIGHT, width: int = INPUT_WIDTH) -> np.ndarray:
    """Grey, stretched to ``height x width``, each crop standardised (night and glare look alike then)."""
    import cv2

    batch = np.empty((len(crops), 1, height, width), np.float32)
    for i, crop in enumerate(crops):
        if not isinstance(crop, np.ndarray) or crop.ndim not in (2, 3) or min(crop.shape[:2]) < 2:
            raise InvalidInput(f"crop {i}: expected an HxW or HxWx3 uint8 array of at least 2x2 pixels")
        grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY) if crop.ndim == 3 else crop
        shrink = grey.shape[0] > height
        img = cv2.resize(grey, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
        img = img.astype(np.float32)
        batch[i, 0] = (img - img.mean()) / (img.std() + 8.0)
    return batch


def save_checkpoint(model: PlateCRNN, path: Path, card: dict[str, object] | None = None) -> None:
    """fp16 state dict + config (half the size; the model runs in fp32 after loading)."""
    state = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": asdict(model.config), "charset": list(CHARSET), "state_dict": state,
                "card": card or {}}, path)


def load_checkpoint(path: Path, device: str = "cpu") -> PlateCRNN:
    """A ``PlateCRNN`` in eval mode from a file written by ``save_checkpoint``."""
    if not path.is_file():
        raise WeightsUnavailable(f"the plate reader weights {path} are missing; {TRAIN_READER_HINT}")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if list(blob.get("charset", [])) != list(CHARSET):
        raise WeightsUnavailable(f"{path} was trained for another alphabet; {TRAIN_READER_HINT}")
    config = dict(blob["config"])
    config["channels"] = tuple(config["channels"])
    model = PlateCRNN(CrnnConfig(**config))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
    return model.to(device).eval()


class CrnnEnsemble(nn.Module):
    """Several ``PlateCRNN`` of one input size read a crop together: the mean of their per-frame log-probabilities.

    The members are conv-only networks on the same 4-px frame grid, so frame t means the same place in
    every member and averaging frame by frame is sound (a normalised geometric mean of probabilities).
    Two members that err on different crops agree where they are right; one member is just itself.
    """

    def __init__(self, members: Sequence[PlateCRNN]) -> None:
        super().__init__()
        if not members:
            raise InvalidInput("an ensemble needs at least one CRNN")
        sizes = {(m.config.height, m.config.width) for m in members}
        if len(sizes) > 1:
            raise WeightsUnavailable(f"the CRNNs of an ensemble must share one input size, got {sorted(sizes)}")
        self.members = nn.ModuleList(members)
        self.config = members[0].config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """N x T x classes of log-probabilities (``softmax`` of them gives the ensemble's probabilities)."""
        logs = [torch.log_softmax(member(x).float(), dim=2) for member in self.members]
        return logs[0] if len(logs) == 1 else torch.stack(logs).mean(0)


class CrnnPlateRecognizer:
    """Reads plate crops with the shipped CRNNs (``DEFAULT_WEIGHTS``, averaged by ``CrnnEnsemble``) and the
    template decoding of ``read``.

    ``weights`` is one checkpoint or several (an ensemble); ``country`` limits the formats tried, or
    ``formats`` gives them (a client's learned templates);
    ``max_cost`` is how many nats a template may lose against free decoding before the free text is
    returned with no format.
    """

    def __init__(self, weights: Path | str | Sequence[Path | str] | None = None, placement: Placement | None = None,
                 country: str | None = "auto", max_cost: float = 8.0, batch_size: int = 64,
                 formats: Sequence[PlateFormat] | None = None) -> None:
        if weights is None:
            self.weights: tuple[Path, ...] = DEFAULT_WEIGHTS
        elif isinstance(weights, (str, Path)):
            self.weights = (Path(weights),)
        else:
            self.weights = tuple(Path(w) for w in weights)
        if not self.weights:
            raise InvalidInput("CrnnPlateRecognizer needs at least one weights file")
        self.placement = placement or Placement("cpu", "fp32")
        # ``formats`` (e.g. learned from a client's labels, ``learned_formats``) replace the country's templates.
        self.formats = list(formats) if formats is not None else formats_for(country)
        self.decoder = TemplateDecoder(CHARSET, self.formats, max_cost)
        self.batch_size = batch_size
        self._model: CrnnEnsemble | None = None

    def load(self) -> CrnnPlateRecognizer:
        if self._model is None:
            members = [load_checkpoint(path, self.placement.device) for path in self.weights]
            self._model = CrnnEnsemble(members).to(self.placement.device).eval()
        return self

    def probabilities(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Per-frame class probabilities, N x T x 37 (index 0 is the CTC blank)."""
        self.load()
        assert self._model is not None
        out = []
        with torch.inference_mode():
            for start in range(0, len(crops), self.batch_size):
                batch = torch.from_numpy(to_input(crops[start:start + self.batch_size])).to(self.placement.device)
                out.append(torch.softmax(self._model(batch), dim=2).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self._model.config.width // 4, len(CHARSET)), np.float32)

    def read(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        if not crops:
            return []
        crops = [np.ascontiguousarray(c) for c in crops]
        return [self.decoder.decode(p, format_priors(c)) for p, c in zip(self.probabilities(crops), crops)]
