"""``python -m bench.serve_service module:factory PORT``: uvicorn as the services run it."""

from __future__ import annotations

import sys

import uvicorn

from trustid_http.server import uvicorn_options

if __name__ == "__main__":
    uvicorn.run(
        sys.argv[1],
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_level="warning",
        access_log=False,
        **uvicorn_options(),
    )
