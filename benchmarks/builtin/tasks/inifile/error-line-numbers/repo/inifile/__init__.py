"""Read and write INI configuration files."""

from inifile.config import Config
from inifile.errors import ParseError
from inifile.parser import loads
from inifile.writer import dumps

__all__ = ["Config", "ParseError", "dumps", "loads"]
