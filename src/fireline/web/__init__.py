"""The HTTP service: FastAPI app factory, dependencies, schemas and routes."""

from fireline.web.app import create_app

__all__ = ["create_app"]
