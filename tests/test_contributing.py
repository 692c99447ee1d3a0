"""docs/CONTRIBUTING.md's walk-through for adding a rule stays true: it is done here, on a copy of
the tree, from the files the page shows (the ```` ```lang file=PATH ```` blocks of its section),
then its one script and its tests run in that copy. It must need nothing else: no engine edit, no
hand-written registry line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from conftest import ROOT

# What the copy needs to lint, generate and test (the corpus under tests/ is not one of them).
_COPIED = ("k8slint", "rules", "scripts", "fixtures", "docs", "schemas", "pyproject.toml")


def _walk_through_files() -> dict[str, str]:
    text = (ROOT / "docs" / "CONTRIBUTING.md").read_text(encoding="utf-8")
    start = text.index("## Adding a rule: a walk-through")
    section = text[start:text.index("\n## ", start + 1)]
    files = {}
    for block in re.finditer(r"^( *)```\w+ file=(\S+)\n(.*?)^\1```", section, re.S | re.M):
        indent, path, body = block.groups()
        files[path] = "".join(line[len(indent):] if line.startswith(indent) else line.lstrip(" ")
                              for line in body.splitlines(keepends=True))
    return files


def _tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_walk_through_adds_a_rule_with_its_three_files_only(tmp_path):
    files = _walk_through_files()
    written = {path for path in files if not path.startswith(("tests/", "docs/"))}
    assert {p.split("/")[0] for p in written} == {"k8slint", "rules", "fixtures"}, sorted(files)
    copy = tmp_path / "tree"
    for name in _COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "out"))
        elif source.is_file():
            shutil.copy2(source, copy / name)
    (copy / "tests").mkdir()
    for test in ("conftest.py", "test_rule_api.py", "test_catalog.py", "test_rule_fixtures.py"):
        shutil.copy2(ROOT / "tests" / test, copy / "tests" / test)
    before = _tree(copy)
    for path, content in files.items():
        assert not (copy / path).exists(), f"{path}: the walk-through's rule exists already"
        (copy / path).parent.mkdir(parents=True, exist_ok=True)
        (copy / path).write_text(content, encoding="utf-8")

    env = dict(os.environ, PYTHONPATH=str(copy), PYTHONDONTWRITEBYTECODE="1")
    generate = subprocess.run([sys.executable, "scripts/gen_rule_docs.py"], cwd=copy, env=env,
                              capture_output=True, text=True)
    assert generate.returncode == 0, generate.stderr
    changed = {path for path, data in _tree(copy).items() if before.get(path) != data}
    # the script re-generated the registry table and the rules page, and touched nothing else
    assert changed - set(files) == {"k8slint/rules/__init__.py", "docs/rules.md"}

    rule_ids = (copy / next(p for p in files if p.endswith("/RULES"))).read_text().split()
    family = next(p for p in files if p.endswith("/RULES")).split("/")[-2]
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_rule_api.py",
                          "tests/test_catalog.py", "tests/test_rule_fixtures.py", "-k",
                          f"not test_fixture or {family}"],
                         cwd=copy, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and "failed" not in run.stdout
    # the new rule is registered, documented and fires on its fire fixture in the copy
    assert all(f'"{rule_id}"' in (copy / "k8slint" / "rules" / "__init__.py").read_text() for rule_id in rule_ids)
    assert all(f"## {rule_id}" in (copy / "docs" / "rules.md").read_text() for rule_id in rule_ids)
    fire = next(p for p in files if "/fire/" in p)
    lint = subprocess.run([sys.executable, "-m", "k8slint", "lint", "--no-color", fire], cwd=copy, env=env,
                          capture_output=True, text=True)
    assert all(f" {rule_id}: " in lint.stdout for rule_id in rule_ids), lint.stdout + lint.stderr
