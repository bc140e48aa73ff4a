"""BentoML service for the `face` task: batched detection, and the tenant-scoped gallery operations."""
from __future__ import annotations

import threading
from typing import Any

import bentoml

from serving.runtime import Operation, tenant_dir
from serving.services.base import TaskService, batch_api, service_options


@bentoml.service(**service_options("face"))
class FaceService(TaskService):
    task = "face"
    predict = batch_api("face")

    def __init__(self) -> None:
        super().__init__()
        self._galleries: dict[str, Any] = {}
        self._lock = threading.Lock()

    def gallery(self, version: str) -> Any:
        """One gallery per model version: embeddings of different embedders never mix."""
        from vision.face import Gallery

        with self._lock:
            if version not in self._galleries:
                folder = tenant_dir("galleries", "_all")  # the file holds every tenant, rows are tenant-scoped
                name = "default" if version == "default" else version.replace("/", "_").replace(":", "_")
                self._galleries[version] = Gallery(folder / f"{name}.db", analyzer=self.pool.get(version)).load()
            return self._galleries[version]

    def op_verify(self, model: Any, request: Operation) -> Any:
        a = request.args
        return self.gallery(request.version).verify(request.tenant, a["image"], person_id=a.get("person_id"),
                                                    other_image=a.get("other_image"))

    def op_identify(self, model: Any, request: Operation) -> Any:
        return self.gallery(request.version).identify(request.tenant, request.args["image"],
                                                      top_k=request.args["top_k"])

    def op_enroll(self, model: Any, request: Operation) -> Any:
        a = request.args
        return self.gallery(request.version).enroll(request.tenant, a["images"], a["name"],
                                                    person_id=a.get("person_id"))

    def op_add_images(self, model: Any, request: Operation) -> Any:
        return self.gallery(request.version).add_images(request.tenant, request.args["person_id"],
                                                        request.args["images"])

    def op_list_persons(self, model: Any, request: Operation) -> Any:
        persons = self.gallery(request.version).list(request.tenant, limit=request.args["limit"],
                                                     offset=request.args["offset"])
        return {"persons": [p.model_dump(mode="json") for p in persons]}

    def op_get_person(self, model: Any, request: Operation) -> Any:
        return self.gallery(request.version).get(request.tenant, request.args["person_id"])

    def op_delete_person(self, model: Any, request: Operation) -> Any:
        return self.gallery(request.version).delete(request.tenant, request.args["person_id"])


service = FaceService
