"""What a run is asked to do: the enabled rule ids and their settings, the cluster, the inputs'
limits and the number of processes."""

from __future__ import annotations

from dataclasses import dataclass, field

from k8slint.model.versions import NEWEST
from k8slint.source import DEFAULT_MAX_FILE_BYTES



@dataclass
class Options:
    """What a run is asked to do: enabled rules, severities, parameters, cluster and limits."""

    enabled: frozenset[str]  # rule ids to report
    severities: dict[str, str] = field(default_factory=dict)  # per-rule overrides
    params: dict[str, dict] = field(default_factory=dict)  # per-rule parameters
    cluster: object | None = None  # k8slint.model.cluster.Cluster from --cluster/--nodes/config
    jobs: int = 1
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    excludes: tuple[str, ...] = ()
    exclude_base: str | None = None  # directory the exclude globs are relative to (the config's)
    policies: tuple = ()  # custom policies (k8slint.policies), checked like per-object rules
    kubernetes_version: tuple[int, int] = NEWEST  # the run's target release (k8slint.model.versions)
    follow_symlinks: bool = False  # follow links in linted directories that lead out of them
