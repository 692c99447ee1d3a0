"""``k8slint fix``: each fix's before/after pair byte for byte, idempotence, no new findings, fixes in
the JSON report, and over every fixture and the real corpus: only the lines the fixes name change."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from conftest import FIXTURES, ROOT, cli

from k8slint.fixer import apply_edits, position

PAIRS = sorted(p for p in (FIXTURES / "fixes").iterdir() if (p / "before.yaml").is_file())


def _args(case: Path) -> list[str]:
    words = (case / "ARGS").read_text().split()
    return [str(ROOT / w) if w.startswith("fixtures/") else w for w in words]


def _findings(path: Path, args: list[str]) -> list[dict]:
    lint_args = [a for a in args if a != "--unsafe"]
    result = cli("lint", "--format", "json", *lint_args, path)
    return json.loads(result.stdout)["findings"]


@pytest.mark.parametrize("case", PAIRS, ids=[p.name for p in PAIRS])
def test_fix_pair(case, tmp_path):
    args = _args(case)
    target = tmp_path / "manifest.yaml"
    shutil.copyfile(case / "before.yaml", target)
    before = _findings(target, args)
    offered = {(f["rule"], f["kind"], f["name"], f["path"]) for f in before
               if "fix" in f and (f["fix"]["safety"] == "safe" or "--unsafe" in args)}
    assert offered, "the before file must offer a fix"

    result = cli("fix", *args, target)
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert target.read_bytes() == (case / "after.yaml").read_bytes()
    assert "fixed " in result.stdout

    # idempotent: a second run finds nothing to change
    again = cli("fix", *args, target)
    assert target.read_bytes() == (case / "after.yaml").read_bytes()
    assert "0 fix(es) applied in 0 file(s)" in again.stdout

    # what was fixed is gone, and nothing new appears
    fixed_at = {tuple(line.split(": ", 2)[:2]) for line in result.stdout.splitlines() if line.startswith("fixed ")}
    fixed = {(f["rule"], f["kind"], f["name"], f["path"]) for f in before
             if (f"fixed {target}:{f['line']}:{f['column']}", f["rule"]) in fixed_at}
    assert fixed and fixed <= offered
    after = _findings(target, args)
    remaining = {(f["rule"], f["kind"], f["name"], f["path"]) for f in after}
    assert not fixed & remaining
    assert remaining <= {(f["rule"], f["kind"], f["name"], f["path"]) for f in before}


@pytest.mark.parametrize("case", PAIRS, ids=[p.name for p in PAIRS])
def test_diff_prints_the_fix_and_writes_nothing(case, tmp_path):
    target = tmp_path / "manifest.yaml"
    shutil.copyfile(case / "before.yaml", target)
    result = cli("fix", "--diff", *_args(case), target)
    assert target.read_bytes() == (case / "before.yaml").read_bytes()
    before = (case / "before.yaml").read_bytes().decode("utf-8")
    after = (case / "after.yaml").read_bytes().decode("utf-8")
    shown = str(target).lstrip("/")
    expected = "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                            f"a/{shown}", f"b/{shown}"))
    assert result.stdout_bytes.decode("utf-8") == expected
    assert "would fix" in result.stderr


def test_unsafe_fixes_wait_for_the_flag(tmp_path):
    target = tmp_path / "seed.yaml"
    shutil.copyfile(FIXTURES / "fixes" / "seed-000" / "before.yaml", target)
    result = cli("fix", "--nodes", "2", target)
    assert result.exit_code == 1
    assert target.read_bytes() == (FIXTURES / "fixes" / "seed-000" / "before.yaml").read_bytes()
    assert "not fixed" in result.stdout and "applied only with --unsafe" in result.stdout
    assert "1 more with --unsafe" in result.stdout


def test_select_limits_the_rules_fixed(tmp_path):
    case = FIXTURES / "fixes" / "rolling-update"
    target = tmp_path / "m.yaml"
    shutil.copyfile(case / "before.yaml", target)
    result = cli("fix", "--select", "yaml-boolean-trap", "--unsafe", target)
    assert target.read_bytes() == (case / "before.yaml").read_bytes()
    assert "0 fix(es) applied" in result.stdout
    assert cli("fix", "--select", "no-such-rule", target).exit_code == 2


def test_lint_fix_writes_then_reports_what_remains(tmp_path):
    case = FIXTURES / "fixes" / "boolean-trap"
    target = tmp_path / "m.yaml"
    shutil.copyfile(case / "before.yaml", target)
    result = cli("lint", "--fix", "--format", "json", target)
    assert target.read_bytes() == (case / "after.yaml").read_bytes()
    report = json.loads(result.stdout)
    assert [f["rule"] for f in report["findings"]] == ["yaml-boolean-trap"]  # the key: unsafe
    assert report["findings"][0]["fix"]["safety"] == "unsafe"
    assert "fixed " in result.stderr


def test_json_fix_edits_reproduce_the_fix(tmp_path):
    """The edits in the JSON report, applied by line and column, give what `fix` writes."""
    case = FIXTURES / "fixes" / "boolean-trap"
    target = tmp_path / "m.yaml"
    shutil.copyfile(case / "before.yaml", target)
    result = cli("lint", "--format", "json", target)
    report = json.loads(result.stdout)
    jsonschema.validate(report, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    text = target.read_bytes().decode("utf-8")
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    edits = []
    for finding in report["findings"]:
        if finding.get("fix", {}).get("safety") == "safe":
            for edit in finding["fix"]["edits"]:
                edits.append((starts[edit["line"] - 1] + edit["column"] - 1,
                              starts[edit["end_line"] - 1] + edit["end_column"] - 1, edit["text"]))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    assert text.encode("utf-8") == (case / "after.yaml").read_bytes()


def test_stdin_is_fixed_to_stdout():
    case = FIXTURES / "fixes" / "deprecated-api"
    result = cli("fix", "-", input=(case / "before.yaml").read_bytes())
    assert result.stdout.encode("utf-8") == (case / "after.yaml").read_bytes()
    assert "fixed -:2:13: deprecated-api" in result.stderr


def test_a_fix_that_cannot_be_placed_leaves_the_file_alone(write):
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  A: &flag yes\n  B: *flag\n")
    path = write("alias.yaml", text)
    result = cli("fix", path)
    assert path.read_text() == text
    assert "cannot be placed" in result.stdout and "YAML anchor" in result.stdout
    assert result.exit_code == 1


def test_a_symlink_out_of_the_tree_is_not_written(tmp_path):
    outside = tmp_path / "outside.yaml"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  A: yes\n"
    outside.write_text(text)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.yaml").symlink_to(outside)
    (tree / "own.yaml").write_text(text.replace("name: a", "name: b"))
    result = cli("fix", tree, tree / "link.yaml")  # named: linted, but never written through
    assert outside.read_text() == text
    assert (tree / "link.yaml").is_symlink()
    assert "not written" in result.stderr
    assert (tree / "own.yaml").read_text().endswith('A: "yes"\n')
    assert result.exit_code == 2


def test_a_symlink_inside_the_tree_is_written_through(tmp_path):
    tree = tmp_path / "tree"
    (tree / "real").mkdir(parents=True)
    target = tree / "real" / "cm.yaml"
    target.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  A: yes\n")
    (tree / "link.yaml").symlink_to(target)
    mode = 0o640
    os.chmod(target, mode)
    cli("fix", tree)
    assert (tree / "link.yaml").is_symlink()
    assert target.read_text().endswith('A: "yes"\n')
    assert (target.stat().st_mode & 0o777) == mode


def test_encoding_and_byte_order_mark_are_kept(tmp_path):
    target = tmp_path / "cm.yaml"
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: é}\ndata:\n  A: yes\n"
    target.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    cli("fix", target)
    assert target.read_bytes() == b"\xff\xfe" + text.replace("A: yes", 'A: "yes"').encode("utf-16-le")


def _changed_lines(before: str, after: str) -> set[int]:
    """1-based lines of ``before`` that differ in ``after`` (an insertion counts at the line it
    goes before)."""
    changed = set()
    matcher = difflib.SequenceMatcher(None, before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return changed


def _named_lines(text: str, edits) -> set[int]:
    lines = set()
    for edit in edits:
        first, _ = position(text, edit.start)
        last, column = position(text, edit.end)
        lines.update(range(first, last + 1 if column > 1 or last == first else last))
        if edit.start == edit.end:  # an insertion at a line start: the line before it, or that line
            lines.update((first - 1, first))
    return lines


@pytest.mark.parametrize("tree", ["fixtures", "tests/corpus"])
def test_fixing_everything_changes_only_the_lines_the_fixes_name(tree):
    """Every fixable finding of every file, unsafe ones too: each pass of edits changes only the
    lines its edits cover, the rest of each file stays byte for byte, and a second run over the
    fixed texts finds nothing more to do."""
    from k8slint import source
    from k8slint.cli import _options
    from k8slint.config import load_config
    from k8slint.fixer import fix_run

    root = ROOT / tree
    if not root.is_dir():
        pytest.skip(f"{tree} is not in this checkout")
    options = _options(load_config(None), (), (), None, 3, None, 1, None)
    outcome = fix_run([str(root)], options, unsafe=True)
    assert outcome.applied, "the tree offers no fix at all"
    current = dict(outcome.before)
    for path, text, edits in outcome.steps:
        assert current[path] == text
        new = apply_edits(text, edits)
        assert _changed_lines(text, new) <= _named_lines(text, edits), path
        current[path] = new
    for path, text in current.items():
        assert outcome.after[path] == text
    # a second run over the fixed texts changes nothing
    source.set_overrides(outcome.after)
    try:
        from k8slint.engine import run

        result = run([str(root)], options)
    finally:
        source.set_overrides({})
    # nothing new: every finding on the fixed texts was there before (fixes that would bring
    # something up are taken back by the fixer)
    before = run([str(root)], options)
    identity = lambda f: (f.file, f.rule, f.kind, f.name, f.path)  # noqa: E731
    known = {identity(f) for f in before.findings}
    assert [identity(f) for f in result.findings if identity(f) not in known] == []
    taken_back = {(entry[0], entry[1], entry[3]) for entry in outcome.skipped if "after it" in entry[4]}
    left = [f for f in result.findings if f.fix is not None and not f.suppressed
            and (f.file, f.line, f.rule) not in taken_back]
    from k8slint.fixer import edits_for

    placed = edits_for(left, lambda p: outcome.after.get(p) or source.read_source(p).text)
    assert not placed, [(f.file, f.line, f.rule) for f in left if id(f) in placed]


def test_readme_shows_real_fix_diff_output_on_seed_000(monkeypatch):
    command = "k8slint fix --diff --unsafe --nodes 2 fixtures/examples/seed-000-anti-affinity.yaml"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split(f"$ {command}\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(ROOT)
    result = cli(*command.split()[1:])
    assert result.exit_code == 0
    assert block == result.stdout + result.stderr
    assert "+            matchLabelKeys: [pod-template-hash]\n" in block


def test_a_fix_that_would_bring_up_a_new_finding_is_taken_back(tmp_path):
    case = FIXTURES / "fixes" / "unknown-field"
    target = tmp_path / "m.yaml"
    shutil.copyfile(case / "before.yaml", target)
    result = cli("fix", target)
    assert target.read_bytes() == (case / "after.yaml").read_bytes()
    assert "RestartPolicy: Once" in target.read_text()
    assert "unknown-field: not applied: after it, job-restart-policy reports" in result.stdout
