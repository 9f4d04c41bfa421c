"""Route class that parses JSON bodies strictly (:func:`trustid_http.json.loads_request`).

FastAPI parses bodies with ``json.loads``, which keeps the last of duplicate members
and nests without limit. Routes built with :class:`StrictJSONRoute` get a request whose
``json()`` refuses duplicates, NaN/Infinity, lone surrogates and nesting deeper than 32
(DESIGN §4), naming the line and column. A refusal is raised as ``json.JSONDecodeError``
so FastAPI reports it as ``json_invalid``, which the app answers with 400 ``malformed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from trustid_http.json import loads_request
from vcore.errors import MalformedError

__all__ = ["StrictJSONRequest", "StrictJSONRoute"]


class StrictJSONRequest(Request):
    """A request whose JSON body is parsed with :func:`trustid_http.json.loads_request`."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = loads_request(body)
            except MalformedError as exc:
                raise json.JSONDecodeError(exc.detail, "", 0) from exc
        return self._json


class StrictJSONRoute(APIRoute):
    """An ``APIRoute`` that hands its endpoint a :class:`StrictJSONRequest`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler
