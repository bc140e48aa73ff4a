"""API-key authentication: ``Authorization: Bearer KEY`` or ``X-API-Key: KEY`` → the caller's tenant."""
from __future__ import annotations

import hmac
from collections.abc import Mapping

from core.errors import Unauthorized
from serving.config import ApiKey, hash_key


class KeyRing:
    """Looks keys up by hash with constant-time comparison; never stores or logs a key in clear."""

    def __init__(self, keys: list[ApiKey]) -> None:
        self._keys = [(bytes.fromhex(k.sha256), k.tenant) for k in keys]

    def tenant_for(self, key: str) -> str:
        presented = bytes.fromhex(hash_key(key))
        tenant: str | None = None
        for stored, owner in self._keys:  # visit every key: timing does not reveal which matched
            if hmac.compare_digest(stored, presented):
                tenant = owner
        if tenant is None:
            raise Unauthorized("invalid API key")
        return tenant

    def authenticate(self, headers: Mapping[str, str]) -> str:
        key = headers.get("x-api-key")
        auth = headers.get("authorization")
        if not key and auth:
            scheme, _, value = auth.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise Unauthorized("Authorization header must be 'Bearer <key>'")
            key = value.strip()
        if not key:
            raise Unauthorized("missing API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
        return self.tenant_for(key)
