"""Every registered task over HTTP, with real weights: the same contract as in-process, plus task routes.

One server (`ais serve --config`, two tenants) for the whole module: each task answers its own
sample inputs, rejects its bad input with a 4xx, and the task-specific routes work (documents,
face galleries scoped per tenant, planogram checks, CSV scoring).
"""
from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import yaml
from PIL import Image

from core.registry import all_specs, get_spec
from serving.config import hash_key
from tests.serving.server import running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

KEY_A, KEY_B = "tenant-a-key", "tenant-b-key"
SERVED = [spec.name for spec in all_specs() if spec.weights_status().available]


def _png(item: Any) -> bytes:
    if isinstance(item, (bytes, bytearray)):
        return bytes(item)
    if isinstance(item, (str, Path)):
        return Path(item).read_bytes()
    image = Image.fromarray(item) if isinstance(item, np.ndarray) else item
    buf = io.BytesIO()
    image.convert("RGB").save(buf, "PNG")
    return buf.getvalue()


def _post_batch(url: str, task: str, items: list[Any], key: str = KEY_A) -> httpx.Response:
    kind = get_spec(task).input_kind
    headers = {"Authorization": f"Bearer {key}"}
    if kind == "image":
        files = [("images", (f"{i}.png", _png(x), "image/png")) for i, x in enumerate(items)]
        return httpx.post(f"{url}/{task}/batch", files=files, headers=headers, timeout=300)
    body = {"texts": items} if kind == "text" else {"records": items}
    return httpx.post(f"{url}/{task}/batch", content=json.dumps(body, default=str),
                      headers={**headers, "Content-Type": "application/json"}, timeout=300)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> str:
    if not SERVED:
        pytest.skip("no task has its weights available")
    root = tmp_path_factory.mktemp("tasks_http")
    config = {"client": "all-tasks", "tasks": {name: {} for name in SERVED},
              "keys": [{"tenant": "a", "sha256": hash_key(KEY_A)}, {"tenant": "b", "sha256": hash_key(KEY_B)}],
              "state_dir": str(root / "state")}
    path = root / "client.yaml"
    path.write_text(yaml.safe_dump(config))
    with running_server(["--config", str(path)], {"AIS_HOME": str(root / "home")}, root / "server.log",
                        ready_timeout=600) as url:
        yield url


@pytest.mark.parametrize("task", SERVED)
def test_task_answers_its_samples_and_rejects_its_bad_input(server: str, task: str) -> None:
    spec = get_spec(task)
    r = _post_batch(server, task, spec.sample_inputs(2))
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 2 and all("error" not in x for x in r.json()["results"])
    bad = _post_batch(server, task, [spec.make_bad_input()])
    assert 400 <= bad.status_code < 500, bad.text
    assert bad.json()["request_id"]


def _need(task: str) -> None:
    if task not in SERVED:
        pytest.skip(f"{task} is not served here")


def test_face_gallery_is_private_per_tenant(server: str, shared_data: Path) -> None:
    _need("face")
    a = {"Authorization": f"Bearer {KEY_A}"}
    b = {"Authorization": f"Bearer {KEY_B}"}
    photo = (shared_data / "faces/knn/train/obama/obama.jpg").read_bytes()
    probe = (shared_data / "faces/knn/test/obama1.jpg").read_bytes()
    r = httpx.post(f"{server}/face/persons", files={"image": ("o.jpg", photo, "image/jpeg")},
                   data={"name": "Barack Obama"}, headers=a, timeout=300)
    assert r.status_code == 200, r.text
    person = r.json()["result"]["person"]["person_id"]
    hit = httpx.post(f"{server}/face/identify", files={"image": ("p.jpg", probe, "image/jpeg")}, headers=a,
                     timeout=300)
    assert hit.status_code == 200 and hit.json()["result"]["faces"][0]["decision"] == person
    # tenant b sees nothing of tenant a: 404, never 403
    assert httpx.get(f"{server}/face/persons", headers=b).json()["result"]["persons"] == []
    assert httpx.get(f"{server}/face/persons/{person}", headers=b).status_code == 404
    assert httpx.delete(f"{server}/face/persons/{person}", headers=b).status_code == 404
    verify = httpx.post(f"{server}/face/verify", files={"image": ("p.jpg", probe, "image/jpeg")},
                        data={"person_id": person}, headers=b, timeout=300)
    assert verify.status_code == 404
    other = httpx.post(f"{server}/face/identify", files={"image": ("p.jpg", probe, "image/jpeg")}, headers=b,
                       timeout=300)
    assert other.json()["result"]["faces"][0]["decision"] == "unknown"
    assert httpx.delete(f"{server}/face/persons/{person}", headers=a).status_code == 200
    assert httpx.get(f"{server}/face/persons/{person}", headers=a).status_code == 404


def test_face_enrollment_quality_gate_says_why(server: str) -> None:
    _need("face")
    blank = _png(Image.new("RGB", (200, 200), (120, 120, 120)))
    r = httpx.post(f"{server}/face/persons", files={"image": ("x.png", blank, "image/png")}, data={"name": "nobody"},
                   headers={"Authorization": f"Bearer {KEY_A}"}, timeout=300)
    assert r.status_code == 400 and "face" in r.json()["detail"]["message"].lower()


def test_planogram_check_inline_and_stored(server: str) -> None:
    _need("planogram")
    from vision.planogram.synth import sample_inputs

    shelf = _png(sample_inputs(1)[0])
    spec = {"fixture_id": "bay-7", "shelves": [[{"sku": "SKU01", "facings": 2}]]}
    a = {"Authorization": f"Bearer {KEY_A}"}
    r = httpx.post(f"{server}/planogram/check", files={"image": ("s.png", shelf, "image/png")},
                   data={"planogram": json.dumps(spec)}, headers=a, timeout=300)
    assert r.status_code == 200, r.text
    assert "compliance_pct" in r.json()["result"]
    assert httpx.post(f"{server}/planogram/planograms", json=spec, headers=a).status_code == 200
    r = httpx.post(f"{server}/planogram/check?annotate=true", files={"image": ("s.png", shelf, "image/png")},
                   data={"fixture_id": "bay-7"}, headers=a, timeout=300)
    assert r.status_code == 200 and r.json()["result"]["annotated_png"]
    missing = httpx.post(f"{server}/planogram/check", files={"image": ("s.png", shelf, "image/png")},
                         data={"fixture_id": "bay-7"}, headers={"Authorization": f"Bearer {KEY_B}"}, timeout=300)
    assert missing.status_code == 404  # tenant b has no such planogram
    bad = httpx.post(f"{server}/planogram/check", files={"image": ("s.png", shelf, "image/png")},
                     data={"planogram": "{\"shelves\": 3}"}, headers=a, timeout=300)
    assert bad.status_code == 400


def test_propensity_scores_a_csv_upload(server: str) -> None:
    _need("propensity")
    records = get_spec("propensity").sample_inputs(3)
    columns = list(records[0])
    lines = [",".join(columns)] + [",".join("" if r[c] is None else str(r[c]) for c in columns) for r in records]
    r = httpx.post(f"{server}/propensity/batch", content="\n".join(lines).encode(),
                   headers={"Authorization": f"Bearer {KEY_A}", "Content-Type": "text/csv"}, timeout=120)
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 3 and all(0 <= x["score"] <= 1 for x in r.json()["results"])
    broken = dict(records[0])
    broken.pop("age")
    r = httpx.post(f"{server}/propensity", json={"record": broken}, headers={"Authorization": f"Bearer {KEY_A}"})
    assert r.status_code == 400 and "age" in r.json()["detail"]["message"]


def test_topics_fit_job_then_assign_with_it(server: str) -> None:
    _need("topics")
    a = {"Authorization": f"Bearer {KEY_A}"}
    sport = [f"the team won the {w} match after a late goal in the final minutes" for w in
             ("league", "cup", "derby", "semifinal", "opening", "away", "home", "title", "friendly", "decisive")]
    money = [f"shares of the {w} company fell as profits and quarterly revenue missed forecasts" for w in
             ("oil", "bank", "retail", "airline", "steel", "chip", "insurance", "telecom", "auto", "mining")]
    r = httpx.post(f"{server}/topics/fit", json={"texts": sport + money, "n_topics": 2}, headers=a, timeout=60)
    assert r.status_code == 200, r.text
    job = r.json()["result"]["job_id"]
    assert httpx.get(f"{server}/topics/fit/{job}", headers={"Authorization": f"Bearer {KEY_B}"}).status_code == 404
    deadline = time.monotonic() + 300
    while (status := httpx.get(f"{server}/topics/fit/{job}", headers=a).json()["result"])["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(1)
    assert status["status"] == "done", status
    assert len(status["topics"]) == 2
    r = httpx.post(f"{server}/topics/assign?model={job}", json={"texts": ["a late goal won the cup final",
                                                                         "bank profits fell this quarter"]},
                   headers=a, timeout=60)
    assert r.status_code == 200, r.text
    first, second = r.json()["result"]["results"]
    assert first["topic"] != second["topic"]
    default = httpx.post(f"{server}/topics/assign", json={"texts": ["stocks rallied on wall street"]}, headers=a)
    assert default.status_code == 200 and len(default.json()["result"]["results"]) == 1
    bad = httpx.post(f"{server}/topics/fit", json={"texts": ["only", "three", "docs"], "n_topicz": 2}, headers=a)
    assert bad.status_code == 422


def test_broken_multipart_csv_is_422_not_500(server: str) -> None:
    """Regression: a multipart CSV upload that did not parse escaped the request pipeline as a 500."""
    _need("propensity")
    r = httpx.post(f"{server}/propensity/batch", content=b"--x\r\nnot a form",
                   headers={"Authorization": f"Bearer {KEY_A}", "Content-Type": "multipart/form-data; boundary=x"})
    assert r.status_code == 422, r.text


def test_ocr_answers_a_png_and_a_one_page_pdf_with_the_same_schema(server: str) -> None:
    """Regression: a plain image came back as a hand-built dict without the document's ``text``."""
    _need("ocr")
    from PIL import ImageDraw

    page = Image.new("RGB", (480, 160), "white")
    ImageDraw.Draw(page).text((20, 60), "INVOICE 2041 TOTAL 17.50", fill="black")
    png, pdf = io.BytesIO(), io.BytesIO()
    page.save(png, "PNG")
    page.save(pdf, "PDF", resolution=72.0)
    headers = {"Authorization": f"Bearer {KEY_A}"}
    answers = [httpx.post(f"{server}/ocr", files={"image": (name, data.getvalue(), kind)}, headers=headers, timeout=300)
               for name, data, kind in (("p.png", png, "image/png"), ("p.pdf", pdf, "application/pdf"))]
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    results = [a.json()["result"] for a in answers]
    assert set(results[0]) == set(results[1]) >= {"n_pages", "pages", "text"}
    assert [r["n_pages"] for r in results] == [1, 1] and set(results[0]["pages"][0]) == set(results[1]["pages"][0])
    assert "2041" in results[0]["text"] and "2041" in results[1]["text"]


def test_the_python_client_calls_predict_and_typed_operations(server: str, shared_data: Path) -> None:
    _need("sentiment")
    _need("face")
    from serving.client import AisClient, ApiError
    from vision.face.schemas import EnrollResult, Person

    with AisClient(server, KEY_B) as client:
        good, = client.predict("sentiment", ["a gripping, beautifully shot film"])
        assert good.label == "positive"
        photo = next((shared_data / "faces" / "knn" / "train").glob("*/*.jpg"))
        enrolled = client.call("face", "enroll", name="Client Test", images=[photo])
        assert isinstance(enrolled, EnrollResult) and enrolled.added == 1
        person = client.call("face", "get_person", person_id=enrolled.person.person_id)
        assert isinstance(person, Person) and person.display_name == "Client Test"
        client.call("face", "delete_person", person_id=person.person_id)
        with pytest.raises(ApiError) as gone:
            client.call("face", "get_person", person_id=person.person_id)
        assert gone.value.status == 404 and gone.value.error == "NotFound"
        with pytest.raises(ValueError, match="top_kk"):
            client.call("face", "identify", image=photo, top_kk=3)  # refused before anything is sent


def test_ocr_extract_reads_key_fields_of_a_real_receipt_and_refuses_bad_input(server: str, shared_data: Path) -> None:
    _need("ocr")
    import json as json_lib
    import shutil

    if shutil.which("tesseract") is None:
        pytest.skip("tesseract-ocr is not installed (scripts/install.sh installs it)")
    root = shared_data / "ocr" / "receipts_sroie"
    receipt = max((root / "img").glob("*.jpg"))  # from the reported part of the fixed split
    key = json_lib.loads((root / "key" / f"{receipt.stem}.json").read_text())
    headers = {"Authorization": f"Bearer {KEY_A}"}
    r = httpx.post(f"{server}/ocr/extract", files={"image": (receipt.name, receipt.read_bytes(), "image/jpeg")},
                   headers=headers, timeout=300)
    assert r.status_code == 200, r.text
    fields = {f["name"]: f for f in r.json()["result"]["fields"]}
    assert set(fields) == {"company", "date", "address", "total"}
    assert fields["total"]["value"] is None or float(fields["total"]["value"]) > 0
    assert any(fields[name]["value"] for name in fields), (fields, key)
    bad = httpx.post(f"{server}/ocr/extract", files={"image": ("x.png", b"not an image", "image/png")},
                     headers=headers, timeout=60)
    assert 400 <= bad.status_code < 500, bad.text
    bad_set = httpx.post(f"{server}/ocr/extract", files={"image": (receipt.name, receipt.read_bytes(), "image/jpeg")},
                         data={"field_set": "fields: [{name: x, kind: date, patterns: ['(']}]"}, headers=headers,
                         timeout=300)
    assert bad_set.status_code == 400 and "pattern" in bad_set.json()["detail"]["message"], bad_set.text
