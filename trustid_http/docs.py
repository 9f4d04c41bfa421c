"""API documentation pages that work offline: Swagger UI and ReDoc from a Python package.

FastAPI's default ``/docs`` and ``/redoc`` load their scripts from a CDN (and run an
inline script), so they are blank on a closed network (a counter's LAN, an
air-gapped registry) and cannot carry a strict Content-Security-Policy. Here the
assets come from the ``fastapi-offline`` distribution (Swagger UI and ReDoc bundles,
installed with the service) and are served under ``/docs/assets/``; the pages reference
nothing outside this origin, and the Swagger UI start-up code is a static script of its
own (it reads the OpenAPI URL from a ``data-`` attribute), so no inline script is needed.
"""

from __future__ import annotations

import html
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "asset_directory", "install_offline_docs"]

ASSETS_PATH = "/docs/assets"

# Swagger UI's start-up, as a static script (an inline one would need 'unsafe-inline').
_SWAGGER_INIT = """\
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
})();
"""


def asset_directory() -> Path:
    """The directory holding ``swagger-ui-bundle.js``, ``swagger-ui.css`` and ``redoc.standalone.js``."""
    return Path(str(files("fastapi_offline").joinpath("static")))


def _page(title: str, head: str, body: str) -> HTMLResponse:
    text = (
        "<!doctype html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>\n"
        f"<title>{html.escape(title)}</title>\n{head}</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return HTMLResponse(text, headers={"Cache-Control": "no-cache"})


def install_offline_docs(
    app: FastAPI, *, docs_url: str | None = "/docs", redoc_url: str | None = "/redoc"
) -> None:
    """Serve Swagger UI at ``docs_url`` and ReDoc at ``redoc_url`` from local assets.

    Build the app with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages) and call
    this; ``app.openapi_url`` must be set.
    """
    openapi_url = app.openapi_url
    if openapi_url is None:
        raise ValueError("the offline docs need app.openapi_url")

    def _root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    @app.get(f"{ASSETS_PATH}/swagger-init.js", include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(
            _SWAGGER_INIT,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    # After the route above: the first match wins, and the mount matches the whole prefix.
    app.mount(ASSETS_PATH, StaticFiles(directory=asset_directory()), name="docs-assets")

    if docs_url is not None:

        @app.get(docs_url, include_in_schema=False)
        async def swagger_ui(request: Request) -> HTMLResponse:
            root = _root(request)
            assets = html.escape(root + ASSETS_PATH)
            head = (
                f"<link rel='stylesheet' href='{assets}/swagger-ui.css'>\n"
                f"<link rel='icon' type='image/png' href='{assets}/favicon.png'>\n"
            )
            body = (
                f"<div id='swagger-ui' data-openapi-url='{html.escape(root + openapi_url)}'>"
                "</div>\n"
                f"<script src='{assets}/swagger-ui-bundle.js'></script>\n"
                f"<script src='{assets}/swagger-init.js'></script>\n"
            )
            return _page(f"{app.title} - Swagger UI", head, body)

    if redoc_url is not None:

        @app.get(redoc_url, include_in_schema=False)
        async def redoc(request: Request) -> HTMLResponse:
            root = _root(request)
            assets = html.escape(root + ASSETS_PATH)
            head = f"<link rel='icon' type='image/png' href='{assets}/favicon.png'>\n"
            # ReDoc's standalone bundle renders every <redoc spec-url> element by itself.
            body = (
                f"<redoc spec-url='{html.escape(root + openapi_url)}'></redoc>\n"
                f"<script src='{assets}/redoc.standalone.js'></script>\n"
            )
            return _page(f"{app.title} - ReDoc", head, body)
