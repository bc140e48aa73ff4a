"""Typed operations of a task beside ``predict``: declared in its ``TaskSpec``, written once in its package.

An operation (read a document, enroll a person, check a planogram, start a topic fit) is a function
``handler(task, request, context) -> response`` in the package, with a pydantic request model and a
pydantic response model. ``serving`` exposes every declared operation through one generic route and one
generic dispatcher, and generates the OpenAPI document from the same models, so nothing about an
operation is written twice.

Where the request's fields come from over HTTP is read from the operation itself: names in the path
template (``/face/persons/{person_id}``) are path parameters; on ``GET``/``DELETE`` the other fields
are query parameters; on ``POST``/``PUT`` they form the body: JSON, or ``multipart/form-data`` when the
model has file fields (``File`` in the annotation: ``bytes`` or ``list[bytes]``).

>>> op = Operation("get_person", "GET", "/face/persons/{person_id}", handler="m:get",
...                request="m:GetPerson", response="m:Person", summary="One person")
>>> op.path_params
('person_id',)
"""
from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.state import Database

HttpMethod = Literal["GET", "POST", "PUT", "DELETE"]
_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)}")


class File:
    """Marks a request field as an uploaded file: ``image: Annotated[bytes, File()]``."""

    def __repr__(self) -> str:
        return "File()"


class OperationRequest(BaseModel):
    """Base of every operation request: unknown fields are errors (a typo is named, never ignored)."""

    model_config = ConfigDict(extra="forbid")


class Empty(OperationRequest):
    """The request of an operation that takes nothing."""


def _marks_file(annotation: Any) -> tuple[bool, bool]:
    """(is a file, is a list of files) for a type such as ``Annotated[bytes, File()] | None`` or a list of it."""
    if typing.get_origin(annotation) is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        if any(isinstance(m, File) for m in meta):
            return True, False
        return _marks_file(base)
    if typing.get_origin(annotation) is list:
        inner, _ = _marks_file(typing.get_args(annotation)[0])
        return inner, inner
    for arg in typing.get_args(annotation):  # unions (X | None)
        found = _marks_file(arg)
        if found[0]:
            return found
    return False, False


def is_file_field(info: FieldInfo) -> bool:
    return any(isinstance(meta, File) for meta in info.metadata) or _marks_file(info.annotation)[0]


def file_fields(model: type[BaseModel]) -> dict[str, bool]:
    """File fields of a request model: name -> whether it takes several files."""
    out: dict[str, bool] = {}
    for name, info in model.model_fields.items():
        if any(isinstance(meta, File) for meta in info.metadata):
            out[name] = typing.get_origin(info.annotation) is list
        else:
            is_file, many = _marks_file(info.annotation)
            if is_file:
                out[name] = many
    return out


def _load(path: str) -> Any:
    from core.registry import load_object

    return load_object(path)


@dataclass(frozen=True)
class Operation:
    """One typed operation of a task, as import paths (a ``TaskSpec`` stays light to import).

    ``kind="predict"`` is another path of the task's batched ``predict`` (e.g. ``/face/detect``):
    its inputs are read like ``POST /<task>`` and it shares adaptive batching; it has no handler.
    """

    name: str
    method: HttpMethod
    path: str
    handler: str = ""
    request: str = ""
    response: str = ""
    summary: str = ""
    kind: Literal["operation", "predict"] = "operation"
    status: int = 200

    def __post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ConfigError(f"operation {self.name!r}: path must start with '/', got {self.path!r}")
        if self.kind == "operation" and not (self.handler and self.request and self.response):
            raise ConfigError(f"operation {self.name!r} needs a handler, a request and a response model")

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    def request_model(self) -> type[BaseModel]:
        return _load(self.request)

    def response_model(self) -> type[BaseModel]:
        return _load(self.response)

    def handler_function(self) -> Callable[[Any, Any, OperationContext], BaseModel]:
        return _load(self.handler)

    def run(self, task: Any, request: BaseModel, context: OperationContext) -> BaseModel:
        """Call the handler and check that it answered with the declared response model."""
        response = self.handler_function()(task, request, context)
        expected = self.response_model()
        if not isinstance(response, expected):
            raise TypeError(f"operation {self.name!r} returned {type(response).__name__}, not {expected.__name__}")
        return response


@dataclass
class OperationContext:
    """Who calls, and where this deployment keeps its state; ``cache`` lives as long as the loaded model.

    The caller's ``tenant`` scopes every piece of data. ``cache`` belongs to the process serving one
    model version (the service owns it): handlers keep open galleries or running jobs there instead of
    in module globals.
    """

    tenant: str
    state_root: Path
    client: str = "local"
    max_pixels: int = 50_000_000
    max_bytes: int = 25 * 1024 * 1024
    max_text_chars: int = 20_000
    cache: dict[str, Any] = field(default_factory=dict)
    database: Database | None = None

    def tenant_dir(self, kind: str) -> Path:
        """``<state>/<kind>/<client>/<tenant>``: one folder per tenant, never shared."""
        folder = self.state_root / kind / self.client / self.tenant
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def shared_dir(self, kind: str) -> Path:
        """``<state>/<kind>/<client>``: data whose rows are tenant-scoped inside one file."""
        folder = self.state_root / kind / self.client
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]


def bounded_int(default: int, low: int, high: int, description: str = "") -> Any:
    """A request integer within [low, high]: out-of-range or huge values are 422, never a crash."""
    return Field(default, ge=low, le=high, description=description)
