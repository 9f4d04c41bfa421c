"""Security headers on every response, as pure ASGI middleware.

No MIME sniffing, no framing, no referrer, a same-origin opener, and a
Content-Security-Policy: by default :data:`API_CSP` (a JSON API loads nothing); a
service with pages passes its own (the verifier's counter page: own origin only, no
inline script or style, camera for the page itself). The API documentation pages
(``/docs``, ``/redoc``, served offline by :mod:`trustid_http.docs`) get
:data:`DOCS_CSP`: their scripts come only from this origin too, but Swagger UI and ReDoc
set inline styles and ReDoc runs its search in a ``blob:`` worker.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "DOCS_CSP", "DOCS_PATHS", "SecurityHeadersMiddleware"]

API_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")

_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (replacing any set by a route).

    Args:
        app: The wrapped application.
        csp: The Content-Security-Policy of every path outside :data:`DOCS_PATHS`.
        permissions_policy: A ``Permissions-Policy`` value, if any.
    """

    def __init__(
        self, app: ASGIApp, *, csp: str = API_CSP, permissions_policy: str | None = None
    ) -> None:
        self.app = app
        base = list(_COMMON)
        if permissions_policy is not None:
            base.append((b"permissions-policy", permissions_policy.encode("ascii")))
        self._pages = [*base, (b"content-security-policy", csp.encode("ascii"))]
        self._docs = [*base, (b"content-security-policy", DOCS_CSP.encode("ascii"))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        docs = any(path == p or path.startswith(p + "/") for p in DOCS_PATHS)
        extra = self._docs if docs else self._pages
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in names]
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
