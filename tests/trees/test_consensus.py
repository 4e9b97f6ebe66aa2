"""Ranked-pairs consensus of sibling rankings (TREE-58, worked examples of TREE-59)."""

from __future__ import annotations

import random
from uuid import UUID

import pytest

from trees.services.scoring import consensus_ranked_pairs


def ids(count: int) -> list[UUID]:
    """`count` ids in ascending UUID order (so the list's order is the numbering of step 2)."""
    return [UUID(int=(n + 1) << 64 | 0xABC) for n in range(count)]


def seeded(seed: int) -> random.Random:
    """A reproducible random source for property-style checks."""
    return random.Random(seed)


def test_worked_example_five_rankings_give_a_b_c() -> None:
    a, b, c = ids(3)
    rankings = [[a, b, c], [a, b, c], [c, a, b], [c, a, b], [b, c, a]]

    assert consensus_ranked_pairs(rankings) == [a, b, c]


def test_a_tie_between_two_replies_favours_the_smaller_id() -> None:
    x, y = ids(2)

    assert consensus_ranked_pairs([[x, y], [y, x]]) == [x, y]
    assert consensus_ranked_pairs([[y, x], [x, y]]) == [x, y]


def test_a_pure_cycle_skips_the_last_pair() -> None:
    a, b, c = ids(3)

    assert consensus_ranked_pairs([[a, b, c], [b, c, a], [c, a, b]]) == [a, b, c]


def test_ids_are_numbered_by_uuid_value_not_by_input_order() -> None:
    small, large = UUID("00000000-0000-0000-0000-0000000000ff"), UUID(int=1 << 127)

    assert consensus_ranked_pairs([[large, small], [small, large]]) == [small, large]


def test_partial_lists_are_reduced_to_the_common_set() -> None:
    a, b, c, d = ids(4)
    rankings = [[d, c, a], [c, b, a, d], [a, d, c]]

    result = consensus_ranked_pairs(rankings)

    # b is dropped: [d, c, a], [c, a, d], [a, d, c], a cycle with margins 1. Candidates in
    # index order: a→d, c→a, d→c; the last would close the cycle.
    assert result == [c, a, d]


def test_fewer_than_two_common_ids_give_none() -> None:
    a, b, c = ids(3)

    assert consensus_ranked_pairs([[a, b], [b, c]]) is None
    assert consensus_ranked_pairs([[a, b], [c]]) is None
    assert consensus_ranked_pairs([[a]]) is None
    assert consensus_ranked_pairs([]) is None


def test_a_single_ranking_is_its_own_consensus() -> None:
    a, b, c = ids(3)

    assert consensus_ranked_pairs([[c, a, b]]) == [c, a, b]


def test_hand_worked_four_item_example() -> None:
    """Margins: a>b 2, b>c 2, d>b 2; a/c, a/d, c/d tie.

    Locked in order: a→b, b→c, d→b, a→c, a→d; c→a, c→d and d→a would close cycles; d→c
    is locked. Hence a beats 3, d beats 2, b beats 1: [a, d, b, c].
    """
    a, b, c, d = ids(4)
    rankings = [[d, a, b, c], [d, a, b, c], [b, c, a, d], [c, a, d, b]]

    assert consensus_ranked_pairs(rankings) == [a, d, b, c]


def test_all_margins_tied_orders_by_id() -> None:
    a, b, c, d = ids(4)

    assert consensus_ranked_pairs([[c, a, d, b], [b, d, a, c]]) == [a, b, c, d]


def test_a_ranking_naming_a_reply_twice_is_rejected() -> None:
    a, b = ids(2)

    with pytest.raises(ValueError, match="twice"):
        consensus_ranked_pairs([[a, b, a], [a, b]])


@pytest.mark.parametrize("seed", range(25))
def test_result_is_a_permutation_of_the_common_set(seed: int) -> None:
    rng = seeded(seed)
    pool = [UUID(int=rng.getrandbits(128)) for _ in range(rng.randint(2, 7))]
    rankings = []
    for _ in range(rng.randint(1, 6)):
        ranking = rng.sample(pool, k=len(pool))
        if rng.random() < 0.3:
            ranking.pop()  # some partial lists
        rankings.append(ranking)
    common = set(pool).intersection(*map(set, rankings))

    result = consensus_ranked_pairs(rankings)

    if len(common) < 2:
        assert result is None
    else:
        assert result is not None
        assert sorted(result) == sorted(common)


@pytest.mark.parametrize("seed", range(25))
def test_a_unanimous_ranking_is_returned_unchanged(seed: int) -> None:
    rng = seeded(seed)
    ranking = [UUID(int=rng.getrandbits(128)) for _ in range(rng.randint(2, 8))]
    copies = rng.randint(1, 5)

    assert consensus_ranked_pairs([list(ranking) for _ in range(copies)]) == ranking


@pytest.mark.parametrize("seed", range(25))
def test_a_reply_every_ranking_puts_first_wins(seed: int) -> None:
    """A Condorcet winner beats every other reply by a positive margin, so it comes first."""
    rng = seeded(seed)
    pool = [UUID(int=rng.getrandbits(128)) for _ in range(rng.randint(3, 6))]
    winner, others = pool[0], pool[1:]
    rankings = [[winner, *rng.sample(others, k=len(others))] for _ in range(rng.randint(1, 5))]

    result = consensus_ranked_pairs(rankings)

    assert result is not None
    assert result[0] == winner


def _reference_ranked_pairs(rankings: list[list[UUID]]) -> list[UUID] | None:
    """TREE-58 step by step, with a plain depth-first search for the cycle test."""
    common = set(rankings[0]).intersection(*map(set, rankings[1:]))
    if len(common) < 2:
        return None
    items = sorted(common, key=lambda u: u.int)
    reduced = [[items.index(u) for u in ranking if u in common] for ranking in rankings]
    n = len(items)

    def wins(i: int, j: int) -> int:
        return sum(1 for r in reduced if r.index(i) < r.index(j))

    pairs = [(wins(i, j) - wins(j, i), i, j) for i in range(n) for j in range(n) if i != j]
    candidates = sorted((p for p in pairs if p[0] >= 0), key=lambda p: (-p[0], p[1], p[2]))
    edges: dict[int, set[int]] = {i: set() for i in range(n)}

    def reaches(start: int, goal: int) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(edges[node])
        return False

    for _margin, i, j in candidates:
        if not reaches(j, i):
            edges[i].add(j)
    beaten = {i: sum(1 for k in range(n) if k != i and reaches(i, k)) for i in range(n)}
    return [items[i] for i in sorted(range(n), key=lambda i: -beaten[i])]


@pytest.mark.parametrize("seed", range(200))
def test_matches_a_step_by_step_reference(seed: int) -> None:
    rng = seeded(seed)
    pool = [UUID(int=rng.getrandbits(128)) for _ in range(rng.randint(2, 6))]
    rankings = [rng.sample(pool, k=len(pool)) for _ in range(rng.randint(1, 7))]

    assert consensus_ranked_pairs(rankings) == _reference_ranked_pairs(rankings)
