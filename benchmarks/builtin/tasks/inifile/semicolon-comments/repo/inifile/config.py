"""Parsed configuration: sections of string values, with typed getters."""

_MISSING = object()


class Config:
    """Sections in file order, each a mapping of key to string value."""

    def __init__(self):
        self._sections = {}

    def add_section(self, name):
        self._sections.setdefault(name, {})

    def sections(self):
        return list(self._sections)

    def keys(self, section):
        return list(self._sections[section])

    def set(self, section, key, value):
        self.add_section(section)
        self._sections[section][key] = value

    def get(self, section, key, default=_MISSING):
        """The value of key in section; default (or KeyError) when absent."""
        try:
            return self._sections[section][key]
        except KeyError:
            if default is _MISSING:
                raise KeyError(f"{section}.{key}") from None
            return default

    def get_int(self, section, key, default=_MISSING):
        value = self.get(section, key, default)
        return value if value is default else int(value)

    def get_bool(self, section, key, default=_MISSING):
        value = self.get(section, key, default)
        if value is default:
            return value
        return value.lower() == "true"
