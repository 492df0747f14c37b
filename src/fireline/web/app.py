"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import TypeAdapter
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from fireline import __version__
from fireline.bootstrap import Container, build
from fireline.domain import FirelineError
from fireline.services.orders import OrderWorker
from fireline.settings import Settings
from fireline.sync import ExchangeWorker
from fireline.sync.incidents import HubIncidents
from fireline.web.api import (
    audit,
    banks,
    exchange,
    exchange_incidents,
    figures,
    hashing,
    health,
    incidents,
    keys,
    orders,
    orgs,
    review,
    transparency,
    watches,
)
from fireline.web.bodies import DUAL_BODY_MODELS, problems
from fireline.web.limits import BodySizeLimit, BodyTooLarge
from fireline.web.ui import create_ui

#: Room for multipart framing and text fields on top of the largest accepted file.
MULTIPART_OVERHEAD = 256 * 1024
#: Codes for the errors Starlette and FastAPI answer themselves (no such route or method).
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(container: Container) -> FastAPI:
    """An app serving ``container``; the caller owns the container's lifetime.

    Watches the app started are stopped when it shuts down (they run in this process). With
    ``exchange_sync`` the background exchange (fireline.sync) runs while the app does, and
    unless ``order_check_seconds`` is 0 so does the orders' clock (fireline.services.orders).
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if container.settings.exchange_sync:
            worker = ExchangeWorker(
                container.exchange, poll_seconds=container.settings.exchange_poll_seconds
            )
            worker.start()
        sink = container.harvester.sink
        hub = sink if isinstance(sink, HubIncidents) and container.settings.exchange_sync else None
        if hub is not None:
            hub.start()
        check = container.settings.order_check_seconds
        clock = OrderWorker(container.orders, seconds=check) if check else None
        if clock is not None:
            clock.start()
        yield
        if clock is not None:
            await run_in_threadpool(clock.stop)
        if hub is not None:
            await run_in_threadpool(hub.stop)
        if worker is not None:
            await run_in_threadpool(worker.stop)
        await run_in_threadpool(container.watch_runner.stop_all)

    app = FastAPI(
        lifespan=lifespan,
        title="fireline",
        version=__version__,
        description="Hash, bank and match terrorist and violent extremist content. "
        "Every route but /healthz and /readyz needs an API key.",
    )
    app.state.container = container

    @app.exception_handler(FirelineError)
    async def _domain_error(_request: Request, exc: FirelineError) -> JSONResponse:
        return _error(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", problems(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        cause = exc.__cause__
        if isinstance(cause, BodyTooLarge):
            # FastAPI reports a failure while it reads a JSON body as 400; this one is 413.
            return _error(413, "too_large", cause.message)
        if exc.status_code == 400 and isinstance(cause, ValueError | RecursionError):
            # FastAPI could not parse a JSON body: not UTF-8, or nested too deep.
            return _error(422, "invalid_json", "the request body is not valid JSON")
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        response = _error(exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    for module in (
        health,
        hashing,
        banks,
        exchange,
        exchange_incidents,
        keys,
        orgs,
        audit,
        figures,
        transparency,
        watches,
        incidents,
        review,
        orders,
    ):
        app.include_router(module.router)

    app.mount("/ui", create_ui(container))

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        """People who open the service's address get the web UI."""
        return RedirectResponse("/ui/", status_code=307)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in DUAL_BODY_MODELS:
                model_schema = TypeAdapter(model).json_schema(
                    ref_template="#/components/schemas/{model}"
                )
                components.update(model_schema.pop("$defs", {}))
                components[model.__name__] = model_schema
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(
        BodySizeLimit, max_bytes=container.settings.max_upload_bytes + MULTIPART_OVERHEAD
    )
    return app


def create_app_from_environment() -> FastAPI:
    """An app on a container built from FIRELINE_* settings: one per worker process."""
    return create_app(build(Settings()))
