"""Maximum weight cliques of conflict graphs, with bounded work.

Workloads that keep each other's pods apart (required pod anti-affinity on one topology key) form
a conflict graph; a clique of it needs one domain per pod of its members, so the heaviest clique is
a lower bound of the domains they need together. Finding it is NP-hard and a repository is
untrusted input: 150 workloads with dense mutual anti-affinity make an unbounded exact search run
for minutes. So ``heaviest_clique`` first computes a greedy clique (a lower bound) and a colouring
bound (an upper bound: a clique has at most one vertex in each colour class, an independent set),
which agree in the common shapes (a group of workloads that all repel each other, a pair, a star);
only when they differ does it search exactly, by branch and bound (Carraghan-Pardalos with the
colour bound of Tomita and Kameda), under a work budget. When the budget runs out, the answer says
so (``exact`` False) and carries both bounds, so that a caller reports only what the lower bound
proves and notes that the exact answer was not reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping

# Work units of the exact search (a unit is one vertex compared with one colour class, ~0.1-0.2 us):
# a fraction of a second, far more than any real repository's conflict groups need (they settle in
# the greedy bounds), and a bound for a hostile one.
DEFAULT_BUDGET = 5_000_000


class WorkBudget:
    """Work units left for exact searches; one budget is shared by every search of a run, so that
    many conflict groups cannot multiply it."""

    def __init__(self, units: int = DEFAULT_BUDGET) -> None:
        self.left = units
        self.exhausted = False


@dataclass(frozen=True)
class Clique:
    """The heaviest clique found in a conflict graph, with bounds of the maximum."""

    members: tuple  # the heaviest clique found, sorted
    total: int  # its weight: a lower bound of the maximum (the maximum when exact)
    upper: int  # an upper bound of the maximum (== total when exact)
    exact: bool


class _OutOfBudget(Exception):
    pass


def heaviest_clique(vertices: Iterable[Hashable], edges: Iterable[tuple], weights: Mapping,
                    budget: WorkBudget | None = None) -> Clique:
    """The maximum weight clique of the graph (``weights`` non-negative integers), or, when the
    ``budget`` (a fresh ``WorkBudget()`` by default) does not settle it, the heaviest clique found
    and an upper bound."""
    budget = budget if budget is not None else WorkBudget()
    vertices = sorted(set(vertices))
    if not vertices:
        return Clique((), 0, 0, True)
    adjacent: dict = {v: set() for v in vertices}
    for a, b in edges:
        if a != b and a in adjacent and b in adjacent:
            adjacent[a].add(b)
            adjacent[b].add(a)
    if all(len(adjacent[v]) == len(vertices) - 1 for v in vertices):
        # Complete (the common group of workloads that all repel each other): all of it, which is
        # what the greedy clique and the colouring bound below agree on.
        total = sum(weights[v] for v in vertices)
        return Clique(tuple(vertices), total, total, True)
    # Heaviest first, then by vertex: deterministic whatever the input order.
    order = sorted(vertices, key=lambda v: (-weights[v], v))
    best = _greedy(order, adjacent, weights)
    best_total = sum(weights[v] for v in best)
    upper = _colour_bound(order, adjacent, weights)
    if best_total >= upper:
        return Clique(tuple(sorted(best)), best_total, best_total, True)
    search = _Search(adjacent, weights, budget, best, best_total)
    try:
        search.expand([], 0, order)
    except _OutOfBudget:
        budget.exhausted = True
        return Clique(tuple(sorted(search.best)), search.best_total, upper, False)
    return Clique(tuple(sorted(search.best)), search.best_total, search.best_total, True)


def _greedy(order: list, adjacent: dict, weights: Mapping) -> list:
    """From each vertex (heaviest first, at most 64 starts), add the heaviest vertex adjacent to
    all chosen; the heaviest result. Exact for complete graphs and for graphs without triangles
    started from every vertex (trees, stars: an edge)."""
    best: list = []
    best_total = -1
    for start in order[:64] if len(order) > 64 else order:
        clique = [start]
        candidates = [v for v in order if v in adjacent[start]]
        while candidates:
            chosen = candidates[0]  # order is heaviest first
            clique.append(chosen)
            candidates = [v for v in candidates[1:] if v in adjacent[chosen]]
        total = sum(weights[v] for v in clique)
        if total > best_total:
            best, best_total = clique, total
    return best


def _colour_classes(order: list, adjacent: dict) -> list[list]:
    """Greedy colouring (each vertex into the first class with none of its neighbours)."""
    classes: list[list] = []
    for v in order:
        neighbours = adjacent[v]
        for members in classes:
            if not any(u in neighbours for u in members):
                members.append(v)
                break
        else:
            classes.append([v])
    return classes


def _colour_bound(order: list, adjacent: dict, weights: Mapping) -> int:
    return sum(max(weights[v] for v in members) for members in _colour_classes(order, adjacent))


class _Search:
    def __init__(self, adjacent: dict, weights: Mapping, budget: WorkBudget, best: list, best_total: int) -> None:
        self.adjacent = adjacent
        self.weights = weights
        self.budget = budget
        self.best = best
        self.best_total = best_total

    def expand(self, clique: list, total: int, candidates: list) -> None:
        """Branch on ``candidates`` (all adjacent to every vertex of ``clique``), last first: the
        bound of the vertices up to position i is the sum of the heaviest vertex of each colour
        class up to i's class (Tomita and Kameda's ordering, weighted)."""
        weights = self.weights
        classes = _colour_classes(candidates, self.adjacent)
        self.budget.left -= len(candidates) * len(classes) + 1
        if self.budget.left < 0:
            raise _OutOfBudget()
        ordered, bounds = [], []
        running = 0
        for members in classes:
            running += max(weights[v] for v in members)
            for v in members:
                ordered.append(v)
                bounds.append(running)
        for i in range(len(ordered) - 1, -1, -1):
            if total + bounds[i] <= self.best_total:
                return
            v = ordered[i]
            new_total = total + weights[v]
            clique.append(v)
            if new_total > self.best_total:
                self.best, self.best_total = list(clique), new_total
            neighbours = self.adjacent[v]
            rest = [u for u in ordered[:i] if u in neighbours]
            if rest:
                self.expand(clique, new_total, rest)
            clique.pop()
