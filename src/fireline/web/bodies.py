"""Reading request bodies that may be a multipart upload or JSON, with clear 4xx errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from fireline.domain import InvalidInput, UnsupportedMedia
from fireline.signals import ContentType

Model = TypeVar("Model", bound=BaseModel)

#: Models whose JSON schema appears in a dual-body route's OpenAPI entry.
DUAL_BODY_MODELS: list[type[BaseModel]] = []


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    filename: str
    fields: dict[str, list[str]]


def is_multipart(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("multipart/form-data")


def is_json(request: Request) -> bool:
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    return ctype == "application/json" or ctype.endswith("+json")


async def read_upload(request: Request) -> Upload:
    """The ``file`` part of a multipart body and its other text fields."""
    try:
        form = await request.form(max_files=1, max_fields=200)
    except HTTPException as exc:  # Starlette's parser refused the body (400)
        raise InvalidInput(
            f"the multipart body cannot be read: {exc.detail}", code="invalid_multipart"
        ) from None
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise InvalidInput("the multipart field 'file' is required", code="missing_file")
    data = await file.read()
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, []).append(value)
    return Upload(data=data, filename=file.filename or "", fields=fields)


async def read_json(request: Request, model: type[Model]) -> Model:
    """The body validated as ``model``; InvalidInput names the first problems."""
    try:
        body: Any = await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
        raise InvalidInput("the request body is not valid JSON", code="invalid_json") from None
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise InvalidInput(
            f"invalid request body: {problems(exc.errors())}", code="invalid_body"
        ) from None


def problems(errors: Sequence[Any]) -> str:
    """The first validation errors, as ``where: what; ...`` (``body`` for the whole)."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in errors[:5]
    )


def require_body_kind(request: Request) -> None:
    if not (is_multipart(request) or is_json(request)):
        raise UnsupportedMedia(
            "send multipart/form-data with a 'file' part, or application/json",
            code="unsupported_content_type",
        )


def content_type_query(description: str) -> Any:
    """``?content_type=``: a plain string, so that an unknown one gets the service's own
    ``unknown_content_type`` error, listed in OpenAPI with the values it takes."""
    return Query(
        description=description,
        json_schema_extra={"enum": ["auto", *(c.value for c in ContentType)]},
    )


def _multipart_schema(extra_fields: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"file": {"type": "string", "format": "binary"}}
    properties.update(extra_fields or {})
    return {"schema": {"type": "object", "properties": properties, "required": ["file"]}}


def upload_body(*, extra_fields: dict[str, Any] | None = None) -> dict[str, Any]:
    """OpenAPI for a route that takes a multipart upload with a ``file`` part."""
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": _multipart_schema(extra_fields)},
        }
    }


def dual_body(
    model: type[BaseModel], *, extra_fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    """OpenAPI for a route that takes a multipart upload or a JSON ``model``."""
    DUAL_BODY_MODELS.append(model)
    body = upload_body(extra_fields=extra_fields)
    body["requestBody"]["content"]["application/json"] = {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}
    }
    return body
