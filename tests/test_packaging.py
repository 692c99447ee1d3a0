"""The wheel ships the rule catalogue and the schemas; README's commands are what CI runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT


def test_ci_runs_the_test_command_from_readme():
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```sh\n")[1:3]]
    install_and_lint, install_and_test = blocks
    assert "k8slint lint fixtures/examples/" in install_and_lint
    assert install_and_test in (ROOT / ".ci" / "run").read_text().splitlines()


def test_installed_package_carries_its_data(tmp_path):
    # run outside the source tree so the installed k8slint is imported, not ./k8slint
    script = ("import k8slint.resources as r, k8slint.catalog as c; "
              "print(r.data_dir('rules')); print(len(c.load_catalog())); "
              "print(sorted(p.name for p in r.data_dir('schemas').glob('*.json')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         check=True).stdout.splitlines()
    assert "_data" in out[0] or out[0] == str(ROOT / "rules")
    assert int(out[1]) == len(list((ROOT / "rules").glob("*.yaml")))
    assert "config.schema.json" in out[2] and "report.schema.json" in out[2]


def _build_wheel(tmp_path, verbose=False, **env):
    import os

    out = tmp_path / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v" if verbose else "-q", "-w",
                           str(out), str(ROOT)],
                          capture_output=True, text=True, env={**os.environ, **env}, timeout=600)
    assert done.returncode == 0, done.stderr
    wheels = list(out.glob("k8slint-*.whl"))
    assert len(wheels) == 1
    import zipfile

    if verbose:
        return wheels[0].name, zipfile.ZipFile(wheels[0]).namelist(), done.stdout + done.stderr
    return wheels[0].name, zipfile.ZipFile(wheels[0]).namelist()


def test_wheel_without_a_compiler_is_pure_python(tmp_path):
    # no C compiler (or no libyaml): the build says so and the wheel is the pure-Python one
    name, members = _build_wheel(tmp_path, CC="false")
    assert name.endswith("-py3-none-any.whl")
    assert not any(m.startswith("_k8slint_yaml") for m in members)
    assert "k8slint/loader.py" in members and any(m.startswith("k8slint/_data/rules/") for m in members)


def test_a_failed_native_build_shows_the_compilers_real_error(tmp_path):
    # what gcc prints without libyaml-dev: the cause is the first line, not the last
    compiler = tmp_path / "cc"
    compiler.write_text("#!/bin/sh\n"
                        "echo 'k8slint/_k8slint_yaml.c:14:10: fatal error: yaml.h: No such file or directory' >&2\n"
                        "echo '   14 | #include <yaml.h>' >&2\n"
                        "echo 'compilation terminated.' >&2\nexit 1\n")
    compiler.chmod(0o755)
    name, members, log = _build_wheel(tmp_path, verbose=True, CC=str(compiler))
    assert name.endswith("-py3-none-any.whl")
    assert "native YAML composer not built" in log
    assert "fatal error: yaml.h: No such file or directory" in log


def test_version_says_whether_the_native_composer_is_in_use(tmp_path):
    from k8slint import loader

    def version(**env):
        import os

        return subprocess.run([sys.executable, "-m", "k8slint", "--version"], capture_output=True, text=True,
                              cwd=tmp_path, env={**os.environ, **env}, check=True, timeout=120).stdout

    expected = "native YAML composer (libyaml, C) in use" if loader.HAVE_NATIVE else "pure-Python YAML composer"
    assert expected in version()
    assert "(pure-Python YAML composer: native composer switched off)" in version(K8SLINT_NO_NATIVE="1")


def test_the_repository_carries_what_its_tests_read():
    # the tests pass on a clone alone: no test or script reads the reference folder that sits beside
    # the repository, and every third-party file they lint has its source and licence. The folder's
    # name is assembled here so that this file passes its own check.
    folder = "sha" + "red"
    for path in [*(ROOT / "tests").glob("*.py"), *(ROOT / "scripts").glob("*.py"), ROOT / ".ci" / "run"]:
        text = path.read_text(encoding="utf-8")
        assert f'"{folder}"' not in text and f"../{folder}" not in text, path
    corpus = ROOT / "tests" / "corpus"
    sources = (corpus / "SOURCES.md").read_text(encoding="utf-8")
    projects = [d for part in ("real", "peers") for d in sorted((corpus / part).iterdir()) if d.is_dir()]
    assert len(projects) >= 14
    for project in projects:
        assert (project / "LICENSE").is_file(), project
        owner, _, repo = project.name.partition("__")
        assert f"{owner}/{repo}" in sources, project
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "46d4203e43b978a433943881354db1e40e81437d4b46c00f05016110c6b14693" in \
        (ROOT / "schemas" / "SOURCES.md").read_text(encoding="utf-8")


def test_the_sdist_carries_what_its_tests_read():
    # pytest from an unpacked sdist: every top-level path the tests read is in the sdist
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    include = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]
                  ["sdist"]["include"])
    needed = {"k8slint", "rules", "schemas", "tests", "fixtures", "scripts", "docs", "action.yml",
              ".pre-commit-hooks.yaml", "README.md", "LICENSE", "hatch_build.py", ".ci"}
    assert needed <= include, needed - include


def test_readme_usage_lists_every_lint_option_and_installs_from_what_exists():
    from k8slint.cli import lint

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    usage = readme.split("k8slint lint [PATH]", 1)[1].split("```", 1)[0]
    options = {o for p in lint.params for o in getattr(p, "opts", []) if o.startswith("--") and o != "--output"}
    assert {o for o in options if o not in usage} == set()
    # no release yet: the commands users copy must not need one (the prose may name the future tag)
    commands = [line for block in readme.split("```")[1::2] for line in block.splitlines()
                if not line.lstrip().startswith("#")]
    assert not [line for line in commands if "pip install k8slint" in line.split("#")[0]]
    assert not [line for line in commands if "@v0.1.0" in line.split("#")[0] or "rev: v0.1.0" in line]
