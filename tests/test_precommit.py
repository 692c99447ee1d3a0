"""The pre-commit hook (.pre-commit-hooks.yaml), tried for real: ``pre-commit try-repo`` and a
``git commit`` through an installed hook, in a temporary git repository with a bad and a good
manifest. pre-commit installs k8slint from a snapshot of this working tree into its own
virtualenv (PyPI must be reachable for the dependencies)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NO_PROBE_DEPLOYMENT, ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"
TIMEOUT = 900  # the first run builds the hook's virtualenv

BAD = NO_PROBE_DEPLOYMENT

GOOD = BAD + """\
        readinessProbe:
          httpGet: {path: /healthz, port: 80}
"""


def load_hooks() -> list[dict]:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(HOOKS.read_text(encoding="utf-8"))


def hook() -> dict:
    [found] = [h for h in load_hooks() if h["id"] == "k8slint"]
    return found


def readme_config() -> str:
    """The `.pre-commit-config.yaml` snippet README.md tells users to copy."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using k8slint: locally, in pre-commit, in GitHub code scanning", 1)[1]
    [snippet] = [b for b in re.findall(r"```yaml\n(.*?)```", section, re.S) if b.startswith("repos:")]
    return snippet


def pre_commit_command() -> list[str] | None:
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "pre_commit"]


PRE_COMMIT = pre_commit_command()
needs_tools = pytest.mark.skipif(
    PRE_COMMIT is None or shutil.which("git") is None,
    reason="needs pre-commit (pip install '.[test]') and git")


def test_hook_manifest():
    hooks = load_hooks()
    assert isinstance(hooks, list)  # a mapping at the top level is the pre-commit >= 5 format
    item = hook()
    assert item["language"] == "python"
    assert item["entry"].split()[:2] == ["k8slint", "lint"]
    assert set(item["types_or"]) == {"yaml", "json"}
    assert item.get("pass_filenames", True) is True
    # every option in the entry is a real option of `k8slint lint`
    from k8slint.cli import lint

    known = {opt for param in lint.params for opt in getattr(param, "opts", [])}
    assert set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", item["entry"])) <= known


@pytest.mark.parametrize("path, excluded", [
    ("deploy/web.yaml", False),
    ("k8s/base/service.yml", False),
    ("manifests/list.json", False),
    ("charts/web/templates/deployment.yaml", True),
    ("templates/service.yaml", True),
    ("charts/web/Chart.yaml", True),
    ("charts/web/values.yaml", True),
    ("charts/web/values-prod.yaml", True),
    ("overlays/prod/kustomization.yaml", True),
    ("kustomization.yml", True),
    (".pre-commit-config.yaml", True),
    (".github/workflows/ci.yml", True),
    (".k8slint.yaml", True),
    ("package.json", True),
    ("docker-compose.yml", True),
    ("action.yml", True),
])
def test_hook_excludes(path, excluded):
    pattern = re.compile(hook()["exclude"])
    assert bool(pattern.search(path)) is excluded


def test_readme_config_snippet():
    from ruamel.yaml import YAML

    config = YAML(typ="safe", pure=True).load(readme_config())
    [repo] = config["repos"]
    assert repo["repo"] == "https://github.com/k8slint/k8slint"
    assert repo["rev"]
    [entry] = repo["hooks"]
    assert entry["id"] in {h["id"] for h in load_hooks()}
    assert re.search(entry["files"], "deploy/web.yaml") and not re.search(entry["files"], "docs/x.yaml")


@needs_tools
def test_validate_manifest():
    completed = subprocess.run([*PRE_COMMIT, "validate-manifest", str(HOOKS)], capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def git(cwd: Path, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=check,
                          env=env, timeout=TIMEOUT)


def snapshot_of_this_tree(destination: Path, env: dict) -> str:
    """A git repository holding this working tree (tracked files and new, not ignored ones:
    `try-repo` on the live checkout would miss untracked files); returns its commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True, timeout=120).stdout
    destination.mkdir(parents=True)
    for name in filter(None, listed.decode("utf-8", "surrogateescape").split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    git(destination, "init", "-q", env=env)
    git(destination, "add", "-A", env=env)
    git(destination, "commit", "-q", "-m", "k8slint snapshot", env=env)
    return git(destination, "rev-parse", "HEAD", env=env).stdout.strip()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """Environment for git and pre-commit: own PRE_COMMIT_HOME, own git identity, no global
    git configuration or hooks of the machine."""
    if PRE_COMMIT is None or shutil.which("git") is None:
        pytest.skip("needs pre-commit (pip install '.[test]') and git")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: cannot list the files of the working tree")
    base = tmp_path_factory.mktemp("precommit")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(base / "cache"), HOME=str(base / "home"),
               GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="k8slint test", GIT_AUTHOR_EMAIL="test@example.com",
               GIT_COMMITTER_NAME="k8slint test", GIT_COMMITTER_EMAIL="test@example.com",
               PRE_COMMIT_COLOR="never", PIP_DISABLE_PIP_VERSION_CHECK="1")
    (base / "home").mkdir()
    hook_repo = base / "k8slint-repo"
    rev = snapshot_of_this_tree(hook_repo, env)
    return base, env, hook_repo, rev


def new_repo(base: Path, name: str, env: dict) -> Path:
    repo = base / name
    repo.mkdir()
    git(repo, "init", "-q", env=env)
    (repo / "README.md").write_text("manifests\n")
    git(repo, "add", "README.md", env=env)
    git(repo, "commit", "-q", "-m", "start", env=env)
    return repo


def run(cmd: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    completed = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    completed.output = completed.stdout + completed.stderr  # type: ignore[attr-defined]
    return completed


@needs_tools
def test_try_repo_refuses_the_bad_manifest_and_passes_the_good_one(sandbox):
    base, env, hook_repo, rev = sandbox
    repo = new_repo(base, "try-repo", env)
    (repo / "deploy").mkdir()
    (repo / "deploy" / "web.yaml").write_text(BAD)
    (repo / "charts" / "web" / "templates").mkdir(parents=True)
    (repo / "charts" / "web" / "templates" / "svc.yaml").write_text("kind: Service\nname: {{ .Values.name }}\n")
    git(repo, "add", "-A", env=env)
    try_repo = [*PRE_COMMIT, "try-repo", str(hook_repo), "k8slint", "--ref", rev, "--verbose"]

    bad = run(try_repo, repo, env)  # staged files, as in a commit
    assert bad.returncode == 1, bad.output
    assert re.search(r"k8slint\.+Failed", bad.output), bad.output
    assert "deploy/web.yaml:11:15: warning missing-readiness-probe" in bad.output
    assert "svc.yaml" not in bad.output  # Helm template excluded by the hook

    (repo / "deploy" / "web.yaml").write_text(GOOD)
    git(repo, "add", "-A", env=env)
    good = run(try_repo, repo, env)
    assert good.returncode == 0, good.output
    assert re.search(r"k8slint\.+Passed", good.output), good.output


@needs_tools
def test_installed_hook_blocks_the_commit(sandbox):
    base, env, hook_repo, rev = sandbox
    repo = new_repo(base, "commit", env)
    # README's snippet, pointed at the snapshot of this tree
    config = re.sub(r"(?m)^(\s*- repo:).*$", rf"\1 {hook_repo.as_posix()}", readme_config())
    config = re.sub(r"(?m)^(\s*rev:).*$", rf"\1 {rev}", config)
    (repo / ".pre-commit-config.yaml").write_text(config)
    installed = run([*PRE_COMMIT, "install"], repo, env)
    assert installed.returncode == 0, installed.output
    git(repo, "add", ".pre-commit-config.yaml", env=env)
    assert git(repo, "commit", "-q", "-m", "pre-commit config", env=env, check=False).returncode == 0

    (repo / "deploy").mkdir()
    (repo / "deploy" / "web.yaml").write_text(BAD)
    (repo / "notes.yaml").write_text("not: a manifest\n")  # outside the snippet's `files:`
    git(repo, "add", "-A", env=env)
    refused = git(repo, "commit", "-m", "bad manifest", env=env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "deploy/web.yaml:11:15: warning missing-readiness-probe" in output
    assert "notes.yaml" not in output
    assert git(repo, "log", "--format=%s", env=env).stdout.splitlines()[0] == "pre-commit config"

    (repo / "deploy" / "web.yaml").write_text(GOOD)
    git(repo, "add", "-A", env=env)
    accepted = git(repo, "commit", "-m", "good manifest", env=env, check=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "log", "--format=%s", env=env).stdout.splitlines()[0] == "good manifest"


@needs_tools
def test_hook_with_a_baseline_fails_only_on_new_findings(sandbox):
    # A repository with history: its findings are recorded once (--write-baseline), the config
    # names the baseline, and the hook then passes on the old findings, even when their lines
    # move, and fails on a new one only.
    base, env, hook_repo, rev = sandbox
    repo = new_repo(base, "baseline", env)
    (repo / "deploy").mkdir()
    (repo / "deploy" / "legacy.yaml").write_text(BAD)
    (repo / ".k8slint.yaml").write_text("baseline: .k8slint-baseline.json\n")
    written = run([sys.executable, "-m", "k8slint", "lint", "--write-baseline", ".k8slint-baseline.json",
                   "deploy/"], repo, env)
    assert written.returncode == 0, written.output
    assert "wrote 1 finding(s) to the baseline .k8slint-baseline.json" in written.output
    git(repo, "add", "-A", env=env)
    git(repo, "commit", "-q", "-m", "adopt k8slint", env=env)
    try_repo = [*PRE_COMMIT, "try-repo", str(hook_repo), "k8slint", "--ref", rev, "--verbose"]

    (repo / "deploy" / "legacy.yaml").write_text("# owned by the web team\n\n" + BAD)  # lines move
    git(repo, "add", "-A", env=env)
    old = run(try_repo, repo, env)
    assert old.returncode == 0, old.output
    assert re.search(r"k8slint\.+Passed", old.output), old.output

    (repo / "deploy" / "api.yaml").write_text(BAD.replace("name: web", "name: api"))
    git(repo, "add", "-A", env=env)
    new = run(try_repo, repo, env)
    assert new.returncode == 1, new.output
    assert "deploy/api.yaml:11:15: warning missing-readiness-probe" in new.output
    assert "(new)" in new.output and "legacy.yaml:" not in new.output
    assert "1 in the baseline" in new.output
