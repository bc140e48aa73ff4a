"""`ais deploy k8s`: the example clients render manifests that pass the Kubernetes schemas and checkov.

Offline, no cluster: ``kubernetes-validate`` ships the OpenAPI-derived JSON schemas of each
Kubernetes release; checkov runs from its own virtual environment (its pins conflict with the
project's: see docs/kubernetes.md), and the test skips with the install command when it is absent.
"""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from core.errors import ConfigError
from core.registry import load_object
from serving.config import parse_config
from serving.k8s import RenderOptions, render
from serving.k8s.cli import app

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "clients"
CLIENTS = {"retail-insights": ["propensity", "sentiment"], "city-security": ["face", "ocr", "plate"]}
OLDEST, KEY = "1.30", "0" * 64


def _render_example(client: str, out: Path, image: str | None = None) -> list[dict[str, Any]]:
    image = image or f"registry.example.com/ais-{client}:1.0.0"
    result = CliRunner().invoke(app, ["k8s", "--config", str(EXAMPLES / f"{client}.yaml"), "--image", image,
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return _documents(out)


def _documents(folder: Path) -> list[dict[str, Any]]:
    resources = yaml.safe_load((folder / "Kustomization").read_text())["resources"]
    # `kubectl apply -f` reads every .yaml in the folder, in name order: the same set, namespace first
    assert sorted(resources) == sorted(p.name for p in folder.glob("*.yaml")) and min(resources) == "00-namespace.yaml"
    return [doc for name in resources for doc in yaml.safe_load_all((folder / name).read_text())]


def _by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("k8s")
    for client in CLIENTS:
        _render_example(client, root / client)
    return {client: root / client for client in CLIENTS}


def test_the_deploy_command_is_registered() -> None:
    entry = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["ais.cli"]["deploy"]
    assert load_object(entry) is app


def test_every_manifest_passes_the_kubernetes_schemas(rendered: dict[str, Path]) -> None:
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    latest = kubernetes_validate.utils.latest_version()
    assert latest >= OLDEST
    count = 0
    for folder in rendered.values():
        for doc in _documents(folder):
            for version in (OLDEST, latest):  # strict: an unknown (misspelt) field fails too
                kubernetes_validate.validate(doc, version, strict=True)
            count += 1
    assert count > 40
    broken = copy.deepcopy(_by_kind(_documents(rendered["city-security"]), "Deployment")["ais-city-security-face"])
    broken["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, OLDEST, strict=True)


def test_one_deployment_and_service_per_task_and_the_gateway(rendered: dict[str, Path]) -> None:
    for client, tasks in CLIENTS.items():
        docs = _documents(rendered[client])
        names = {f"ais-{client}-{part}" for part in ["gateway", *tasks]}
        assert set(_by_kind(docs, "Deployment")) == names
        assert set(_by_kind(docs, "Service")) == names
        assert set(_by_kind(docs, "PodDisruptionBudget")) == names
        gateway = _by_kind(docs, "Deployment")[f"ais-{client}-gateway"]
        args = gateway["spec"]["template"]["spec"]["containers"][0]["args"]
        depends = [args[i + 1] for i, a in enumerate(args) if a == "--depends"]
        # the gateway reaches each task at its Service, under the BentoML service name it depends on
        assert sorted(depends) == sorted(f"ais-{t}=http://ais-{client}-{t}:3000" for t in tasks)
        for task in tasks:
            container = _by_kind(docs, "Deployment")[f"ais-{client}-{task}"]["spec"]["template"]["spec"]["containers"][0]
            assert container["args"][-2:] == ["--service-name", f"ais-{task}"]
            assert container["startupProbe"]["httpGet"]["path"] == "/livez"
            assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 300
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        config_map = next(iter(_by_kind(docs, "ConfigMap").values()))
        served = yaml.safe_load(config_map["data"]["deployment.yaml"])
        assert "keys" not in served and sorted(served["tasks"]) == tasks
        # the file the pods read is the client's file (defaults left out), with the state under the volume
        original = parse_config(yaml.safe_load((EXAMPLES / f"{client}.yaml").read_text()))
        assert parse_config(served) == original.model_copy(update={"keys": [], "state_dir": "/var/lib/ais"})
        secret = _by_kind(docs, "Secret")[f"ais-{client}-keys"]
        assert yaml.safe_load(secret["stringData"]["deployment.yaml"])["keys"][0]["sha256"] == KEY


def test_gpu_tasks_land_on_gpu_nodes_and_cpu_tasks_do_not(rendered: dict[str, Path]) -> None:
    city = _by_kind(_documents(rendered["city-security"]), "Deployment")
    face = city["ais-city-security-face"]["spec"]["template"]["spec"]
    assert face["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert face["nodeSelector"] == {"nvidia.com/gpu.product": "NVIDIA-L4"}
    assert face["tolerations"][0]["key"] == "nvidia.com/gpu"
    assert "nodeSelector" not in city["ais-city-security-gateway"]["spec"]["template"]["spec"]
    retail = _by_kind(_documents(rendered["retail-insights"]), "Deployment")
    for deployment in retail.values():
        assert "nvidia.com/gpu" not in deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]


def test_pods_run_restricted(rendered: dict[str, Path]) -> None:
    for folder in rendered.values():
        for deployment in _by_kind(_documents(folder), "Deployment").values():
            pod = deployment["spec"]["template"]["spec"]
            container = pod["containers"][0]
            security = container["securityContext"]
            assert pod["securityContext"]["runAsNonRoot"] and security["readOnlyRootFilesystem"]
            assert not security["allowPrivilegeEscalation"] and security["capabilities"]["drop"] == ["ALL"]
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
            assert pod["automountServiceAccountToken"] is False
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert {"/tmp", "/var/lib/ais", "/etc/ais"} <= mounts
            assert set(container["resources"]["limits"]) >= {"cpu", "memory"}


def test_only_the_gateway_is_reachable(rendered: dict[str, Path]) -> None:
    policies = _by_kind(_documents(rendered["retail-insights"]), "NetworkPolicy")
    deny = policies["ais-retail-insights-deny"]["spec"]
    assert deny["ingress"] == [] and deny["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "retail-insights"
    tasks = policies["ais-retail-insights-tasks-in"]["spec"]
    assert tasks["ingress"][0]["from"] == [{"podSelector": {"matchLabels": {
        "app.kubernetes.io/name": "ais-gateway", "app.kubernetes.io/instance": "retail-insights"}}}]
    assert "from" not in policies["ais-retail-insights-gateway-in"]["spec"]["ingress"][0]


def test_embedded_state_pins_one_copy_on_a_volume_and_postgresql_lifts_it(tmp_path: Path) -> None:
    base = {"client": "Acme Bank", "keys": [{"tenant": "a", "sha256": KEY}],
            "tasks": {"face": {"replicas": 3, "autoscale": {"max_replicas": 5}}, "sentiment": {}}}
    docs = render(parse_config(base), RenderOptions(image="r/ais-acme:1")).objects()
    face = _by_kind(docs, "Deployment")["ais-acme-bank-face"]
    assert face["spec"]["replicas"] == 1 and face["spec"]["strategy"]["type"] == "Recreate"
    assert "ais-acme-bank-face" not in _by_kind(docs, "HorizontalPodAutoscaler")
    assert "ais-acme-bank-sentiment" in _by_kind(docs, "HorizontalPodAutoscaler")
    assert "ais-acme-bank-face-state" in _by_kind(docs, "PersistentVolumeClaim")
    assert "ais-acme-bank-sentiment-state" not in _by_kind(docs, "PersistentVolumeClaim")

    shared = render(parse_config({**base, "state": {"backend": "postgresql", "url_env": "ACME_DB"}}),
                    RenderOptions(image="r/ais-acme@sha256:" + "a" * 64)).objects()
    face = _by_kind(shared, "Deployment")["ais-acme-bank-face"]
    assert "replicas" not in face["spec"]  # the HPA owns the count
    assert _by_kind(shared, "HorizontalPodAutoscaler")["ais-acme-bank-face"]["spec"]["maxReplicas"] == 5
    assert not _by_kind(shared, "PersistentVolumeClaim")
    env = {e["name"]: e for e in face["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["ACME_DB"]["valueFrom"]["secretKeyRef"] == {"name": "ais-acme-bank-database", "key": "ACME_DB"}
    assert "ACME_DB" in _by_kind(shared, "Secret")["ais-acme-bank-database"]["stringData"]
    assert not any("CKV_K8S_43" in v for v in face["metadata"]["annotations"].values())  # pinned by digest


@pytest.mark.parametrize(("task", "where"), [
    ({"resources": {"requests": {"cpu": "4", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}}},
     "requests.cpu 4 exceeds limits.cpu 2"),
    ({"resources": {"requests": {"cpu": "1", "memory": "lots"}, "limits": {"cpu": "2", "memory": "2Gi"}}},
     "tasks.face.resources.requests.memory"),
    ({"gpu": {"count": 1}, "device": "cpu"}, "the GPU would sit idle"),
    ({"autoscale": {"min_replicas": 3, "max_replicas": 2}}, "max_replicas 2 is below min_replicas 3"),
    ({"gpu": {"count": 1, "tolerations": [{"key": "x", "effect": "Sometimes"}]}}, "tasks.face.gpu.tolerations.0.effect"),
])
def test_placement_errors_name_the_key(task: dict, where: str) -> None:
    with pytest.raises(ConfigError, match=where):
        parse_config({"client": "a", "tasks": {"face": task}})


def test_state_section_defaults_to_embedded_and_is_validated() -> None:
    assert parse_config({"client": "a", "tasks": {"face": {}}}).state.backend == "embedded"
    with pytest.raises(ConfigError, match="state.backend"):
        parse_config({"client": "a", "tasks": {"face": {}}, "state": {"backend": "mysql"}})
    with pytest.raises(ConfigError, match="state.url_env"):
        parse_config({"client": "a", "tasks": {"face": {}}, "state": {"url_env": "postgresql://u:p@h/db"}})


def test_cuda_without_a_gpu_request_is_refused() -> None:
    config = parse_config({"client": "a", "tasks": {"face": {"device": "cuda"}}})
    with pytest.raises(ConfigError, match="needs gpu.count"):
        render(config, RenderOptions(image="r/a:1"))


def test_a_second_render_removes_files_of_disabled_tasks(tmp_path: Path) -> None:
    config = {"client": "a", "tasks": {"face": {}, "sentiment": {}}}
    render(parse_config(config), RenderOptions(image="r/a:1")).write(tmp_path)
    assert (tmp_path / "face.yaml").is_file()
    config["tasks"]["face"] = {"enabled": False}
    render(parse_config(config), RenderOptions(image="r/a:1")).write(tmp_path)
    assert not (tmp_path / "face.yaml").exists() and (tmp_path / "sentiment.yaml").is_file()
    assert (tmp_path / ".gitignore").read_text() == "secret.yaml\n"


def _checkov() -> str:
    for candidate in (os.environ.get("AIS_CHECKOV"), str(REPO / ".venv-checkov" / "bin" / "checkov"),
                      shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("checkov is not installed: scripts/install.sh puts it in .venv-checkov (its pins conflict "
                "with the project's), or set AIS_CHECKOV to a checkov executable")


def test_checkov_finds_nothing_unexplained(rendered: dict[str, Path], tmp_path: Path) -> None:
    """One scan over both clients and a copy stripped of its skips: only the stripped copy fails."""
    checkov = _checkov()
    scan = tmp_path / "scan"
    for client, folder in rendered.items():
        shutil.copytree(folder, scan / client)
    stripped = copy.deepcopy(_by_kind(_documents(rendered["retail-insights"]), "Deployment")
                             ["ais-retail-insights-sentiment"])
    stripped["metadata"].pop("annotations")
    stripped["metadata"]["name"] = "stripped"
    (scan / "stripped").mkdir()
    (scan / "stripped" / "stripped.yaml").write_text(yaml.safe_dump(stripped))
    result = subprocess.run([checkov, "-d", str(scan), "--framework", "kubernetes", "--quiet", "--compact",
                             "-o", "json"], capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stdout)
    failed = {(c["file_path"].split("/")[1], c["check_id"]) for c in report["results"].get("failed_checks", [])}
    assert failed == {("stripped", "CKV_K8S_40"), ("stripped", "CKV_K8S_43")}, failed
    # every skip checkov honoured is an annotation with a reason, on the object it applies to
    skips = [value for folder in rendered.values() for doc in _documents(folder)
             for key, value in doc["metadata"].get("annotations", {}).items() if key.startswith("checkov.io/skip")]
    assert skips and all(len(value.partition("=")[2]) > 40 for value in skips)
    assert report["summary"]["skipped"] == len(skips)
    assert report["summary"]["passed"] > 500


def test_database_url_comes_from_the_renderers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIS_DATABASE_URL", raising=False)
    config = parse_config({"client": "a", "tasks": {"sentiment": {}}, "state": {"backend": "postgresql"}})
    placeholder = _by_kind(render(config, RenderOptions(image="r/a:1")).objects(), "Secret")["ais-a-database"]
    assert placeholder["stringData"]["AIS_DATABASE_URL"].startswith("postgresql://USER:PASSWORD@")
    monkeypatch.setenv("AIS_DATABASE_URL", "postgresql://ais:s3cret@db.internal:5432/ais")
    secret = _by_kind(render(config, RenderOptions(image="r/a:1")).objects(), "Secret")["ais-a-database"]
    assert secret["stringData"] == {"AIS_DATABASE_URL": "postgresql://ais:s3cret@db.internal:5432/ais"}


def test_only_the_changed_task_rolls() -> None:
    def checksums(data: dict) -> dict[str, str]:
        docs = render(parse_config(data), RenderOptions(image="r/a:1")).objects()
        return {name: d["spec"]["template"]["metadata"]["annotations"]["ais/config-checksum"]
                for name, d in _by_kind(docs, "Deployment").items()}

    base = {"client": "a", "tasks": {"sentiment": {}, "ocr": {}}}
    before = checksums(base)
    options = checksums({**base, "tasks": {"sentiment": {"options": {"neutral_band": 0.2}}, "ocr": {}}})
    assert options["ais-a-sentiment"] != before["ais-a-sentiment"] and options["ais-a-ocr"] == before["ais-a-ocr"]
    traffic = checksums({**base, "tasks": {"sentiment": {"traffic": {"live": "sentiment:v2"}}, "ocr": {}}})
    assert traffic == before  # the gateway picks traffic changes up from the mounted file, live


def test_kustomize_builds_the_folder(rendered: dict[str, Path]) -> None:
    """`kubectl apply -k` input: kubectl's built-in kustomize reads the Kustomization file (offline)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (Debian: apt-get install kubectl)")
    for folder in rendered.values():
        result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == 0, result.stderr
        built = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
        assert len(built) == len(_documents(folder))
