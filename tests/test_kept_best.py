"""``keep_best`` for families other than Gaussians: the search's best sample so far is a
candidate elite of every fit (an elitist CE method), on by default in improved runs of tours
and assignments."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hs

import ceopt
from ceopt import Bernoulli, CrossEntropy, Permutation
from ceopt.improvement import improved_defaults
from ceopt.instances import tour_length
from ceopt.updates.previous_mean import Kept, kept_elites


@given(hs.lists(hs.integers(0, 9), min_size=1, max_size=8), hs.integers(0, 10))
def test_the_kept_sample_takes_its_place_unless_the_population_has_one_as_good(ranks,
                                                                               kept_rank):
    chosen_rank = np.sort(np.array(ranks, dtype=float))
    mu = chosen_rank.size
    chosen = np.arange(mu)[:, None] * np.ones(3, dtype=np.int64)   # row i is all i
    kept = Kept(np.full(3, 99.0), float(kept_rank))
    rows, rank = kept_elites(chosen, chosen_rank, kept)
    assert rows.dtype == chosen.dtype and rows.shape == chosen.shape
    if kept_rank in chosen_rank or kept_rank > chosen_rank[-1]:  # a tie, or no place
        assert np.array_equal(rows, chosen) and np.array_equal(rank, chosen_rank)
        return
    place = int(np.count_nonzero(chosen_rank < kept_rank))
    assert np.array_equal(rank, np.sort(np.r_[chosen_rank, kept_rank])[:mu])
    assert np.all(rows[place] == 99)
    # The others keep their order, and the last elite drops out.
    assert np.array_equal(np.delete(rows, place, axis=0)[:, 0], np.arange(mu - 1))


def bits_told(keep_best, populations):
    """A run on 6 bits (popsize 10, 2 elites, no smoothing) told ``populations`` (pairs of
    samples and losses) in turn; the distributions after each tell."""
    es = CrossEntropy(Bernoulli(np.full(6, 0.5)), popsize=10, n_elite=2, smoothing=1.0,
                      keep_best=keep_best, seed=0)
    dists = [es.dist]
    for X, losses in populations:
        es.tell(X, losses)
        dists.append(es.dist)
    return dists


def population(rng, best_loss, first_row=None):
    X = rng.random((10, 6)) < 0.5
    if first_row is not None:
        X[0] = first_row
    return X, best_loss + np.arange(10.0)


def test_the_search_best_stays_among_the_elites_until_a_better_one_comes():
    rng = np.random.default_rng(4)
    star = np.ones(6, dtype=bool)
    pops = [population(rng, -100.0, star), population(rng, 0.0), population(rng, 5.0),
            population(rng, -200.0)]
    kept = bits_told(True, pops)
    plain = bits_told(False, pops)
    fit = kept[0].fit  # the same floor for every fit of these bits
    # Second and third fits: the first population's best displaces the last elite (unlike a
    # Gaussian's kept mean, it stays while no population beats it).
    for i in (1, 2):
        X = pops[i][0]
        assert np.allclose(kept[i + 1].p, fit(np.vstack([star, X[0]])).p)
        assert np.allclose(plain[i + 1].p, fit(X[:2]).p)
    # The fourth population beats it: its own elites alone.
    assert np.allclose(kept[4].p, fit(pops[3][0][:2]).p)


def test_a_population_as_good_as_the_kept_sample_does_without_it():
    """A tie is usually the same point on a finite space (a tour from another city): it
    would count twice."""
    rng = np.random.default_rng(5)
    first = population(rng, -1.0)
    X, losses = population(rng, -1.0)
    kept = bits_told(True, [first, (X, losses)])
    assert np.allclose(kept[2].p, kept[0].fit(X[:2]).p)


def test_a_flat_population_keeps_the_search_best():
    rng = np.random.default_rng(6)
    star = np.zeros(6, dtype=bool)
    pops = [population(rng, -50.0, star), (rng.random((10, 6)) < 0.5, np.zeros(10)),
            population(rng, 0.0)]
    kept = bits_told(True, pops)
    assert kept[2] is kept[1]  # a flat population fits nothing
    assert np.allclose(kept[3].p, kept[0].fit(np.vstack([star, pops[2][0][0]])).p)


def test_keep_best_is_refused_by_the_textbook_method_with_the_way_out():
    with pytest.raises(ValueError, match="not of 'textbook'"):
        CrossEntropy(Bernoulli(np.full(3, 0.5)), method="textbook", keep_best=True)


@pytest.mark.parametrize("model", ["transition", "position"])
def test_improved_tours_and_assignments_keep_their_best_under_method_ce(model):
    dist = Permutation(12, model)
    assert improved_defaults(dist)["keep_best"] is True
    assert improved_defaults(dist, method="ce")["keep_best"] is True
    assert "keep_best" not in improved_defaults(dist, method="textbook")
    assert "keep_best" not in improved_defaults(Permutation(12, "plackett-luce"))
    assert "keep_best" not in improved_defaults(Bernoulli(np.full(12, 0.5)))


@pytest.mark.parametrize("given, kept", [({}, True), ({"keep_best": False}, False),
                                          ({"method": "textbook"}, False)])
def test_an_improved_run_keeps_its_best_unless_told_not_to(tmp_path, given, kept):
    """What the run used, as its checkpoint records it (``docs/checkpoints.md``)."""
    from ceopt.checkpoint import load
    fun = tour_length(np.random.default_rng(1).uniform(0, 1, (10, 10)))
    path = tmp_path / "run.ckpt"
    ceopt.minimize(fun, dist=Permutation(10), vectorized=True, seed=2, improve="2opt",
                   max_evals=3000, checkpoint=path, **given)
    assert load(path)["solver"]["method"]["options"]["keep_best"] is kept


def test_every_block_of_a_discrete_product_keeps_its_part_of_the_same_sample():
    from ceopt import Categorical
    from ceopt.distributions import Product
    rng = np.random.default_rng(8)
    dist = Product([Bernoulli(np.full(3, 0.5)), Categorical.uniform([3, 3])])
    es = CrossEntropy(dist, popsize=10, n_elite=2, smoothing=1.0, keep_best=True, seed=0)
    first = dist.sample(10, rng)
    es.tell(first, -100.0 + np.arange(10.0))
    second = dist.sample(10, rng)
    es.tell(second, np.arange(10.0))
    expected = dist.fit(np.vstack([first[0], second[0]]))
    bits, choices = es.dist.blocks
    assert np.allclose(bits.p, expected.blocks[0].p)
    assert np.allclose(choices.probs, expected.blocks[1].probs)
