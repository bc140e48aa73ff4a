"""The one error hierarchy of the project; ``serving`` maps each class to an HTTP status in one place."""
from __future__ import annotations


class AisError(Exception):
    """Base class of every error this project raises on purpose.

    ``detail`` carries machine-readable context (offending field names, limits) for API responses.
    """

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail: dict[str, object] = detail

    def __str__(self) -> str:
        return self.message


class InvalidInput(AisError, ValueError):
    """The caller sent something the task cannot use (corrupt image, empty text, missing column...)."""


class DataFormatError(InvalidInput):
    """A dataset file does not follow its format; the message names the file and the line."""

    def __init__(self, path: object, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {problem}", path=str(path), line=line if line is not None else -1)


class PayloadTooLarge(InvalidInput):
    """The input exceeds a configured limit (bytes, pixels, characters, batch items)."""


class UnsupportedMediaType(InvalidInput):
    """The input is of a type the task does not read (e.g. a PDF sent to an image endpoint)."""


class NotFound(AisError, LookupError):
    """A named resource (person, planogram, job...) does not exist for this caller."""


class ModelNotFound(NotFound):
    """A model name or version is unknown to the model store or the registry."""


class WeightsUnavailable(ModelNotFound):
    """Weights cannot be found offline; the message says what to install or configure."""


class ModelLoading(AisError):
    """The model is still loading; the caller should retry shortly."""


class Unauthorized(AisError):
    """Missing or invalid API key."""


class ConfigError(AisError, ValueError):
    """A deployment or task configuration is invalid; the message points at the bad key."""
