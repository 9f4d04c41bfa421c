"""Thin HTTP routes of the verifier: parse, call the service, render."""
