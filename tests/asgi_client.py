"""An in-process client for the apps: the whole ASGI stack, its lifespan, no network.

Requests go through middleware, routing and handlers with httpx's ASGI transport; the
app's lifespan runs in a blocking portal (an event loop in a helper thread). Starlette's
TestClient is not used: it warns that its httpx use is deprecated, and warnings are
errors here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI


class AppClient:
    """A synchronous httpx client for an ASGI app (calls run in the portal's event loop)."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self._client.request(method, url, **kwargs)

        return self._portal.call(call)

    @property
    def cookies(self) -> httpx.Cookies:
        """The client's cookie jar (set by responses, sent with later requests)."""
        return self._client.cookies

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


@contextmanager
def open_app_client(app: FastAPI, base_url: str) -> Iterator[AppClient]:
    """Run ``app``'s lifespan and yield a client for it, with requests to ``base_url``."""
    with start_blocking_portal() as portal:
        lifespan: AbstractContextManager[Any] = portal.wrap_async_context_manager(
            app.router.lifespan_context(app)
        )
        with lifespan:
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
            try:
                yield AppClient(portal, client)
            finally:
                portal.call(client.aclose)
