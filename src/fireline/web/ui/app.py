"""The UI application: login, the session check, error pages, and the page routers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from fireline.bootstrap import Container
from fireline.domain import ApiKey, FirelineError, Forbidden, Permission, allows
from fireline.web.ui.session import COOKIE, Sessions

HERE = Path(__file__).parent
#: Pages in the navigation, in order: (path, label, the permission that shows it).
NAV: tuple[tuple[str, str, Permission | None], ...] = (
    ("/ui/", "Dashboard", None),
    ("/ui/banks", "Banks", Permission.READ_BANKS),
    ("/ui/match", "Match debugger", Permission.MATCH),
    ("/ui/queue", "Review queue", Permission.REVIEW),
    ("/ui/appeals", "Appeals", Permission.REVIEW),
    ("/ui/orders", "Removal orders", Permission.LEGAL),
    ("/ui/holds", "Preservation holds", Permission.LEGAL),
    ("/ui/incidents", "Incidents", Permission.READ_INCIDENTS),
    ("/ui/transparency", "Transparency", Permission.READ_FIGURES),
    ("/ui/audit", "Audit log", Permission.READ_AUDIT),
)


class LoginNeeded(Exception):
    """No valid session: the page answers with a redirect to the login form."""


class UI:
    """What every page needs: the container, the templates and the session signer."""

    def __init__(self, container: Container) -> None:
        self.container = container
        settings = container.settings
        secret = settings.ui_session_secret
        self.sessions = Sessions(
            secret.get_secret_value() if secret else None, hours=settings.ui_session_hours
        )
        self.templates = Jinja2Templates(directory=HERE / "templates")

    def person(self, request: Request) -> ApiKey:
        """The logged-in key; LoginNeeded without a valid session or once it is revoked."""
        key_id = self.sessions.key_id(request.cookies.get(COOKIE))
        if key_id is None:
            raise LoginNeeded
        for key in self.container.keys.all():
            if key.id == key_id and key.revoked_at is None:
                return key
        raise LoginNeeded

    def require(self, request: Request, permission: Permission) -> ApiKey:
        """The logged-in key, if its role grants ``permission``; Forbidden otherwise."""
        key = self.person(request)
        self.container.keys.require(key, permission)
        return key

    def page(
        self, request: Request, template: str, key: ApiKey, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        nav = [(path, label) for path, label, need in NAV if need is None or allows(key.role, need)]
        return self.templates.TemplateResponse(
            request,
            template,
            {"key": key, "nav": nav, "flash": request.query_params.get("flash"), **context},
            status_code=status,
        )


def _same_origin(request: Request) -> bool:
    """A form post from our own pages (or a client that sends no Origin, such as curl)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def create_ui(container: Container) -> FastAPI:
    """The UI as an application to mount at ``/ui``."""
    from fireline.web.ui import legal_pages, pages, review_pages

    ui = UI(container)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.ui = ui
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def refuse_cross_site_posts(request: Request, call_next: Any) -> Response:
        if request.method == "POST" and not _same_origin(request):
            return HTMLResponse("cross-site form posts are refused", status_code=403)
        response: Response = await call_next(request)
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.exception_handler(LoginNeeded)
    async def login_needed(request: Request, _exc: LoginNeeded) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/ui/login?next={quote(target)}", status_code=303)

    @app.exception_handler(FirelineError)
    async def fireline_error(request: Request, exc: FirelineError) -> Response:
        try:
            key = ui.person(request)
        except LoginNeeded:
            return HTMLResponse(exc.message, status_code=exc.http_status)
        return ui.page(
            request,
            "error.html",
            key,
            status=exc.http_status,
            error=exc,
            forbidden=isinstance(exc, Forbidden),
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return HTMLResponse(str(exc.detail), status_code=exc.status_code)

    app.include_router(pages.router)
    app.include_router(review_pages.router)
    app.include_router(legal_pages.router)
    return app


def ui_of(request: Request) -> UI:
    """The UI a request is served by."""
    found: UI = request.app.state.ui
    return found
