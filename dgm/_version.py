"""The installed dgm version (one place, read by packaging and the archive)."""

__version__ = "0.1.0"
