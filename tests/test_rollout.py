"""Tests for k8slint.model.rollout.

Table cases are taken from upstream tests where they exist (K = kubernetes/kubernetes):
  * pkg/controller/deployment/util/deployment_util_test.go  TestResolveFenceposts, TestMaxUnavailable
  * staging/src/k8s.io/apimachinery/pkg/util/intstr/intstr_test.go  TestGetIntFromIntOrPercent
  * pkg/controller/statefulset/stateful_set_utils_test.go  TestGetStatefulSetMaxUnavailable
  * pkg/apis/apps/validation/validation.go rules (ValidateRollingUpdateDeployment / DaemonSet / StatefulSet)
and from the worked 25%/25% table in /work/shared/docs/k8s-semantics.md section 1.2.
"""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8slint.model.rollout import (
    NONNEGATIVE_ERROR,
    PERCENT_ERROR,
    Fenceposts,
    IntOrPercent,
    IntOrPercentError,
    Problem,
    argo_canary_fenceposts,
    daemonset_fenceposts,
    daemonset_rollout_peak,
    deployment_fenceposts,
    deployment_rollout_peak,
    outage_replica_counts,
    parse_int_or_percent,
    pdb_disruptions_allowed,
    scaled_value,
    statefulset_max_unavailable,
    statefulset_rollout_peak,
    validate_daemonset_strategy,
    validate_deployment_strategy,
    validate_statefulset_strategy,
)

MALFORMED = ["25", "25.5%", "-5%", " 25%", "25% ", "25 %", "abc", "%", "a%", "40#", "40%%", "#%",
             "25%\n", "+25%", "\u0662\u0665%", "", -1, -5.0, True, False, None, [], {}, [1], {"a": 1},
             2.5, float("nan"), float("inf"), 2**31, "99999999999999999999%"]


def msgs(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in problems]


# ---- parse_int_or_percent ------------------------------------------------------------------------

@pytest.mark.parametrize("raw, number, percent, text", [
    (0, 0, False, "0"), (5, 5, False, "5"), ("0%", 0, True, "0%"), ("25%", 25, True, "25%"),
    ("100%", 100, True, "100%"), ("150%", 150, True, "150%"), ("007%", 7, True, "7%"),
    (2.0, 2, False, "2"), (1e0, 1, False, "1"), (2**31 - 1, 2**31 - 1, False, str(2**31 - 1)),
])
def test_parse_valid(raw, number, percent, text):
    v = parse_int_or_percent(raw)
    assert (v.number, v.percent, v.raw) == (number, percent, raw)
    assert str(v) == text


@pytest.mark.parametrize("raw", MALFORMED)
def test_parse_malformed_raises_int_or_percent_error(raw):
    with pytest.raises(IntOrPercentError):
        parse_int_or_percent(raw, "maxSurge")


def test_parse_error_messages_match_api_server():
    with pytest.raises(IntOrPercentError) as e:
        parse_int_or_percent("25", "maxSurge")
    assert e.value.detail == PERCENT_ERROR and e.value.field == "maxSurge"
    assert str(e.value).startswith("maxSurge: a valid percent string must be a numeric string followed by an ending '%'")
    assert "regex used for validation is '[0-9]+%'" in PERCENT_ERROR
    with pytest.raises(IntOrPercentError) as e:
        parse_int_or_percent(-1, "maxUnavailable")
    assert e.value.detail == NONNEGATIVE_ERROR == "must be greater than or equal to 0"
    assert isinstance(e.value, ValueError)


def test_int_or_percent_str():
    assert str(IntOrPercent(25, True, "25%")) == "25%"
    assert str(IntOrPercent(3, False, 3)) == "3"


# ---- scaled_value (intstr_test.go TestGetIntFromIntOrPercent) -------------------------------------

@pytest.mark.parametrize("raw, total, round_up, expected", [
    (123, 0, False, 123), ("90%", 100, True, 90), ("90%", 95, True, 86), ("90%", 95, False, 85),
    (7, 1000, True, 7), ("0%", 10, True, 0), ("1%", 3, True, 1), ("1%", 3, False, 0), ("100%", 0, True, 0),
])
def test_scaled_value(raw, total, round_up, expected):
    assert scaled_value(parse_int_or_percent(raw), total, round_up) == expected
    assert scaled_value(raw, total, round_up) == expected  # raw values are parsed


@pytest.mark.parametrize("raw", ["%", "90#", "#%", "90"])
def test_scaled_value_errors(raw):
    with pytest.raises(IntOrPercentError):
        scaled_value(raw, 10, True)


@pytest.mark.parametrize("total", [True, "10", None, 2.5, []])
def test_scaled_value_bad_total(total):
    with pytest.raises(IntOrPercentError):
        scaled_value("10%", total, True)


# ---- Deployment fenceposts ------------------------------------------------------------------------

# TestResolveFenceposts; upstream nil means 0 there, so nil is written as 0 (None would mean "25%").
@pytest.mark.parametrize("surge, unavailable, desired, expected", [
    ("0%", "0%", 0, (0, 0)),  # ResolveFenceposts says 0/1; MaxUnavailable returns 0 for replicas 0
    ("39%", "39%", 10, (4, 3)),
    (0, "39%", 10, (0, 3)),
    ("39%", 0, 10, (4, 0)),
    (0, 0, 10, (0, 1)),
    (1, 1, 2, (1, 1)),
    ("25%", "25%", 8, (2, 2)),
    ("0%", "1%", 2, (0, 1)), ("0%", "1%", 1, (0, 1)),  # ResolveFenceposts doc comment examples
    ("1%", "25%", 2, (1, 0)), ("1%", "25%", 1, (1, 0)), ("1%", "0%", 2, (1, 0)),
])
def test_resolve_fenceposts_upstream_cases(surge, unavailable, desired, expected):
    fp = deployment_fenceposts(surge, unavailable, desired)
    assert (fp.surge, fp.unavailable) == expected


@pytest.mark.parametrize("surge, unavailable", [("oops", "39%"), ("55%", "urg"), ("5", "1")])
def test_resolve_fenceposts_upstream_errors(surge, unavailable):
    with pytest.raises(IntOrPercentError):
        deployment_fenceposts(surge, unavailable, 10)


# TestMaxUnavailable (maxSurge 1).
@pytest.mark.parametrize("replicas, unavailable, expected, clamped", [
    (10, 5, 5, False), (10, 10, 10, False), (5, 10, 5, True), (0, 10, 0, False),
    (10, "50%", 5, False), (10, "100%", 10, False), (5, "100%", 5, False), (5, "200%", 5, True),
])
def test_max_unavailable_upstream_cases(replicas, unavailable, expected, clamped):
    fp = deployment_fenceposts(1, unavailable, replicas)
    assert fp.unavailable == expected and fp.clamped is clamped


# k8s-semantics.md 1.2: defaults 25%/25%, surge = ceil(N/4), unavailable = floor(N/4).
@pytest.mark.parametrize("n, surge, unavailable", [
    (0, 0, 0), (1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 1), (5, 2, 1), (6, 2, 1), (7, 2, 1),
    (8, 2, 2), (9, 3, 2), (10, 3, 2),
])
def test_default_25_25_table(n, surge, unavailable):
    fp = deployment_fenceposts(None, None, n)
    assert fp == Fenceposts(n, surge, unavailable, False, False)
    assert fp == deployment_fenceposts("25%", "25%", n)
    assert fp.max_pods == n + surge and fp.min_available == n - unavailable


def test_fencepost_forcing_and_notes_examples():
    assert deployment_fenceposts(0, "10%", 5) == Fenceposts(5, 0, 1, True, False)
    assert deployment_fenceposts("1%", None, 3).surge == 1
    assert deployment_fenceposts(None, 0, 3) == Fenceposts(3, 1, 0, False, False)  # only maxUnavailable 0
    assert deployment_fenceposts(0, None, 3) == Fenceposts(3, 0, 1, True, False)  # only maxSurge 0
    assert deployment_fenceposts(0, None, 4) == Fenceposts(4, 0, 1, False, False)
    assert deployment_fenceposts(0, 0, 0) == Fenceposts(0, 0, 0, False, False)
    assert deployment_fenceposts(3, "100%", 0).surge == 3  # MaxSurge does not look at replicas
    assert deployment_fenceposts(2.0, 1.0, 4.0) == Fenceposts(4, 2, 1, False, False)


@pytest.mark.parametrize("bad", MALFORMED)
def test_deployment_fenceposts_malformed(bad):
    if bad is None:  # None is "field absent" here, which is valid
        assert deployment_fenceposts(bad, bad, 4) == Fenceposts(4, 1, 1, False, False)
        return
    with pytest.raises(IntOrPercentError):
        deployment_fenceposts(bad, "25%", 4)
    with pytest.raises(IntOrPercentError):
        deployment_fenceposts("25%", bad, 4)


@pytest.mark.parametrize("replicas", [-1, True, "3", None, 1.5, [], {}])
def test_deployment_fenceposts_bad_replicas(replicas):
    with pytest.raises(IntOrPercentError):
        deployment_fenceposts(None, None, replicas)


# ---- DaemonSet, StatefulSet, Argo -----------------------------------------------------------------

@pytest.mark.parametrize("surge, unavailable, nodes, expected", [
    (None, None, 5, Fenceposts(5, 0, 1, False, False)),  # defaults maxSurge 0, maxUnavailable 1
    (0, "10%", 5, Fenceposts(5, 0, 1, False, False)),  # ceil(0.5) = 1, not forced
    (0, "25%", 10, Fenceposts(10, 0, 3, False, False)),  # rounds UP (a Deployment would give 2)
    ("20%", 0, 12, Fenceposts(12, 3, 0, False, False)),
    ("1%", 0, 1, Fenceposts(1, 1, 0, False, False)),
    (0, 0, 4, Fenceposts(4, 0, 1, True, False)),  # updatedDesiredNodeCounts forces 1
    (0, "0%", 3, Fenceposts(3, 0, 1, True, False)),
    (0, 0, 0, Fenceposts(0, 0, 0, False, False)),  # no forcing without nodes
    (0, 5, 3, Fenceposts(3, 0, 3, False, True)),
    (None, "100%", 7, Fenceposts(7, 0, 7, False, False)),
])
def test_daemonset_fenceposts(surge, unavailable, nodes, expected):
    assert daemonset_fenceposts(surge, unavailable, nodes) == expected


@pytest.mark.parametrize("bad", ["25", "abc", -1, True, [], {}])
def test_daemonset_fenceposts_malformed(bad):
    with pytest.raises(IntOrPercentError):
        daemonset_fenceposts(bad, 0, 3)


# TestGetStatefulSetMaxUnavailable: percentages round DOWN, then at least 1; ints unclamped.
@pytest.mark.parametrize("unavailable, replicas, expected", [
    (None, 10, 1), (3, 10, 3), (3, 0, 3), (0, 0, 1), ("10%", 25, 2), ("100%", 5, 5), ("50%", 5, 2),
    ("10%", 5, 1), ("1%", 0, 1), ("0%", 0, 1), ("50%", 3, 1), ("60%", 10, 6),
])
def test_statefulset_max_unavailable(unavailable, replicas, expected):
    assert statefulset_max_unavailable(unavailable, replicas) == expected


@pytest.mark.parametrize("bad", ["25", "25.5%", -1, True, [], {}])
def test_statefulset_max_unavailable_malformed(bad):
    with pytest.raises(IntOrPercentError):
        statefulset_max_unavailable(bad, 5)


@pytest.mark.parametrize("surge, unavailable, replicas, expected", [
    (None, None, 4, Fenceposts(4, 1, 1, False, False)),  # defaults "25"/"25" are percentages
    (None, None, None, Fenceposts(1, 1, 0, False, False)),  # replicas default 1
    ("25", "25", 8, Fenceposts(8, 2, 2, False, False)),
    ("25%", "25%", 8, Fenceposts(8, 2, 2, False, False)),
    ("25%%", "2%5", 8, Fenceposts(8, 2, 2, False, False)),  # every '%' is stripped
    ("+10", 0, 10, Fenceposts(10, 1, 0, False, False)),  # strconv.Atoi accepts a sign
    (1, 0, 3, Fenceposts(3, 1, 0, False, False)),
    ("0", 0, 5, Fenceposts(5, 0, 1, True, False)),
    (0, "100", 5, Fenceposts(5, 0, 5, False, False)),
    (0, 9, 5, Fenceposts(5, 0, 5, False, True)),
    (3, None, 0, Fenceposts(0, 3, 0, False, False)),
])
def test_argo_canary_fenceposts(surge, unavailable, replicas, expected):
    assert argo_canary_fenceposts(surge, unavailable, replicas) == expected


@pytest.mark.parametrize("bad", ["abc", "-5", "25.5", "", " 25", -1, True, [], {}])
def test_argo_canary_fenceposts_malformed(bad):
    with pytest.raises(IntOrPercentError):
        argo_canary_fenceposts(bad, None, 4)


# ---- outage_replica_counts ------------------------------------------------------------------------

@pytest.mark.parametrize("unavailable, kwargs, expected", [
    ("50%", {}, []),  # n=1: floor(0.5)=0 but surge ceil(0.25)=1, no forcing; n=2: 1 of 2
    ("100%", {"upto": 5}, [1, 2, 3, 4, 5]),
    (2, {}, [1, 2]),
    (1, {}, [1]),
    (0, {}, []),
    (None, {}, []),
    ("10%", {"upto": 15, "max_surge": 0}, [1]),  # 0/0 forced to 1 below 10 replicas
    ("50%", {"max_surge": 0}, [1]),
    ("99%", {"upto": 3}, []),
    (7, {"upto": 0}, []),
])
def test_outage_replica_counts(unavailable, kwargs, expected):
    assert outage_replica_counts(unavailable, **kwargs) == expected


def test_outage_replica_counts_malformed():
    with pytest.raises(IntOrPercentError):
        outage_replica_counts("50")
    with pytest.raises(IntOrPercentError):
        outage_replica_counts(1, upto=-1)


# ---- PodDisruptionBudget --------------------------------------------------------------------------

@pytest.mark.parametrize("min_available, max_unavailable, pods, expected", [
    (None, 0, 3, 0), (None, "0%", 3, 0), (None, 1, 3, 1), (None, "50%", 3, 2), (None, "10%", 5, 1),
    (None, "100%", 4, 4), (None, 10, 3, 3),
    (2, None, 3, 1), (3, None, 3, 0), (5, None, 3, 0), (0, None, 3, 3), ("100%", None, 3, 0),
    ("50%", None, 3, 1), ("1%", None, 3, 2), ("0%", None, 3, 3),
    (None, None, 3, 0),  # neither set: expectedCount stays 0
    (1, None, 0, 0), (None, 1, 0, 0),
    (3, 1, 3, 1),  # both set (invalid): the controller looks at maxUnavailable first
])
def test_pdb_disruptions_allowed(min_available, max_unavailable, pods, expected):
    assert pdb_disruptions_allowed(min_available, max_unavailable, pods) == expected


@pytest.mark.parametrize("bad", ["abc", "50", -1, True, [], {}])
def test_pdb_malformed(bad):
    with pytest.raises(IntOrPercentError):
        pdb_disruptions_allowed(bad, None, 3)
    with pytest.raises(IntOrPercentError):
        pdb_disruptions_allowed(None, bad, 3)


# ---- Deployment validation ------------------------------------------------------------------------

BOTH_ZERO = ("maxUnavailable", "may not be 0 when `maxSurge` is 0")
OVER_100 = "must not be greater than 100%"


def ru(**fields):
    return {"type": "RollingUpdate", "rollingUpdate": fields}


@pytest.mark.parametrize("strategy, expected", [
    (None, []), ({}, []), ({"type": "RollingUpdate"}, []), ({"type": ""}, []), ({"type": None}, []),
    ({"type": "Recreate"}, []), ({"type": "Recreate", "rollingUpdate": None}, []),
    ({"type": "Recreate", "rollingUpdate": {}},
     [("rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")]),
    (ru(maxSurge=0, maxUnavailable=0), [BOTH_ZERO]),
    (ru(maxSurge="0%", maxUnavailable=0), [BOTH_ZERO]),
    (ru(maxSurge="0%", maxUnavailable="0%"), [BOTH_ZERO]),
    (ru(maxSurge=0.0, maxUnavailable=0), [BOTH_ZERO]),
    (ru(maxSurge=0, maxUnavailable="1%"), []),  # literal check only; resolves to 0, forced to 1
    (ru(maxSurge=0), []), (ru(maxUnavailable=0), []),  # the other field defaults to 25%
    (ru(maxUnavailable="110%"), [("maxUnavailable", OVER_100)]),
    (ru(maxUnavailable="100%"), []),
    (ru(maxSurge="200%"), []),  # no cap on maxSurge for Deployments
    (ru(maxSurge=-1), [("maxSurge", NONNEGATIVE_ERROR)]),
    (ru(maxUnavailable=-1), [("maxUnavailable", NONNEGATIVE_ERROR)]),
    (ru(maxUnavailable="20Percent"), [("maxUnavailable", PERCENT_ERROR)]),
    (ru(maxUnavailable="25"), [("maxUnavailable", PERCENT_ERROR)]),
    (ru(maxUnavailable="abc", maxSurge=0), [("maxUnavailable", PERCENT_ERROR), BOTH_ZERO]),  # IntValue("abc") = 0
    (ru(maxUnavailable="25", maxSurge=0), [("maxUnavailable", PERCENT_ERROR)]),  # IntValue("25") = 25
    ({"type": "Foo"}, [("type", 'Unsupported value: "Foo": supported values: "Recreate", "RollingUpdate"')]),
])
def test_validate_deployment_strategy(strategy, expected):
    assert sorted(msgs(validate_deployment_strategy(strategy))) == sorted(expected)


@pytest.mark.parametrize("min_ready, deadline, expected", [
    (None, None, []), (599, None, []), (0, 1, []),
    (600, None, [("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
    (700, None, [("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
    (10, 10, [("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
    (None, 0, [("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
    (-1, None, [("minReadySeconds", NONNEGATIVE_ERROR)]),
    (None, -1, [("progressDeadlineSeconds", NONNEGATIVE_ERROR),
                ("progressDeadlineSeconds", "must be greater than minReadySeconds")]),
])
def test_validate_deployment_deadlines(min_ready, deadline, expected):
    assert sorted(msgs(validate_deployment_strategy(None, min_ready, deadline))) == sorted(expected)


@pytest.mark.parametrize("strategy", [
    [], "RollingUpdate", 3, {"type": 5}, {"type": ["Recreate"]}, {"rollingUpdate": "x"},
    {"rollingUpdate": []}, ru(maxSurge=True), ru(maxSurge=[]), ru(maxSurge={}), ru(maxUnavailable=2.5),
    ru(maxUnavailable=2**40), ru(maxSurge=False, maxUnavailable=False),
])
def test_validate_deployment_wrong_types_are_problems(strategy):
    problems = validate_deployment_strategy(strategy)
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert BOTH_ZERO not in msgs(problems)  # undecodable values never reach the combination checks


def test_validate_deployment_wrong_type_seconds():
    assert msgs(validate_deployment_strategy(None, "10", None)) == [("minReadySeconds", "must be an integer, got string")]
    assert len(validate_deployment_strategy(None, None, True)) == 1


# ---- DaemonSet / StatefulSet validation -----------------------------------------------------------

@pytest.mark.parametrize("strategy, expected", [
    (None, []), ({}, []), ({"type": "OnDelete"}, []),
    ({"type": "OnDelete", "rollingUpdate": {"maxSurge": 1}}, []),  # not checked for OnDelete
    (ru(), []), (ru(maxUnavailable="10%"), []), (ru(maxUnavailable=0, maxSurge=1), []),
    (ru(maxUnavailable=0, maxSurge="10%"), []), (ru(maxUnavailable="0%", maxSurge="100%"), []),
    (ru(maxSurge=1), [("maxSurge", "may not be set when maxUnavailable is non-zero")]),  # default 1
    (ru(maxSurge=1, maxUnavailable=1), [("maxSurge", "may not be set when maxUnavailable is non-zero")]),
    (ru(maxUnavailable=0), [("maxUnavailable", "cannot be 0 when maxSurge is 0")]),
    (ru(maxUnavailable="0%", maxSurge="0%"), [("maxUnavailable", "cannot be 0 when maxSurge is 0")]),
    (ru(maxUnavailable=0, maxSurge="101%"), [("maxSurge", OVER_100)]),
    (ru(maxUnavailable="150%"), [("maxUnavailable", OVER_100)]),
    (ru(maxUnavailable=-1), [("maxUnavailable", NONNEGATIVE_ERROR)]),
    (ru(maxUnavailable="abc"), [("maxUnavailable", PERCENT_ERROR), ("maxUnavailable", "cannot be 0 when maxSurge is 0")]),
    ({"type": "Foo"}, [("type", 'Unsupported value: "Foo": supported values: "RollingUpdate", "OnDelete"')]),
])
def test_validate_daemonset_strategy(strategy, expected):
    assert sorted(msgs(validate_daemonset_strategy(strategy))) == sorted(expected)


@pytest.mark.parametrize("strategy, replicas, expected", [
    (None, None, []), ({}, 3, []), ({"type": "OnDelete"}, None, []),
    ({"type": "RollingUpdate"}, None, []), (ru(partition=0), None, []), (ru(partition=5), 3, []),
    (ru(maxUnavailable=2), None, []), (ru(maxUnavailable="50%"), None, []), (ru(maxUnavailable="100%"), None, []),
    ({"type": "OnDelete", "rollingUpdate": {}}, None,
     [("rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'")]),
    ({"type": "OnDelete", "rollingUpdate": {"partition": 1}}, None,
     [("rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'")]),
    (ru(partition=-1), None, [("partition", NONNEGATIVE_ERROR)]),
    (ru(partition="1"), None, [("partition", "must be an integer, got string")]),
    (ru(maxUnavailable=0), None, [("maxUnavailable", "cannot be 0")]),
    (ru(maxUnavailable="0%"), None, [("maxUnavailable", "cannot be 0")]),
    (ru(maxUnavailable="101%"), None, [("maxUnavailable", OVER_100)]),
    (ru(maxUnavailable=-1), None, [("maxUnavailable", NONNEGATIVE_ERROR)]),
    (ru(maxUnavailable="1"), None, [("maxUnavailable", PERCENT_ERROR)]),
    ({"type": "Foo"}, None, [("type", "must be 'RollingUpdate' or 'OnDelete'")]),
    (None, -1, [("replicas", NONNEGATIVE_ERROR)]),
])
def test_validate_statefulset_strategy(strategy, replicas, expected):
    assert sorted(msgs(validate_statefulset_strategy(strategy, replicas))) == sorted(expected)


@pytest.mark.parametrize("strategy", [[], "OnDelete", {"type": 1}, {"rollingUpdate": 3}, ru(maxUnavailable=True),
                                      ru(maxSurge=[]), ru(maxUnavailable={}), ru(partition=1.5)])
def test_validate_ds_sts_wrong_types_are_problems(strategy):
    ds = validate_daemonset_strategy(strategy)
    sts = validate_statefulset_strategy(strategy, "3")
    assert all(isinstance(p, Problem) for p in ds + sts)
    assert sts  # the replicas type error at least


# ---- rollout peaks --------------------------------------------------------------------------------

def test_deployment_rollout_peak():
    peak = deployment_rollout_peak(None, 3)
    assert (peak.strategy, peak.steady_pods, peak.peak_pods, peak.min_unavailable_zero) == ("RollingUpdate", 3, 4, True)
    assert (peak.surge, peak.unavailable) == (1, 0)
    assert "replicas 3 + maxSurge 1" in peak.explanation and "maxUnavailable 0 (25% of 3" in peak.explanation

    peak = deployment_rollout_peak(ru(maxSurge=1, maxUnavailable=0), 2)
    assert (peak.peak_pods, peak.min_unavailable_zero) == (3, True)
    assert peak.explanation == "replicas 2 + maxSurge 1 = 3 pods at peak, maxUnavailable 0"

    peak = deployment_rollout_peak(ru(maxSurge=0, maxUnavailable="10%"), 5)
    assert (peak.peak_pods, peak.unavailable, peak.min_unavailable_zero) == (5, 1, False)
    assert "controller uses maxUnavailable 1" in peak.explanation

    peak = deployment_rollout_peak(ru(maxUnavailable=10), 4)
    assert peak.unavailable == 4 and "every pod may be down" in peak.explanation

    peak = deployment_rollout_peak({"type": "Recreate"}, 5)
    assert (peak.strategy, peak.peak_pods, peak.min_unavailable_zero) == ("Recreate", 5, False)
    assert deployment_rollout_peak(None, 0).min_unavailable_zero is False


@pytest.mark.parametrize("strategy, replicas", [
    (ru(maxSurge=0, maxUnavailable=0), 3), ({"type": "Foo"}, 3), ({"type": "Recreate", "rollingUpdate": {}}, 3),
    (ru(maxSurge="25"), 3), (ru(maxUnavailable="150%"), 3), ([], 3), (None, -1), (None, True), (None, "3"),
])
def test_deployment_rollout_peak_rejects(strategy, replicas):
    with pytest.raises(IntOrPercentError):
        deployment_rollout_peak(strategy, replicas)


def test_statefulset_rollout_peak():
    peak = statefulset_rollout_peak(None, 3)
    assert (peak.strategy, peak.peak_pods, peak.unavailable, peak.surge, peak.min_unavailable_zero) == (
        "RollingUpdate", 3, 1, 0, False)
    assert "OrderedReady" in peak.explanation
    peak = statefulset_rollout_peak(ru(maxUnavailable="50%", partition=1), 5, "Parallel")
    assert (peak.peak_pods, peak.unavailable) == (5, 2)
    assert "4 of 5 updated (partition 1)" in peak.explanation and "OrderedReady" not in peak.explanation
    assert statefulset_rollout_peak(ru(maxUnavailable=10), 3).unavailable == 3
    assert statefulset_rollout_peak({"type": "OnDelete"}, 4).strategy == "OnDelete"
    for bad in [(ru(maxUnavailable=0), 3, None), (None, 3, "Burst"), ({"type": "Foo"}, 3, None), (None, -2, None)]:
        with pytest.raises(IntOrPercentError):
            statefulset_rollout_peak(*bad)


def test_daemonset_rollout_peak():
    peak = daemonset_rollout_peak(ru(maxSurge=1, maxUnavailable=0), 3)
    assert (peak.peak_pods, peak.surge, peak.unavailable, peak.min_unavailable_zero) == (4, 1, 0, True)
    peak = daemonset_rollout_peak(None, 3)
    assert (peak.peak_pods, peak.unavailable, peak.min_unavailable_zero) == (3, 1, False)
    assert daemonset_rollout_peak(ru(maxSurge="100%", maxUnavailable=0), 5).peak_pods == 10
    assert daemonset_rollout_peak({"type": "OnDelete"}, 2).peak_pods == 2
    for bad in [ru(maxSurge=1), ru(maxUnavailable=0), {"type": "Foo"}, ru(maxSurge="x", maxUnavailable=0)]:
        with pytest.raises(IntOrPercentError):
            daemonset_rollout_peak(bad, 3)


# ---- properties -----------------------------------------------------------------------------------

ints = st.integers(min_value=0, max_value=2**31 - 1)
percents = st.integers(min_value=0, max_value=100_000).map(lambda p: f"{p}%")
int_or_percent = st.one_of(ints, percents, st.integers(0, 1000).map(float))
replica_counts = st.integers(min_value=0, max_value=1000)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=True) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6)


@given(int_or_percent, int_or_percent, replica_counts)
def test_deployment_fencepost_invariants(surge, unavailable, n):
    fp = deployment_fenceposts(surge, unavailable, n)
    assert 0 <= fp.unavailable <= n and fp.surge >= 0
    assert n == 0 or not (fp.surge == 0 and fp.unavailable == 0)
    assert fp.max_pods >= n and 0 <= fp.min_available <= n
    assert not (fp.forced_unavailable and fp.clamped)


@given(int_or_percent, int_or_percent, replica_counts)
def test_daemonset_and_argo_invariants(surge, unavailable, n):
    for fp in (daemonset_fenceposts(surge, unavailable, n), argo_canary_fenceposts(surge, unavailable, n)):
        assert 0 <= fp.unavailable <= n and fp.surge >= 0
        assert n == 0 or fp.surge > 0 or fp.unavailable > 0
    assert statefulset_max_unavailable(unavailable, n) >= 1


@given(int_or_percent, st.integers(0, 10**6), st.integers(0, 10**6), st.booleans())
def test_scaled_value_monotonic_in_total(value, t1, t2, round_up):
    lo, hi = sorted((t1, t2))
    assert scaled_value(value, lo, round_up) <= scaled_value(value, hi, round_up)


@given(st.integers(0, 10_000), st.integers(0, 10**6))
def test_scaled_value_matches_exact_arithmetic(p, total):
    value = parse_int_or_percent(f"{p}%")
    assert scaled_value(value, total, True) == -(-p * total // 100)
    assert scaled_value(value, total, False) == p * total // 100
    if p <= 100:
        assert scaled_value(value, total, True) <= total


@given(st.one_of(ints, st.integers(0, 100).map(lambda p: f"{p}%")), st.integers(0, 1000))
def test_pdb_bounds(value, n):
    for args in ((value, None), (None, value)):
        assert 0 <= pdb_disruptions_allowed(*args, n) <= n


@given(json_values)
def test_arbitrary_values_never_raise_type_error(value):
    for fn in (lambda v: parse_int_or_percent(v), lambda v: deployment_fenceposts(v, v, 3),
               lambda v: daemonset_fenceposts(v, 0, 3), lambda v: argo_canary_fenceposts(v, v, v),
               lambda v: statefulset_max_unavailable(v, 3), lambda v: pdb_disruptions_allowed(v, None, 3),
               lambda v: deployment_rollout_peak(v, 3), lambda v: statefulset_rollout_peak(v, 3, v),
               lambda v: daemonset_rollout_peak(v, 3), lambda v: outage_replica_counts(v, 5)):
        try:
            fn(value)
        except IntOrPercentError:
            pass
    for strategy in (value, {"type": value}, {"rollingUpdate": value}, ru(maxSurge=value, maxUnavailable=value),
                     ru(maxSurge=value, maxUnavailable=0), ru(partition=value, maxUnavailable=value)):
        for problems in (validate_deployment_strategy(strategy, value, value), validate_daemonset_strategy(strategy),
                         validate_statefulset_strategy(strategy, value)):
            assert all(isinstance(p, Problem) for p in problems)


@settings(max_examples=300)
@given(st.one_of(st.none(), int_or_percent, st.sampled_from(["25", "abc", -1, "150%"])),
       st.one_of(st.none(), int_or_percent, st.sampled_from(["25", "abc", -1, "150%"])), replica_counts)
def test_peak_defined_exactly_when_valid(surge, unavailable, n):
    strategy = ru(maxSurge=surge, maxUnavailable=unavailable)
    valid = not validate_deployment_strategy(strategy)
    try:
        peak = deployment_rollout_peak(strategy, n)
    except IntOrPercentError:
        assert not valid
    else:
        assert valid and peak.peak_pods >= n
        assert peak.min_unavailable_zero == (n > 0 and peak.unavailable == 0)


@given(st.integers(0, 100))
def test_percent_parse_roundtrip(p):
    v = parse_int_or_percent(f"{p}%")
    assert (v.number, v.percent, str(v)) == (p, True, f"{p}%")
    assert math.isclose(scaled_value(v, 100, True), p)
