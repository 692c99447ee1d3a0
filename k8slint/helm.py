"""Rendered Helm charts: which template each finding comes from.

``helm template`` writes each document as ``---``, then ``# Source: <chart>/templates/<file>``,
then the rendered object (helm/pkg/action/action.go, ``fmt.Fprintf(b, "---\\n# Source: %s\\n%s\\n",
...)``; hooks and subchart templates alike, ``<chart>/charts/<sub>/templates/<file>`` for
subcharts). Line numbers in that stream mean nothing in the chart, so a finding in such a stream
(standard input or a saved file) also names its template: ``Finding.template`` is the path the
comment gives, or, with ``--chart-root DIR`` (the chart's directory in the repository), that path
with the chart name replaced by DIR, which is where GitHub code scanning can show the alert.

This runs on findings after the run, over the text the run linted (kept for small files and
standard input; a large file is read again only when its first bytes hold a ``# Source:``
comment), so manifests that are not Helm output cost one substring test.
"""

from __future__ import annotations

import bisect
import os
import re

from k8slint.source import STDIN, kept_text, text_again

_SOURCE = re.compile(r"^# Source: (\S(?:.*\S)?)[ \t]*$")
_MARKER = re.compile(r"^---(?:[ \t]|$)")
_PEEK = 4096  # helm writes its first "# Source:" comment on the first or second line


def source_map(text: str) -> tuple[list[int], list[str | None]]:
    """(first lines, templates): the template of each document of a ``helm template`` stream,
    by the line its document starts on. A document without a ``# Source:`` comment has None."""
    starts: list[int] = [1]
    templates: list[str | None] = [None]
    for number, line in enumerate(text.splitlines(), start=1):
        if _MARKER.match(line):
            starts.append(number)
            templates.append(None)
        elif line.startswith("# Source: ") and templates[-1] is None:
            match = _SOURCE.match(line)
            if match:
                templates[-1] = match.group(1)
    return starts, templates


def template_at(source: tuple[list[int], list[str | None]], line: int) -> str | None:
    starts, templates = source
    return templates[max(0, bisect.bisect_right(starts, line) - 1)]


def in_repository(template: str, chart_root: str) -> str:
    """``<chart>/templates/x.yaml`` as a path under ``chart_root`` (POSIX separators, relative
    to the current directory when it lies under it)."""
    rest = template.split("/", 1)[1] if "/" in template else template
    path = os.path.normpath(os.path.join(chart_root, rest))
    relative = os.path.relpath(os.path.abspath(path))
    if not (relative == os.pardir or relative.startswith(os.pardir + os.sep)):
        path = relative
    return path.replace(os.sep, "/")


def _helm_text(path: str, max_bytes: int) -> str | None:
    """The linted text of ``path`` when it looks like ``helm template`` output, else None."""
    kept = kept_text(path)
    if kept is not None:
        return kept if "# Source: " in kept[:_PEEK] else None
    if path != STDIN:
        try:
            with open(path, "rb") as handle:
                if b"# Source: " not in handle.read(_PEEK):
                    return None
        except OSError:
            return None
    text = text_again(path, max_bytes)
    return text if text and "# Source: " in text[:_PEEK] else None


def annotate(findings, chart_root: str | None = None, max_bytes: int = 32 << 20) -> int:
    """Set ``Finding.template`` on findings in ``helm template`` output; returns how many."""
    maps: dict[str, tuple | None] = {}
    count = 0
    for finding in findings:
        if finding.template:  # set already (--render kustomize)
            continue
        if finding.file not in maps:
            text = _helm_text(finding.file, max_bytes)
            maps[finding.file] = source_map(text) if text is not None else None
        source = maps[finding.file]
        if source is None:
            continue
        template = template_at(source, finding.line)
        if template:
            finding.template = in_repository(template, chart_root) if chart_root else template
            count += 1
    return count
