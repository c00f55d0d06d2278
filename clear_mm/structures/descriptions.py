"""Pseudo-descriptions of attribute vectors (CLEAR Eq. 7).

One sentence per attribute vector, filled from the template

    This is a photo of [AGE] [GENDER] taken from [CAMERA ANGLE] with
    [HAIR LENGTH] hair, is dressed in a [LOWER COLOR] [LOWER BODY CLOTHING]
    and a [UPPER COLOR] [UPPER BODY CLOTHING] with [SLEEVES LENGTH] sleeves
    with [UPPER BODY MOTIF] motif, is [WEARING] a [ACCESSORY], carrying [BAG]
    and [BACKPACK].

Every dataset maps each of its attribute names to a *slot* of the template
and a phrase: its ``metainfo['descriptions']``, declared with the dataset
(e.g. ``PA100K_DESCRIPTIONS`` in :mod:`clear_mm.datasets.pa100k`, the one
place to edit its wording). A slot a dataset does not fill is dropped with
its auxiliary words. Attributes with a negative phrase (hats, glasses,
bags) say so when absent ("no hat"); the others are only mentioned when
present, and an empty slot falls back to the slot's default
(``SLOT_DEFAULTS``) or is dropped. The sentence depends on the
vector only, so it is deterministic.

The sentences are meant to read as English for the language model:
garments get their article when they are singular countable nouns ("a
long black dress", "a t-shirt and a jacket", but "black trousers"), the
colour and motif go before the first garment of their slot, hair
adjectives stack ("short black hair"), and what a person wears or carries
comes before what they do not ("wearing glasses and no hat", never the
ambiguous "no hat and glasses"). Write garment phrases in the tables
without an article.
"""
import re
from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from .schema import SLOTS, Entry, vector_from_names

# Used when no attribute of the slot is positive and none has a negative
# phrase; a slot without a default is then dropped.
SLOT_DEFAULTS = dict(gender='person')


def attribute_words(name: str) -> str:
    """The words of an attribute name: 'UpperBody-Color-Black' ->
    'upper body color black', 'personalLess30' -> 'personal less 30'."""
    name = re.sub(r'([a-z])([A-Z0-9])', r'\1 \2', name)
    name = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1 \2', name)
    return ' '.join(re.split(r'[\s_\-&]+', name)).lower().strip()


def _join(parts: List[str]) -> str:
    return ' and '.join(parts)


def _article(noun_phrase: str) -> str:
    return 'an' if noun_phrase[:1] in 'aeiou' else 'a'


# Garment heads without a plural -s that still take no article (mass
# nouns); plurals in -s are recognised by their ending.
UNCOUNTED = {'clothing', 'clothes', 'underwear', 'outerwear', 'sportswear'}
ARTICLES = ('a', 'an', 'the', 'no', 'some', 'another')
# Slots whose absent things are named ("no hat"): what is there comes first.
PRESENT_FIRST = ('accessory', 'footwear', 'bag')


def is_plural_or_mass(noun_phrase: str) -> bool:
    """Whether a garment phrase takes no article: its head (last word, of
    the last alternative of 'x or y') is plural ('trousers', 'capri pants')
    or a mass noun ('lower-body clothing'); 'dress' is singular."""
    head = noun_phrase.split(' or ')[-1].split()[-1].lower()
    return head in UNCOUNTED or (head.endswith('s')
                                 and not head.endswith(('ss', 'us', 'is')))


def with_article(noun_phrase: str) -> str:
    """``noun_phrase`` with 'a'/'an' when it is a singular countable noun
    phrase without a determiner."""
    if noun_phrase.split()[0] in ARTICLES or is_plural_or_mass(noun_phrase):
        return noun_phrase
    return f'{_article(noun_phrase)} {noun_phrase}'


def garments(modifiers: List[Optional[str]], nouns: List[str]) -> str:
    """'long black a dress' no more: the modifiers (motif, colour) go
    before the first garment, each garment gets its own article."""
    words = [m for m in modifiers if m]
    phrases = [' '.join(words + [nouns[0]])] + nouns[1:]
    return ' and '.join(with_article(p) for p in phrases)


class PseudoDescriptionBuilder:
    """Turns attribute vectors of one dataset into sentences.

    Args:
        attributes (Sequence[str]): The dataset's attribute names, in the
            order of its label vectors.
        table (dict): ``{attribute: (slot, positive phrase, negative phrase
            or None)}``, the dataset's ``metainfo['descriptions']``, or a
            user's own table for a new dataset.
        name (str, optional): The dataset's name, for error messages.

    Raises:
        KeyError: an attribute has no entry in ``table``.
        ValueError: an entry names an unknown slot.

    Example:
        >>> table = {'Female': ('gender', 'woman', 'man'),
        ...          'Hat': ('accessory', 'a hat', 'no hat')}
        >>> builder = PseudoDescriptionBuilder(['Female', 'Hat'], table)
        >>> builder([1, 0])
        'This is a photo of a woman, is wearing no hat.'
    """

    def __init__(self,
                 attributes: Sequence[str],
                 table: Dict[str, Entry],
                 name: Optional[str] = None):
        table = dict(table or {})
        missing = [a for a in attributes if a not in table]
        if missing:
            raise KeyError(
                f'The pseudo-description table of {name or "the dataset"} '
                f'has no entry for attributes {missing}: declare them in '
                "the dataset's metainfo['descriptions'] (its METAINFO, or "
                "metainfo=dict(descriptions=...) in the dataset config) or "
                "pass model.description=dict(table={...}).")
        for attr in attributes:
            entry = table[attr]
            if len(entry) != 3 or entry[0] not in SLOTS:
                raise ValueError(
                    f'Attribute {attr!r}: entry {entry!r}; expected (slot, '
                    f'positive phrase, negative phrase or None) with a slot '
                    f'of {SLOTS}.')
        self.attributes = list(attributes)
        self.name = name
        self.entries = [tuple(table[a]) for a in self.attributes]
        self._index = {a: i for i, a in enumerate(self.attributes)}

    # -- vectors -------------------------------------------------------
    def check_vector(self, vector) -> np.ndarray:
        """A 0/1 vector of this dataset's length, else ``ValueError``."""
        vector = np.asarray(vector)
        if vector.ndim != 1 or vector.shape[0] != len(self.attributes):
            raise ValueError(
                f'Expected an attribute vector of length '
                f'{len(self.attributes)} (the attributes of '
                f'{self.name or "the dataset"}), got shape '
                f'{tuple(vector.shape)}.')
        if not np.isin(vector, (0, 1)).all():
            raise ValueError(f'Attribute vectors are 0/1; got values '
                             f'{sorted(set(vector.tolist()) - {0, 1})}.')
        return vector.astype(np.int64)

    def vector_from_names(self, names: Union[str, Sequence[str]]
                          ) -> np.ndarray:
        """``'Female, Backpack'`` or ``['Female', 'Backpack']`` -> 0/1 vector
        with those attributes positive. Unknown names raise ``KeyError``
        listing the closest valid ones."""
        return vector_from_names(names, self.attributes, self.name)

    # -- sentences -----------------------------------------------------
    def slot_parts(self, vector) -> Dict[str, List[str]]:
        """The phrases of each filled slot of a vector, in attribute order;
        in the slots of things worn or carried (``PRESENT_FIRST``) what is
        there comes first (:meth:`_present_first`)."""
        vector = self.check_vector(vector)
        parts: Dict[str, List[str]] = {}
        for (slot, pos, neg), value in zip(self.entries, vector):
            phrase = pos if value else neg
            if phrase is not None and phrase not in parts.get(slot, []):
                parts.setdefault(slot, []).append(phrase)
        for slot in PRESENT_FIRST:
            if slot in parts:
                parts[slot] = self._present_first(vector, (slot, ))
        return {slot: parts[slot] for slot in SLOTS if slot in parts}

    def slots(self, vector) -> Dict[str, str]:
        """Filled slots of a vector: ``{slot: phrase}``."""
        parts = self.slot_parts(vector)
        filled = {
            s: ' '.join(p) if s == 'hair' else _join(p)
            for s, p in parts.items()
        }
        for slot, default in SLOT_DEFAULTS.items():
            filled.setdefault(slot, default)
        return filled

    def __call__(self, vector) -> str:
        """The Eq. (7) sentence of one attribute vector."""
        parts = self.slot_parts(vector)
        s = self.slots(vector)
        subject = ' '.join(
            s[k] for k in ('age', 'build', 'gender') if k in s)
        if 'role' in s:
            subject += f' {s["role"]}'
        text = f'This is a photo of {_article(subject)} {subject}'
        if 'view' in s:
            text += f' taken from {s["view"]}'
        if 'hair' in s:
            text += f' with {s["hair"]} hair'
        clothes = []
        if 'lower' in s or 'lower_color' in s or 'lower_motif' in s:
            clothes.append(
                garments([s.get('lower_motif'),
                          s.get('lower_color')],
                         parts.get('lower', ['lower-body clothing'])))
        if ('upper' in s or 'upper_color' in s or 'sleeve' in s
                or 'motif' in s):
            upper = garments([s.get('upper_color')],
                             parts.get('upper', ['top']))
            if 'sleeve' in s:
                upper += f' with {s["sleeve"]} sleeves'
            if 'motif' in s:
                upper += f' with {s["motif"]} motif'
            clothes.append(upper)
        if clothes:
            text += ', is dressed in ' + ' and '.join(clothes)
        worn = self._present_first(vector, ('accessory', 'footwear'))
        if worn:
            text += ', is wearing ' + ' and '.join(worn)
        if 'bag' in s:
            text += f', carrying {s["bag"]}'
        if 'action' in s:
            text += f', {s["action"]}'
        return text + '.'

    def _present_first(self, vector, slots: Sequence[str]) -> List[str]:
        """The phrases of ``slots`` together, present things first."""
        vector = self.check_vector(vector)
        present, absent, summary = [], [], []
        for (slot, pos, neg), value in zip(self.entries, vector):
            phrase = pos if value else neg
            if slot not in slots or phrase is None or phrase in (
                    present + absent + summary):
                continue
            if not value:
                absent.append(phrase)
            elif re.match(r'(no|nothing)\b', phrase):
                # a present attribute saying what is not ('no accessories')
                summary.append(phrase)
            else:
                present.append(phrase)
        return present + absent + summary

    def words(self, vector) -> str:
        """The W ablation's query: the words of the positive attributes'
        names, comma separated ('female, backpack, long sleeve')."""
        vector = self.check_vector(vector)
        words = [attribute_words(a) for a, v in zip(self.attributes, vector)
                 if v]
        return ', '.join(words) if words else 'no attributes'

    def batch(self, vectors, form: str = 'sentence') -> List[str]:
        """Sentences (``form='sentence'``) or attribute words
        (``form='words'``) of each row of ``vectors``."""
        if form not in ('sentence', 'words'):
            raise ValueError(f"form must be 'sentence' or 'words', got "
                             f'{form!r}.')
        fn = self if form == 'sentence' else self.words
        return [fn(v) for v in np.asarray(vectors)]
