"""The InceptionResnetV1 embedder loads a LOCAL state dict (here: one we save from a random model)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, WeightsUnavailable

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def state_dict_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from facenet_pytorch import InceptionResnetV1

    torch.manual_seed(0)
    # like the published files: the embedding network plus an (unused) classifier head
    model = InceptionResnetV1(pretrained=None, classify=True, num_classes=7)
    path = tmp_path_factory.mktemp("facenet") / "random-vggface2-like.pt"
    torch.save(model.state_dict(), path)
    return path


def test_loads_local_state_dict_and_embeds(state_dict_file: Path, shared_data: Path, tmp_path: Path) -> None:
    from vision.face.analyzer import FaceAnalyzer
    from vision.face.gallery import Gallery

    analyzer = FaceAnalyzer(weights=state_dict_file, device="cpu", embed=True).load()
    assert analyzer.embedder is not None and analyzer.embedder.dim == 512
    assert analyzer.embedder.name.startswith("facenet-inception-resnet-v1-")
    photo = shared_data / "faces" / "knn" / "test" / "kit_with_rose.jpg"
    result = analyzer.predict([photo])[0]
    assert len(result.faces) == 2 and result.embedder == analyzer.embedder.name
    vectors = np.array([face.embedding for face in result.faces])
    assert vectors.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)  # L2-normalised output
    # a gallery remembers its embedder: the dlib one cannot open a facenet gallery
    Gallery(tmp_path / "g.db", analyzer=analyzer).load().close()
    with pytest.raises(ConfigError):
        Gallery(tmp_path / "g.db", analyzer=FaceAnalyzer(device="cpu")).load()


def test_bad_weight_files_are_refused(tmp_path: Path) -> None:
    import torch

    from vision.face.embed import FacenetEmbedder

    with pytest.raises(WeightsUnavailable):
        FacenetEmbedder(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(WeightsUnavailable):
        FacenetEmbedder(tmp_path / "junk.pt")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(WeightsUnavailable):
        FacenetEmbedder(tmp_path / "other.pt")
