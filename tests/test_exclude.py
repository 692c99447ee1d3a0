"""``exclude:`` globs of .k8slint.yaml mean the same files however the run names them: `lint .`
(the GitHub Action's default), `lint deploy/`, absolute paths, files from pre-commit, or a run
started in a subdirectory. They are matched against the path relative to the config file's
directory (and each of its parent directories)."""

from __future__ import annotations

import pytest
from conftest import NO_PROBE_DEPLOYMENT, cli

# What `helm template` reads: not YAML until rendered, a parse error (exit 2) if linted
TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"
CLEAN = NO_PROBE_DEPLOYMENT + "        readinessProbe:\n          httpGet: {path: /, port: 80}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    for name, text in {"charts/web/templates/deployment.yaml": TEMPLATE,
                       "charts/web/values.yaml": "replicas: 2\n",
                       "deploy/web.yaml": CLEAN,
                       "vendor/upstream/app.yaml": NO_PROBE_DEPLOYMENT,
                       "deploy/app.generated.yaml": NO_PROBE_DEPLOYMENT}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / ".k8slint.yaml").write_text(
        'exclude: ["charts/*/templates/*", "charts/*/values*.yaml", "vendor/", "*.generated.yaml"]\n')
    monkeypatch.chdir(root)
    return root


def _linted(result) -> str:
    return result.stdout.splitlines()[-1]


@pytest.mark.parametrize("args", [
    ["."], ["deploy/", "charts/", "vendor"], ["./charts/web"], ["charts/web/templates/deployment.yaml"],
])
def test_excludes_apply_to_every_way_of_naming_paths(repo, args):
    result = cli("lint", *args)
    assert result.exit_code == 0, result.output
    assert "templates" not in result.stdout and "vendor" not in result.stdout and "generated" not in result.stdout


def test_excludes_apply_to_absolute_paths(repo):
    result = cli("lint", str(repo), str(repo / "charts" / "web" / "templates" / "deployment.yaml"))
    assert result.exit_code == 0, result.output
    assert _linted(result).endswith("in 1 file(s), 1 document(s)")


def test_excludes_are_relative_to_the_config_not_the_current_directory(repo, monkeypatch):
    monkeypatch.chdir(repo / "charts" / "web")
    result = cli("lint", ".", "../../vendor/upstream/app.yaml")
    assert result.exit_code == 0, result.output
    assert _linted(result).endswith("in 0 file(s), 0 document(s)")


def test_an_explicit_config_elsewhere_is_the_base(repo, tmp_path, monkeypatch):
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "k8slint.yaml").write_text('exclude: ["repo/vendor"]\n')
    (repo / ".k8slint.yaml").unlink()
    monkeypatch.chdir(tmp_path)
    result = cli("lint", "--config", "ci/k8slint.yaml", "repo/vendor", "repo/deploy/web.yaml")
    assert result.exit_code == 1, result.output  # ci/ is the base: repo/vendor is not under it
    assert "vendor/upstream/app.yaml" in result.stdout
    (tmp_path / "k8slint.yaml").write_text('exclude: ["repo/vendor"]\n')
    result = cli("lint", "--config", "k8slint.yaml", "repo/vendor", "repo/deploy/web.yaml")
    assert result.exit_code == 0, result.output


def test_without_excludes_the_same_paths_are_linted(repo):
    (repo / ".k8slint.yaml").write_text("{}\n")
    result = cli("lint", ".")
    assert result.exit_code == 2  # the template is a parse error
    assert "charts/web/templates/deployment.yaml" in result.stdout
    assert "vendor/upstream/app.yaml" in result.stdout
