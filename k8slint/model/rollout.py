"""Int-or-percent and rollout arithmetic: the one place where rules get their numbers.

Each function mirrors the upstream function named in its docstring (K = kubernetes/kubernetes,
AM = kubernetes/apimachinery, AR = argoproj/argo-rollouts). Inputs are plain YAML-decoded values;
a value of the wrong type raises IntOrPercentError, never TypeError. Stdlib only.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from k8slint.model import memo

DEFAULT_DEPLOYMENT_SURGE = "25%"  # K pkg/apis/apps/v1/defaults.go SetDefaults_Deployment
DEFAULT_DEPLOYMENT_UNAVAILABLE = "25%"
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_DAEMONSET_SURGE = 0  # SetDefaults_DaemonSet
DEFAULT_DAEMONSET_UNAVAILABLE = 1
DEFAULT_STATEFULSET_UNAVAILABLE = 1  # getStatefulSetMaxUnavailable: ValueOrDefault(x, FromInt32(1))
ARGO_DEFAULT_SURGE = "25"  # AR utils/defaults/defaults.go: bare strings, read as percentages
ARGO_DEFAULT_UNAVAILABLE = "25"

# AM validation.IsValidPercent uses "^[0-9]+%$"; fullmatch because Python's "$" would also accept a
# trailing newline that Go's RE2 rejects, and [0-9] rather than \d so no Unicode digits slip through.
_PERCENT_RE = re.compile(r"[0-9]+%")
_GO_ATOI_RE = re.compile(r"[+-]?[0-9]+")  # strconv.Atoi: optional sign, ASCII digits, nothing else
_INT32 = (-(2**31), 2**31 - 1)  # IntOrString.IntVal, replicas and *Seconds are int32
_INT64_MAX = 2**63 - 1
# RegexError(percentErrMsg, "[0-9]+%", "1%", "93%") byte for byte, including its double space.
PERCENT_ERROR = ("a valid percent string must be a numeric string followed by an ending '%' "
                 "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
NONNEGATIVE_ERROR = "must be greater than or equal to 0"  # ValidateNonnegativeField
_JSON_TYPES = ((bool, "boolean"), (str, "string"), ((int, float), "number"), (list, "array"), (dict, "object"))


class IntOrPercentError(ValueError):
    """A value the API server or controller would reject; ``str(e)`` is ``"<field>: <detail>"``."""
    def __init__(self, detail: str, field: str = "value"):
        super().__init__(f"{field}: {detail}")
        self.field, self.detail = field, detail


@dataclass(frozen=True)
class IntOrPercent:
    """A parsed ``intstr.IntOrString``: ``number`` is the int, or the percentage when ``percent``."""
    number: int
    percent: bool
    raw: object

    def __str__(self) -> str:
        return f"{self.number}%" if self.percent else str(self.number)


def _json_type(value: object) -> str:
    return next((name for types, name in _JSON_TYPES if isinstance(value, types)),
                "null" if value is None else type(value).__name__)


def _or(value: object, default: object) -> object:
    return default if value is None else value


def _as_int(value: object, field: str, nonneg: bool = False) -> int:
    """Decode a JSON number into an int32 field. bool is not a number; an integral float (YAML ``2.0``
    or ``1e0``) reaches the API server as ``2``/``1`` after YAML->JSON conversion, so it is accepted."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IntOrPercentError(f"must be an integer, got {_json_type(value)}", field)
    if isinstance(value, float):
        if not value.is_integer():  # also rejects nan and inf
            raise IntOrPercentError(f"must be an integer, got {value!r}", field)
        value = int(value)
    if not _INT32[0] <= value <= _INT32[1]:
        raise IntOrPercentError("does not fit in a 32-bit integer", field)  # no f"{value}": may be huge
    if nonneg and value < 0:
        raise IntOrPercentError(NONNEGATIVE_ERROR, field)
    return value


def _atoi(text: str) -> int | None:
    """``strconv.Atoi``: None on a syntax or int64 range error. The length is checked first because
    ``int()`` refuses more than 4300 digits with a bare ValueError."""
    digits = text.lstrip("+-").lstrip("0") or "0"
    if not _GO_ATOI_RE.fullmatch(text) or len(digits) > 19:
        return None
    n = -int(digits) if text[0] == "-" else int(digits)
    return n if -_INT64_MAX - 1 <= n <= _INT64_MAX else None


def parse_int_or_percent(value: object, field: str = "value") -> IntOrPercent:
    """``ValidatePositiveIntOrPercent`` (K apps validation.go) + ``getIntOrPercentValueSafely`` (AM intstr.go):
    ints >= 0, strings matching ``^[0-9]+%$`` ("25", "25.5%", "-5%", " 25%" fail). No 100% cap here."""
    if isinstance(value, str):
        if not _PERCENT_RE.fullmatch(value):
            raise IntOrPercentError(PERCENT_ERROR, field)
        number = _atoi(value[:-1])
        if number is None:  # passes the regex, but strconv.Atoi fails in the controller
            raise IntOrPercentError("value out of range", field)
        return IntOrPercent(number, True, value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise IntOrPercentError(f"must be an integer or percent string, got {_json_type(value)}", field)
    return IntOrPercent(_as_int(value, field, nonneg=True), False, value)


def _parse_argo(value: object, field: str) -> IntOrPercent:
    """Deprecated ``GetValueFromIntOrPercent``/``getIntOrPercentValue`` (AM intstr.go), as Argo calls it: any
    string is a percentage once every '%' is removed ("25", "25%%" mean 25%). Negatives are rejected."""
    if not isinstance(value, str):
        return parse_int_or_percent(value, field)
    number = _atoi(value.replace("%", ""))
    if number is None or number < 0:
        raise IntOrPercentError("must be a non-negative integer percentage", field)
    return IntOrPercent(number, True, value)


def scaled_value(value: IntOrPercent | object, total: int, round_up: bool) -> int:
    """``GetScaledValueFromIntOrPercent`` (AM intstr.go): an int is returned unchanged; a percentage
    becomes ceil/floor(number * total / 100) in float64, in Go's operation order. Raw values are parsed."""
    v = value if isinstance(value, IntOrPercent) else parse_int_or_percent(value)
    total = _as_int(total, "total")
    if not v.percent:
        return v.number
    scaled = float(v.number) * float(total) / 100
    return math.ceil(scaled) if round_up else math.floor(scaled)


@dataclass(frozen=True)
class Fenceposts:
    """Resolved rolling-update limits for ``replicas`` desired pods (nodes, for a DaemonSet)."""
    replicas: int
    surge: int
    unavailable: int
    forced_unavailable: bool  # both resolved to 0, so the controller used unavailable = 1
    clamped: bool  # resolved unavailable exceeded replicas and was cut down to replicas

    @property
    def max_pods(self) -> int:
        return self.replicas + self.surge

    @property
    def min_available(self) -> int:
        return self.replicas - self.unavailable


def _fenceposts(s: IntOrPercent, u: IntOrPercent, n: int, unavailable_round_up: bool = False) -> Fenceposts:
    """``ResolveFenceposts`` (surge rounds up) then ``MaxUnavailable``: 0 at replicas 0, else capped."""
    surge, unav = scaled_value(s, n, True), scaled_value(u, n, unavailable_round_up)
    forced = surge == 0 and unav == 0  # rounding down can give 0/0; "surge might not work due to quota"
    if n == 0:
        return Fenceposts(0, surge, 0, False, False)
    return Fenceposts(n, surge, min(unav or int(forced), n), forced, unav > n)


@memo.by_value  # thousands of workloads share a handful of strategies
def deployment_fenceposts(max_surge: object, max_unavailable: object, replicas: int) -> Fenceposts:
    """``MaxSurge(d)``/``MaxUnavailable(d)`` (K pkg/controller/deployment/util/deployment_util.go) after
    ``SetDefaults_Deployment``: None means absent, i.e. "25%" (bare ``ResolveFenceposts`` reads nil as 0)."""
    s = parse_int_or_percent(_or(max_surge, DEFAULT_DEPLOYMENT_SURGE), "maxSurge")
    u = parse_int_or_percent(_or(max_unavailable, DEFAULT_DEPLOYMENT_UNAVAILABLE), "maxUnavailable")
    return _fenceposts(s, u, _as_int(replicas, "replicas", nonneg=True))


def argo_canary_fenceposts(max_surge: object, max_unavailable: object, replicas: object = None) -> Fenceposts:
    """Argo canary ``MaxSurge``/``MaxUnavailable`` (AR utils/replicaset/replicaset.go): defaults "25"/"25", replicas
    1, the deprecated parser (bare "25" is 25%), then Deployment rounding, 0/0 forcing and clamping."""
    s = _parse_argo(_or(max_surge, ARGO_DEFAULT_SURGE), "maxSurge")
    u = _parse_argo(_or(max_unavailable, ARGO_DEFAULT_UNAVAILABLE), "maxUnavailable")
    return _fenceposts(s, u, _as_int(_or(replicas, 1), "replicas", nonneg=True))


def daemonset_fenceposts(max_surge: object, max_unavailable: object, nodes: int) -> Fenceposts:
    """``SurgeCount``/``UnavailableCount`` (K pkg/controller/daemon/util/daemonset_util.go): both round UP
    against the nodes that should run the pod; ``updatedDesiredNodeCounts`` (daemon/update.go) makes 0/0
    unavailable 1 when nodes > 0. The controller never clamps, but no more pods than nodes can be down."""
    s = parse_int_or_percent(_or(max_surge, DEFAULT_DAEMONSET_SURGE), "maxSurge")
    u = parse_int_or_percent(_or(max_unavailable, DEFAULT_DAEMONSET_UNAVAILABLE), "maxUnavailable")
    return _fenceposts(s, u, _as_int(nodes, "nodes", nonneg=True), unavailable_round_up=True)


def statefulset_max_unavailable(max_unavailable: object, replicas: int) -> int:
    """``getStatefulSetMaxUnavailable`` (K statefulset/stateful_set_utils.go): default 1, a percentage rounds
    DOWN (the API doc says up; the controller test has "50%" of 5 -> 2), then at least 1; ints unclamped.
    Honoured only with the MaxUnavailableStatefulSet feature gate; without it the controller uses 1."""
    u = parse_int_or_percent(_or(max_unavailable, DEFAULT_STATEFULSET_UNAVAILABLE), "maxUnavailable")
    return max(1, scaled_value(u, _as_int(replicas, "replicas", nonneg=True), False))


@memo.by_value
def _outage_replica_counts(max_unavailable: object, upto: int, max_surge: object) -> tuple[int, ...]:
    return tuple(n for n in range(1, _as_int(upto, "upto", nonneg=True) + 1)
                 if deployment_fenceposts(max_surge, max_unavailable, n).unavailable == n)


def outage_replica_counts(max_unavailable: object, upto: int = 100, max_surge: object = None) -> list[int]:
    """Replica counts n in 1..upto at which a Deployment may have every pod down at once, i.e.
    ``deployment_fenceposts(max_surge, max_unavailable, n).unavailable == n`` (None = API default)."""
    return list(_outage_replica_counts(max_unavailable, upto, max_surge))


def pdb_disruptions_allowed(min_available: object, max_unavailable: object, expected_pods: int) -> int:
    """``getExpectedPodCount`` + ``updatePdbStatus`` (K controller/disruption/disruption.go), all pods healthy:
    maxUnavailable (checked first) and a percent minAvailable round UP against the expected pods; an int
    minAvailable is compared with the pod count as is; neither set, or no pods: 0."""
    n = _as_int(expected_pods, "expectedPods", nonneg=True)
    if max_unavailable is not None:
        desired = n - scaled_value(parse_int_or_percent(max_unavailable, "maxUnavailable"), n, True)
    elif min_available is not None:
        desired = scaled_value(parse_int_or_percent(min_available, "minAvailable"), n, True)
    else:
        desired = n  # expectedCount stays 0: nothing may be disrupted
    return max(0, n - max(0, desired))


# ---- API-server validation (K pkg/apis/apps/validation/validation.go) ----
@dataclass(frozen=True)
class Problem:
    """A validation error the API server would return (``field`` is the last path element)."""
    field: str
    message: str


def _decode(fn, raw: object, field: str) -> tuple[object, list[Problem]]:
    """Run a parser; a rejection becomes a Problem instead of an exception."""
    try:
        return fn(raw, field), []
    except IntOrPercentError as e:
        return None, [Problem(field, e.detail)]


def _iop_problems(raw: object, field: str, cap_100: bool) -> list[Problem]:
    """JSON decoding, ``ValidatePositiveIntOrPercent`` and, with ``cap_100``, ``IsNotMoreThan100Percent``
    (only valid percent strings are capped; ints never are)."""
    parsed, problems = _decode(parse_int_or_percent, raw, field)
    if parsed is not None and cap_100 and parsed.percent and parsed.number > 100:
        problems.append(Problem(field, "must not be greater than 100%"))
    return problems


def _literal(raw: object) -> int | None:
    """``getIntOrPercentValue``: a valid percent's number, else ``IntValue()``, which for a string is
    ``strconv.Atoi`` with the error ignored ("abc" counts as 0, "25" as 25). None when undecodable."""
    if not isinstance(raw, str):  # None: a decode error, the request never reaches the combination checks
        return _decode(_as_int, raw, "value")[0]
    body = raw[:-1] if _PERCENT_RE.fullmatch(raw) else raw
    number = _atoi(body) if _GO_ATOI_RE.fullmatch(body) else 0
    return _INT64_MAX if number is None else number  # on a range error Atoi returns the clamped value


def _int_field(raw: object, field: str) -> tuple[int | None, list[Problem]]:
    n, problems = _decode(_as_int, raw, field)
    return n, problems + ([Problem(field, NONNEGATIVE_ERROR)] if n is not None and n < 0 else [])


def _strategy(strategy: object, field: str) -> tuple[str | None, dict | None, list[Problem]]:
    """(type, rollingUpdate, decode problems); a null or "" type is defaulted to RollingUpdate."""
    strategy = _or(strategy, {})
    if not isinstance(strategy, dict):
        return None, None, [Problem(field, f"must be an object, got {_json_type(strategy)}")]
    stype, ru = strategy.get("type"), strategy.get("rollingUpdate")
    for name, value, kind, noun in (("type", stype, str, "a string"), ("rollingUpdate", ru, dict, "an object")):
        if value is not None and not isinstance(value, kind):
            return None, None, [Problem(name, f"must be {noun}, got {_json_type(value)}")]
    return stype or "RollingUpdate", ru, []


def _field(ru: dict | None, key: str, default: object) -> object:
    return _or((ru or {}).get(key), default)


def _deadline_problems(min_ready_seconds: object, progress_deadline_seconds: object) -> list:
    """minReadySeconds and progressDeadlineSeconds (defaults 0 and 600): integers, deadline greater."""
    mrs, mrs_problems = _int_field(_or(min_ready_seconds, 0), "minReadySeconds")
    pds, pds_problems = _int_field(_or(progress_deadline_seconds, DEFAULT_PROGRESS_DEADLINE_SECONDS),
                                   "progressDeadlineSeconds")
    problems = mrs_problems + pds_problems
    if mrs is not None and pds is not None and pds <= mrs:
        problems.append(Problem("progressDeadlineSeconds", "must be greater than minReadySeconds"))
    return problems



def validate_deployment_strategy(strategy: dict | None, min_ready_seconds: object = None,
                                 progress_deadline_seconds: object = None) -> list[Problem]:
    """``ValidateDeploymentStrategy`` + ``ValidateRollingUpdateDeployment`` + the minReadySeconds and
    progressDeadlineSeconds checks of ``ValidateDeploymentSpec``, after ``SetDefaults_Deployment``."""
    stype, ru, problems = _strategy(strategy, "strategy")
    if stype == "Recreate" and ru is not None:
        problems.append(Problem("rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"))
    elif stype == "RollingUpdate":
        mu = _field(ru, "maxUnavailable", DEFAULT_DEPLOYMENT_UNAVAILABLE)
        ms = _field(ru, "maxSurge", DEFAULT_DEPLOYMENT_SURGE)
        # maxSurge has no 100% cap for Deployments; the zero check is literal ("1%" passes, may resolve to 0)
        problems += _iop_problems(mu, "maxUnavailable", cap_100=True) + _iop_problems(ms, "maxSurge", cap_100=False)
        if _literal(mu) == 0 and _literal(ms) == 0:
            problems.append(Problem("maxUnavailable", "may not be 0 when `maxSurge` is 0"))
    elif stype not in (None, "Recreate"):
        problems.append(Problem("type", f'Unsupported value: "{stype}": supported values: "Recreate", "RollingUpdate"'))
    return problems + _deadline_problems(min_ready_seconds, progress_deadline_seconds)


def validate_daemonset_strategy(update_strategy: dict | None) -> list[Problem]:
    """``ValidateDaemonSetUpdateStrategy`` + ``ValidateRollingUpdateDaemonSet`` after ``SetDefaults_DaemonSet``
    (maxUnavailable 1, maxSurge 0): both <= 100%, exactly one literally non-zero; OnDelete ignores the rest."""
    stype, ru, problems = _strategy(update_strategy, "updateStrategy")
    if stype not in (None, "RollingUpdate", "OnDelete"):
        problems.append(Problem("type", f'Unsupported value: "{stype}": supported values: "RollingUpdate", "OnDelete"'))
    if stype != "RollingUpdate":
        return problems
    mu = _field(ru, "maxUnavailable", DEFAULT_DAEMONSET_UNAVAILABLE)
    ms = _field(ru, "maxSurge", DEFAULT_DAEMONSET_SURGE)
    problems = _iop_problems(mu, "maxUnavailable", cap_100=True) + _iop_problems(ms, "maxSurge", cap_100=True)
    lit_u, lit_s = _literal(mu), _literal(ms)  # None (undecodable) is neither zero nor non-zero here
    if lit_u and lit_s:
        problems.append(Problem("maxSurge", "may not be set when maxUnavailable is non-zero"))
    elif lit_u == 0 and lit_s == 0:
        problems.append(Problem("maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return problems


def validate_statefulset_strategy(update_strategy: dict | None, replicas: object = None) -> list[Problem]:
    """The updateStrategy part of ``ValidateStatefulSetSpec`` and ``validateRollingUpdateStatefulSet``:
    partition >= 0; maxUnavailable, when set, valid, literally non-zero and <= 100%; replicas >= 0."""
    stype, ru, problems = _strategy(update_strategy, "updateStrategy")
    if stype == "OnDelete" and ru is not None:
        problems.append(Problem("rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'"))
    elif stype == "RollingUpdate" and ru is not None:
        if ru.get("partition") is not None:
            problems += _int_field(ru["partition"], "partition")[1]
        if ru.get("maxUnavailable") is not None:
            problems += _iop_problems(ru["maxUnavailable"], "maxUnavailable", cap_100=True)
            if _literal(ru["maxUnavailable"]) == 0:
                problems.append(Problem("maxUnavailable", "cannot be 0"))
    elif stype not in (None, "OnDelete", "RollingUpdate"):
        problems.append(Problem("type", "must be 'RollingUpdate' or 'OnDelete'"))
    return problems + ([] if replicas is None else _int_field(replicas, "replicas")[1])


# ---- Rollout peaks: how many pods exist at once, and whether progress needs a new pod first ------
@dataclass(frozen=True)
class RolloutPeak:
    """How many pods a rollout keeps at once, and whether progress needs a new pod first."""

    strategy: str  # "RollingUpdate" | "Recreate" | "OnDelete"
    steady_pods: int  # N
    peak_pods: int  # most pods the controller keeps at once (spec counts; Terminating pods come on top)
    min_unavailable_zero: bool  # resolved unavailable == 0: an old pod goes only once a new one is available
    explanation: str  # human text with the numbers
    surge: int = 0
    unavailable: int = 0


def _accepted(problems: list[Problem], strategy: object) -> tuple[str, dict | None]:
    """Peaks are only defined for objects the API server accepts; otherwise the caller skips."""
    if problems:
        raise IntOrPercentError(problems[0].message, problems[0].field)
    return _strategy(strategy, "strategy")[:2]


def _how(raw: object, resolved: int, n: int, rounding: str) -> str:
    return f"{resolved} ({raw} of {n}, rounded {rounding})" if isinstance(raw, str) else str(resolved)


@memo.by_value  # cross-object rules ask for every Deployment; thousands share a handful of strategies
def deployment_rollout_peak(strategy: dict | None, replicas: int) -> RolloutPeak:
    """``NewRSNewReplicas`` keeps all ReplicaSets <= N + maxSurge, old pods go only while available >= N -
    maxUnavailable (K controller/deployment/rolling.go); ``rolloutRecreate`` deletes all old pods first."""
    stype, ru = _accepted(validate_deployment_strategy(strategy), strategy)
    n = _as_int(replicas, "replicas", nonneg=True)
    if stype == "Recreate":
        return RolloutPeak("Recreate", n, n, False, f"Recreate: all {n} old pods go before new ones start; no surge")
    raw_s = _field(ru, "maxSurge", DEFAULT_DEPLOYMENT_SURGE)
    raw_u = _field(ru, "maxUnavailable", DEFAULT_DEPLOYMENT_UNAVAILABLE)
    fp = deployment_fenceposts(raw_s, raw_u, n)
    text = (f"replicas {n} + maxSurge {_how(raw_s, fp.surge, n, 'up')} = {fp.max_pods} pods at peak, "
            f"maxUnavailable {_how(raw_u, scaled_value(raw_u, n, False), n, 'down')}")
    if fp.forced_unavailable:
        text += "; both resolve to 0, so the controller uses maxUnavailable 1"
    if fp.clamped:
        text += f", capped at replicas {n}: every pod may be down at once"
    return RolloutPeak("RollingUpdate", n, fp.max_pods, n > 0 and fp.unavailable == 0, text, fp.surge, fp.unavailable)


def statefulset_rollout_peak(update_strategy: dict | None, replicas: int,
                             pod_management_policy: object = None) -> RolloutPeak:
    """A StatefulSet never surges: a pod is deleted, then recreated with the same ordinal, highest first,
    for ordinals >= partition only (``updateStatefulSet``, K pkg/controller/statefulset/stateful_set_control.go)."""
    stype, ru = _accepted(validate_statefulset_strategy(update_strategy, replicas), update_strategy)
    n = _as_int(replicas, "replicas", nonneg=True)
    policy = pod_management_policy or "OrderedReady"  # SetDefaults_StatefulSet
    if policy not in ("OrderedReady", "Parallel"):
        raise IntOrPercentError("must be 'OrderedReady' or 'Parallel'", "podManagementPolicy")
    if stype == "OnDelete":
        return RolloutPeak("OnDelete", n, n, False, f"OnDelete: pods change only when deleted by hand; at most {n}")
    partition = _as_int(_field(ru, "partition", 0), "partition")
    k = min(statefulset_max_unavailable(_field(ru, "maxUnavailable", None), n), n)
    text = (f"no surge: at most {n} pods; up to {k} pod(s) down at once (maxUnavailable; 1 without the "
            f"MaxUnavailableStatefulSet gate); {max(0, n - partition)} of {n} updated (partition {partition})")
    if policy == "OrderedReady":
        text += "; OrderedReady recreates pods one at a time"
    return RolloutPeak("RollingUpdate", n, n, False, text, 0, k)


def daemonset_rollout_peak(update_strategy: dict | None, nodes: int) -> RolloutPeak:
    """With maxSurge a new daemon pod starts beside the old one on its node (capped by the candidate nodes);
    otherwise old pods go first, maxUnavailable at a time (``rollingUpdate``, K controller/daemon/update.go)."""
    stype, ru = _accepted(validate_daemonset_strategy(update_strategy), update_strategy)
    n = _as_int(nodes, "nodes", nonneg=True)
    if stype == "OnDelete":
        return RolloutPeak("OnDelete", n, n, False, f"OnDelete: pods change only when deleted by hand; {n} node(s)")
    fp = daemonset_fenceposts(_field(ru, "maxSurge", None), _field(ru, "maxUnavailable", None), n)
    surge = min(fp.surge, n)
    text = (f"{n} node(s): maxSurge {surge} new pod(s) beside old ones on the same nodes = {n + surge} pods "
            f"at peak, maxUnavailable {fp.unavailable}")
    return RolloutPeak("RollingUpdate", n, n + surge, n > 0 and fp.unavailable == 0, text, surge, fp.unavailable)


# ---- Argo Rollouts and PodDisruptionBudget validation (additive helpers for the rules) ----------
ARGO_BOTH_ZERO = "MaxSurge and MaxUnavailable both can not be zero"  # AR InvalidMaxSurgeMaxUnavailable
PDB_BOTH_SET = "minAvailable and maxUnavailable cannot be both set"  # K policy ValidatePodDisruptionBudgetSpec


def validate_argo_rollout_strategy(strategy: dict | None, min_ready_seconds: object = None,
                                   progress_deadline_seconds: object = None) -> list[Problem]:
    """What the Argo Rollouts controller refuses (it sets the InvalidSpec condition; the CRD schema lets the
    object in): ``ValidateRolloutStrategy`` (exactly one of canary/blueGreen), ``invalidMaxSurgeMaxUnavailable``
    (literal values after the "25"/"25" defaults, read like ``getIntOrPercentValue``: "0", 0 and "0%" are 0),
    the ``progressDeadlineSeconds`` (default 600) > ``minReadySeconds`` check of ``ValidateRolloutSpec``
    (AR pkg/apis/rollouts/validation/validation.go), and canary values Argo's resolver cannot read."""
    strategy = _or(strategy, {})
    if not isinstance(strategy, dict):
        return [Problem("strategy", f"must be an object, got {_json_type(strategy)}")]
    problems: list[Problem] = []
    canary, blue_green = strategy.get("canary"), strategy.get("blueGreen")
    if canary is None and blue_green is None:
        problems.append(Problem("strategy",
                                "Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'"))
    elif canary is not None and blue_green is not None:
        problems.append(Problem("strategy", "Multiple Strategies can not be listed"))
    elif canary is not None and not isinstance(canary, dict):
        problems.append(Problem("canary", f"must be an object, got {_json_type(canary)}"))
    elif canary is not None:
        ms = _field(canary, "maxSurge", ARGO_DEFAULT_SURGE)
        mu = _field(canary, "maxUnavailable", ARGO_DEFAULT_UNAVAILABLE)
        problems += _decode(_parse_argo, ms, "maxSurge")[1] + _decode(_parse_argo, mu, "maxUnavailable")[1]
        if _literal(ms) == 0 and _literal(mu) == 0:
            problems.append(Problem("maxSurge", ARGO_BOTH_ZERO))
    return problems + _deadline_problems(min_ready_seconds, progress_deadline_seconds)


def validate_pdb_spec(min_available: object, max_unavailable: object) -> list[Problem]:
    """``ValidatePodDisruptionBudgetSpec`` (K pkg/apis/policy/validation/validation.go) without the selector:
    not both set; each set value through ``ValidatePositiveIntOrPercent`` and ``IsNotMoreThan100Percent``."""
    both = min_available is not None and max_unavailable is not None
    problems = [Problem("maxUnavailable", PDB_BOTH_SET)] if both else []
    for raw, field in ((min_available, "minAvailable"), (max_unavailable, "maxUnavailable")):
        if raw is not None:
            problems += _iop_problems(raw, field, cap_100=True)
    return problems


# ---- Defaults that changed between API versions ----------------------------------------------------
# Each object is defaulted by the defaulting functions of the API version it is written in (the API
# server decodes it into that version, defaults it, then converts), so an old manifest keeps its old
# defaults:
# * K pkg/apis/extensions/v1beta1/defaults.go: DaemonSet updateStrategy.type OnDelete (maxUnavailable 1
#   once RollingUpdate is chosen, no maxSurge); Deployment maxUnavailable 1 and maxSurge 1, and neither
#   revisionHistoryLimit nor progressDeadlineSeconds (no deadline, every old ReplicaSet kept).
# * K pkg/apis/apps/v1beta1/defaults.go: StatefulSet updateStrategy.type OnDelete, podManagementPolicy
#   OrderedReady; Deployment 25%/25%, revisionHistoryLimit 2, progressDeadlineSeconds 600.
# * K pkg/apis/apps/v1beta2/defaults.go and apps/v1: DaemonSet RollingUpdate (maxUnavailable 1, maxSurge 0),
#   StatefulSet RollingUpdate (partition 0), podManagementPolicy OrderedReady; Deployment 25%/25%,
#   revisionHistoryLimit 10, progressDeadlineSeconds 600.
@dataclass(frozen=True)
class VersionDefaults:
    """The update defaults of a kind at an API version."""

    update_type: str  # the strategy type when none is written
    max_surge: object  # None: the version has no such field (or no default)
    max_unavailable: object
    progress_deadline_seconds: int | None  # None: no deadline
    revision_history_limit: int | None  # None: every old revision is kept
    source: str  # the upstream defaulting function, for messages and docs

    @property
    def legacy(self) -> bool:
        return self.source != "apps/v1"


_V1 = "apps/v1"
_VERSION_DEFAULTS = {
    ("Deployment", "apps/v1"): VersionDefaults("RollingUpdate", "25%", "25%", 600, 10, _V1),
    ("Deployment", "apps/v1beta2"): VersionDefaults("RollingUpdate", "25%", "25%", 600, 10, "apps/v1beta2"),
    ("Deployment", "apps/v1beta1"): VersionDefaults("RollingUpdate", "25%", "25%", 600, 2, "apps/v1beta1"),
    ("Deployment", "extensions/v1beta1"): VersionDefaults("RollingUpdate", 1, 1, None, None, "extensions/v1beta1"),
    ("DaemonSet", "apps/v1"): VersionDefaults("RollingUpdate", 0, 1, None, 10, _V1),
    ("DaemonSet", "apps/v1beta2"): VersionDefaults("RollingUpdate", 0, 1, None, 10, "apps/v1beta2"),
    ("DaemonSet", "extensions/v1beta1"): VersionDefaults("OnDelete", None, 1, None, 10, "extensions/v1beta1"),
    ("StatefulSet", "apps/v1"): VersionDefaults("RollingUpdate", None, None, None, 10, _V1),
    ("StatefulSet", "apps/v1beta2"): VersionDefaults("RollingUpdate", None, None, None, 10, "apps/v1beta2"),
    ("StatefulSet", "apps/v1beta1"): VersionDefaults("OnDelete", None, None, None, 10, "apps/v1beta1"),
}


def version_defaults(kind: str, api_version: str) -> VersionDefaults | None:
    """The defaults the API server fills in for ``kind`` written in ``api_version`` (apps/v1's for an
    unknown version of a known kind, such as a newer one); None for other kinds."""
    found = _VERSION_DEFAULTS.get((kind, api_version))
    if found is None:
        found = _VERSION_DEFAULTS.get((kind, _V1))
    return found


def update_type(kind: str, api_version: str, spec: dict) -> str | None:
    """How a template change reaches the pods of a workload, after defaulting: "RollingUpdate",
    "Recreate" (Deployment), "OnDelete" (DaemonSet, StatefulSet), or None for kinds whose controller
    never replaces pods for a template change (ReplicaSet, ReplicationController, bare Pods, Jobs).
    An Argo Rollout answers "canary" or "blueGreen"."""
    if kind == "Rollout":
        strategy = spec.get("strategy") if isinstance(spec, dict) else None
        strategy = strategy if isinstance(strategy, dict) else {}
        return "canary" if isinstance(strategy.get("canary"), dict) else (
            "blueGreen" if isinstance(strategy.get("blueGreen"), dict) else None)
    defaults = version_defaults(kind, api_version)
    if defaults is None:
        return None
    field = "strategy" if kind == "Deployment" else "updateStrategy"
    strategy = spec.get(field) if isinstance(spec, dict) else None
    written = strategy.get("type") if isinstance(strategy, dict) else None
    return written if isinstance(written, str) and written else defaults.update_type


# ---- Argo Rollouts: what stops a release on its way to every pod --------------------------------------

@dataclass(frozen=True)
class ArgoGates:
    """What an Argo Rollout waits for before a new release takes every pod (or all the traffic).

    AR pkg/apis/rollouts/v1alpha1/types.go and rollout/canary.go, bluegreen.go: a canary ``pause``
    step without ``duration`` waits until the Rollout is promoted by hand; an ``analysis`` step, an
    ``experiment`` step (whose analyses must pass) and background ``canary.analysis`` abort the
    rollout when their AnalysisRun fails; a blue-green Rollout with ``autoPromotionEnabled: false``
    waits for a manual promotion, and ``prePromotionAnalysis`` must pass before promotion."""
    strategy: str  # "canary" or "blueGreen"
    manual_pause_step: int | None = None  # index of the first pause without duration
    analysis_steps: tuple = ()  # step indexes of analysis and experiment steps
    background_analysis: bool = False  # canary.analysis / blueGreen pre-promotion analysis
    manual_promotion: bool = False  # blueGreen autoPromotionEnabled: false

    @property
    def waits_for_a_person(self) -> bool:
        return self.manual_pause_step is not None or self.manual_promotion

    @property
    def can_abort(self) -> bool:
        return bool(self.analysis_steps) or self.background_analysis


def argo_gates(spec: dict) -> ArgoGates | None:
    """The gates of a Rollout's strategy (None when it has neither canary nor blueGreen)."""
    strategy = spec.get("strategy") if isinstance(spec, dict) else None
    strategy = strategy if isinstance(strategy, dict) else {}
    canary, blue_green = strategy.get("canary"), strategy.get("blueGreen")
    if isinstance(canary, dict):
        manual, analyses = None, []
        steps = canary.get("steps")
        for index, step in enumerate(steps if isinstance(steps, list) else []):
            if not isinstance(step, dict):
                continue
            if "pause" in step:
                pause = step.get("pause")
                duration = pause.get("duration") if isinstance(pause, dict) else None
                if duration is None and manual is None:
                    manual = index
            if isinstance(step.get("analysis"), dict) or isinstance(step.get("experiment"), dict):
                analyses.append(index)
        return ArgoGates("canary", manual, tuple(analyses), isinstance(canary.get("analysis"), dict))
    if isinstance(blue_green, dict):
        return ArgoGates("blueGreen", background_analysis=isinstance(blue_green.get("prePromotionAnalysis"), dict),
                         manual_promotion=blue_green.get("autoPromotionEnabled") is False)
    return None
