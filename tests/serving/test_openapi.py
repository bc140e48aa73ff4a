"""The OpenAPI document: valid OpenAPI 3.1, and it lists every public route of every registered task."""
from __future__ import annotations

import pytest

from core.registry import get_spec, task_names
from serving.endpoints import task_routes
from serving.openapi import openapi_document


@pytest.fixture(scope="module")
def document() -> dict:
    return openapi_document(task_names())


def test_document_is_valid_openapi_31(document: dict) -> None:
    from openapi_spec_validator import validate

    assert document["openapi"].startswith("3.1")
    validate(document)


@pytest.mark.parametrize("task", task_names())
def test_every_route_of_every_task_is_documented(document: dict, task: str) -> None:
    for route in task_routes(get_spec(task)):
        documented = document["paths"].get(route.path)
        assert documented is not None, f"{route.path} missing from the document"
        for method in route.methods - {"HEAD"}:
            assert method.lower() in documented, f"{method} {route.path} missing from the document"
            responses = documented[method.lower()]["responses"]
            assert {"200", "400", "401", "413", "422"} <= set(responses)


def test_file_fields_are_multipart_and_path_parameters_are_declared(document: dict) -> None:
    enroll = document["paths"]["/face/persons"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert enroll["properties"]["images"]["items"]["format"] == "binary" and set(enroll["required"]) == {"name", "images"}
    get_person = document["paths"]["/face/persons/{person_id}"]["get"]["parameters"]
    assert any(p["name"] == "person_id" and p["in"] == "path" and p["required"] for p in get_person)
    listing = {p["name"]: p for p in document["paths"]["/face/persons"]["get"]["parameters"]}
    assert listing["limit"]["schema"]["maximum"] == 10_000  # a 19-digit limit is a 422, not a crash
    ocr = document["paths"]["/ocr"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ocr["properties"]["result"]["$ref"].endswith("/DocumentResult")
    assert "text" in document["components"]["schemas"]["DocumentResult"]["properties"]


def test_a_mistyped_option_is_an_error_naming_it() -> None:
    from core.errors import ConfigError

    spec = get_spec("sentiment")
    assert spec.validate_options({"neutral_band": "0.2"}) == {"neutral_band": 0.2}
    with pytest.raises(ConfigError, match="neutral_bnad"):
        spec.validate_options({"neutral_bnad": 0.2})
    for name in task_names():
        assert get_spec(name).options_model().model_config.get("extra") == "forbid", name
