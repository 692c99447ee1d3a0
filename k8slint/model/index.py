"""Indexes over the objects of a run, so that cross-object rules look things up instead of
scanning: a repository may hold tens of thousands of workloads, Services, HPAs and PDBs, and a
rule that compares each Service with each workload grows with the square of the input.

* ``LabelIndex``: items (pod templates) by the label pairs their pods carry, inverted (key ->
  value -> items); a selector's candidates are the items that carry *every* pair it asks for, so
  a first key that every workload shares (``tier: web``) costs nothing.
* ``PlaceIndex``: items by the file and directory they come from and by namespace, the scoping of
  ``k8slint.model.relations`` (same file, else same directory, else same explicit namespace) in
  one place, with the near-miss suggestion ("closest is Deployment web, whose pods have app=web2")
  computed from the same buckets.
* ``by_target``: HorizontalPodAutoscalers by the (kind, name) they scale.

Each index keeps its items' input order (positions), so that every answer is the one a scan in
input order would give: findings do not change, only their cost.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import os
from collections.abc import Iterable, Mapping
from typing import Callable

from k8slint.model import memo


class LabelIndex:
    """Items by the (key, value) label pairs they carry.

    ``label_sets_of(item)`` gives the label sets the item's pods carry (several for an Argo Rollout's
    canary/stable pods), or None when they cannot be known: such an item is a candidate for every
    selector. Keys in ``unknown_keys`` (labels whose values only a controller knows) narrow nothing.
    """

    def __init__(self, items: list, label_sets_of: Callable, unknown_keys: Iterable[str] = ()) -> None:
        self.items = items
        self.unknown_keys = frozenset(unknown_keys)
        self._fill(map(label_sets_of, items))

    def _fill(self, label_sets: Iterable) -> None:
        """File each item (by position) under its pairs; ``label_sets`` gives each item's label
        sets in turn. Built for every set rule that matches selectors against thousands of pod
        templates: a loop without a set per item where one label set (nearly always) holds its
        pairs once each already."""
        self.opaque: list[int] = []
        self.several: set[int] = set()  # items with more than one label set (an Argo Rollout's canary pods)
        self.by_pair: dict[tuple, list[int] | tuple[int]] = {}
        self._by_key: dict[str, list[int]] | None = None  # made when a selector first asks (Exists)
        opaque, by_pair = self.opaque, self.by_pair
        for position, sets in enumerate(label_sets):
            if sets is None:
                opaque.append(position)
                continue
            if len(sets) == 1:  # the keys of one mapping: each pair once
                pairs = [(k, v) for k, v in sets[0].items() if isinstance(k, str) and isinstance(v, str)]
            else:
                pairs = {(k, v) for labels in sets for k, v in labels.items()
                         if isinstance(k, str) and isinstance(v, str)}
                self.several.add(position)
            for pair in pairs:  # most pairs are one item's (app: <name>): a 1-tuple, half a list's size
                positions = by_pair.get(pair)
                if positions is None:
                    by_pair[pair] = (position,)
                elif type(positions) is tuple:
                    by_pair[pair] = [positions[0], position]
                else:
                    positions.append(position)

    @property
    def by_key(self) -> dict[str, list[int]]:
        """key -> the positions (ascending) of the items carrying that key with a string value."""
        by_key = self._by_key
        if by_key is None:
            lists: dict[str, list] = {}
            for (key, _), positions in self.by_pair.items():
                lists.setdefault(key, []).append(positions)
            # (an item with several label sets may carry a key with two values: counted once)
            by_key = self._by_key = {key: list(found[0]) if len(found) == 1 else sorted(set().union(*found))
                                     for key, found in lists.items()}
        return by_key

    def _narrowest(self, options: list[list[int]]) -> list[int] | None:
        return min(options, key=len) if options else None

    def map_candidates(self, selector: Mapping) -> list:
        """Items that may match a plain label map (a Service's selector): those carrying every
        pair (but those of unknown keys), and the opaque ones, in input order."""
        items = self.items
        return [items[p] for p in self._map_positions(selector)[0]]

    def map_candidates_marked(self, selector: Mapping) -> list[tuple]:
        """``map_candidates(selector)`` as (item, sure) pairs: ``sure`` when the item's one label
        set carries every pair of ``selector`` (all of string keys and values, none of them an
        unknown key). A valid plain label map matches such an item, so a matcher need not be
        asked; the others (opaque items, items with several label sets, a selector with an unknown
        key) still are."""
        positions, whole = self._map_positions(selector)
        items = self.items
        if not whole:
            return [(items[p], False) for p in positions]
        unsure = self.several.union(self.opaque) if self.opaque else self.several
        if not unsure:
            return [(items[p], True) for p in positions]
        return [(items[p], p not in unsure) for p in positions]

    def _map_positions(self, selector: Mapping) -> tuple[list[int], bool]:
        """The positions of ``map_candidates(selector)``, ascending, and whether the pairs they were
        narrowed by are the whole selector."""
        wanted = [(k, v) for k, v in selector.items() if k not in self.unknown_keys
                  and isinstance(k, str) and isinstance(v, str)]
        if not wanted:
            return list(range(len(self.items))), False
        whole = len(wanted) == len(selector)
        lists = [self.by_pair.get(pair, ()) for pair in wanted]
        base = min(lists, key=len)
        if len(lists) == 1 or not base:
            return self._with_opaque(list(base)), whole
        # Some label set of the item carries each wanted pair: the item is filed under each of them
        # (a superset test: the caller still asks the real matcher). The lists are in input order,
        # so membership is a binary search, not a second look at the item's labels.
        others = [positions for positions in lists if positions is not base]
        if len(others) == 1:  # (most selectors: two pairs)
            other = others[0]
            chosen = [p for p in base if _holds(other, p)]
        else:
            chosen = [p for p in base if all(_holds(positions, p) for positions in others)]
        return self._with_opaque(chosen), whole

    def selector_candidates(self, selector) -> list:
        """Items that may match a LabelSelector (matchLabels, and In / Exists expressions narrow
        it; NotIn / DoesNotExist do not): a superset of the matches, in input order. Callers
        confirm each candidate with the real matcher."""
        items = self.items
        return [items[p] for p in self.selector_positions(selector)]

    def selector_positions(self, selector) -> list[int] | range:
        """The positions in ``items`` of `selector_candidates`, ascending."""
        if not isinstance(selector, Mapping):
            return range(len(self.items))
        options: list[list[int]] = []
        match_labels = selector.get("matchLabels")
        if isinstance(match_labels, Mapping):
            for key, value in match_labels.items():
                if key not in self.unknown_keys and isinstance(key, str) and isinstance(value, str):
                    options.append(self.by_pair.get((key, value), []))
        expressions = selector.get("matchExpressions")
        for expression in expressions if isinstance(expressions, list) else ():
            if not isinstance(expression, Mapping):
                continue
            key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
            if not isinstance(key, str) or key in self.unknown_keys:
                continue
            if operator == "In" and isinstance(values, list):
                options.append(sorted({p for v in values if isinstance(v, str)
                                       for p in self.by_pair.get((key, v), ())}))
            elif operator == "Exists":
                options.append(self.by_key.get(key, []))
        base = self._narrowest(options)
        if base is None:
            return range(len(self.items))
        return sorted(set(base).union(self.opaque)) if self.opaque else base

    def _with_opaque(self, positions: list[int]) -> list[int]:
        return sorted(set(positions).union(self.opaque)) if self.opaque else positions


def _holds(positions, position: int) -> bool:
    """Whether the ascending ``positions`` hold ``position``."""
    at = bisect.bisect_left(positions, position)
    return at < len(positions) and positions[at] == position


class PodLabelIndex(LabelIndex):
    """Workloads by the labels their pods carry (``k8slint.model.pod_labels`` at one Kubernetes
    version: the template's labels and the controllers'), for the rules that match a
    ``metav1.LabelSelector`` against pods (PodDisruptionBudgets, inter-pod affinity terms).
    Each workload's ``PodLabels`` is worked out once, not once per selector. Keys a controller
    adds (values only it knows) narrow nothing; a workload whose pods cannot be known (a Rollout
    with workloadRef) is a candidate for every selector."""

    def __init__(self, workloads: list, version) -> None:
        from k8slint.model.pod_labels import CONTROLLER_KEYS, known_pod_labels, pod_labels

        self.version = version
        self._labels_at = pod_labels  # (a module function, not a bound method: no reference cycle)
        self._position = {id(w): p for p, w in enumerate(workloads)}
        # Each workload's PodLabels, worked out when a rule first asks (most are never asked: a
        # selector's candidates are few); the index itself needs only the known labels.
        self._pod_labels: list = [_NOT_YET] * len(workloads)
        self.items = workloads
        self.unknown_keys = CONTROLLER_KEYS
        sets = []
        for workload in workloads:
            known = known_pod_labels(workload, version)
            sets.append(None if known is None else (known,))
        self._fill(sets)

    def position(self, workload) -> int:
        """Where ``workload`` is in ``items``."""
        return self._position[id(workload)]

    def known_labels(self, workload):
        """The ``PodLabels`` of ``workload``'s pods, or None when they cannot be known."""
        position = self._position[id(workload)]
        labels = self._pod_labels[position]
        if labels is _NOT_YET:
            labels = self._pod_labels[position] = self._labels_at(workload, self.version)
        return labels

    def labels_of(self, workload):
        """The ``PodLabels`` of ``workload``'s pods, or its template labels when those cannot be
        known (what ``selector_verdict`` is then asked about)."""
        labels = self.known_labels(workload)
        return labels if labels is not None else workload.pod_template.labels

    def verdicts(self, selector) -> list[tuple]:
        """(workload, verdict) for the workloads whose pods ``selector`` selects (True) or may
        select (None: a value only the controller knows), in input order: what
        ``selector_verdict`` over every workload gives, less the False ones."""
        from k8slint.model.pod_labels import selector_verdict

        found = []
        for workload in self.selector_candidates(selector):
            verdict = selector_verdict(selector, self.labels_of(workload))
            if verdict is not False:
                found.append((workload, verdict))
        return found


_NOT_YET = object()


def pod_label_index(workloads: list, version) -> PodLabelIndex:
    """The ``PodLabelIndex`` of a list of workloads at ``version``, made once per list (a rule
    passes the same list for every selector it asks about)."""
    by_version = _pod_label_indexes(workloads)
    found = by_version.get(version)
    if found is None:
        found = by_version[version] = PodLabelIndex(workloads, version)
    return found


@memo.by_identity(size=8)
def _pod_label_indexes(workloads: list) -> dict:
    return {}


class PodSourceIndex:
    """Custom resources that create pods (``PodSource``) by the labels of their pod template, for
    "may another source create these pods?" (``relations.pods_made_elsewhere``), asked for every
    Service and budget that matches no workload. A source whose pod labels are not known may
    create any pod: those are found by place (``PlaceIndex``), whatever the selector."""

    def __init__(self, sources: list) -> None:
        self.sources = sources
        self.position = {id(source): p for p, source in enumerate(sources)}
        self.by_pair: dict[tuple, list[int] | tuple[int]] = {}
        self.by_key: dict[str, list[int]] = {}
        unknown = []
        for position, source in enumerate(sources):
            labels = source.template_labels
            if labels is None:
                unknown.append(source)
                continue
            for key, value in labels.items():
                if not isinstance(key, str):
                    continue
                self.by_key.setdefault(key, []).append(position)
                if isinstance(value, str):
                    self.by_pair.setdefault((key, value), []).append(position)
        self.unknown = PlaceIndex(unknown)

    def labelled_candidates(self, wanted: Mapping) -> list:
        """The sources with known pod labels that may carry every key of ``wanted`` (with its value,
        when it is not None): a superset, in input order."""
        options = []
        for key, value in wanted.items():
            if not isinstance(key, str):
                continue
            if value is None:
                options.append(self.by_key.get(key, []))
            elif isinstance(value, str):
                options.append(self.by_pair.get((key, value), []))
        if not options:
            return [source for source in self.sources if source.template_labels is not None]
        return [self.sources[p] for p in min(options, key=len)]

    def first_related(self, obj, matching: list):
        """The first (in input order) of ``relations.related(obj, matching + the sources of unknown
        pod labels)``, or None; ``matching`` are sources with known labels that match."""
        tier, _, found = PlaceIndex(matching).related_first(obj, 1) if matching else (3, 0, [])
        unknown_tier, _, unknown = self.unknown.related_first(obj, 1)
        candidates = (found if tier <= unknown_tier else []) + (unknown if unknown_tier <= tier else [])
        return min(candidates, key=lambda source: self.position[id(source)]) if candidates else None


@memo.by_identity(size=8)
def pod_source_index(sources: list) -> PodSourceIndex:
    """The ``PodSourceIndex`` of a list of sources, made once per list (a rule passes the same list
    for every object it asks about)."""
    return PodSourceIndex(sources)


class SelectorMapIndex:
    """Objects with a plain label-map selector (Services) by one pair of it, for "which of them may
    select pods with these labels": a selector selects only labels that carry each of its pairs, so
    the objects filed under the pairs the labels carry are a superset. Objects whose selector has no
    pair to file it under (no string key with a hashable value) are asked every time; an empty or
    missing selector selects nothing here. The caller confirms each candidate."""

    def __init__(self, items: list, selector_of: Callable) -> None:
        self.items = items
        self.always: list[int] = []
        self.by_pair: dict[tuple, list[int] | tuple[int]] = {}
        for position, item in enumerate(items):
            selector = selector_of(item)
            if not selector:
                continue
            pair = None
            for key, value in selector.items():
                if isinstance(key, str) and (pair is None or key < pair[0]):
                    try:
                        hash(value)
                    except TypeError:
                        continue
                    pair = (key, value)
            if pair is None:
                self.always.append(position)
            else:
                self.by_pair.setdefault(pair, []).append(position)

    def candidates(self, labels: Mapping) -> list:
        """The items whose selector may select pods with ``labels``, in input order."""
        positions = set(self.always)
        for pair in labels.items():
            try:
                positions.update(self.by_pair.get(pair, ()))
            except TypeError:  # an unhashable label value matches no filed pair
                continue
        return [self.items[p] for p in sorted(positions)]


# file -> its directory. Set rules ask for the directory of every object they scope, several
# times each (PlaceIndex, relations.related, missing-reference severities): with one or two
# documents per file, os.path.dirname (a Python function of five calls) was 62,000 calls of a
# 20,000-document run. Bounded: a full table starts again empty.
_DIRECTORIES: dict[str, str] = {}
_DIRECTORIES_SIZE = 1 << 17


def file_directory(file: str) -> str:
    """``os.path.dirname(file)``, worked out once per file."""
    directory = _DIRECTORIES.get(file)
    if directory is None:
        if len(_DIRECTORIES) >= _DIRECTORIES_SIZE:
            _DIRECTORIES.clear()
        directory = _DIRECTORIES[file] = os.path.dirname(file)
    return directory


def directory_of(obj) -> str:
    """The directory of the file ``obj`` comes from."""
    return file_directory(obj.file)


class PlaceIndex:
    """Items by file and by directory, each split by namespace, and by explicit namespace.

    A namespace is compatible with another when they are equal or either is empty (an object
    without metadata.namespace lands wherever it is applied): ``k8slint.model.relations``."""

    def __init__(self, items: list) -> None:
        self.items = items
        self.position = {id(item): p for p, item in enumerate(items)}
        self.files: dict[str, dict[str, list]] = {}
        self.directories: dict[str, dict[str, list]] = {}
        self.namespaces: dict[str, list] = {}
        # Items come file by file (input order): the file's and its directory's tables are looked
        # up when the file changes, not for every item, and nothing is built per file but its table
        in_file = in_directory = last_file = None
        for item in items:
            file, namespace = item.file, item.namespace
            if file != last_file:
                last_file, in_file = file, self.files.get(file)
                if in_file is None:
                    in_file = self.files[file] = {}
                in_directory = self.directories.setdefault(file_directory(file), {})
            bucket = in_file.get(namespace)
            if bucket is None:
                in_file[namespace] = [item]
            else:
                bucket.append(item)
            bucket = in_directory.get(namespace)
            if bucket is None:
                in_directory[namespace] = [item]
            else:
                bucket.append(item)
            if namespace:
                self.namespaces.setdefault(namespace, []).append(item)
        self._tables: dict[int, dict] = {}  # id(bucket) -> near-miss tables and sorted values

    def _tables_of(self, bucket: list) -> dict:
        tables = self._tables.get(id(bucket))
        if tables is None:
            tables = self._tables[id(bucket)] = {}
        return tables

    @staticmethod
    def _buckets(place: dict[str, list] | None, namespace: str) -> list[list]:
        if not place:
            return []
        if not namespace:
            return list(place.values())
        return [bucket for bucket in (place.get(namespace), place.get("")) if bucket]

    def in_file(self, file: str, namespace: str) -> list[list]:
        """The buckets (lists in input order) of the items of ``file`` compatible with ``namespace``."""
        return self._buckets(self.files.get(file), namespace)

    def in_directory(self, directory: str, namespace: str) -> list[list]:
        return self._buckets(self.directories.get(directory), namespace)

    def merged(self, buckets: list[list]) -> list:
        """The items of ``buckets`` in input order."""
        if len(buckets) == 1:
            return list(buckets[0])
        return list(heapq.merge(*buckets, key=lambda item: self.position[id(item)]))

    def related(self, obj) -> list:
        """``relations.related(obj, items)``: the items of its file, else of its directory, else
        of its explicit namespace (all namespace-compatible), in input order."""
        for buckets in (self.in_file(obj.file, obj.namespace), self.in_directory(directory_of(obj), obj.namespace)):
            if buckets:
                return self.merged(buckets)
        return list(self.namespaces.get(obj.namespace, ())) if obj.namespace else []

    def related_first(self, obj, limit: int) -> tuple[int, int, list]:
        """``related(obj)`` without listing it: the tier it comes from (0 the file, 1 the
        directory, 2 the namespace, 3 none), how many items it holds, and its first ``limit``
        items in input order. Rules that name a few of them ask this for every object: its cost
        is that of the buckets, not of the items (a directory may hold thousands)."""
        for tier, buckets in enumerate((self.in_file(obj.file, obj.namespace),
                                        self.in_directory(directory_of(obj), obj.namespace))):
            if buckets:
                count = sum(len(bucket) for bucket in buckets)
                if len(buckets) == 1:
                    return tier, count, buckets[0][:limit]
                merged = heapq.merge(*buckets, key=lambda item: self.position[id(item)])
                return tier, count, list(itertools.islice(merged, limit))
        found = self.namespaces.get(obj.namespace, ()) if obj.namespace else ()
        return (2, len(found), list(found[:limit])) if found else (3, 0, [])

    def closest(self, selector: Mapping, buckets: list[list], labels_of: Callable):
        """The near miss of a label map among the items of ``buckets``: the item whose labels share
        the most selector pairs (2 points each) and keys (1 point each), the first in input order
        on a tie; with the first selector key it fails and the number of pairs it shares.
        (None, None, 0) when none shares a key. The same answer as scanning every item."""
        keys = tuple(selector)
        best = None  # (score, -position, item)
        if len(keys) > _NEAR_MISS_MAX_KEYS:  # 3^keys lookups would cost more than a scan
            for bucket in buckets:
                for item in bucket:
                    best = _better(best, _score(selector, labels_of(item)), self.position[id(item)], item)
        else:
            values = [selector[k] for k in keys]
            order = _near_miss_order(len(keys))
            asked: dict[tuple, tuple] = {}  # indices of the matching keys -> their values
            for bucket in buckets:
                table = _near_miss_table(self._tables_of(bucket), bucket, keys, labels_of, self.position)
                # (keys present, keys whose value matches) from the highest score down: the first
                # score with an entry is the bucket's best, its earliest entry the one kept
                level, first = 0, None
                for score, presence, matched, indices in order:
                    if score < level or (best is not None and score < best[0]):
                        break
                    wanted = asked.get(indices)
                    if wanted is None:
                        wanted = asked[indices] = tuple([values[i] for i in indices])
                    found = table.get((presence, matched, wanted))
                    if found is not None and (first is None or found[0] < first[0]):
                        level, first = score, found
                if first is not None:
                    best = _better(best, level, first[0], first[1])
        if best is None:
            return None, None, 0
        item = best[2]
        labels = labels_of(item)
        missing, pairs = None, 0  # the first key it fails, and how many pairs it shares
        for k, v in selector.items():
            if labels.get(k) == v:
                pairs += 1
            elif missing is None:
                missing = k
        return item, missing, pairs

    def values(self, key: str, buckets: list[list], labels_of: Callable, limit: int) -> tuple[list[str], bool]:
        """The first ``limit`` distinct values (sorted, as strings) of label ``key`` among the items
        of ``buckets``, and whether there are more."""
        streams = [_sorted_values(self._tables_of(bucket), bucket, key, labels_of) for bucket in buckets]
        out: list[str] = []
        for value in heapq.merge(*streams):
            if out and out[-1] == value:
                continue
            if len(out) == limit:
                return out, True
            out.append(value)
        return out, False


_NEAR_MISS_MAX_KEYS = 6


def _score(selector: Mapping, labels: Mapping) -> int:
    return sum(1 for k in selector if k in labels) + 2 * sum(1 for k, v in selector.items() if labels.get(k) == v)


def _better(best, score: int, position: int, item):
    """(score, position, item): the higher score, and on a tie the earlier item."""
    if score <= 0:
        return best
    if best is None or score > best[0] or (score == best[0] and position < best[1]):
        return (score, position, item)
    return best


@functools.lru_cache(maxsize=None)
def _near_miss_order(count: int) -> tuple[tuple[int, int, int, tuple[int, ...]], ...]:
    """(score, keys present as a bit mask, keys whose value matches, the indices of those) for
    ``count`` selector keys: every non-empty mask of keys present and every subset of it as the
    matching ones, the highest score (``_score``: 1 per key present, 2 more per matching value) first."""
    entries = []
    for presence in range(1, 1 << count):
        matched = presence
        while True:
            indices = tuple(i for i in range(count) if matched >> i & 1)
            entries.append((bin(presence).count("1") + 2 * len(indices), presence, matched, indices))
            if matched == 0:
                break
            matched = (matched - 1) & presence
    entries.sort(key=lambda entry: -entry[0])
    return tuple(entries)


@functools.lru_cache(maxsize=None)
def _subsets(count: int) -> tuple[tuple[tuple[int, tuple[int, ...]], ...], ...]:
    """For each bit mask of ``count`` keys present: its subsets (bit masks, from the mask itself
    down to 0), each with the indices of its keys."""
    out = []
    for presence in range(1 << count):
        entries = []
        subset = presence
        while True:
            entries.append((subset, tuple(i for i in range(count) if subset >> i & 1)))
            if subset == 0:
                break
            subset = (subset - 1) & presence
        out.append(tuple(entries))
    return tuple(out)


_ABSENT = object()


def _near_miss_table(tables: dict, bucket: list, keys: tuple, labels_of: Callable, position: dict) -> dict:
    """(keys present as a bit mask, keys whose value is given, those values) -> (position, item)
    of the first item of ``bucket`` with exactly those keys present, for every subset of them.
    Built once per bucket and selector key tuple (Services of a directory share a few); its cost
    is that of service-no-endpoints on Services that match nothing, so each item's values are
    read once and the subsets come from a table."""
    table = tables.get(keys)
    if table is None:
        table = tables[keys] = {}
        subsets = _subsets(len(keys))
        bits = [1 << i for i in range(len(keys))]
        for item in bucket:
            labels = labels_of(item)
            values = [labels.get(key, _ABSENT) for key in keys]
            presence = 0
            for bit, value in zip(bits, values):
                if value is not _ABSENT:
                    presence |= bit
            if not presence:
                continue
            for subset, indices in subsets[presence]:
                entry = (presence, subset, tuple([values[i] for i in indices]))
                try:
                    if entry not in table:
                        table[entry] = (position[id(item)], item)
                except TypeError:  # an unhashable label value (a list): it matches no selector value
                    continue
    return table


def _sorted_values(tables: dict, bucket: list, key: str, labels_of: Callable) -> list[str]:
    found = tables.get(("values", key))
    if found is None:
        found = tables[("values", key)] = sorted({str(labels_of(item)[key]) for item in bucket
                                                   if key in labels_of(item)})
    return found


def by_target(hpas: list) -> dict[tuple[str, str], list]:
    """HorizontalPodAutoscalers by the (kind, name) of their scaleTargetRef, in input order, each as
    (HPA, the API group its scaleTargetRef.apiVersion names, or None when it names none)."""
    return _by_target(hpas)


@memo.by_identity(size=8)
def _by_target(hpas: list) -> dict[tuple[str, str], list]:
    # Each rule asks with its own list of the run's HPAs: equal lists (the same HPAs, in the same
    # order) share one index, made by the first rule that asks.
    key = tuple(map(id, hpas))
    known = _BY_TARGET.get(key)
    if known is None:
        if len(_BY_TARGET) >= 8:
            _BY_TARGET.clear()
        known = _BY_TARGET[key] = (hpas, _targets(hpas))  # (the list keeps its HPAs' ids unique)
    return known[1]


_BY_TARGET: dict[tuple, tuple] = {}  # the ids of a list of HPAs -> (the list, its index)


def _targets(hpas: list) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for hpa in hpas:
        kind, name = hpa.target
        if name:
            api_version = hpa.get("spec", "scaleTargetRef", "apiVersion")
            group = api_version.rpartition("/")[0] if isinstance(api_version, str) else None
            found.setdefault((kind, name), []).append((hpa, group))
    return found
