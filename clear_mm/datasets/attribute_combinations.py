"""Additional plausible attribute combinations (AAC, paper 004 Sec. 3).

Training sets hold only a small share of the attribute combinations a
query can ask for. AAC generates more from the training combinations by
changing attributes inside one attribute group at a time, and keeps a new
vector only when the dataset's mutual-exclusion rules still hold (e.g.
exactly one age bin). The new vectors serve as extra proxies of the margin
and ASMR losses.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

# Per dataset: group -> 'one' (exactly one attribute positive) or
# 'at_most_one'. Groups not listed are free (any subset).
EXCLUSION_RULES: Dict[str, Dict[str, str]] = dict(
    PA100K=dict(age='one', view='one', sleeve='at_most_one'),
    SyntheticPedestrians=dict(age='one', view='one', sleeve='one'),
    Market1501Attr=dict(age='one'),
    UPAR2024=dict(age='one', hair_length='at_most_one',
                  lower_type='at_most_one'),
    # PETA's 35: the four age bins and the footwear types exclude each
    # other; 86 and 3 of 9,500 training rows (split 0) have no age / two,
    # 1 has two footwear types, so 'at_most_one' (the rest are free:
    # clothes and carried objects combine).
    PETA=dict(age='at_most_one', footwear='at_most_one'),
)


def check_rules(vectors: np.ndarray, attributes: Sequence[str],
                groups: Dict[str, List[str]],
                rules: Dict[str, str]) -> np.ndarray:
    """Boolean mask of the rows of ``vectors`` that satisfy ``rules``."""
    index = {a: i for i, a in enumerate(attributes)}
    ok = np.ones(len(vectors), dtype=bool)
    for group, rule in rules.items():
        if group not in groups:
            raise KeyError(f'Exclusion rule for unknown group {group!r}; '
                           f'groups: {list(groups)}.')
        if rule not in ('one', 'at_most_one'):
            raise ValueError(f"Rule {rule!r} of group {group!r}: expected "
                             "'one' or 'at_most_one'.")
        count = vectors[:, [index[a] for a in groups[group]]].sum(1)
        ok &= (count == 1) if rule == 'one' else (count <= 1)
    return ok


def additional_combinations(combinations: np.ndarray,
                            attributes: Sequence[str],
                            groups: Dict[str, List[str]],
                            rules: Optional[Dict[str, str]] = None,
                            dataset: Optional[str] = None,
                            num: Optional[int] = None,
                            seed: int = 0) -> np.ndarray:
    """Plausible vectors one group-change away from the training ones.

    For each training vector and each group: in a group with a 'one' or
    'at_most_one' rule the positive attribute moves to another member (or,
    for 'at_most_one', is added or removed); in a free group one attribute
    flips. Variants that break a rule, or that are training vectors already,
    are dropped; the rest are deduplicated and, with ``num``, sampled.

    Args:
        combinations (np.ndarray): ``(P, A)`` training vectors.
        attributes (Sequence[str]): Attribute names, in column order.
        groups (dict): ``{group: [attributes]}`` (the dataset's
            ``metainfo['attribute_groups']``).
        rules (dict, optional): ``{group: 'one' | 'at_most_one'}``;
            defaults to ``EXCLUSION_RULES[dataset]``.
        dataset (str, optional): Key of ``EXCLUSION_RULES``.
        num (int, optional): Keep at most this many (random, ``seed``).

    Returns:
        np.ndarray: ``(N, A)`` new vectors, none in ``combinations``, all
        satisfying the rules.
    """
    if rules is None:
        if dataset not in EXCLUSION_RULES:
            raise KeyError(
                f'No exclusion rules for dataset {dataset!r}; known: '
                f'{sorted(EXCLUSION_RULES)}. Pass `rules=`.')
        rules = EXCLUSION_RULES[dataset]
    combinations = np.asarray(combinations, dtype=np.int64)
    if combinations.ndim != 2 or combinations.shape[1] != len(attributes):
        raise ValueError(f'Expected (P, {len(attributes)}) vectors, got '
                         f'{combinations.shape}.')
    index = {a: i for i, a in enumerate(attributes)}
    variants = []
    for group, names in groups.items():
        cols = [index[a] for a in names]
        rule = rules.get(group)
        if rule is None:  # free group: flip one attribute
            for c in cols:
                v = combinations.copy()
                v[:, c] = 1 - v[:, c]
                variants.append(v)
            continue
        for c in cols:  # the positive moves to c (others cleared)
            v = combinations.copy()
            v[:, cols] = 0
            v[:, c] = 1
            variants.append(v)
        if rule == 'at_most_one':  # or the group becomes empty
            v = combinations.copy()
            v[:, cols] = 0
            variants.append(v)
    if not variants:
        return np.zeros((0, len(attributes)), dtype=np.int64)
    candidates = np.unique(np.concatenate(variants), axis=0)
    candidates = candidates[check_rules(candidates, attributes, groups,
                                        rules)]
    known = {row.tobytes() for row in combinations}
    candidates = np.array(
        [row for row in candidates if row.tobytes() not in known],
        dtype=np.int64).reshape(-1, len(attributes))
    if num is not None and len(candidates) > num:
        rng = np.random.default_rng(seed)
        candidates = candidates[np.sort(
            rng.choice(len(candidates), num, replace=False))]
    return candidates
