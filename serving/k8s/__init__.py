"""Kubernetes manifests for a client's deployment file (``ais deploy k8s``); see docs/kubernetes.md."""
from serving.k8s.render import Manifests, RenderOptions, render

__all__ = ["Manifests", "RenderOptions", "render"]
