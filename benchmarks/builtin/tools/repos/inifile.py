"""inifile: a small INI parser and writer."""

from taskgen import Edit, RepoSpec, TaskSpec, src

FILES = {
    "inifile/__init__.py": src('''
        """Read and write INI configuration files."""

        from inifile.config import Config
        from inifile.errors import ParseError
        from inifile.parser import loads
        from inifile.writer import dumps

        __all__ = ["Config", "ParseError", "dumps", "loads"]
    '''),
    "inifile/errors.py": src('''
        """Errors raised while reading configuration."""


        class ParseError(ValueError):
            """Text that is not valid INI; knows the line it happened on."""

            def __init__(self, message, lineno):
                super().__init__(f"line {lineno}: {message}")
                self.lineno = lineno
    '''),
    "inifile/config.py": src('''
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
    '''),
    "inifile/parser.py": src('''
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
    '''),
    "inifile/writer.py": src('''
        """Write a Config back as INI text."""


        def dumps(config):
            """INI text for config: sections in order, one key = value per line."""
            chunks = []
            for section in config.sections():
                keys = config.keys(section)
                if not keys:
                    continue
                lines = [f"[{section}]"] + [f"{k} = {config.get(section, k)}" for k in keys]
                chunks.append("\\n".join(lines))
            return "\\n\\n".join(chunks) + "\\n"
    '''),
    "tests/__init__.py": "",
    "tests/test_basic.py": src('''
        import unittest

        from inifile import dumps, loads

        TEXT = "[server]\\nhost = example.org\\nport = 8080\\n\\n# logging\\n[log]\\nlevel = info\\n"


        class Basic(unittest.TestCase):
            def test_sections_and_values(self):
                config = loads(TEXT)
                self.assertEqual(config.sections(), ["server", "log"])
                self.assertEqual(config.get("server", "host"), "example.org")
                self.assertEqual(config.get_int("server", "port"), 8080)

            def test_missing_key(self):
                config = loads(TEXT)
                self.assertEqual(config.get("log", "file", "none"), "none")
                with self.assertRaises(KeyError):
                    config.get("log", "file")

            def test_round_trip(self):
                self.assertEqual(dumps(loads(TEXT)), TEXT.replace("# logging\\n", ""))
    '''),
}

TASKS = [
    TaskSpec(
        slug="semicolon-comments", split="heldout", difficulty="easy",
        issue='''
            Comment lines starting with `;` make `inifile.loads` fail

            Lots of INI files in the wild (including ones generated by Windows tools) use `;`
            for comments. This file:

            ```ini
            ; database settings
            [db]
            name = prod
            ```

            fails with `ParseError: line 0: expected 'key = value', got '; database settings'`.
            Lines whose first non-blank character is `;` should be ignored like `#` comments.
        ''',
        gold=[Edit("inifile/parser.py", 'if not line or line.startswith("#"):',
                   'if not line or line.startswith(("#", ";")):')],
        hidden='''
            import unittest

            from inifile import loads


            class SemicolonComments(unittest.TestCase):
                def test_semicolon_comment_lines_are_ignored(self):
                    config = loads("; database settings\\n[db]\\n  ; the name\\nname = prod\\n")
                    self.assertEqual(config.sections(), ["db"])
                    self.assertEqual(config.keys("db"), ["name"])
                    self.assertEqual(config.get("db", "name"), "prod")

                def test_hash_comments_still_work(self):
                    config = loads("# top\\n[db]\\nname = prod\\n")
                    self.assertEqual(config.get("db", "name"), "prod")
        ''',
    ),
    TaskSpec(
        slug="error-line-numbers", split="train", difficulty="easy",
        issue='''
            ParseError points at the wrong line

            When a config file has a mistake, the error names the line before the real one:

            ```python
            >>> inifile.loads("[a]\\nx = 1\\noops\\n")
            ParseError: line 2: expected 'key = value', got 'oops'
            ```

            `oops` is on line 3 of the file. Line numbers in errors (the message and the
            `lineno` attribute) should count from 1, the way editors show them.
        ''',
        gold=[Edit("inifile/parser.py", "enumerate(text.splitlines())",
                   "enumerate(text.splitlines(), start=1)")],
        hidden='''
            import unittest

            from inifile import ParseError, loads


            class ErrorLineNumbers(unittest.TestCase):
                def test_bad_line(self):
                    with self.assertRaises(ParseError) as caught:
                        loads("[a]\\nx = 1\\noops\\n")
                    self.assertEqual(caught.exception.lineno, 3)
                    self.assertIn("line 3", str(caught.exception))

                def test_key_before_any_section_on_first_line(self):
                    with self.assertRaises(ParseError) as caught:
                        loads("x = 1\\n[a]\\n")
                    self.assertEqual(caught.exception.lineno, 1)
        ''',
    ),
    TaskSpec(
        slug="bool-words", split="train", difficulty="easy",
        issue='''
            `get_bool` only understands "true"

            `config.get_bool("feature", "enabled")` returns `False` for `enabled = yes` and for
            `enabled = on`, and it silently returns `False` for typos such as `enabled = ture`.

            It should accept the usual spellings, case-insensitively: `1`, `yes`, `true`, `on`
            for true and `0`, `no`, `false`, `off` for false. Anything else should raise
            `ValueError` instead of quietly being false. Defaults passed in are returned as they
            are when the key is missing.
        ''',
        gold=[
            Edit("inifile/config.py", '_MISSING = object()', '''
                _MISSING = object()
                _TRUE = {"1", "yes", "true", "on"}
                _FALSE = {"0", "no", "false", "off"}
            '''),
            Edit("inifile/config.py", 'return value.lower() == "true"', '''
                word = value.strip().lower()
                if word in _TRUE:
                    return True
                if word in _FALSE:
                    return False
                raise ValueError(f"{section}.{key}: not a boolean: {value!r}")
            '''),
        ],
        hidden='''
            import unittest

            from inifile import loads

            TEXT = """[f]
            a = yes
            b = On
            c = 1
            d = TRUE
            e = no
            f = off
            g = 0
            h = False
            bad = ture
            """


            class BoolWords(unittest.TestCase):
                def setUp(self):
                    self.config = loads(TEXT)

                def test_true_words(self):
                    for key in "abcd":
                        self.assertIs(self.config.get_bool("f", key), True, key)

                def test_false_words(self):
                    for key in "efgh":
                        self.assertIs(self.config.get_bool("f", key), False, key)

                def test_garbage_raises(self):
                    with self.assertRaises(ValueError):
                        self.config.get_bool("f", "bad")

                def test_default_when_missing(self):
                    self.assertIs(self.config.get_bool("f", "missing", None), None)
        ''',
    ),
    TaskSpec(
        slug="continuation-lines", split="train", difficulty="medium",
        issue='''
            Support multi-line values (indented continuation lines)

            I keep long values (SQL, banners) in config files, written like Python's
            configparser accepts them:

            ```ini
            [report]
            query = select *
              from sales
              where year = 2025
            title = Sales
            ```

            `inifile.loads` rejects the indented lines (or, for `where year = 2025`, takes them
            for a new key). An indented line that follows a key should continue that key's value:
            `config.get("report", "query")` should be `"select *\\nfrom sales\\nwhere year = 2025"`
            (each continuation line stripped, joined with newlines), and `title` still a key of
            its own.
        ''',
        gold=[
            Edit("inifile/parser.py", '''
                    section = None
                    for lineno, raw in enumerate(text.splitlines()):
                        line = raw.strip()
            ''', '''
                    section = None
                    key = None
                    for lineno, raw in enumerate(text.splitlines()):
                        line = raw.strip()
                        if line and raw[0].isspace() and key is not None:
                            # An indented line continues the value of the key above it.
                            config.set(section, key, config.get(section, key) + "\\n" + line)
                            continue
            '''),
            Edit("inifile/parser.py", '''
                        section = line[1:-1].strip()
            ''', '''
                        section = line[1:-1].strip()
                        key = None
            '''),
            Edit("inifile/parser.py", '''
                    key, _, value = line.partition("=")
                    config.set(section, key.strip(), value.strip())
            ''', '''
                    key, _, value = line.partition("=")
                    key = key.strip()
                    config.set(section, key, value.strip())
            '''),
        ],
        hidden='''
            import unittest

            from inifile import loads

            TEXT = "[report]\\nquery = select *\\n  from sales\\n\\twhere year = 2025\\ntitle = Sales\\n"


            class ContinuationLines(unittest.TestCase):
                def test_indented_lines_continue_the_value(self):
                    config = loads(TEXT)
                    self.assertEqual(config.get("report", "query"),
                                     "select *\\nfrom sales\\nwhere year = 2025")
                    self.assertEqual(config.get("report", "title"), "Sales")
                    self.assertEqual(config.keys("report"), ["query", "title"])

                def test_unindented_lines_are_still_keys(self):
                    config = loads("[a]\\nx = 1\\ny = 2\\n")
                    self.assertEqual(config.get("a", "x"), "1")
                    self.assertEqual(config.get("a", "y"), "2")
        ''',
    ),
    TaskSpec(
        slug="case-insensitive-keys", split="train", difficulty="medium",
        issue='''
            Key lookup should not depend on case

            Users write `Port = 8080` or `PORT = 8080` in their files and our code asks for
            `config.get("server", "port")`, which raises `KeyError`. Keys in INI files are
            conventionally case-insensitive (section names are not). `get`, `get_int` and
            `get_bool` should find a key whatever its case in the file or in the call, and
            setting a key that differs only in case should replace the existing value rather
            than add a second one.
        ''',
        gold=[
            Edit("inifile/config.py", '''
                    self._sections[section][key] = value
            ''', '''
                    self._sections[section][key.lower()] = value
            '''),
            Edit("inifile/config.py", '''
                        return self._sections[section][key]
            ''', '''
                        return self._sections[section][key.lower()]
            '''),
        ],
        hidden='''
            import unittest

            from inifile import loads


            class CaseInsensitiveKeys(unittest.TestCase):
                def test_lookup_ignores_case(self):
                    config = loads("[server]\\nPort = 8080\\nDEBUG = true\\n")
                    self.assertEqual(config.get("server", "port"), "8080")
                    self.assertEqual(config.get("server", "PORT"), "8080")
                    self.assertEqual(config.get_int("server", "pOrT"), 8080)
                    self.assertTrue(config.get_bool("server", "debug"))

                def test_same_key_different_case_replaces(self):
                    config = loads("[s]\\nname = a\\nNAME = b\\n")
                    self.assertEqual(config.get("s", "name"), "b")
                    self.assertEqual(len(config.keys("s")), 1)

                def test_sections_stay_case_sensitive(self):
                    config = loads("[Server]\\nport = 1\\n")
                    with self.assertRaises(KeyError):
                        config.get("server", "port")
        ''',
    ),
    TaskSpec(
        slug="interpolation", split="train", difficulty="hard",
        issue='''
            Feature request: references between values

            I'd like to avoid repeating paths in my config:

            ```ini
            [paths]
            root = /srv/app
            logs = ${root}/logs

            [log]
            file = ${paths:logs}/app.log
            ```

            `config.get("log", "file")` should give `/srv/app/logs/app.log`: `${key}` refers to a
            key of the same section and `${section:key}` to a key of another section, and
            references inside referenced values are resolved too. The typed getters should see the
            resolved value.

            A reference to a key that does not exist, or references that loop (`a = ${b}`,
            `b = ${a}`), should raise a new `inifile.InterpolationError` (a `ValueError`) that
            names the reference, rather than a `KeyError` or a `RecursionError`. Values without
            `${` must come back unchanged.
        ''',
        gold=[
            Edit("inifile/errors.py", '''
                        self.lineno = lineno
            ''', '''
                        self.lineno = lineno


                class InterpolationError(ValueError):
                    """A ${...} reference to a missing key, or references that loop."""
            '''),
            Edit("inifile/__init__.py", '''
                from inifile.errors import ParseError
            ''', '''
                from inifile.errors import InterpolationError, ParseError
            '''),
            Edit("inifile/__init__.py", '''
                __all__ = ["Config", "ParseError", "dumps", "loads"]
            ''', '''
                __all__ = ["Config", "InterpolationError", "ParseError", "dumps", "loads"]
            '''),
            Edit("inifile/config.py", '''
                _MISSING = object()
            ''', '''
                import re

                from inifile.errors import InterpolationError

                _MISSING = object()
                _REFERENCE = re.compile(r"\\$\\{([^}]*)\\}")
            '''),
            Edit("inifile/config.py", '''
                        try:
                            return self._sections[section][key]
                        except KeyError:
                            if default is _MISSING:
                                raise KeyError(f"{section}.{key}") from None
                            return default
            ''', '''
                        try:
                            value = self._sections[section][key]
                        except KeyError:
                            if default is _MISSING:
                                raise KeyError(f"{section}.{key}") from None
                            return default
                        return self._resolve(section, value, ((section, key),))

                    def _resolve(self, section, value, chain):
                        """Replace ${key} and ${section:key} references, following them."""

                        def replace(match):
                            ref = match.group(1)
                            other, _, name = ref.rpartition(":")
                            target = (other or section, name)
                            if target in chain:
                                raise InterpolationError(f"circular reference ${{{ref}}}")
                            try:
                                raw = self._sections[target[0]][target[1]]
                            except KeyError:
                                raise InterpolationError(f"undefined reference ${{{ref}}}") from None
                            return self._resolve(target[0], raw, chain + (target,))

                        return _REFERENCE.sub(replace, value)
            '''),
        ],
        hidden='''
            import unittest

            from inifile import InterpolationError, loads

            TEXT = """[paths]
            root = /srv/app
            logs = ${root}/logs

            [log]
            file = ${paths:logs}/app.log
            level = info
            retries = ${limits:n}

            [limits]
            n = 3

            [loop]
            a = ${b}
            b = ${a}
            self = x${self}
            missing = ${nope}
            elsewhere = ${paths:nope}
            """


            class Interpolation(unittest.TestCase):
                def setUp(self):
                    self.config = loads(TEXT)

                def test_same_section(self):
                    self.assertEqual(self.config.get("paths", "logs"), "/srv/app/logs")

                def test_other_section_and_nested(self):
                    self.assertEqual(self.config.get("log", "file"), "/srv/app/logs/app.log")

                def test_typed_getter_sees_resolved_value(self):
                    self.assertEqual(self.config.get_int("log", "retries"), 3)

                def test_plain_values_unchanged(self):
                    self.assertEqual(self.config.get("log", "level"), "info")

                def test_undefined_reference(self):
                    for key in ("missing", "elsewhere"):
                        with self.assertRaises(InterpolationError) as caught:
                            self.config.get("loop", key)
                        self.assertIn("nope", str(caught.exception))

                def test_cycles(self):
                    for key in ("a", "self"):
                        with self.assertRaises(InterpolationError):
                            self.config.get("loop", key)

                def test_is_a_value_error(self):
                    self.assertTrue(issubclass(InterpolationError, ValueError))
        ''',
    ),
]

REPO = RepoSpec("inifile", FILES, TASKS)
