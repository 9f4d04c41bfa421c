"""HTTP plumbing shared by the services: problem+json, body limits, headers, strict JSON.

Imports no app; vcore never imports it (import-linter contracts).
"""
