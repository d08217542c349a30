"""Sandboxes for untrusted agent code: the Sandbox protocol and its backends."""
