"""What a rule sees of the run: ``RuleContext`` (parameters, the cluster, ``report()``, ``note()``,
the per-object guard) and which rules a run's options make active."""

from __future__ import annotations

from k8slint import catalog
from k8slint.engine.inventory import positions_deferred
from k8slint.engine.options import Options
from k8slint.findings import Finding, InputError, Note, Suppressions, locate, make_finding
from k8slint.model.objects import K8sObject
from k8slint.rules import OBJECT, SET, Rule, all_rules


INTERNAL_ERROR = "internal-error"


_PLACEHOLDER_SPAN = (1, 1, 1, 1)  # what findings.locate gives in a document without positions


_PER_OBJECT = object()  # the cluster of a per-object rule's context: not known yet


class RuleContext:
    """What a rule may use: its parameters, the cluster, and ``report()``, its one way to report a
    finding (``note()`` says what it could not check: not a finding).

    ``guard(obj)`` isolates one object's work in a cross-object rule: an exception inside it
    costs only that object's findings from that rule, recorded as an internal error."""

    def __init__(self, options: Options, suppressions: dict[str, Suppressions], cluster=_PER_OBJECT) -> None:
        self.options = options
        self._cluster = cluster
        # The target Kubernetes release, (major, minor): compare with < and >=, look feature gates
        # up with k8slint.model.versions.gate_state.
        self.kubernetes_version = options.kubernetes_version
        self._suppressions = suppressions
        self.rule_id = ""
        self.findings: list[Finding] = []
        self.errors: list[InputError] = []  # internal errors of rules, each on the object it failed on
        self._params: dict[str, dict] = {}
        self._defaults: dict[str, tuple[str, str]] = {}  # rule id -> the catalogue's (severity, hint)
        # set-rule findings on position-free inventory summaries: located at the end of the run
        self.deferred: list[tuple[Finding, K8sObject, tuple]] = []
        self._notes: dict[tuple[str, str], Note] = {}  # (rule id, key) -> the first note, counted
        self._note_places: list[tuple[Note, Finding]] = []  # notes on summaries, placed with deferred

    @property
    def cluster(self):
        """The cluster of the run (``--cluster``/``--nodes``/config, else the Node objects among the
        linted files, else None): known only once every file is read, so only cross-object rules
        may ask; every one of them sees the same."""
        if self._cluster is _PER_OBJECT:
            raise RuntimeError("ctx.cluster is for cross-object rules (scope=SET): Node objects anywhere in "
                               "the run are part of the cluster")
        return self._cluster

    @property
    def params(self) -> dict:
        # Computed once per rule id and run (a rule may read it per object); a copy so that a
        # rule changing its dict cannot leak into the next object.
        cached = self._params.get(self.rule_id)
        if cached is None:
            cached = {p["name"]: p.get("default") for p in catalog.metadata(self.rule_id).get("parameters", [])
                      if isinstance(p, dict) and "name" in p}
            cached.update(self.options.params.get(self.rule_id, {}))
            self._params[self.rule_id] = cached
        return dict(cached)

    def enabled(self, rule_id: str) -> bool:
        """Whether ``rule_id`` is reported in this run: a check that reports several ids skips the
        work of each disabled one."""
        return rule_id in self.options.enabled

    def report(self, obj: K8sObject, path: tuple, message: str, hint: str | None = None,
               rule: str | None = None, severity: str | None = None, fix=None) -> None:
        """Report ``message`` about ``obj`` at field ``path`` (nothing when the id is disabled).
        ``rule`` names another id of the same check (declared in ``also_reports``); ``severity``
        overrides the catalogue default for findings whose weight depends on the case (the config's
        per-rule severity still wins); ``hint`` defaults to the catalogue's. ``fix`` is the fix the
        rule offers (k8slint.model.fixes), only where the right change is certain."""
        rule_id = rule or self.rule_id
        if rule_id not in self.options.enabled:
            return
        # (the catalogue's severity and hint of each id, looked up once: a set rule may report
        # thousands of findings)
        defaults = self._defaults.get(rule_id)
        if defaults is None:
            defaults = self._defaults[rule_id] = (catalog.default_severity(rule_id),
                                                  catalog.metadata(rule_id).get("hint") or "")
        level = self.options.severities.get(rule_id) or severity or defaults[0]
        if hint is None:
            hint = defaults[1]
        if obj.offset is not None:  # positions_deferred(obj), written out: asked for every finding
            # An inventory copy keeps no positions (locating in it would find none and cost a walk
            # of the path): a placeholder until locate_deferred() sets the position and decides
            # comment suppressions at the real line.
            found = make_finding(obj, path, rule_id, level, message, hint, None, fix, span=_PLACEHOLDER_SPAN)
            self.deferred.append((found, obj, path if type(path) is tuple else tuple(path)))
        else:
            found = make_finding(obj, path, rule_id, level, message, hint, self._suppressions.get(obj.file), fix)
        self.findings.append(found)

    def note(self, key: str, message: str, obj: K8sObject | None = None, path: tuple = ()) -> None:
        """Say once per run what the rule could not check (a custom resource without a schema, a
        search that stopped at its work budget): not a finding, so never counted, baselined,
        suppressed or part of the exit code. Notes of the same rule and ``key`` become one, from
        every file and process of the run, with how many times it came up and where it first did
        (``obj`` and ``path``, as for ``report``): write ``message`` for all of them, the first
        one's is kept."""
        ident = (self.rule_id, str(key))
        kept = self._notes.get(ident)
        if kept is not None:
            kept.count += 1
            return
        note = self._notes[ident] = Note(obj.file if obj is not None else "", message, rule=self.rule_id, key=str(key))
        if obj is None:
            return
        if positions_deferred(obj):  # placed by locate_deferred() with the findings
            note.line, note.column = obj.doc_line, 1
            place = Finding(self.rule_id, "info", "", obj.file, obj.doc_line, 1, obj.doc_line, 1)
            self.deferred.append((place, obj, tuple(path)))
            self._note_places.append((note, place))
        else:
            (note.line, note.column, _, _), _ = locate(obj.root, path)

    @property
    def notes(self) -> list[Note]:
        """The run's notes so far (after ``locate_deferred``, their places)."""
        for note, place in self._note_places:
            note.line, note.column = place.line, place.column
        return list(self._notes.values())

    def guard(self, obj: K8sObject) -> "_ObjectGuard":
        """``with ctx.guard(obj):`` around one object's work in a cross-object rule."""
        return _ObjectGuard(self, obj)

    def failed(self, obj: K8sObject, exc: Exception, what: str | None = None) -> None:
        """Record that ``what`` (the current rule) failed on ``obj``: an internal error at the object."""
        what = what or f"rule {self.rule_id}"
        self.errors.append(InputError(
            obj.file, obj.doc_line, 1,
            f"{what} failed on {obj.kind} {obj.display_name}: {type(exc).__name__}: {exc}", rule=INTERNAL_ERROR))


class _ObjectGuard:
    """One object's work in a rule: on an exception, its findings so far are taken back and an
    internal error naming the file, the object and the rule takes their place."""

    __slots__ = ("ctx", "obj", "findings", "deferred")

    def __init__(self, ctx: RuleContext, obj: K8sObject) -> None:
        self.ctx, self.obj = ctx, obj

    def __enter__(self) -> None:
        self.findings, self.deferred = len(self.ctx.findings), len(self.ctx.deferred)

    def __exit__(self, kind, exc, traceback) -> bool:
        if exc is None or not isinstance(exc, Exception):
            return False
        del self.ctx.findings[self.findings:]
        del self.ctx.deferred[self.deferred:]
        self.ctx.failed(self.obj, exc)
        return True


def active_rules(options: Options) -> tuple[list[Rule], list[Rule]]:
    """The per-object and the cross-object rules with at least one enabled id."""
    rules = [r for r in all_rules().values() if any(i in options.enabled for i in r.ids)]
    return [r for r in rules if r.scope == OBJECT], [r for r in rules if r.scope == SET]
