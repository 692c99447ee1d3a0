"""``.k8slint.yaml``: discovery (current directory upwards, or --config), validation against
schemas/config.schema.json, and the rule selection it implies."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from k8slint.loader import Document, LoadError, compose
from k8slint.source import decode

CONFIG_NAMES = (".k8slint.yaml", ".k8slint.yml")
# Config, policy and cluster files are small; a bigger one (or /dev/zero) is refused before it is read.
MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024


class ConfigError(Exception):
    """A configuration (or cluster profile) that cannot be used; the CLI exits 2 with it."""


@dataclass
class Config:
    """A configuration file (.k8slint.yaml) and its data."""

    path: Path | None = None
    data: dict = field(default_factory=dict)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else self.base_dir / path

    def resolve_inside(self, relative: str, what: str) -> Path:
        """``relative`` resolved (symlinks included), refused unless it lies under the config's
        directory: a repository's config must not make k8slint read other files of the machine
        running it (a CI runner's credentials, /proc, devices)."""
        return contained(self.resolve(relative), self.base_dir, what, relative)


def contained(path: Path, root: Path, what: str, shown: str | None = None) -> Path:
    """``path`` with symlinks resolved, or ConfigError if that is not under ``root``."""
    real = Path(os.path.realpath(path))
    base = Path(os.path.realpath(root))
    if real != base and base not in real.parents:
        raise ConfigError(f"{what} {shown or path} is outside the configuration's directory {base} "
                          f"(symlinks resolved): config-side files must be in the repository")
    return real


def find_config(start: Path | None = None) -> Path | None:
    directory = (start or Path.cwd()).resolve()
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
    return None


def read_yaml_file(path: Path, what: str) -> list:
    """All documents of a small YAML file (config, profile, policy), or ConfigError."""
    data = read_small_file(path, what)
    text, problem = decode(data)
    if problem is not None:
        raise ConfigError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    roots = []
    for item in compose(text):
        if isinstance(item, LoadError):
            raise ConfigError(f"{path}:{item.line}:{item.column}: {item.message}")
        if isinstance(item, Document):
            roots.append(item.root)
    return roots


def read_small_file(path: Path, what: str, limit: int = MAX_CONFIG_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, or ConfigError. Devices, FIFOs and
    directories are refused before they are opened (opening a FIFO waits for a writer; /dev/zero
    never ends); the read itself stops after ``limit`` + 1 bytes in case the file grows."""
    import stat

    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ConfigError(f"{path}: cannot read {what}: {kind} (give a regular file)")
        if info.st_size > limit:
            raise ConfigError(f"{path}: cannot read {what}: {info.st_size} bytes, larger than the "
                              f"{limit // (1024 * 1024)} MiB limit")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: cannot read {what}: larger than the {limit // (1024 * 1024)} MiB limit")
    return data


def load_config(explicit: str | None) -> Config:
    path = Path(explicit) if explicit else find_config()
    if path is None:
        return Config()
    roots = read_yaml_file(path, "config")
    data = roots[0] if roots else {}
    validate(data, "config.schema.json", str(path))
    return Config(path, data)


def validate(data, schema_name: str, where: str) -> None:
    """Validate with jsonschema; every error says the field path and what is wrong."""
    import jsonschema

    from k8slint.resources import load_schema

    validator = strict_validator(load_schema(schema_name))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{where}: invalid {schema_name.split('.')[0]}:"]
        for error in errors[:20]:
            lines.append(f"  at {_json_path(error.absolute_path)}: {_explain(error)}")
        raise ConfigError("\n".join(lines))


def strict_validator(schema: dict):
    """A 2020-12 validator for k8slint's own schemas in which an integer is an int: JSON Schema
    calls 2.0 an integer, but `nodes: 2.0` or `count: 1e9` are not counts to loop over."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    return validators.extend(Draft202012Validator, type_checker=checker)(schema)


def _json_path(path) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or "(top level)"


def _explain(error) -> str:
    if error.validator == "type" and error.validator_value == "integer" and isinstance(error.instance, float):
        return f"{error.instance!r} is not an integer: write a whole number without a decimal point or exponent"
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    path = list(error.absolute_path)
    if error.validator == "oneOf" and len(path) == 2 and path[0] == "rules":
        # a rule's setting: say what a setting may be, not which branch of the schema failed
        return (f"{error.instance!r} is not a rule setting: use on, off, true, false, a severity (error, "
                f"warning, info), or a mapping of enabled, severity and params")
    if error.validator == "oneOf" and error.context:
        best = min(error.context, key=lambda e: len(e.message))
        return f"{error.instance!r} is not valid here ({best.message})"
    return error.message


def rule_selection(config: Config, known: set[str], default_disabled: set[str],
                   enable: tuple[str, ...] = (), disable: tuple[str, ...] = ()) -> tuple[set, dict, dict]:
    """Enabled rule ids, severity overrides and parameters from config plus CLI flags."""
    data = config.data
    enabled = set(known) - default_disabled
    severities: dict[str, str] = {}
    params: dict[str, dict] = {}
    unknown = [i for i in (*data.get("enable", ()), *data.get("disable", ()), *data.get("rules", {}),
                           *enable, *disable) if i not in known]
    if unknown:
        raise ConfigError(f"unknown rule id(s): {', '.join(sorted(set(unknown)))} "
                          f"(see `k8slint rules`)")
    enabled |= set(data.get("enable", ()))
    enabled -= set(data.get("disable", ()))
    for rule_id, setting in data.get("rules", {}).items():
        if setting in ("off", False):
            enabled.discard(rule_id)
        elif setting in ("on", True):
            enabled.add(rule_id)
        elif isinstance(setting, str):
            enabled.add(rule_id)
            severities[rule_id] = setting
        elif isinstance(setting, dict):
            if setting.get("enabled") is False:
                enabled.discard(rule_id)
            elif setting.get("enabled") is True:
                enabled.add(rule_id)
            if "severity" in setting:
                severities[rule_id] = setting["severity"]
            if "params" in setting:
                params[rule_id] = dict(setting["params"])
    enabled |= set(enable)
    enabled -= set(disable)
    return enabled, severities, params


def check_rule_params(params: dict[str, dict], where: str) -> None:
    """Each ``rules.<id>.params`` value against the parameter's JSON Schema in the rule's metadata
    (``rules/<id>.yaml``): a misspelt name or a wrong-typed value is a ConfigError naming its path."""
    from k8slint import catalog

    lines = []
    for rule_id, given in params.items():
        declared = {p["name"]: p for p in catalog.metadata(rule_id).get("parameters") or []}
        for name, value in given.items():
            path = f"rules.{rule_id}.params.{name}"
            if name not in declared:
                known = ", ".join(sorted(declared)) or "none"
                lines.append(f"  at {path}: unknown parameter (parameters of {rule_id}: {known})")
                continue
            for error in strict_validator(declared[name]["schema"]).iter_errors(value):
                lines.append(f"  at {path}: {error.message}")
    if lines:
        raise ConfigError("\n".join([f"{where}: invalid config:"] + lines))


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")
