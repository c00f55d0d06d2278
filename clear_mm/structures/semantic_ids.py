"""Semantic IDs (SIDs) of Cerberus (paper 003, Sec. 3.1.2, Table 1).

A dataset's attributes are split into five disjoint groups -- head, upper
body, lower body, identity and carrying -- and a SID of a group is one
combination of the group's attribute values (Market-1501 identity: gender x
age, e.g. 'adult female'). A dataset declares its groups in
``metainfo['sid_groups']`` (e.g. ``MARKET_SID_GROUPS``, Table 1 with this
project's attribute names); :class:`SemanticIDs` maps attribute vectors to
one SID per group and back.
"""
from typing import Dict, List, Sequence

import numpy as np

GROUP_NAMES = ('head', 'upper', 'lower', 'identity', 'carrying')


class SemanticIDs:
    """SIDs of a dataset and the mapping attributes <-> SIDs.

    The SIDs of a group are the distinct combinations of its attributes in
    ``vectors`` (Cerberus defines them on the annotation, 66 for
    Market-1501's train and test sets), in lexicographic order.

    Args:
        attributes (Sequence[str]): Attribute names, in label order.
        groups (dict): ``{group: [attribute names]}``, disjoint.
        vectors (np.ndarray): ``(N, A)`` 0/1 attribute vectors defining the
            SIDs.
    """

    def __init__(self, attributes: Sequence[str],
                 groups: Dict[str, List[str]], vectors: np.ndarray):
        self.attributes = list(attributes)
        index = {a: i for i, a in enumerate(self.attributes)}
        seen = set()
        for group, names in groups.items():
            missing = [a for a in names if a not in index]
            if missing:
                raise KeyError(
                    f'SID group {group!r}: attributes {missing} are not '
                    f'among the dataset\'s {self.attributes}.')
            twice = seen.intersection(names)
            if twice:
                raise ValueError(f'Attributes {sorted(twice)} are in more '
                                 'than one SID group.')
            seen.update(names)
        self.group_names = list(groups)
        self.columns = [np.array([index[a] for a in groups[g]])
                        for g in self.group_names]
        self.ungrouped = [a for a in self.attributes if a not in seen]
        vectors = self._check(vectors)
        # sids[g]: (num SIDs of g, attributes of g), one row per SID
        self.sids = [np.unique(vectors[:, c], axis=0) for c in self.columns]
        self._lookup = [{row.tobytes(): k for k, row in enumerate(s)}
                        for s in self.sids]

    def _check(self, vectors) -> np.ndarray:
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != len(self.attributes):
            raise ValueError(f'Expected (N, {len(self.attributes)}) attribute '
                             f'vectors, got shape {vectors.shape}.')
        if not np.isin(vectors, (0, 1)).all():
            raise ValueError('Attribute vectors must be 0/1.')
        return vectors.astype(np.int8)

    @property
    def num_sids(self) -> List[int]:
        return [len(s) for s in self.sids]

    def encode(self, vectors, strict: bool = True) -> np.ndarray:
        """``(N, G)`` SID index of each vector in each group; a combination
        that is no SID raises a ``KeyError`` (or gives -1 with
        ``strict=False``)."""
        vectors = self._check(vectors)
        out = np.full((len(vectors), len(self.sids)), -1, dtype=np.int64)
        for g, (cols, lookup) in enumerate(zip(self.columns, self._lookup)):
            for n, row in enumerate(vectors[:, cols]):
                k = lookup.get(row.tobytes(), -1)
                if k < 0 and strict:
                    names = [self.attributes[c] for c in cols]
                    raise KeyError(
                        f'Row {n}: the {self.group_names[g]} attributes '
                        f'{dict(zip(names, row.tolist()))} form no known SID '
                        f'({len(self.sids[g])} SIDs in this group).')
                out[n, g] = k
        return out

    def decode(self, sid_index, fill: int = 0) -> np.ndarray:
        """``(N, A)`` attribute vectors of ``(N, G)`` SID indices;
        attributes in no group get ``fill``."""
        sid_index = np.asarray(sid_index)
        if sid_index.ndim != 2 or sid_index.shape[1] != len(self.sids):
            raise ValueError(f'Expected (N, {len(self.sids)}) SID indices, '
                             f'got shape {sid_index.shape}.')
        out = np.full((len(sid_index), len(self.attributes)), fill,
                      dtype=np.int64)
        for g, cols in enumerate(self.columns):
            k = sid_index[:, g]
            if (k < 0).any() or (k >= len(self.sids[g])).any():
                raise ValueError(f'SID index out of range in group '
                                 f'{self.group_names[g]!r}.')
            out[:, cols] = self.sids[g][k]
        return out

    def counts(self, vectors) -> List[np.ndarray]:
        """Per group, how many of ``vectors`` (one per person, for the
        adaptive margin N_g^G) have each SID."""
        sid = self.encode(vectors)
        return [np.bincount(sid[:, g], minlength=n)
                for g, n in enumerate(self.num_sids)]

    def names(self, group: int, k: int) -> List[str]:
        """The positive attributes of SID ``k`` of group ``group``."""
        return [self.attributes[c]
                for c, v in zip(self.columns[group], self.sids[group][k])
                if v]

    @classmethod
    def from_tables(cls, attributes: Sequence[str],
                    groups: Dict[str, List[str]],
                    tables: Sequence[np.ndarray]) -> 'SemanticIDs':
        """SIDs given as they are: per group, the ``(S_g, L_g)`` 0/1 table
        of its SIDs (a checkpoint's copy of :attr:`sids`)."""
        out = cls(attributes, groups,
                  np.zeros((0, len(attributes)), dtype=np.int8))
        if len(tables) != len(out.columns):
            raise ValueError(f'{len(tables)} SID tables for '
                             f'{len(out.columns)} groups.')
        sids = []
        for g, (table, cols) in enumerate(zip(tables, out.columns)):
            table = np.asarray(table, dtype=np.int8)
            if table.ndim != 2 or table.shape[1] != len(cols):
                raise ValueError(
                    f'SID table of group {out.group_names[g]!r} has shape '
                    f'{table.shape}; expected (S, {len(cols)}).')
            sids.append(table)
        out.sids = sids
        out._lookup = [{row.tobytes(): k for k, row in enumerate(s)}
                       for s in sids]
        return out
