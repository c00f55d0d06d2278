"""Additional plausible attribute combinations (AAC, paper 004 Sec. 3).

Training sets hold only a small share of the attribute combinations a
query can ask for. AAC generates more from the training combinations by
changing attributes inside one attribute group at a time, and keeps a new
vector only when the dataset's mutual-exclusion rules
(``metainfo['exclusion_rules']``) still hold (e.g. exactly one age bin).
The new vectors serve as extra proxies of the margin and ASMR losses.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np


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
                            rules: Dict[str, str],
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
        rules (dict): ``{group: 'one' | 'at_most_one'}`` (the dataset's
            ``metainfo['exclusion_rules']``); groups not listed are free.
        num (int, optional): Keep at most this many (random, ``seed``).

    Returns:
        np.ndarray: ``(N, A)`` new vectors, none in ``combinations``, all
        satisfying the rules.
    """
    if rules is None:
        raise ValueError(
            'additional_combinations needs the exclusion rules of the '
            "dataset's groups (metainfo['exclusion_rules']); pass {} if "
            'every group is free.')
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
