"""Shared helpers: run k8slint the way users do (in-process CLI or the engine) and read the
``# expect: rule-id`` markers that fixture files carry on the line a finding must point at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# Real manifests of public projects and other linters' fixtures, with their sources and licences
# (tests/corpus/SOURCES.md): the tests need nothing outside the repository.
CORPUS = ROOT / "tests" / "corpus"
# The smallest real Deployment with one finding: its container has no readinessProbe (line 11).
NO_PROBE_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
"""
_EXPECT = re.compile(r"#\s*expect:\s*([a-z0-9@,\s-]+?)\s*$")


def expectations(path: Path) -> list[tuple[int, str, int | None]]:
    """(line, rule, column or None) for each ``# expect: rule[@column], ...`` marker."""
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _EXPECT.search(line)
        if match:
            for item in match.group(1).split(","):
                rule, _, column = item.strip().partition("@")
                out.append((number, rule, int(column) if column else None))
    return out


def all_rule_ids() -> frozenset[str]:
    from k8slint.rules import reported_ids

    return frozenset(reported_ids())


def engine_run(paths, cluster=None, enabled=None, **options):
    from k8slint.engine import Options, run

    opts = Options(enabled=frozenset(enabled) if enabled else all_rule_ids(), cluster=cluster, **options)
    return run([str(p) for p in paths], opts)


def cli(*args, input=None):
    """Run the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from k8slint.cli import main

    runner = CliRunner()
    return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> Path, in a fresh temporary directory."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write
