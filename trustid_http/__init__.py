"""HTTP plumbing shared by the TrustID services and the wallet (no app imports).

- ``trustid_http.problems``: RFC 9457 problem+json, the exception handlers, the 500 guard.
- ``trustid_http.limits``: request body limits (413) and the body-read timeout (408).
- ``trustid_http.headers``: security headers (CSP, framing, sniffing, referrer).
- ``trustid_http.json``: strict JSON request bodies, refused with line and column.
- ``trustid_http.docs``: Swagger UI and ReDoc served from local assets (offline).
- ``trustid_http.outbound``: outbound HTTP under the SSRF policy (sync and async).
"""
