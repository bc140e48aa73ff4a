"""Shared contracts every model package uses: task protocol, registry, devices, weights, errors, input decoding.

Importing ``core`` is cheap: it loads no weights, imports no deep-learning framework and opens no socket.
"""
from core.errors import (
    AisError,
    ConfigError,
    InvalidInput,
    ModelLoading,
    ModelNotFound,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
    WeightsUnavailable,
)

__all__ = [
    "AisError",
    "ConfigError",
    "InvalidInput",
    "ModelLoading",
    "ModelNotFound",
    "NotFound",
    "PayloadTooLarge",
    "Unauthorized",
    "UnsupportedMediaType",
    "WeightsUnavailable",
]
