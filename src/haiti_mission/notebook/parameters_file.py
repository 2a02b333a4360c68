"""A YAML parameters file for a report run (``reports --params``), read safely.

A regular file of at most 1 MiB (a named pipe would block its reader), no YAML aliases (an alias
bomb expands to billions of values and takes memory and time to print), at most four levels of
nesting, no name given twice in one mapping, dates kept as text; each top-level name is a report
notebook or a parameter some notebook declares. Every refusal names the file, and the parameter
where one is at fault.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ParameterError, brief
from ..files import PARAMETERS_FILE_LIMIT, FileRefused, read_regular
from .parameters import available_notebooks, notebook_parameters

MAX_NESTING = 4  # the file's mapping, a notebook's section, a list value, and one to spare


class _GivenTwice(Exception):  # (name, line)
    pass


def _events_problem(text: str) -> tuple[int, str] | None:
    """(line, why) for the first alias or too deep a nesting in ``text``, or None. Read as events,
    before anything is built: an alias bomb is refused without being expanded."""
    import yaml

    depth, deep = 0, f"nested too deeply (a parameters file is names and values, at most {MAX_NESTING} levels)"
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                return event.start_mark.line + 1, f"YAML aliases (*{event.anchor}) are not allowed: write each value out"
            depth += isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)) - isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent))
            if depth > MAX_NESTING:
                return event.start_mark.line + 1, deep
    except yaml.MarkedYAMLError as exc:  # libyaml's scanner, reading ahead, stops at its own depth limit
        if "nesting depth" not in str(exc.problem):
            raise
        return exc.problem_mark.line + 1, deep
    return None


def _loader():
    """A safe loader: dates stay text (the notebooks take "YYYY-MM-DD"), no name given twice."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser when installed: faster
        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, (str, int, float, bool)) and key in seen:
                    raise _GivenTwice(key, key_node.start_mark.line + 1)
                if isinstance(key, (str, int, float, bool)):
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    Loader.yaml_implicit_resolvers = {k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
                                      for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return Loader


def read_parameters_yaml(path: str | Path) -> dict:
    """Read a YAML parameters file into {name: value}, its top-level names checked: each is a report
    notebook (holding a mapping of its parameters) or a parameter some notebook declares.

    Raises ParameterError naming the file (and the parameter at fault): missing, not a regular file,
    over 1 MiB, not UTF-8 or YAML, an alias, nested too deeply, a name given twice, not a mapping,
    or an unknown name.
    """
    try:
        data = read_regular(path, PARAMETERS_FILE_LIMIT, "parameters file")
    except FileRefused as exc:
        raise ParameterError(str(path), None, str(exc), in_file=True) from None
    return parse_parameters_yaml(data, path)


def parse_parameters_yaml(data: bytes, path: str | Path) -> dict:
    """The parameters in ``data``, the bytes of the parameters file ``path`` (see read_parameters_yaml)."""
    import yaml

    def refuse(message: str, parameter: str | None = None):
        return ParameterError(str(path), parameter, message, in_file=True)

    try:
        text = data.decode("utf-8")
        found = _events_problem(text)
        if found:
            raise refuse(f"line {found[0]}: {found[1]}")
        loaded = yaml.load(text, Loader=_loader())
    except UnicodeDecodeError as exc:
        raise refuse(f"not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    except _GivenTwice as exc:
        raise refuse(f"line {exc.args[1]}: given twice", str(exc.args[0])) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        raise refuse(f"not valid YAML: {getattr(exc, 'problem', None) or exc}{where}") from None
    if not isinstance(loaded, (dict, type(None))):
        raise refuse("must be a mapping of names to values (name: value, one a line)")
    declared = {n: notebook_parameters(n) for n in available_notebooks()}
    for key, value in (loaded or {}).items():
        if key in declared and not isinstance(value, dict):
            raise refuse(f"the section for notebook {brief(key)} must be a mapping of its parameters", str(key))
        if key not in declared and not any(key in params for params in declared.values()):
            raise refuse("is neither a report notebook nor a parameter of any; notebooks: " + ", ".join(declared), str(key))
    return loaded or {}
