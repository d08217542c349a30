"""Exceptions users see: each carries a message that says what is wrong and where."""

from __future__ import annotations


class DgmError(Exception):
    """Base of every error dgm reports to a user instead of a traceback."""


class ConfigError(DgmError):
    """A configuration file or value is invalid."""


class ArchiveError(DgmError):
    """A run archive cannot be used as asked."""


class ArchiveNotFoundError(ArchiveError):
    """No run archive at the given path."""


class ArchiveCorruptError(ArchiveError):
    """A file of a run archive is unreadable or invalid; the message names the file."""


class ArchiveSchemaError(ArchiveError):
    """A file of a run archive was written by a newer dgm."""


class ArchiveLockedError(ArchiveError):
    """Another process holds the run open for writing."""


class NodeNotFoundError(ArchiveError):
    """No node with that id in the archive."""


class PatchError(ArchiveError):
    """A patch does not apply to its parent node."""
