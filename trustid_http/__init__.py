"""HTTP plumbing shared by the TrustID services and the wallet (no app imports).

``trustid_http.outbound``: outbound HTTP under the SSRF policy (sync and async).
"""
