"""End to end on real photos (../shared/data/faces): enroll, identify, verify, strangers, tenants, deletion."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InvalidInput, NotFound
from vision.face.datasets import KNN_TEST_PERSONS, identity_folders

pytestmark = pytest.mark.slow

TENANT = "acme"


@pytest.fixture(scope="module")
def gallery(analyzer, shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    from vision.face.gallery import Gallery

    g = Gallery(tmp_path_factory.mktemp("faces") / "gallery.db", analyzer=analyzer)
    for person, paths in identity_folders(shared_data / "faces" / "knn" / "train").items():
        g.enroll(TENANT, paths, person.replace("_", " ").title(), person_id=person)
    yield g
    g.close()


@pytest.mark.parametrize("name", sorted(KNN_TEST_PERSONS))
def test_every_test_photo_person_is_identified(gallery, shared_data: Path, name: str) -> None:
    result = gallery.identify(TENANT, shared_data / "faces" / "knn" / "test" / name)
    decisions = [face.decision for face in result.faces]
    named = {d for d in decisions if d != "unknown"}
    assert named == KNN_TEST_PERSONS[name], f"{name}: {decisions}"  # every enrolled face, nobody else
    assert result.gallery_size == 5


def test_people_not_enrolled_are_unknown(gallery, shared_data: Path) -> None:
    photos = sorted((shared_data / "faces" / "facenet" / "test_images").glob("*/1.jpg"))
    photos.append(shared_data / "faces" / "facenet" / "multiface.jpg")
    faces = 0
    for photo in photos:
        result = gallery.identify(TENANT, photo)
        assert result.faces, f"no face found in {photo}"
        faces += len(result.faces)
        assert all(f.decision == "unknown" for f in result.faces), f"{photo}: {[f.candidates[0] for f in result.faces]}"
    assert faces >= 10


def test_verify_image_against_person_and_image(gallery, shared_data: Path) -> None:
    test = shared_data / "faces" / "knn" / "test"
    assert gallery.verify(TENANT, test / "obama1.jpg", person_id="obama").same_person
    assert not gallery.verify(TENANT, test / "obama1.jpg", person_id="biden").same_person
    train = shared_data / "faces" / "knn" / "train"
    same = gallery.verify(TENANT, test / "johnsnow_test1.jpg", other_image=train / "kit_harington" / "john2.jpeg")
    assert same.same_person and same.distance < same.threshold and same.reference_box is not None
    with pytest.raises(InvalidInput):
        gallery.verify(TENANT, test / "obama1.jpg")


def test_tenant_b_cannot_reach_tenant_a(gallery, shared_data: Path) -> None:
    test = shared_data / "faces" / "knn" / "test"
    other = "tenant-b"
    assert gallery.list(other) == []
    with pytest.raises(NotFound):
        gallery.get(other, "obama")
    with pytest.raises(NotFound):
        gallery.verify(other, test / "obama1.jpg", person_id="obama")
    with pytest.raises(NotFound):
        gallery.add_images(other, "obama", [test / "obama1.jpg"])
    with pytest.raises(NotFound):
        gallery.delete(other, "obama")
    result = gallery.identify(other, test / "obama1.jpg")
    assert result.gallery_size == 0 and [f.decision for f in result.faces] == ["unknown"]
    assert all(not f.candidates for f in result.faces)
    assert gallery.get(TENANT, "obama").n_embeddings == 2  # untouched


def test_enrollment_keeps_the_photos_that_pass_and_reports_the_others(gallery, shared_data: Path) -> None:
    single = shared_data / "faces" / "knn" / "train" / "kit_harington" / "john2.jpeg"
    group = shared_data / "faces" / "knn" / "test" / "kit_with_rose.jpg"
    result = gallery.enroll("gate", [single, group], "Kit")
    assert result.added == 1 and [(r.index, r.reason) for r in result.refused] == [(1, "multiple_faces")]
    assert "crop" in result.refused[0].hint and any("image 1 not enrolled" in w for w in result.warnings)
    assert result.person.n_embeddings == 1 and result.person.few_references  # one photo: flagged
    assert gallery.get("gate", result.person.person_id).few_references
    with pytest.raises(InvalidInput) as err:  # nothing passes: nothing is stored
        gallery.enroll("gate2", [group], "Kit")
    assert err.value.detail["reason"] == "multiple_faces" and err.value.detail["index"] == 0
    assert gallery.list("gate2") == []


def test_a_64px_face_photo_enrolls_and_identifies(gallery, analyzer, shared_data: Path, tmp_path: Path) -> None:
    from PIL import Image

    from vision.face.degrade import degrade, face_crop

    train = shared_data / "faces" / "knn" / "train" / "obama" / "obama.jpg"
    analyzed = analyzer.analyze([train], embed=False)[0]
    crop, size = face_crop(analyzed.image, analyzed.faces[0].box)
    small = tmp_path / "obama_64.jpg"
    degrade(crop, size, "size64").save(small, quality=90)
    assert 56 <= analyzer.analyze([small], embed=False)[0].faces[0].size <= 72
    result = gallery.enroll("small", [small], "Obama", person_id="obama")
    assert result.added == 1 and not result.refused
    probe = shared_data / "faces" / "knn" / "test" / "obama1.jpg"
    assert gallery.identify("small", probe).faces[0].decision == "obama"
    assert Image.open(small).size[0] < 300


def test_delete_erases_embeddings_from_the_file(gallery, analyzer, shared_data: Path) -> None:
    from vision.face.gallery import Gallery

    # a photo enrolled nowhere else: the same photo elsewhere would leave identical embedding bytes
    photo = shared_data / "faces" / "knn" / "test" / "johnsnow_test1.jpg"
    person = gallery.enroll("erase", [photo], "Kit").person
    # a second process-like instance on the same file: its index must follow the other's writes
    replica = Gallery(gallery.path, analyzer=analyzer)
    assert replica.identify("erase", photo).faces[0].decision == person.person_id
    vector = gallery.store.person_vectors("erase", person.person_id)[0].tobytes()
    files = [gallery.path, Path(f"{gallery.path}-wal")]

    def on_disk() -> bytes:
        return b"".join(f.read_bytes() for f in files if f.exists())

    assert vector in on_disk()
    gallery.delete("erase", person.person_id)
    assert vector not in on_disk()
    with pytest.raises(NotFound):
        gallery.get("erase", person.person_id)
    assert gallery.identify("erase", photo).faces[0].decision == "unknown"
    assert replica.identify("erase", photo).faces[0].decision == "unknown"
    replica.close()
