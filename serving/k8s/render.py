"""Render a deployment file into plain Kubernetes manifests plus a ``Kustomization`` file listing them.

Both ``kubectl apply -k DIR`` and ``kubectl apply -f DIR`` work: the kustomization is written under
the file name ``Kustomization`` (one kustomize recognises; ``-f`` reads only .yaml/.yml/.json), and the
namespace comes first in ``-f``'s alphabetical order (``00-namespace.yaml``).

Nothing here is written by hand per client: the deployment file that ``ais serve --config`` reads
is the only input, with the image to run. Every pod runs BentoML's container entrypoint from the
client's bento image (``ais build`` → ``bentoml containerize``):

- a task service alone: ``start-http-server --service-name ais-<task>`` (BentoML's own command for
  serving one service of a bento in its own pod, as Yatai/BentoCloud do);
- the gateway: ``start-http-server --depends ais-<task>=http://<Service>:3000 ...``: BentoML then
  starts no local copy of the task services, and ``bentoml.depends(Service)`` in the gateway
  resolves to that address, with the same wire format as on one machine. The gateway code is unchanged.

Skipped security checks carry their reason in the manifest (``checkov.io/skipN`` annotations).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.errors import ConfigError
from serving.config import DeploymentConfig
from serving.k8s.components import Component, components, slug
from serving.placement import GPU_RESOURCE, cpu_cores

log = logging.getLogger(__name__)

PORT = 3000
KUSTOMIZATION = "Kustomization"
NAMESPACE_FILE = "00-namespace.yaml"
CONFIG_DIR = "/etc/ais"            # the deployment file, mounted from the ConfigMap (or the Secret)
STATE_DIR = "/var/lib/ais"         # AIS_HOME and the deployment's state_dir
TMP_DIR = "/tmp"
# BentoML's generated Dockerfile creates user "bentoml" with this uid/gid and owns the bento by it.
BENTO_UID = 1034
MANAGED_BY = "ais-deploy"
DATABASE_PLACEHOLDER = "postgresql://USER:PASSWORD@HOST:5432/DATABASE"

SKIP_UID = ("CKV_K8S_40=runs as uid 1034, the user BentoML's generated image creates and owns the bento by; "
            "still non-root, no capabilities, read-only root filesystem")
SKIP_DIGEST = ("CKV_K8S_43=the image is built per client (bentoml containerize) and its digest exists only after "
               "the push; render with --image REGISTRY/NAME@sha256:... to pin it")
SKIP_SECRET_ENV = ("CKV_K8S_35=the PostgreSQL state backend reads its URL from the environment variable named "
                   "by state.url_env; the Secret holds nothing else")


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors/aliases where two fields share one value (kubectl reads them, people less so)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Multi-line strings (the deployment file in the ConfigMap) as readable ``|`` blocks."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


@dataclass(frozen=True)
class RenderOptions:
    image: str                      # REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:...
    namespace: str | None = None    # default: ais-<client>
    service_type: str = "ClusterIP"  # of the gateway Service: ClusterIP, LoadBalancer or NodePort


@dataclass
class Manifests:
    """File name → the Kubernetes objects it holds (several YAML documents per file)."""

    files: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def objects(self) -> list[dict[str, Any]]:
        return [doc for docs in self.files.values() for doc in docs]

    def write(self, folder: Path) -> list[Path]:
        """Write every file and the Kustomization; files from an earlier render that are gone are removed."""
        folder.mkdir(parents=True, exist_ok=True)
        old = folder / KUSTOMIZATION
        if old.is_file():
            previous = (yaml.safe_load(old.read_text(encoding="utf-8")) or {}).get("resources", [])
            for name in set(previous) - set(self.files):
                (folder / name).unlink(missing_ok=True)
        written = []
        for name, docs in self.files.items():
            path = folder / name
            path.write_text(yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False), encoding="utf-8")
            written.append(path)
        kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                         "resources": list(self.files)}
        old.write_text(yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8")
        # secret.yaml holds the key hashes and, with PostgreSQL, the database URL
        (folder / ".gitignore").write_text("secret.yaml\n", encoding="utf-8")
        return [*written, old]


def render(config: DeploymentConfig, options: RenderOptions) -> Manifests:
    client = slug(config.client)
    namespace = options.namespace or f"ais-{client}"
    if options.service_type not in ("ClusterIP", "LoadBalancer", "NodePort"):
        raise ConfigError(f"service type {options.service_type!r}: use ClusterIP, LoadBalancer or NodePort")
    ctx = _Context(config, options, client, namespace)
    parts = components(config)
    files: dict[str, list[dict[str, Any]]] = {
        NAMESPACE_FILE: [ctx.namespace_object(), ctx.service_account()],
        "configmap.yaml": [ctx.config_map()],
        "secret.yaml": ctx.secrets(),
        "networkpolicy.yaml": ctx.network_policies(),
    }
    for part in parts:
        files[f"{part.name}.yaml"] = ctx.objects_for(part, parts)
    return Manifests(files)


class _Context:
    def __init__(self, config: DeploymentConfig, options: RenderOptions, client: str, namespace: str) -> None:
        self.config = config
        self.options = options
        self.client = client
        self.namespace = namespace
        self.postgresql = config.state.backend == "postgresql"

    # -- naming -------------------------------------------------------------------------------
    def name(self, suffix: str) -> str:
        return f"ais-{self.client}-{suffix}"

    def labels(self, component: str | None = None) -> dict[str, str]:
        labels = {"app.kubernetes.io/part-of": "ai-services", "app.kubernetes.io/instance": self.client,
                  "app.kubernetes.io/managed-by": MANAGED_BY}
        if component:
            labels |= self.selector(component)
            labels["app.kubernetes.io/component"] = "gateway" if component == "gateway" else "task"
        return labels

    def meta(self, name: str, component: str | None = None, **annotations: str) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name, "namespace": self.namespace, "labels": self.labels(component)}
        if annotations:
            out["annotations"] = annotations
        return out

    def selector(self, component: str) -> dict[str, str]:
        return {"app.kubernetes.io/name": f"ais-{component}", "app.kubernetes.io/instance": self.client}

    # -- shared objects -----------------------------------------------------------------------
    def namespace_object(self) -> dict[str, Any]:
        meta = self.meta(self.namespace)
        del meta["namespace"]
        # Every pod here meets the "restricted" Pod Security Standard; let the cluster enforce it.
        meta["labels"] |= {"pod-security.kubernetes.io/enforce": "restricted",
                           "pod-security.kubernetes.io/enforce-version": "latest"}
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}

    def service_account(self) -> dict[str, Any]:
        # The services never call the Kubernetes API: no token is mounted.
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.meta(self.name("runtime")),
                "automountServiceAccountToken": False}

    def deployment_file(self, with_keys: bool) -> str:
        """The deployment file as the pods read it: state under the state volume; keys only for the gateway."""
        data = self.config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["state_dir"] = STATE_DIR
        if not with_keys:
            data.pop("keys", None)
        return yaml.safe_dump(data, sort_keys=False)

    def config_map(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.meta(self.name("config")),
                "data": {"deployment.yaml": self.deployment_file(with_keys=False)}}

    def secrets(self) -> list[dict[str, Any]]:
        keys = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": self.meta(self.name("keys")),
                "stringData": {"deployment.yaml": self.deployment_file(with_keys=True)}}
        out = [keys]
        if self.postgresql:
            env = self.config.state.url_env
            url = os.environ.get(env)
            if not url:
                log.warning("%s is not set: secret.yaml gets a placeholder database URL; set it and render again, "
                            "or replace the Secret %s", env, self.name("database"))
            out.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                        "metadata": self.meta(self.name("database")),
                        "stringData": {env: url or DATABASE_PLACEHOLDER}})
        return out

    def network_policies(self) -> list[dict[str, Any]]:
        """Nothing reaches this client's pods except: anyone → gateway, gateway → task services."""
        every = {"matchLabels": {"app.kubernetes.io/instance": self.client,
                                 "app.kubernetes.io/part-of": "ai-services"}}
        port = [{"protocol": "TCP", "port": PORT}]
        return [
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": self.meta(self.name("deny")),
             "spec": {"podSelector": every, "policyTypes": ["Ingress"], "ingress": []}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": self.meta(self.name("gateway-in")),
             "spec": {"podSelector": {"matchLabels": self.selector("gateway")}, "policyTypes": ["Ingress"],
                      "ingress": [{"ports": port}]}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": self.meta(self.name("tasks-in")),
             "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": self.client,
                                                      "app.kubernetes.io/component": "task"}},
                      "policyTypes": ["Ingress"],
                      "ingress": [{"from": [{"podSelector": {"matchLabels": self.selector("gateway")}}],
                                   "ports": port}]}},
        ]

    # -- one component ------------------------------------------------------------------------
    def objects_for(self, part: Component, parts: list[Component]) -> list[dict[str, Any]]:
        out = [self.deployment(part, parts), self.service(part)]
        if part.embedded_state:
            out.append(self.volume_claim(part))
        if part.autoscale:
            out.append(self.autoscaler(part))
        out.append(self.disruption_budget(part))
        return out

    def deployment(self, part: Component, parts: list[Component]) -> dict[str, Any]:
        skips = [SKIP_UID]
        if "@sha256:" not in self.options.image:
            skips.append(SKIP_DIGEST)
        if self.postgresql:
            skips.append(SKIP_SECRET_ENV)
        annotations = {f"checkov.io/skip{i}": reason for i, reason in enumerate(skips, start=1)}
        if part.embedded_state:
            annotations["ais/replicas"] = (f"1: {part.embedded_state} live on this pod's volume "
                                           "(state.backend: embedded); state.backend: postgresql allows more")
        spec: dict[str, Any] = {
            "selector": {"matchLabels": self.selector(part.name)},
            # one pod at a time on a ReadWriteOnce volume; others roll without a gap
            "strategy": {"type": "Recreate"} if part.embedded_state else
            {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {"metadata": {"labels": self.labels(part.name),
                                      "annotations": {"ais/config-checksum": self.checksum(part)}},
                         "spec": self.pod_spec(part, parts)},
        }
        if part.autoscale is None:
            spec = {"replicas": part.replicas, **spec}  # with an HPA, the HPA owns the count
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": self.meta(self.name(part.name), part.name, **annotations), "spec": spec}

    def checksum(self, part: Component) -> str:
        """Pods roll when what they read at start changes; traffic changes are picked up live by the gateway."""
        if part.is_gateway:
            relevant: Any = {"limits": self.config.limits.model_dump(), "tasks": self.config.enabled_tasks(),
                             "state": self.config.state.model_dump()}
        else:
            relevant = self.config.tasks[part.name].model_dump(mode="json", exclude={"traffic"})
        return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]

    def pod_spec(self, part: Component, parts: list[Component]) -> dict[str, Any]:
        config_volume = ({"secret": {"secretName": self.name("keys")}} if part.is_gateway
                         else {"configMap": {"name": self.name("config")}})
        state_volume = ({"persistentVolumeClaim": {"claimName": self.name(f"{part.name}-state")}}
                        if part.embedded_state else {"emptyDir": {"sizeLimit": "1Gi"}})
        spec: dict[str, Any] = {
            "serviceAccountName": self.name("runtime"),
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            # requests in flight may take up to limits.timeout_s to answer before the pod goes
            "terminationGracePeriodSeconds": math.ceil(self.config.limits.timeout_s) + 15,
            "securityContext": {"runAsNonRoot": True, "runAsUser": BENTO_UID, "runAsGroup": BENTO_UID,
                                "fsGroup": BENTO_UID, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [self.container(part, parts)],
            "volumes": [{"name": "config", **config_volume},
                        {"name": "state", **state_volume},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}],
        }
        if part.replicas > 1 or part.autoscale:
            spec["topologySpreadConstraints"] = [{
                "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": self.selector(part.name)}}]
        if part.gpu:
            spec["nodeSelector"] = dict(part.gpu.node_selector)
            spec["tolerations"] = [t.model_dump(exclude_none=True) for t in part.gpu.tolerations]
        return spec

    def container(self, part: Component, parts: list[Component]) -> dict[str, Any]:
        limits: dict[str, Any] = part.resources.limits.model_dump()
        requests: dict[str, Any] = part.resources.requests.model_dump()
        if part.gpu:
            limits[GPU_RESOURCE] = requests[GPU_RESOURCE] = str(part.gpu.count)
        probe = {"httpGet": {"path": "/livez", "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 5}
        return {
            "name": part.name,
            "image": self.options.image,
            "imagePullPolicy": "Always",
            "args": self.args(part, parts),
            "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
            "env": self.env(part),
            "resources": {"requests": requests, "limits": limits},
            # model loading takes minutes on CPU: liveness starts once the service answered once
            "startupProbe": {**probe, "failureThreshold": math.ceil(part.startup_seconds / 10)},
            "livenessProbe": {**probe, "failureThreshold": 3},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                               "timeoutSeconds": 5, "failureThreshold": 3},
            "securityContext": {"runAsNonRoot": True, "runAsUser": BENTO_UID, "allowPrivilegeEscalation": False,
                                "privileged": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
            "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True},
                             {"name": "state", "mountPath": STATE_DIR},
                             {"name": "tmp", "mountPath": TMP_DIR}],
        }

    def args(self, part: Component, parts: list[Component]) -> list[str]:
        """Arguments to BentoML's image entrypoint (it appends the bento path)."""
        args = ["start-http-server", "--host", "0.0.0.0", "--port", str(PORT)]
        if not part.is_gateway:
            return [*args, "--service-name", part.bento_service]
        for other in parts:
            if not other.is_gateway:
                args += ["--depends", f"{other.bento_service}=http://{self.name(other.name)}:{PORT}"]
        return args

    def env(self, part: Component) -> list[dict[str, Any]]:
        threads = max(1, math.floor(cpu_cores(part.resources.limits.cpu)))
        env = [
            {"name": "AIS_CONFIG", "value": f"{CONFIG_DIR}/deployment.yaml"},
            {"name": "AIS_HOME", "value": STATE_DIR},
            # the root filesystem is read-only: every library's cache and home under /tmp
            {"name": "HOME", "value": TMP_DIR},
            {"name": "BENTOML_HOME", "value": f"{TMP_DIR}/bentoml"},
            {"name": "MPLCONFIGDIR", "value": f"{TMP_DIR}/matplotlib"},
            {"name": "BENTOML_DO_NOT_TRACK", "value": "True"},
            # torch and OpenMP size their pools by the node's cores, not the pod's CPU limit
            {"name": "OMP_NUM_THREADS", "value": str(threads)},
        ]
        if part.is_gateway:
            # Readiness of the gateway must not hang on every task: Kubernetes routes only to ready
            # task pods, and a task without one answers 503 on its own routes. (BentoML 1.4 reads the
            # probe switch from the services' config; "api_server.runner_probe" is overridden by it.)
            env.append({"name": "BENTOML_CONFIG_OPTIONS", "value": "services.runner_probe.enabled=false"})
        if self.postgresql:
            name = self.config.state.url_env
            env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": self.name("database"), "key": name}}})
        return env

    def service(self, part: Component) -> dict[str, Any]:
        kind = self.options.service_type if part.is_gateway else "ClusterIP"
        return {"apiVersion": "v1", "kind": "Service", "metadata": self.meta(self.name(part.name), part.name),
                "spec": {"type": kind, "selector": self.selector(part.name),
                         "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}]}}

    def volume_claim(self, part: Component) -> dict[str, Any]:
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": self.config.state.volume_size}}}
        if self.config.state.storage_class:
            spec["storageClassName"] = self.config.state.storage_class
        return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": self.meta(self.name(f"{part.name}-state"), part.name), "spec": spec}

    def autoscaler(self, part: Component) -> dict[str, Any]:
        assert part.autoscale is not None
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": self.meta(self.name(part.name), part.name),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": self.name(part.name)},
                         "minReplicas": part.autoscale.min_replicas, "maxReplicas": part.autoscale.max_replicas,
                         "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                             "type": "Utilization", "averageUtilization": part.autoscale.target_cpu_percent}}}]}}

    def disruption_budget(self, part: Component) -> dict[str, Any]:
        # maxUnavailable 1: a node drain may take one copy at a time (a single copy is not blocked forever)
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                "metadata": self.meta(self.name(part.name), part.name),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": self.selector(part.name)}}}
