"""``k8slint lint --render kustomize DIR``: lint what a kustomization builds.

Each DIR is built by ``kubectl kustomize DIR`` (kubectl embeds kustomize) or, without kubectl,
``kustomize build DIR``; the output is linted as the file ``DIR@kustomize`` (so
``overlays/prod@kustomize:34:15`` is line 34 of the build output) and every finding names the
kustomization file as its template (SARIF then shows it on that file). Both tools keep their
default load restrictor (no file outside the kustomization's directory tree); remote bases are
fetched only if the kustomization asks for them, as in the user's own build. The build is bounded
in time and output size.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
TIMEOUT = 120  # seconds per build


class RenderError(Exception):
    """A kustomization that could not be built; the CLI exits 2 with it."""


@dataclass
class Rendered:
    """The output of rendering a kustomization, with the names its findings carry."""

    label: str  # the name findings carry: DIR@kustomize
    kustomization: str  # DIR/kustomization.yaml, the findings' template
    text: str


def kustomize_command(directory: str) -> list[str]:
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", directory]
    if shutil.which("kustomize"):
        return ["kustomize", "build", directory]
    raise RenderError("--render kustomize needs kubectl (`kubectl kustomize`) or kustomize (`kustomize "
                      "build`) on PATH, and neither is installed: install one "
                      "(https://kubectl.docs.kubernetes.io/installation/), or pipe a build you made "
                      "elsewhere: `kustomize build DIR | k8slint lint -`")


def kustomize(directory: str, max_bytes: int) -> Rendered:
    kustomization = next((os.path.join(directory, name) for name in KUSTOMIZATION_NAMES
                          if os.path.isfile(os.path.join(directory, name))), None)
    if not os.path.isdir(directory) or kustomization is None:
        raise RenderError(f"{directory}: not a directory with a kustomization.yaml (--render kustomize "
                          f"takes kustomization directories)")
    command = kustomize_command(directory)
    try:
        done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{directory}: `{' '.join(command)}` did not finish in {TIMEOUT} s") from None
    except OSError as exc:
        raise RenderError(f"{directory}: cannot run {command[0]}: {exc.strerror or exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise RenderError(f"{directory}: `{' '.join(command)}` failed: {reason[-2000:]}")
    if len(done.stdout) > max_bytes:
        raise RenderError(f"{directory}: the build output is larger than {max_bytes // 2**20} MiB "
                          f"(raise --max-file-size)")
    label = directory.rstrip("/" + os.sep) or directory
    return Rendered(f"{label}@kustomize", kustomization.replace(os.sep, "/"),
                    done.stdout.decode("utf-8", "replace"))
