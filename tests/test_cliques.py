"""The bounded maximum weight clique (k8slint.model.cliques) against networkx's exact one."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from k8slint.model.cliques import WorkBudget, heaviest_clique


def _exact(vertices, edges, weights) -> int:
    graph = nx.Graph()
    for v in vertices:
        graph.add_node(v, weight=weights[v])
    graph.add_edges_from(edges)
    return nx.max_weight_clique(graph, weight="weight")[1]


@pytest.mark.parametrize("seed", range(40))
def test_small_graphs_are_exact_and_the_members_form_a_clique(seed):
    rng = random.Random(seed)
    vertices = list(range(rng.randint(1, 13)))
    weights = {v: rng.randint(0, 6) for v in vertices}
    edges = {(a, b) for a in vertices for b in vertices if a < b and rng.random() < rng.random()}
    found = heaviest_clique(vertices, edges, weights)
    assert found.exact and found.total == found.upper == _exact(vertices, edges, weights)
    assert found.total == sum(weights[v] for v in found.members)
    assert all((a, b) in edges for a in found.members for b in found.members if a < b)


def test_a_group_that_all_repel_each_other_settles_without_search():
    vertices = list(range(300))
    edges = [(a, b) for a in vertices for b in vertices if a < b]
    budget = WorkBudget(1)  # no search possible: the greedy bounds must agree
    found = heaviest_clique(vertices, edges, {v: 2 for v in vertices}, budget)
    assert found.exact and found.total == 600 and not budget.exhausted


def test_a_star_settles_without_search():
    edges = [(0, leaf) for leaf in range(1, 50)]
    weights = {v: v % 7 + 1 for v in range(50)}
    found = heaviest_clique(range(50), edges, weights, WorkBudget(1))
    assert found.exact and found.total == weights[0] + 7


def test_an_exhausted_budget_gives_bounds_around_the_maximum():
    rng = random.Random(5)
    vertices = list(range(60))
    edges = {(a, b) for a in vertices for b in vertices if a < b and rng.random() < 0.7}
    weights = {v: rng.randint(1, 4) for v in vertices}
    budget = WorkBudget(50)
    found = heaviest_clique(vertices, edges, weights, budget)
    exact = _exact(vertices, edges, weights)
    assert budget.exhausted and not found.exact
    assert found.total <= exact <= found.upper
    assert all((a, b) in edges for a in found.members for b in found.members if a < b)
