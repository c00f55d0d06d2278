"""What a dataset declares about its attributes (its *schema*).

Every pedestrian-attribute dataset declares its schema in one place, its
class's ``METAINFO`` (a config may extend or override it with the dataset's
``metainfo=dict(...)`` argument, the MMEngine way), and the schema travels
in ``dataset.metainfo`` to the models (through :class:`DatasetMetaHook`),
the metrics and the checkpoints (MMEngine saves the training set's
``metainfo`` as ``meta['dataset_meta']``). Keys:

- ``attributes`` (list[str]): evaluated attributes, in label order (read
  from the annotation file; also ``classes``);
- ``attribute_groups`` (dict[str, list[str]]): groups of related
  attributes (age bins, views, bags, ...);
- ``exclusion_rules`` (dict[str, str]): ``{group: 'one' | 'at_most_one'}``
  for the groups whose attributes exclude each other (exactly one age bin);
  groups not listed are free. Used by AAC and by CLIP's group softmax;
- ``descriptions`` (dict[str, tuple]): the pseudo-description entry of
  each attribute, ``(slot, phrase when present, phrase when absent or
  None)`` (:class:`PseudoDescriptionBuilder`, CLEAR Eq. 7);
- ``sid_groups`` (dict[str, list[str]]): Cerberus' semantic-ID groups
  (head, upper, lower, identity, carrying), when the dataset has them;
- ``multiclass_groups`` (list[str]): the attribute groups whose 0/1
  columns are the classes of one multi-class attribute (Market-1501's age,
  PETA's four colour groups); CLEAR's Table 1 counts each as one
  attribute;
- ``pos_ratio`` (list[float]): positive ratio of each attribute in the
  training split (computed from the annotation).
"""
import difflib
import re
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

# (slot, phrase when positive, phrase when negative or None)
Entry = Tuple[str, str, Optional[str]]

# Slots of the pseudo-description template, in sentence order.
SLOTS = ('age', 'build', 'gender', 'role', 'view', 'hair', 'lower_color',
         'lower', 'upper_color', 'upper', 'sleeve', 'motif', 'lower_motif',
         'accessory', 'footwear', 'bag', 'action')
RULES = ('one', 'at_most_one')


def flag(slot: str, phrase: str) -> Entry:
    """A binary attribute mentioned both ways: 'a hat' / 'no hat'."""
    return (slot, phrase, 'no ' + re.sub(r'^(a|an) ', '', phrase))


def check_schema(meta: dict, source: str = 'metainfo') -> None:
    """Raise a ``ValueError`` naming the key and value when ``meta``'s
    schema is inconsistent (groups or rules naming unknown attributes or
    groups, malformed description entries)."""
    attributes = list(meta.get('attributes') or [])
    known = set(attributes)
    groups = meta.get('attribute_groups') or {}
    for key in ('attribute_groups', 'sid_groups'):
        for group, names in (meta.get(key) or {}).items():
            unknown = [n for n in names if n not in known]
            if attributes and unknown:
                raise ValueError(
                    f'{source}[{key!r}][{group!r}] names {unknown}, which '
                    f'are not among the attributes {attributes}.')
    for group in meta.get('multiclass_groups') or ():
        if groups and group not in groups:
            raise ValueError(
                f'{source}["multiclass_groups"] names group {group!r}, '
                f'which is not among the attribute groups {list(groups)}.')
    for group, rule in (meta.get('exclusion_rules') or {}).items():
        if rule not in RULES:
            raise ValueError(f'{source}["exclusion_rules"][{group!r}] = '
                             f'{rule!r}; expected one of {RULES}.')
        if groups and group not in groups:
            raise ValueError(
                f'{source}["exclusion_rules"] has a rule for group '
                f'{group!r}, which is not among the attribute groups '
                f'{list(groups)}.')
    for name, entry in (meta.get('descriptions') or {}).items():
        if (not isinstance(entry, (tuple, list)) or len(entry) != 3
                or entry[0] not in SLOTS):
            raise ValueError(
                f'{source}["descriptions"][{name!r}] = {entry!r}; expected '
                f'(slot, positive phrase, negative phrase or None) with a '
                f'slot of {SLOTS}.')


def select_schema(meta: dict, attributes: Sequence[str],
                  declared: Optional[dict] = None) -> dict:
    """``meta`` restricted to the ``attributes`` an annotation file has.

    Description entries are kept for those attributes only (a table may
    cover more names: PETA's 105, RAP v1 and v2). The class's own
    (``declared``) exclusion rules and SID groups describe the official
    schema, of which a file may hold a subset: rules of groups the file
    lacks, and SID groups with absent attributes, are left out. Rules and
    SID groups a config gave (anything else than ``declared``) stay as
    they are, for :func:`check_schema` to reject unknown names.
    """
    declared = declared or {}
    present = set(attributes)
    out = dict(meta)
    if meta.get('descriptions') is not None:
        out['descriptions'] = {
            a: tuple(meta['descriptions'][a])
            for a in attributes if a in meta['descriptions']
        }
    rules = meta.get('exclusion_rules')
    if rules is not None and rules == declared.get('exclusion_rules'):
        groups = meta.get('attribute_groups') or {}
        out['exclusion_rules'] = {
            g: r
            for g, r in rules.items() if g in groups
        }
    multiclass = meta.get('multiclass_groups')
    if multiclass is not None and multiclass == declared.get(
            'multiclass_groups'):
        groups = meta.get('attribute_groups') or {}
        out['multiclass_groups'] = [g for g in multiclass if g in groups]
    sid_groups = meta.get('sid_groups')
    if (sid_groups is not None and sid_groups == declared.get('sid_groups')
            and not all(set(v) <= present for v in sid_groups.values())):
        out.pop('sid_groups')
    return out


def table1_attribute_count(meta: dict) -> int:
    """Attributes as CLEAR's Table 1 counts them: the columns, with each
    group of ``multiclass_groups`` counted once."""
    groups = meta.get('attribute_groups') or {}
    attributes = set(meta.get('attributes') or [])
    merged = sum(
        max(len(set(groups.get(g, ())) & attributes) - 1, 0)
        for g in meta.get('multiclass_groups') or ())
    return len(attributes) - merged


def exclusive_conflicts(vector, meta: dict) -> List[str]:
    """The ways a 0/1 ``vector`` breaks ``meta``'s exclusion rules: one
    line per group with a rule in which it sets more than one attribute
    (two age bins, two views), e.g. ``"age: Age18-60, AgeOver60 (at most
    one)"``. Empty when the vector is consistent (or no rules exist)."""
    attributes = list(meta.get('attributes') or [])
    groups = meta.get('attribute_groups') or {}
    index = {name: i for i, name in enumerate(attributes)}
    out = []
    for group, rule in (meta.get('exclusion_rules') or {}).items():
        names = [n for n in groups.get(group, ()) if n in index]
        chosen = [n for n in names if vector[index[n]]]
        if len(chosen) > 1:
            out.append(f'{group}: {", ".join(chosen)} (at most one of '
                       f'{names})')
    return out


def vector_from_names(names: Union[str, Sequence[str]],
                      attributes: Sequence[str],
                      owner: Optional[str] = None) -> np.ndarray:
    """``'Female, Backpack'`` or ``['Female', 'Backpack']`` -> 0/1 vector
    over ``attributes`` with those attributes positive. An empty query is a
    ``ValueError``; an unknown name a ``KeyError`` listing the closest valid
    ones and every valid one."""
    attributes = list(attributes)
    if isinstance(names, str):
        names = re.split(r'[,;]', names)
    names = [str(n).strip() for n in names if str(n).strip()]
    if not names:
        raise ValueError(
            f'An empty query: name at least one attribute of {attributes}.')
    index = {a: i for i, a in enumerate(attributes)}
    vector = np.zeros(len(attributes), dtype=np.int64)
    for name in names:
        if name not in index:
            close = difflib.get_close_matches(name, attributes, 3)
            raise KeyError(
                f'{owner or "This dataset"} has no attribute {name!r}' +
                (f' (did you mean {close}?)' if close else '') +
                f'; its attributes: {attributes}.')
        vector[index[name]] = 1
    return vector


def plain(obj):
    """``obj`` with every mapping a plain ``dict`` (a config's ``metainfo``
    arrives as ``ConfigDict``s, which a checkpoint must not pickle: its
    loader allows data only)."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    return obj
