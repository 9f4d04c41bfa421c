"""``python -m bench.serve_service module:factory PORT``: uvicorn as the services run it."""

from __future__ import annotations

import sys

import uvicorn

from trustid_http.server import uvicorn_options

if __name__ == "__main__":
    options = uvicorn_options()
    variant = sys.argv[3] if len(sys.argv) > 3 else ""
    if variant == "no-deadline":  # stock httptools protocol: what the header deadline costs
        options["http"] = "httptools"
    elif variant == "no-limit":
        options.pop("limit_concurrency")
    uvicorn.run(
        sys.argv[1],
        factory=True,
        host="127.0.0.1",
        port=int(sys.argv[2]),
        log_level="warning",
        access_log=False,
        **options,
    )
