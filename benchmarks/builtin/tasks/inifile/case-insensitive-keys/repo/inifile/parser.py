"""Parse INI text into a Config."""

from inifile.config import Config
from inifile.errors import ParseError


def loads(text):
    """Parse INI text: [section] headers, key = value pairs, comment lines."""
    config = Config()
    section = None
    for lineno, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            config.add_section(section)
            continue
        if "=" not in line:
            raise ParseError(f"expected 'key = value', got {line!r}", lineno)
        if section is None:
            raise ParseError("key outside of any section", lineno)
        key, _, value = line.partition("=")
        config.set(section, key.strip(), value.strip())
    return config
