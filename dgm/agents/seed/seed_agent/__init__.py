"""The dgm seed agent: a minimal, stdlib-only coding agent that can read and improve itself."""

__version__ = "0.1.0"
