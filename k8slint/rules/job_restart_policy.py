"""Jobs and CronJobs the API server rejects, or that never run, never finish or never retry the
way their settings suggest.

Sources (kubernetes/kubernetes): ``pkg/apis/batch/validation/validation.go`` (``validateJobSpec``:
restartPolicy must be OnFailure or Never and an absent one is rejected because it defaults to
Always; non-negative counters; Indexed completion mode rules; podFailurePolicy needs Never;
``validateCronJobSpec``: ``cron.ParseStandard``, no TZ in schedule, concurrencyPolicy values,
time zone names, 52-character names), ``pkg/controller/job/job_controller.go``
(``pastBackoffLimitOnFailure``: with OnFailure, container restarts count against backoffLimit and
backoffLimit 0 fails the Job at the first restart; ``pastActiveDeadline``), the CronJob controller
v2 (a run is skipped when ``scheduledTime + startingDeadlineSeconds`` is already past), and
robfig/cron v3 (the schedule parser the API server uses).
"""

from __future__ import annotations

import re
from functools import lru_cache

from k8slint.model.objects import CronJob, Job, Workload, as_dict, as_int, dig
from k8slint.rules import rule

RESTART = "job-restart-policy"
JOB_SPEC = "job-spec"
CRONJOB = "cronjob-spec"

_NON_NEGATIVE = ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                 "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes")
_MAX_INDEXED_PARALLELISM = 100_000
_CONCURRENCY = ("Allow", "Forbid", "Replace")
# The CronJob controller appends an 11-character suffix to Job names (max 63).
_MAX_CRONJOB_NAME = 52
_TIME_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}\Z")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def _job_spec_path(obj: Workload) -> tuple:
    return ("spec", "jobTemplate", "spec") if isinstance(obj, CronJob) else ("spec",)


def _what(obj: Workload) -> str:
    return "each of the CronJob's Jobs" if isinstance(obj, CronJob) else "the Job"


@rule(RESTART, kinds=["Job", "CronJob"], also_reports=[JOB_SPEC, CRONJOB])
def check(obj: Workload, ctx):
    job_path = _job_spec_path(obj)
    job_spec = dig(obj.root, job_path)
    if isinstance(obj, CronJob) and ctx.enabled(CRONJOB):
        _cronjob(obj, ctx)
    if not isinstance(job_spec, dict):
        return
    if ctx.enabled(RESTART):
        _restart_policy(obj, ctx, job_spec, job_path)
    if ctx.enabled(JOB_SPEC):
        _job_spec(obj, ctx, job_spec, job_path)


# --- job-restart-policy ---------------------------------------------------------------------------


def _restart_policy(obj: Workload, ctx, job_spec: dict, job_path: tuple):
    template = obj.pod_template
    if not isinstance(dig(obj.root, template.spec_path), dict):
        return  # no pod spec: invalid-field-type reports it
    policy = template.spec.get("restartPolicy")
    path = template.spec_path + ("restartPolicy",)
    kind = "CronJob" if isinstance(obj, CronJob) else "Job"
    if policy is None or policy == "":
        ctx.report(
            obj, template.spec_path,
            f"the pod template has no restartPolicy, so it defaults to Always, which the API server "
            f"rejects for a {kind} (\"restartPolicy: Required value: valid values: OnFailure, "
            f"Never\")", hint="Add restartPolicy: Never (retry in new pods) or OnFailure (restart "
                              "the container in place).")
        return
    if not isinstance(policy, str):
        return
    if policy == "Always":
        ctx.report(obj, path,
                   f"restartPolicy: Always is rejected for a {kind}: its pods must run to "
                   f"completion (valid values: OnFailure, Never)",
                   hint="Use restartPolicy: Never or OnFailure.")
        return
    if policy not in ("OnFailure", "Never"):
        ctx.report(obj, path, f"restartPolicy {policy!r} is not supported; the API server "
                              f"rejects the {kind} (valid values: OnFailure, Never)",
                   hint="Use restartPolicy: Never or OnFailure.")
        return
    if policy == "OnFailure" and job_spec.get("podFailurePolicy") is not None:
        ctx.report(obj, path,
                   "restartPolicy: OnFailure with a podFailurePolicy; the API server rejects it "
                   "(only \"Never\" is supported when podFailurePolicy is specified)",
                   hint="Use restartPolicy: Never with podFailurePolicy.")
        return
    backoff = as_int(job_spec.get("backoffLimit"))
    if policy == "OnFailure" and backoff == 0 and job_spec.get("backoffLimitPerIndex") is None:
        ctx.report(
            obj, job_path + ("backoffLimit",),
            f"backoffLimit 0 with restartPolicy: OnFailure: when a container fails the kubelet "
            f"restarts it in place, then the Job controller sees the restart, marks {_what(obj)} "
            f"failed and deletes the pod with its logs, possibly while the restarted container "
            f"is already running the work again",
            severity="warning",
            hint="Use restartPolicy: Never for a Job that must not retry (the failed pod and its "
                 "logs stay), or raise backoffLimit.")


# --- job-spec -------------------------------------------------------------------------------------


def _job_spec(obj: Workload, ctx, spec: dict, base: tuple):
    what = _what(obj)
    numbers = {}
    for field in _NON_NEGATIVE:
        value = spec.get(field)
        number = as_int(value) if not isinstance(value, bool) else None
        numbers[field] = number
        if number is not None and number < 0:
            ctx.report(obj, base + (field,),
                       f"{field} is {number}; it must be >= 0 and the API server rejects "
                       f"{what}", rule=JOB_SPEC)
            numbers[field] = None
    mode = spec.get("completionMode")
    indexed = mode == "Indexed"
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        ctx.report(obj, base + ("completionMode",),
                   f"completionMode {mode!r} is not supported (NonIndexed or Indexed); the "
                   f"API server rejects {what}", rule=JOB_SPEC)
        return
    completions, parallelism = numbers["completions"], numbers["parallelism"]
    if indexed and spec.get("completions") is None:
        ctx.report(obj, base + ("completionMode",),
                   f"completionMode: Indexed requires completions (the number of indexes); "
                   f"the API server rejects {what}", rule=JOB_SPEC,
                   hint="Set completions to the number of indexes to run.")
    if indexed and parallelism is not None and parallelism > _MAX_INDEXED_PARALLELISM:
        ctx.report(obj, base + ("parallelism",),
                   f"parallelism {parallelism} exceeds {_MAX_INDEXED_PARALLELISM} for an "
                   f"Indexed Job; the API server rejects {what}", rule=JOB_SPEC)
    for field in ("backoffLimitPerIndex", "maxFailedIndexes", "successPolicy"):
        if spec.get(field) is not None and not indexed:
            ctx.report(obj, base + (field,),
                       f"{field} requires completionMode: Indexed; the API server rejects "
                       f"{what}", rule=JOB_SPEC)
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        ctx.report(obj, base + ("maxFailedIndexes",),
                   f"maxFailedIndexes requires backoffLimitPerIndex; the API server rejects "
                   f"{what}", rule=JOB_SPEC)
    max_failed = numbers["maxFailedIndexes"]
    if indexed and completions is not None and max_failed is not None and max_failed > completions:
        ctx.report(obj, base + ("maxFailedIndexes",),
                   f"maxFailedIndexes {max_failed} is more than completions {completions}; "
                   f"the API server rejects {what}", rule=JOB_SPEC)
    if indexed and completions and isinstance(obj, Job) and obj.metadata.get("name") == obj.name:
        hostname = f"{obj.name}-{completions - 1}"
        if len(hostname) > 63 or not _DNS_LABEL.match(hostname):
            ctx.report(obj, ("metadata", "name"),
                       f"an Indexed Job names its pods' hostnames <name>-<index>; "
                       f"{hostname!r} is not a valid DNS label (63 characters at most), so "
                       f"the API server rejects the Job", rule=JOB_SPEC)
    if parallelism == 0:
        ctx.report(
            obj, base + ("parallelism",),
            f"parallelism 0: no pod is ever started, so {what} can never finish (until "
            f"parallelism is raised or activeDeadlineSeconds fails it)", rule=JOB_SPEC,
            severity="warning",
            hint="Use suspend: true to create a paused Job; otherwise set parallelism >= 1.")
    if completions == 0:
        ctx.report(
            obj, base + ("completions",),
            f"completions 0: the Job controller marks {what} complete at once without running "
            f"any pod",
            rule=JOB_SPEC, severity="warning", hint="Set completions >= 1 (or leave it unset for 1).")
    if numbers["activeDeadlineSeconds"] == 0:
        ctx.report(
            obj, base + ("activeDeadlineSeconds",),
            f"activeDeadlineSeconds 0: the deadline has passed the moment a Job starts, so the "
            f"Job controller fails {what} (DeadlineExceeded) and kills the pods", rule=JOB_SPEC,
            hint="Set activeDeadlineSeconds to the longest run you accept, or remove it.")


# --- cronjob-spec ---------------------------------------------------------------------------------


def _cronjob(obj: CronJob, ctx):
    spec = as_dict(obj.root.get("spec"))
    name = obj.metadata.get("name")
    if isinstance(name, str) and len(name) > _MAX_CRONJOB_NAME:
        ctx.report(obj, ("metadata", "name"),
                   f"CronJob name is {len(name)} characters; the API server rejects names "
                   f"longer than {_MAX_CRONJOB_NAME} because each Job's name adds an "
                   f"11-character suffix (Job names are at most 63)", rule=CRONJOB,
                   hint=f"Shorten the name to at most {_MAX_CRONJOB_NAME} characters.")
    schedule = spec.get("schedule")
    time_zone = spec.get("timeZone")
    if schedule is None or schedule == "":
        ctx.report(obj, ("spec", "schedule"), "spec.schedule is required; the API server "
                                               "rejects the CronJob", rule=CRONJOB)
    elif isinstance(schedule, str):
        _schedule(obj, ctx, schedule)
    if time_zone is not None and isinstance(time_zone, str):
        problem = _time_zone_problem(time_zone)
        if problem:
            ctx.report(obj, ("spec", "timeZone"), f"timeZone {time_zone!r} {problem}; the API "
                                                   f"server rejects the CronJob", rule=CRONJOB,
                       hint="Use an IANA time zone name such as Etc/UTC or Europe/Berlin.")
    policy = spec.get("concurrencyPolicy")
    if isinstance(policy, str) and policy and policy not in _CONCURRENCY:
        ctx.report(obj, ("spec", "concurrencyPolicy"),
                   f"concurrencyPolicy {policy!r} is not supported (Allow, Forbid or "
                   f"Replace); the API server rejects the CronJob", rule=CRONJOB)
    deadline_value = spec.get("startingDeadlineSeconds")
    deadline = as_int(deadline_value) if not isinstance(deadline_value, bool) else None
    path = ("spec", "startingDeadlineSeconds")
    if deadline is not None and deadline < 0:
        ctx.report(obj, path, f"startingDeadlineSeconds is {deadline}; it must be >= 0 and the "
                              f"API server rejects the CronJob", rule=CRONJOB)
    elif deadline == 0:
        ctx.report(
            obj, path,
            "startingDeadlineSeconds 0: the controller wakes up just after each scheduled time, "
            "when the 0-second window has already closed, so every run is skipped (MissSchedule) "
            "and no Job is ever created", rule=CRONJOB,
            hint="Remove startingDeadlineSeconds or set it to tens of seconds or more.")
    elif deadline is not None and deadline < 10:
        ctx.report(
            obj, path,
            f"startingDeadlineSeconds {deadline} is under 10 seconds: any controller delay longer "
            f"than that (a busy queue, a leader failover) skips the run, and the Kubernetes docs "
            f"warn that such a CronJob may not be scheduled at all", rule=CRONJOB, severity="warning",
            hint="Set startingDeadlineSeconds to at least tens of seconds, or remove it.")
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(field)
        number = as_int(value) if not isinstance(value, bool) else None
        if number is not None and number < 0:
            ctx.report(obj, ("spec", field), f"{field} is {number}; it must be >= 0 and the "
                                             f"API server rejects the CronJob", rule=CRONJOB)


def _schedule(obj: CronJob, ctx, schedule: str):
    path = ("spec", "schedule")
    if "TZ" in schedule:
        ctx.report(obj, path,
                   f"schedule {schedule!r} sets a time zone with TZ or CRON_TZ, which was "
                   f"never supported: since Kubernetes 1.29 the API server rejects creating "
                   f"such a CronJob (\"cannot use TZ or CRON_TZ in schedule, use timeZone "
                   f"field instead\"); only existing ones may still be updated",
                   rule=CRONJOB,
                   hint="Move the zone to spec.timeZone and keep five fields in schedule.")
        return
    fields, error = parse_schedule(schedule)
    if error:
        ctx.report(obj, path, f"schedule {schedule!r} is not a valid cron expression "
                              f"({error}); the API server rejects the CronJob", rule=CRONJOB,
                   hint="Use five fields (minute hour day-of-month month day-of-week) or a "
                        "descriptor such as @hourly.")
        return
    if fields is not None and never_fires(fields):
        ctx.report(obj, path, f"schedule {schedule!r} never fires: none of its months has "
                              f"the day of month it asks for, so no Job is ever created",
                   rule=CRONJOB, hint="Fix the day of month or the month field.")


# robfig/cron v3 ParseStandard --------------------------------------------------------------------

_BOUNDS = (  # (name, min, max, names)
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day of month", 1, 31, None),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
# Go time.ParseDuration
_GO_DURATION = re.compile(r"[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)\Z")
_GO_ATOI = re.compile(r"[+-]?\d+\Z")
_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_schedule(spec: str):
    """``cron.ParseStandard`` of robfig/cron v3: (fields, None) or (None, error). ``fields`` is a
    tuple of (values, star) per field, or None for a descriptor."""
    if not spec:
        return None, "empty spec string"
    if spec[0] == "@":
        if spec in _DESCRIPTORS:
            return None, None
        if spec.startswith("@every "):
            if _GO_DURATION.match(spec[len("@every "):]):
                return None, None
            return None, f"failed to parse duration {spec}"
        return None, f"unrecognized descriptor: {spec}"
    parts = spec.split()
    if len(parts) != 5:
        return None, f"expected exactly 5 fields, found {len(parts)}"
    fields = []
    for text, (label, low, high, names) in zip(parts, _BOUNDS):
        values, star = set(), False
        for expr in (piece for piece in text.split(",") if piece):
            got, error = _parse_range(expr, low, high, names)
            if error:
                return None, f"{label}: {error}"
            values |= got[0]
            star = star or got[1]
        fields.append((values, star))
    return tuple(fields), None


def _parse_range(expr: str, low: int, high: int, names):
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    star = False
    if low_and_high[0] in ("*", "?"):
        start, end, star = low, high, True
    else:
        start, error = _int_or_name(low_and_high[0], names)
        if error:
            return None, error
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end, error = _int_or_name(low_and_high[1], names)
            if error:
                return None, error
        else:
            return None, f"too many hyphens: {expr}"
    step = 1
    if len(range_and_step) == 2:
        step, error = _int_or_name(range_and_step[1], None)
        if error:
            return None, error
        if len(low_and_high) == 1:
            end = high  # "N/step" means "N-max/step"
        if step > 1:
            star = False
    elif len(range_and_step) > 2:
        return None, f"too many slashes: {expr}"
    if start < low:
        return None, f"beginning of range ({start}) below minimum ({low}): {expr}"
    if end > high:
        return None, f"end of range ({end}) above maximum ({high}): {expr}"
    if start > end:
        return None, f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    if step == 0:
        return None, f"step of range should be a positive number: {expr}"
    return (set(range(start, end + 1, step)), star), None


def _int_or_name(text: str, names):
    if names and text.lower() in names:
        return names[text.lower()], None
    if not _GO_ATOI.match(text):
        return None, f"failed to parse int from {text}"
    if len(text.lstrip("+-").lstrip("0")) > 19:  # past int64: strconv.Atoi's range error (and int() refuses 4300+ digits)
        return None, f"failed to parse int from {text[:40]}...: value out of range"
    number = int(text)
    if number < 0:
        return None, f"negative number ({number}) not allowed: {text}"
    return number, None


def never_fires(fields) -> bool:
    """robfig's ``dayMatches``: when day-of-week is a star the day of month alone decides; a day
    of month that none of the months has (31 in April, 30 in February) never comes."""
    _, _, (days, _), (months, _), (_, dow_star) = fields
    if not dow_star:
        return False  # a restricted day of week (ORed with day of month, or ANDed with all days)
    return not any(day <= _DAYS_IN_MONTH[month - 1] for month in months for day in days)


@lru_cache(maxsize=64)
def _time_zone_problem(name: str) -> str | None:
    """``validateTimeZone``: non-empty, IANA-style components, not Local, loadable."""
    if not name:
        return "must be nil or a non-empty string"
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.match(part):
            return "is not a valid time zone name"
    if name.lower() == "local":
        return "must be an explicit time zone, not Local"
    try:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zoneinfo.ZoneInfo("Etc/UTC")  # the database is there: the name is unknown
            return "is not a known time zone"
    except Exception:  # no time zone database on this machine: cannot tell
        return None
    return None
