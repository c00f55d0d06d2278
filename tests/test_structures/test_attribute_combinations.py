"""AAC (paper 004): additional plausible attribute combinations."""
import numpy as np
import pytest

from clear_mm.datasets import SyntheticPedestrians
from clear_mm.datasets.synthetic.synthetic_pedestrians import (
    ATTRIBUTES, PA100K_GROUPS, sample_attributes)
from clear_mm.structures.attribute_combinations import (
    additional_combinations, check_rules)

RULES = SyntheticPedestrians.METAINFO['exclusion_rules']


def training_vectors(n=300):
    rng = np.random.default_rng(0)
    samples = [sample_attributes(rng) for _ in range(n)]
    rows = [[s[a] for a in ATTRIBUTES] for s in samples]
    return np.unique(np.array(rows), axis=0)


def test_new_vectors_are_valid_unseen_and_one_group_away():
    train = training_vectors()
    rules = RULES
    assert check_rules(train, ATTRIBUTES, PA100K_GROUPS, rules).all()
    extra = additional_combinations(
        train, ATTRIBUTES, PA100K_GROUPS, RULES)
    assert len(extra) > len(train)
    assert check_rules(extra, ATTRIBUTES, PA100K_GROUPS, rules).all()
    assert len(np.unique(extra, axis=0)) == len(extra)
    seen = {r.tobytes() for r in train}
    assert not any(r.tobytes() in seen for r in extra)
    group_of = np.array([
        next(g for g, names in PA100K_GROUPS.items() if a in names)
        for a in ATTRIBUTES
    ])
    for row in extra[:200]:
        changed = (train != row)  # (P, A)
        groups_changed = [len(set(group_of[c])) for c in changed]
        assert min(groups_changed) == 1  # one group away from a training row


def test_rules_are_enforced():
    # one training vector: age 'Age18-60' and view 'Front'
    v = np.zeros((1, len(ATTRIBUTES)), dtype=np.int64)
    v[0, ATTRIBUTES.index('Age18-60')] = 1
    v[0, ATTRIBUTES.index('Front')] = 1
    v[0, ATTRIBUTES.index('ShortSleeve')] = 1
    extra = additional_combinations(v, ATTRIBUTES, PA100K_GROUPS, RULES)
    age = [ATTRIBUTES.index(a) for a in PA100K_GROUPS['age']]
    assert (extra[:, age].sum(1) == 1).all()  # age moved, never doubled
    # age: 2 moves, view: 2, sleeve: 1, and one flip per free attribute
    free = sum(len(n) for g, n in PA100K_GROUPS.items()
               if g not in ('age', 'view', 'sleeve'))
    assert len(extra) == 2 + 2 + 1 + free
    sample = additional_combinations(v, ATTRIBUTES, PA100K_GROUPS, RULES,
                                     num=3, seed=1)
    assert len(sample) == 3
    assert {r.tobytes() for r in sample} <= {r.tobytes() for r in extra}


def test_errors():
    with pytest.raises(ValueError, match='exclusion rules'):
        additional_combinations(np.zeros((1, 26)), ATTRIBUTES, PA100K_GROUPS,
                                None)
    with pytest.raises(KeyError, match="unknown group 'shoes'"):
        check_rules(np.zeros((1, 26)), ATTRIBUTES, PA100K_GROUPS,
                    dict(shoes='one'))
    with pytest.raises(ValueError, match=r'\(P, 26\)'):
        additional_combinations(np.zeros((2, 25)), ATTRIBUTES, PA100K_GROUPS,
                                RULES)
