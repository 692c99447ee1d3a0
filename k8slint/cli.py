"""The command line: ``k8slint lint``, ``k8slint rules``, ``k8slint explain``.

Exit codes of ``lint``: 0 no unsuppressed finding at or above --fail-on; 1 there are; 2 usage
error, bad configuration, or input that could not be read or parsed (which wins over 1).
"""

from __future__ import annotations

import gc
import os
import sys

import click

from k8slint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
# --max-file-size: files are read whole into memory; beyond this a limit means nothing
MAX_FILE_SIZE_MIB = 4096


class _Count(click.IntRange):
    """A count (--nodes, --zones): a value of thousands of digits is refused in a short message,
    not echoed whole."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and len(value.strip()) > 30:
            self.fail(f"{value.strip()[:12]}...({len(value.strip())} characters) is not a count", param, ctx)
        return super().convert(value, param, ctx)


# Set by entry(): the process ends as soon as the command returns (so it need not leave the cyclic
# GC on behind it).
_PROCESS_ENDS_AFTER = False
_HELD_UNTIL_EXIT: list = []  # the last report and its run's result (see entry)


class ReportError(Exception):
    """The report cannot be written (output path refused, disk full, closed pipe)."""


def entry() -> None:
    """The ``k8slint`` command (and ``python -m k8slint``).

    A run leaves millions of small objects behind, and freeing them one by one at interpreter exit
    took ~0.1 s of a 1.5 s lint of 5,000 documents (benchmarks/bench.py). So once click has
    finished and the output is flushed, the process ends without tearing its heap down; for the
    same reason the lint command keeps what the run made (its inventory, per-file results,
    findings and report) instead of freeing it when it is done with it (~5% of a 20,000-document
    lint). Every file k8slint writes is closed by then, and worker pools are shut down. Tests call
    ``main`` in-process instead.
    """
    global _PROCESS_ENDS_AFTER
    _PROCESS_ENDS_AFTER = True
    try:
        main()
    except SystemExit as exc:
        code = exc.code
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                if stream is not None:
                    stream.flush()
            except (OSError, ValueError) as error:  # a closed pipe (| head), a full disk
                if stream is sys.stdout and code in (EXIT_OK, EXIT_FINDINGS):
                    _say(f"cannot write the report to standard output: {_reason(error)}")
                    code = EXIT_INPUT
        os._exit(code)


def _version(ctx, _param, value) -> None:
    if not value or ctx.resilient_parsing:
        return
    from k8slint.loader import NATIVE_STATUS

    click.echo(f"k8slint, version {__version__} ({NATIVE_STATUS})")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_version,
              help="Show the version, and whether the native YAML composer is in use, and exit.")
def main() -> None:
    """Static linter and policy analyzer for Kubernetes manifests."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--format", "output_format", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the report to FILE instead of standard output.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: .k8slint.yaml in the current directory or a parent).")
@click.option("--enable", multiple=True, metavar="ID", help="Enable a rule (repeatable).")
@click.option("--disable", multiple=True, metavar="ID", help="Disable a rule (repeatable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning).")
@click.option("--no-color", is_flag=True, help="Never colour text output.")
@click.option("--cluster", "cluster_path", type=click.Path(dir_okay=False),
              help="Cluster profile, or `kubectl get nodes -o yaml` output, for the scheduling rules.")
@click.option("--nodes", type=_Count(min=1), help="Assume N identical untainted nodes (not with --cluster).")
@click.option("--zones", type=_Count(min=1), help="With --nodes: spread them over Z zones.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for many files (default: all cores).")
@click.option("--show-suppressed", is_flag=True, help="Also print suppressed findings (text format).")
@click.option("--sarif-category", metavar="CATEGORY",
              help="SARIF runAutomationDetails.id, to tell several uploads for one commit apart.")
@click.option("--kubernetes-version", metavar="MAJOR.MINOR",
              help="Kubernetes release of the target cluster: removed APIs, feature gates and defaults "
                   "follow it (default: the newest release k8slint knows).")
@click.option("--max-file-size", type=click.IntRange(min=1, max=MAX_FILE_SIZE_MIB), default=None, metavar="MIB",
              help="Skip (with an error) files larger than this many MiB (default 32).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Report only findings this baseline does not hold (default: `baseline:` of the config).")
@click.option("--write-baseline", "write_baseline_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Record this run's findings as the baseline FILE (replacing it), then report against it.")
@click.option("--show-baselined", is_flag=True, help="Also report the findings the baseline holds.")
@click.option("--render", type=click.Choice(["kustomize"]), default=None,
              help="Treat each PATH as a kustomization directory and lint what `kubectl kustomize` "
                   "(or `kustomize build`) makes of it.")
@click.option("--chart-root", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="The chart's directory in this repository, for `helm template` output: findings "
                   "point at DIR/templates/... (from each document's `# Source:` comment).")
@click.option("--follow-symlinks", is_flag=True,
              help="Follow symbolic links inside linted directories even when they lead out of them.")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Apply the fixes first (as `k8slint fix`), then report what remains.")
@click.option("--unsafe", is_flag=True, help="With --fix: also apply fixes that change behaviour.")
def lint(paths, output_format, output, config_path, enable, disable, fail_on, no_color, cluster_path,
         nodes, zones, jobs, show_suppressed, sarif_category, kubernetes_version, max_file_size, baseline_path,
         write_baseline_path, show_baselined, render, chart_root, follow_symlinks, apply_fixes,
         unsafe) -> None:
    """Lint manifests: files, directories (recursively) or - for standard input."""
    if not paths:
        raise click.UsageError("give files, directories, or - for standard input")
    if render and apply_fixes:
        raise click.UsageError("--fix changes files, not what --render builds from them: fix the sources")
    if cluster_path is not None and nodes is not None:
        raise click.UsageError("--cluster and --nodes both describe the cluster: give one of them")
    # Every failure of k8slint itself is one line on stderr and exit 2 (130 for Ctrl-C): never a
    # traceback, never exit 1 (which says "findings"). K8SLINT_DEBUG=1 shows the traceback.
    # The cyclic GC stays off for the whole lint, report included, not only inside the run
    # (engine.runner.run): everything the run keeps (findings, kept texts, the catalogue) is still in
    # the youngest generation when it returns, and the first collection after it walked it all for
    # nothing (0.15 s of a 3 s lint of 20,000 documents; it finds no cycle: a report makes none).
    # The command's process ends when the report is written (entry: os._exit).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        code = _lint(paths, output_format, output, config_path, enable, disable, fail_on, no_color,
                     cluster_path, nodes, zones, jobs, show_suppressed, sarif_category, kubernetes_version,
                     max_file_size, baseline_path, write_baseline_path, show_baselined, render, chart_root,
                     follow_symlinks, apply_fixes, unsafe)
    except KeyboardInterrupt:
        _say("interrupted")
        code = EXIT_INTERRUPTED
    except ReportError as exc:
        _say(str(exc))
        code = EXIT_INPUT
    except Exception as exc:
        if _broken_pool(exc):
            _say("a worker process died (killed, or out of memory?); no report was written. "
                 "Run again with --jobs 1 to lint in one process")
        elif os.environ.get("K8SLINT_DEBUG"):
            raise
        else:
            _say(f"internal error: {type(exc).__name__}: {_reason(exc)} (K8SLINT_DEBUG=1 shows where)")
        code = EXIT_INPUT
    finally:
        if gc_was_enabled and not _PROCESS_ENDS_AFTER:  # (tests run the command in-process)
            gc.enable()
    sys.exit(code)


def _broken_pool(exc: Exception) -> bool:
    """Whether ``exc`` is concurrent.futures' BrokenProcessPool. Only a run that started worker
    processes can raise it, and only such a run has imported the module: a run in one process does
    not pay for importing it (with multiprocessing, ~10% of a one-file run's start-up)."""
    pools = sys.modules.get("concurrent.futures.process")
    return pools is not None and isinstance(exc, pools.BrokenProcessPool)


def _say(message: str) -> None:
    """One line on stderr (which may be closed too)."""
    try:
        click.echo(f"k8slint: {message}", err=True)
    except (OSError, ValueError):
        pass


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _lint(paths, output_format, output, config_path, enable, disable, fail_on, no_color, cluster_path,
          nodes, zones, jobs, show_suppressed, sarif_category, kubernetes_version, max_file_size,
          baseline_path, write_baseline_path, show_baselined, render, chart_root, follow_symlinks,
          apply_fixes=False, unsafe=False) -> int:
    from k8slint.config import ConfigError, load_config
    from k8slint.engine import run
    from k8slint.engine.runner import hold_until_exit
    from k8slint.report import at_or_above, reported

    if _PROCESS_ENDS_AFTER:  # the process ends once the report is written: nothing is freed before
        hold_until_exit()

    _check_output(output, paths)
    try:
        config = load_config(config_path)
        options = _options(config, enable, disable, cluster_path, nodes, zones, jobs, max_file_size,
                           kubernetes_version, follow_symlinks)
        baseline_file = write_baseline_path or baseline_path or \
            (str(config.resolve_inside(config.data["baseline"], "baseline")) if config.data.get("baseline") else None)
    except ConfigError as exc:
        _say(str(exc))
        return EXIT_INPUT
    if baseline_file:  # the baseline is JSON in the repository, not a manifest (`lint .` finds it)
        import dataclasses
        import glob

        options = dataclasses.replace(options, excludes=(*options.excludes,
                                                         glob.escape(os.path.abspath(baseline_file))))
    if render:
        result = _run_rendered(paths, options)
    elif apply_fixes:
        outcome = _fix_and_write(paths, options, frozenset(), unsafe, diff=False, report=sys.stderr)
        result = outcome.result
    else:
        result = run(paths, options)
    from k8slint.helm import annotate

    annotate(result.findings, chart_root, options.max_file_bytes)
    if baseline_file:
        _apply_baseline(result, baseline_file, write_baseline_path is not None, show_baselined)
    if output_format in ("json", "sarif"):
        _describe_fixes(result)
    if output_format == "json":
        from k8slint.report.json_report import render_lines as render_json

        text = render_json(result)
    elif output_format == "sarif":
        from k8slint.report.sarif import render

        text = render(result, category=sarif_category)
    else:
        from k8slint.report.text import render_lines

        to_terminal = output in (None, "-") and sys.stdout is not None and sys.stdout.isatty()
        color = to_terminal and not no_color and "NO_COLOR" not in os.environ
        text = render_lines(result, color=color, show_suppressed=show_suppressed)
    _write(text, output)
    if _PROCESS_ENDS_AFTER:
        _HELD_UNTIL_EXIT.append((result, text))
    threshold = fail_on or config.data.get("fail-on") or "warning"
    if result.errors:
        return EXIT_INPUT
    if any(reported(f) and at_or_above(f.severity, threshold) for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _run_rendered(paths, options):
    """--render kustomize: build each kustomization, lint the builds (as DIR@kustomize, each
    finding's template the kustomization file)."""
    import tempfile

    from k8slint.engine import run
    from k8slint.render import RenderError, kustomize
    from k8slint.source import keep_text

    with tempfile.TemporaryDirectory(prefix="k8slint-render-") as scratch:
        built = {}
        for number, path in enumerate(paths):
            try:
                rendered = kustomize(path, options.max_file_bytes)
            except RenderError as exc:
                click.echo(f"k8slint: {exc}", err=True)
                sys.exit(EXIT_INPUT)
            target = os.path.join(scratch, f"{number}.yaml")
            with open(target, "w", encoding="utf-8") as handle:
                handle.write(rendered.text)
            built[target] = rendered
        result = run(list(built), options)
    for item in (*result.findings, *result.errors, *result.notes):
        rendered = built.get(item.file)
        if rendered is not None:
            item.file = rendered.label
            if hasattr(item, "template"):
                item.template = rendered.kustomization
    for rendered in built.values():
        keep_text(rendered.label, rendered.text, only_file=True)  # the report's source lines
    return result


def _apply_baseline(result, path: str, write: bool, show: bool) -> None:
    """Mark each finding new or unchanged against the baseline (written from this run first with
    --write-baseline); the unchanged ones leave the report unless --show-baselined."""
    from k8slint import baseline

    try:
        if write:
            count = baseline.write(path, result.findings)
            click.echo(f"k8slint: wrote {count} finding(s) to the baseline {path}", err=True)
        held = baseline.read(path)
    except baseline.BaselineError as exc:
        click.echo(f"k8slint: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    result.baselined, result.baseline_absent = baseline.apply(held, result.findings)
    if not show:
        result.findings = [f for f in result.findings if f.baseline_state != baseline.UNCHANGED]


def _describe_fixes(result) -> None:
    """Give the findings whose fix can be placed their text edits (JSON and SARIF carry them)."""
    if not any(f.fix is not None for f in result.findings):
        return
    from k8slint.fixer import describe_fixes
    from k8slint.source import text_again

    describe_fixes(result.findings, text_again)


@main.command("fix")
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--diff", is_flag=True, help="Print a unified diff of the fixes; write nothing.")
@click.option("--select", multiple=True, metavar="ID", help="Apply only the fixes of this rule (repeatable).")
@click.option("--unsafe", is_flag=True, help="Also apply fixes that change behaviour (review them).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file (default: .k8slint.yaml in the current directory or a parent).")
@click.option("--enable", multiple=True, metavar="ID", help="Enable a rule (repeatable).")
@click.option("--disable", multiple=True, metavar="ID", help="Disable a rule (repeatable).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity of the remaining findings that makes the exit code 1 (default: warning).")
@click.option("--no-color", is_flag=True, help="Never colour text output.")
@click.option("--cluster", "cluster_path", type=click.Path(dir_okay=False),
              help="Cluster profile, or `kubectl get nodes -o yaml` output, for the scheduling rules.")
@click.option("--nodes", type=_Count(min=0), help="Assume N identical untainted nodes.")
@click.option("--zones", type=_Count(min=1), help="With --nodes: spread them over Z zones.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for many files (default: all cores).")
@click.option("--kubernetes-version", metavar="MAJOR.MINOR",
              help="Kubernetes release to fix for (as `lint`; decides e.g. whether matchLabelKeys is honoured).")
@click.option("--max-file-size", type=click.IntRange(min=1), default=None, metavar="MIB",
              help="Skip (with an error) files larger than this many MiB (default 32).")
def fix_command(paths, diff, select, unsafe, config_path, enable, disable, fail_on, no_color, cluster_path,
                nodes, zones, jobs, kubernetes_version, max_file_size) -> None:
    """Apply the fixes the rules offer, in place (or print them with --diff).

    Only the text the fixes name changes; the rest of each file stays byte for byte. Exit codes
    as `lint`, for the findings that remain after fixing."""
    from k8slint.config import ConfigError, load_config
    from k8slint.report import at_or_above
    from k8slint.rules import reported_ids

    if not paths:
        raise click.UsageError("give files, directories, or - for standard input")
    unknown = sorted(set(select) - set(reported_ids()))
    if unknown:
        raise click.UsageError(f"--select: unknown rule {unknown[0]!r} (see `k8slint rules`)")
    try:
        config = load_config(config_path)
        options = _options(config, enable, disable, cluster_path, nodes, zones, jobs, max_file_size,
                           kubernetes_version)
    except ConfigError as exc:
        click.echo(f"k8slint: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    # The diff goes to standard output (for `patch`/`git apply`), the account of it to standard error.
    outcome = _fix_and_write(paths, options, frozenset(select), unsafe, diff=diff,
                             report=sys.stderr if diff or paths == ("-",) else sys.stdout)
    result = outcome.result
    if not diff and paths != ("-",):
        from k8slint.report.text import render_lines

        color = sys.stdout.isatty() and not no_color and "NO_COLOR" not in os.environ
        _write(render_lines(result, color=color, show_suppressed=False), None)
    threshold = fail_on or config.data.get("fail-on") or "warning"
    if result.errors or outcome.write_failed:
        sys.exit(EXIT_INPUT)
    if any(not f.suppressed and at_or_above(f.severity, threshold) for f in result.findings):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _fix_and_write(paths, options, select, unsafe: bool, diff: bool, report):
    """Run the fixer, then print the diff (``diff``) or write the fixed files; account for every
    fix applied or not on ``report``."""
    from k8slint.fixer import fix_run, unified_diff, write_fixed
    from k8slint.source import STDIN, display_path

    stdin_text = None
    if STDIN in paths:
        from k8slint.source import decode

        stdin_text, _ = decode(sys.stdin.buffer.read(options.max_file_bytes + 1))
    outcome = fix_run(list(paths), options, select, unsafe, stdin_text=stdin_text)
    outcome.write_failed = False
    if stdin_text is not None and not diff:  # a filter: the text goes out, fixed or not
        click.echo(outcome.after.get(STDIN, stdin_text), nl=False)
    for path in outcome.changed:
        if diff:
            click.echo(unified_diff(path, outcome.before[path], outcome.after[path]), nl=False)
        elif path != STDIN:
            problem = write_fixed(path, outcome.before[path], outcome.after[path], paths)
            if problem is not None:
                outcome.write_failed = True
                click.echo(f"k8slint: {display_path(path)}: not written: {problem}", err=True)
    verb = "would fix" if diff else "fixed"
    for file, line, column, rule_id, description, safety in outcome.applied:
        click.echo(f"{verb} {display_path(file)}:{line}:{column}: {rule_id}: {description}"
                   + (" (unsafe)" if safety == "unsafe" else ""), file=report)
    for file, line, column, rule_id, why in outcome.skipped:
        click.echo(f"not fixed {display_path(file)}:{line}:{column}: {rule_id}: {why}", file=report)
    files = len(outcome.changed)
    unsafe_left = sum(1 for entry in outcome.skipped if entry[4].startswith("unsafe fix"))
    summary = f"{len(outcome.applied)} fix(es) {'to apply' if diff else 'applied'} in {files} file(s)"
    if unsafe_left:
        summary += f"; {unsafe_left} more with --unsafe"
    click.echo(summary, file=report)
    return outcome


def _options(config, enable, disable, cluster_path, nodes, zones, jobs, max_file_size, kubernetes_version=None,
             follow_symlinks=False):
    from k8slint import catalog
    from k8slint.config import check_rule_params, rule_selection
    from k8slint.engine import Options
    from k8slint.rules import reported_ids

    policies = _policies(config)
    known = set(reported_ids()) | {p.id for p in policies}
    default_off = {i for i, meta in catalog.load_catalog().items() if meta.get("enabled_by_default") is False}
    enabled, severities, params = rule_selection(config, known, default_off, tuple(enable), tuple(disable))
    size = max_file_size or config.data.get("max-file-size")
    version = _target_version(config, kubernetes_version, params)  # takes the legacy parameter out
    check_rule_params(params, str(config.path))
    return Options(
        enabled=frozenset(enabled), severities=severities, params=params,
        cluster=_cluster(config, cluster_path, nodes, zones),
        jobs=_worker_count(jobs),
        max_file_bytes=(size * 1024 * 1024) if size else Options.max_file_bytes,
        excludes=tuple(config.data.get("exclude", ())),
        exclude_base=str(config.base_dir),
        policies=tuple(policies),
        kubernetes_version=version,
        follow_symlinks=follow_symlinks,
    )


def _policies(config) -> list:
    """The configuration's custom policies (k8slint.policies, imported only when there are some:
    most runs have none, and importing it took 4% of a one-file run)."""
    if not config.data.get("policies"):
        return []
    from k8slint.policies import load_policies

    return load_policies(config)


# The per-rule parameter the run-wide kubernetes_version replaced (rules.deprecated-api.params).
_LEGACY_VERSION_PARAM = ("deprecated-api", "kubernetes_version")


def _target_version(config, option: str | None, params: dict) -> tuple[int, int]:
    """The run's Kubernetes release: --kubernetes-version, else the config's kubernetes_version,
    else the old deprecated-api parameter of that name (still honoured), else the newest release
    k8slint knows. An invalid value anywhere is a usage error (ConfigError: exit 2)."""
    from k8slint.config import ConfigError
    from k8slint.model.versions import NEWEST, VersionError, parse_version

    rule_id, name = _LEGACY_VERSION_PARAM
    legacy = params.get(rule_id, {}).pop(name, None)
    candidates = [(option, "--kubernetes-version"),
                  (config.data.get("kubernetes_version"), f"{config.path}: kubernetes_version"),
                  (legacy, f"{config.path}: rules.{rule_id}.params.{name}")]
    parsed = []
    for value, where in candidates:
        if value is None:
            continue
        try:
            parsed.append((parse_version(value), where))
        except VersionError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    if not parsed:
        return NEWEST
    if legacy is not None and config.data.get("kubernetes_version") is not None and parsed[-1][0] != parsed[-2][0]:
        raise ConfigError(f"{config.path}: kubernetes_version and rules.{rule_id}.params.{name} disagree; "
                          f"keep the top-level kubernetes_version (it applies to every rule)")
    return parsed[0][0]


def _cluster(config, cluster_path, nodes, zones):
    """The cluster from --nodes/--zones, --cluster, or the config (in that order of precedence)."""
    from pathlib import Path

    from k8slint.config import ConfigError, read_yaml_file

    if zones is not None and nodes is None and config.data.get("nodes") is None:
        raise ConfigError("--zones needs --nodes")
    if nodes is None and cluster_path is None:
        nodes = config.data.get("nodes")
        zones = zones or config.data.get("zones")
        setting = config.data.get("cluster")
    else:
        setting = None
    if nodes is None and cluster_path is None and setting is None:
        return None
    from k8slint.model.cluster import ClusterProfileError, cluster_from_documents, cluster_from_profile, \
        uniform_cluster

    try:
        if nodes is not None:
            return uniform_cluster(nodes, zones or 1)
        if cluster_path is not None:
            return cluster_from_documents(read_yaml_file(Path(cluster_path), "cluster profile"),
                                          f"cluster profile {cluster_path}")
        if isinstance(setting, str):
            path = config.resolve_inside(setting, "cluster profile")
            return cluster_from_documents(read_yaml_file(path, "cluster profile"), f"cluster profile {setting}")
        if isinstance(setting, dict):
            return cluster_from_profile(setting, f"cluster profile in {config.path}")
    except ClusterProfileError as exc:
        raise ConfigError(str(exc)) from None
    return None


def _worker_count(jobs: int | None) -> int:
    """--jobs, capped at the cores this process may use (more workers only add memory) and at
    what the open-file limit allows (each worker holds pipes; past the limit the pool hangs)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    count = min(jobs or cores, cores)
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            count = min(count, max(1, (soft - 64) // 8))
    except (ImportError, OSError, ValueError):
        pass
    return max(1, count)


def _check_output(output: str | None, paths) -> None:
    """Refuse an output path that cannot work, or that would overwrite an input."""
    if output is None or output == "-":
        return
    if not output.strip():
        raise ReportError("-o/--output: empty file name")
    if os.path.isdir(output):
        raise ReportError(f"-o/--output: {output} is a directory")
    if not os.path.exists(output):
        return
    target = os.path.realpath(output)
    from k8slint.source import MANIFEST_SUFFIXES

    for path in paths:
        if path == "-":
            continue
        given = os.path.realpath(path)
        inside = os.path.isdir(given) and target.startswith(given.rstrip(os.sep) + os.sep) \
            and target.endswith(MANIFEST_SUFFIXES)
        if target == given or inside:
            raise ReportError(f"-o/--output: {output} is one of the files being linted; "
                              f"write the report somewhere else")


def _write(text, output: str | None) -> None:
    """Write a report: a string, or an iterable of its lines (written as they are made).

    A file is written whole or not at all: into a temporary file next to it, renamed over it at
    the end (Ctrl-C or a full disk leave the previous report, and two runs never interleave).
    Missing parent directories are created. Devices and pipes (/dev/stdout) are written directly.
    """
    chunks = [text] if isinstance(text, str) else text
    if output in (None, "-"):
        if sys.stdout is None:
            raise ReportError("cannot write the report: standard output is closed")
        try:
            _write_stdout(chunks)
        except (OSError, ValueError) as exc:  # a closed pipe (| head), a full disk
            raise ReportError(f"cannot write the report to standard output: {_reason(exc)}") from None
        return
    try:
        _write_file(chunks, output)
    except OSError as exc:
        raise ReportError(f"cannot write the report to {output}: {_reason(exc)}") from None


def _write_stdout(chunks) -> None:
    block: list[str] = []
    size = 0
    for chunk in chunks:  # in blocks of ~64 KB: click.echo flushes on every call
        block.append(chunk)
        size += len(chunk)
        if size >= 65536:
            click.echo("".join(block), nl=False)
            block, size = [], 0
    if block:
        click.echo("".join(block), nl=False)
    sys.stdout.flush()


def _write_file(chunks, output: str) -> None:
    import stat
    import tempfile

    try:
        mode = os.stat(output).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(output, "w", encoding="utf-8") as handle:
            handle.writelines(chunks)
        return
    output = os.path.realpath(output)  # through a symlink: replace the file it names, not the link
    directory = os.path.dirname(output)
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(output)}.", suffix=".tmp")
    try:
        with open(fd, "w", encoding="utf-8") as handle:
            handle.writelines(chunks)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, stat.S_IMODE(mode) if mode is not None else 0o666 & ~umask)
        os.replace(temporary, output)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file whose custom policies to list too (default: .k8slint.yaml).")
def list_rules(output_format, config_path) -> None:
    """List every rule: id, default severity, title."""
    from k8slint import catalog
    from k8slint.config import ConfigError, load_config
    from k8slint.policies import load_policies

    entries = [(rule_id, meta.get("severity", ""), meta.get("title", ""))
               for rule_id, meta in sorted(catalog.load_catalog().items())]
    try:
        entries += [(p.id, p.severity, f"{p.title} (custom policy)")
                    for p in load_policies(load_config(config_path))]
    except ConfigError as exc:  # still list the built-in rules, but exit 2
        click.echo(f"k8slint: {exc}", err=True)
        config_failed = True
    else:
        config_failed = False
    if output_format == "json":
        import json

        click.echo(json.dumps([{"id": i, "severity": s, "title": t} for i, s, t in entries], indent=2))
    else:
        width = max(len(i) for i, _, _ in entries)
        for rule_id, severity, title in entries:
            click.echo(f"{rule_id:<{width}}  {severity:<7}  {title}")
    if config_failed:
        sys.exit(EXIT_INPUT)


@main.command()
@click.argument("rule_id")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Configuration file declaring custom policies (default: .k8slint.yaml).")
def explain(rule_id, config_path) -> None:
    """Explain a rule: what it checks, why, how to fix it, with examples."""
    from k8slint import catalog
    from k8slint.config import ConfigError, load_config
    from k8slint.policies import load_policies

    meta = catalog.metadata(rule_id)
    policy = None
    if not meta:
        try:
            policy = next((p for p in load_policies(load_config(config_path)) if p.id == rule_id), None)
        except ConfigError as exc:
            click.echo(f"k8slint: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        if policy is None:
            click.echo(f"k8slint: unknown rule {rule_id!r} (see `k8slint rules`)", err=True)
            sys.exit(EXIT_INPUT)
        meta = policy.metadata()
    if policy is not None:
        click.echo(catalog.render_text(rule_id, meta, meta.get("help_uri"), tuple(policy.explain_details())), nl=False)
    else:
        click.echo(catalog.render_text(rule_id, meta, catalog.help_uri(rule_id)), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
