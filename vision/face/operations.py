"""The face task's operations beside ``predict``: a tenant-scoped gallery (enroll, verify, identify, persons).

Each is ``handler(analyzer, request, context) -> response`` with pydantic models, declared in
``vision.face.spec`` and served by the generic route and dispatcher of ``serving``.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, BaseModel, Field, model_validator

from core.operations import File, OperationContext, OperationRequest, bounded_int
from vision.face.schemas import DeleteResult, EnrollResult, IdentifyResult, Person, VerifyResult

PersonId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$",
                                description="letters, digits and _.:@- (starting with a letter or digit)")]
ImageFile = Annotated[bytes, File()]


class VerifyRequest(OperationRequest):
    """One probe ``image`` against either one ``other_image`` or an enrolled ``person_id``."""

    image: ImageFile
    other_image: ImageFile | None = None
    person_id: PersonId | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> VerifyRequest:
        if (self.other_image is None) == (self.person_id is None):
            raise ValueError("send either 'other_image' or 'person_id', not both and not neither")
        return self


class IdentifyRequest(OperationRequest):
    image: ImageFile
    top_k: int = bounded_int(5, 1, 100, "candidates returned per face")


class EnrollRequest(OperationRequest):
    """A display ``name`` and one or more photos of the person (field ``images``, or ``image``)."""

    name: str = Field(min_length=1, max_length=200)
    images: list[ImageFile] = Field(min_length=1, validation_alias=AliasChoices("images", "image"))
    person_id: PersonId | None = None


class AddImagesRequest(OperationRequest):
    person_id: PersonId
    images: list[ImageFile] = Field(min_length=1, validation_alias=AliasChoices("images", "image"))


class PersonRequest(OperationRequest):
    person_id: PersonId


class ListPersonsRequest(OperationRequest):
    limit: int = bounded_int(100, 1, 10_000, "persons per page")
    offset: int = bounded_int(0, 0, 10_000_000, "persons to skip")


class PersonList(BaseModel):
    persons: list[Person]


def gallery(analyzer: object, context: OperationContext) -> object:
    """One gallery per model version: embeddings of different embedders never mix.

    Embedded: a SQLite file under the state dir. With ``context.database`` (``state: postgresql``): the
    gallery ``name`` of the deployment's client in that database, shared by every replica (each one
    checks the tenant's generation before a search, so another replica's enrollment is found at once).
    """
    from vision.face import Gallery

    version = getattr(analyzer, "version", "default")
    name = "default" if version in ("default", "face:default") else version.replace("/", "_").replace(":", "_")
    if context.database is not None:
        database = context.database
        return context.cached(f"gallery:postgresql:{context.client}:{name}",
                              lambda: Gallery(analyzer=analyzer, database=database, client=context.client,
                                              name=name).load())
    path = context.shared_dir("galleries") / f"{name}.db"  # one file, rows tenant-scoped
    return context.cached(f"gallery:{path}", lambda: Gallery(path, analyzer=analyzer).load())


def verify(analyzer: object, request: VerifyRequest, context: OperationContext) -> VerifyResult:
    return gallery(analyzer, context).verify(context.tenant, request.image, person_id=request.person_id,
                                             other_image=request.other_image)


def identify(analyzer: object, request: IdentifyRequest, context: OperationContext) -> IdentifyResult:
    return gallery(analyzer, context).identify(context.tenant, request.image, top_k=request.top_k)


def enroll(analyzer: object, request: EnrollRequest, context: OperationContext) -> EnrollResult:
    return gallery(analyzer, context).enroll(context.tenant, request.images, request.name,
                                             person_id=request.person_id)


def add_images(analyzer: object, request: AddImagesRequest, context: OperationContext) -> EnrollResult:
    return gallery(analyzer, context).add_images(context.tenant, request.person_id, request.images)


def list_persons(analyzer: object, request: ListPersonsRequest, context: OperationContext) -> PersonList:
    persons = gallery(analyzer, context).list(context.tenant, limit=request.limit, offset=request.offset)
    return PersonList(persons=persons)


def get_person(analyzer: object, request: PersonRequest, context: OperationContext) -> Person:
    return gallery(analyzer, context).get(context.tenant, request.person_id)


def delete_person(analyzer: object, request: PersonRequest, context: OperationContext) -> DeleteResult:
    return gallery(analyzer, context).delete(context.tenant, request.person_id)
