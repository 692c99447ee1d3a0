"""Wheel build hook: compile the optional native YAML composer (k8slint/_k8slint_yaml.c).

It needs a C compiler, Python's headers and libyaml's (Debian: libyaml-dev). Where any of them is
missing, the build says so and the wheel is pure Python: k8slint then composes YAML in Python,
with the same results, and a lint takes 1.3x-2.3x as long (README, Performance). K8SLINT_NO_NATIVE=1
skips the compile.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("k8slint") / "_k8slint_yaml.c"
MODULE = "_k8slint_yaml"


class NativeComposerHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel" or os.environ.get("K8SLINT_NO_NATIVE"):
            return
        built = self._compile()
        if built is None:
            return
        build_data["force_include"][str(built)] = MODULE + sysconfig.get_config_var("EXT_SUFFIX")
        build_data["pure_python"] = False
        build_data["infer_tag"] = True

    def _compile(self) -> Path | None:
        source = Path(self.root) / SOURCE
        out = Path(tempfile.mkdtemp(prefix="k8slint-native-")) / (MODULE + sysconfig.get_config_var("EXT_SUFFIX"))
        compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
        command = (compiler + ["-shared", "-fPIC", "-O2", f"-I{sysconfig.get_paths()['include']}"]
                   + shlex.split(os.environ.get("CFLAGS", "")) + [str(source), "-o", str(out)]
                   + shlex.split(os.environ.get("LDFLAGS", "")) + ["-lyaml"])
        if sys.platform == "darwin":
            command[len(compiler):len(compiler)] = ["-undefined", "dynamic_lookup"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.SubprocessError) as exc:
            self.app.display_warning(f"k8slint: native YAML composer not built ({exc}); using the Python one")
            return None
        if done.returncode != 0:
            # The compiler's own diagnostics, not only their last line ("compilation terminated."):
            # the cause is usually first (`yaml.h: No such file or directory`: install libyaml-dev).
            output = (done.stderr or done.stdout).strip().splitlines() or ["compiler failed"]
            causes = [line for line in output if "error" in line.lower()] or output
            detail = "\n  ".join(causes[:10] + (["..."] if len(causes) > 10 else []))
            self.app.display_warning(
                f"k8slint: native YAML composer not built; using the Python one (a lint takes up to ~2x as long). "
                f"`{' '.join(command)}` failed:\n  {detail}")
            return None
        return out
