"""The rule catalogue: metadata for every rule id, read from ``rules/<id>.yaml``.

``k8slint rules``, ``k8slint explain``, SARIF ``rules[]`` and the hints in findings all read it.
"""

from __future__ import annotations

from functools import lru_cache

from k8slint.loader import Document, compose
from k8slint.resources import data_dir

DOCS_URL = "https://github.com/k8slint/k8slint/blob/main/docs/rules.md"


@lru_cache(maxsize=1)
def load_catalog() -> dict[str, dict]:
    """Rule id -> metadata mapping, as written in rules/*.yaml (validated by the test suite)."""
    catalog: dict[str, dict] = {}
    for path in sorted(data_dir("rules").glob("*.yaml")):
        for item in compose(path.read_text(encoding="utf-8")):
            if isinstance(item, Document) and isinstance(item.root, dict) and "id" in item.root:
                catalog[item.root["id"]] = item.root
    return catalog


def metadata(rule_id: str) -> dict:
    return load_catalog().get(rule_id, {})


def default_severity(rule_id: str) -> str:
    return metadata(rule_id).get("severity", "warning")


def help_uri(rule_id: str) -> str:
    anchor = metadata(rule_id).get("docs_anchor") or rule_id
    return f"{DOCS_URL}#{anchor}"


# --- one renderer of a rule's metadata: `k8slint explain`, docs/rules.md and SARIF rules[].help ---


def _prose(value) -> str:
    return " ".join(str(value or "").split())


def _parameters(meta: dict) -> list[tuple[str, str, str, str]]:
    """(name, type, default as JSON, description) of each declared parameter."""
    import json

    out = []
    for p in meta.get("parameters") or []:
        if isinstance(p, dict) and p.get("name"):
            kind = (p.get("schema") or {}).get("type") or p.get("type") or ""
            out.append((p["name"], str(kind), json.dumps(p.get("default")), _prose(p.get("description"))))
    return out


def _suppression(rule_id: str, markdown: bool) -> str:
    if markdown:
        return (f"Suppress with the annotation `k8slint.io/ignore: \"{rule_id}\"` or a "
                f"`# k8slint: disable={rule_id}` comment.")
    return f"Suppress with the annotation k8slint.io/ignore: \"{rule_id}\" or a '# k8slint: disable={rule_id}' comment."


def render_text(rule_id: str, meta: dict, help_uri: str | None = None, details: tuple = ()) -> str:
    """A rule's documentation as plain text (``k8slint explain``, SARIF ``help.text``); ``details``
    are extra lines (a custom policy's schema) put before the link. Prose stays one line per
    section (terminals and SARIF viewers wrap it)."""
    lines = [f"{meta.get('id', rule_id)} ({meta.get('severity', '')}): {_prose(meta.get('title'))}", ""]
    for section in ("description", "rationale", "remediation"):
        if meta.get(section):
            lines += [f"{section.capitalize()}:", f"  {_prose(meta[section])}", ""]
    if meta.get("needs_cluster"):
        lines += ["Needs cluster information: --cluster, --nodes or Node objects in the input.", ""]
    for name, kind, default, description in _parameters(meta):
        lines.append(f"Parameter {name} ({kind}, default {default}; set under rules.{rule_id}.params): "
                     f"{description}")
    if _parameters(meta):
        lines.append("")
    for label, example in _examples(meta):
        lines += [f"Example ({label}):", *("    " + line for line in example.splitlines()), ""]
    lines += [_suppression(rule_id, False), *details]
    if help_uri:
        lines.append(f"Docs: {help_uri}")
    return "\n".join(lines).rstrip() + "\n"


def _examples(meta: dict) -> list[tuple[str, str]]:
    """The rule's bad and good examples that are present, in that order (both renderers show them)."""
    examples = meta.get("examples") if isinstance(meta.get("examples"), dict) else {}
    pairs = [(label, str(examples.get(label) or "").rstrip()) for label in ("bad", "good")]
    return [(label, example) for label, example in pairs if example]


def render_markdown(rule_id: str, meta: dict, help_uri: str | None = None) -> str:
    """A rule's documentation as Markdown (docs/rules.md under the rule's heading, SARIF
    ``help.markdown``)."""
    tags = ", ".join(str(t) for t in meta.get("tags") or [])
    lines = [f"**{_prose(meta.get('title')) or rule_id}** — default severity `{meta.get('severity', '')}`"
             + (", needs cluster information" if meta.get("needs_cluster") else "")
             + (f"; tags: {tags}" if tags else ""), ""]
    for section in ("description", "rationale", "remediation"):
        if meta.get(section):
            lines += [f"**{section.capitalize()}.** {_prose(meta[section])}", ""]
    for name, kind, default, description in _parameters(meta):
        lines.append(f"- parameter `{name}` ({kind}, default `{default}`, set under "
                     f"`rules.{rule_id}.params`): {description}")
    if _parameters(meta):
        lines.append("")
    for label, example in _examples(meta):
        lines += [f"{label.capitalize()}:", "", "```yaml", example, "```", ""]
    lines.append(_suppression(rule_id, True))
    if help_uri:
        lines += ["", f"[Documentation]({help_uri})"]
    return "\n".join(lines).rstrip() + "\n"
