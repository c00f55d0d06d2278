"""Pseudo-descriptions of attribute vectors (CLEAR Eq. 7).

One sentence per attribute vector, filled from the template

    This is a photo of [AGE] [GENDER] taken from [CAMERA ANGLE] with
    [HAIR LENGTH] hair, is dressed in a [LOWER COLOR] [LOWER BODY CLOTHING]
    and a [UPPER COLOR] [UPPER BODY CLOTHING] with [SLEEVES LENGTH] sleeves
    with [UPPER BODY MOTIF] motif, is [WEARING] a [ACCESSORY], carrying [BAG]
    and [BACKPACK].

Every dataset maps each of its attribute names to a *slot* of the template
and a phrase (``DESCRIPTION_TABLES``, the one place to edit wording). A slot
a dataset does not fill is dropped with its auxiliary words. Attributes with
a negative phrase (hats, glasses, bags) say so when absent ("no hat"); the
others are only mentioned when present, and an empty slot falls back to the
slot's default (``SLOT_DEFAULTS``) or is dropped. The sentence depends on the
vector only, so it is deterministic.
"""
import difflib
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

# (slot, phrase when positive, phrase when negative or None)
Entry = Tuple[str, str, Optional[str]]

# Slots in sentence order. `subject` slots go before the gender noun.
SLOTS = ('age', 'build', 'gender', 'role', 'view', 'hair', 'lower_color',
         'lower', 'upper_color', 'upper', 'sleeve', 'motif', 'lower_motif',
         'accessory', 'footwear', 'bag', 'action')
# Used when no attribute of the slot is positive and none has a negative
# phrase; a slot without a default is then dropped.
SLOT_DEFAULTS = dict(gender='person')


def _no(noun: str) -> str:
    return 'no ' + re.sub(r'^(a|an) ', '', noun)


def _flag(slot: str, phrase: str) -> Entry:
    """A binary attribute mentioned both ways: 'a hat' / 'no hat'."""
    return (slot, phrase, _no(phrase))


_PA100K = {
    'Female': ('gender', 'woman', 'man'),
    'AgeOver60': ('age', 'elderly', None),
    'Age18-60': ('age', 'adult', None),
    'AgeLess18': ('age', 'young', None),
    'Front': ('view', 'the front', None),
    'Side': ('view', 'the side', None),
    'Back': ('view', 'the back', None),
    'Hat': _flag('accessory', 'a hat'),
    'Glasses': _flag('accessory', 'glasses'),
    'HandBag': _flag('bag', 'a handbag'),
    'ShoulderBag': _flag('bag', 'a shoulder bag'),
    'Backpack': _flag('bag', 'a backpack'),
    'HoldObjectsInFront': ('bag', 'objects in front', None),
    'ShortSleeve': ('sleeve', 'short', None),
    'LongSleeve': ('sleeve', 'long', None),
    'UpperStride': ('motif', 'striped', None),
    'UpperLogo': ('motif', 'logo', None),
    'UpperPlaid': ('motif', 'plaid', None),
    'UpperSplice': ('motif', 'spliced', None),
    'LowerStripe': ('lower_motif', 'striped', None),
    'LowerPattern': ('lower_motif', 'patterned', None),
    'LongCoat': ('upper', 'long coat', None),
    'Trousers': ('lower', 'trousers', None),
    'Shorts': ('lower', 'shorts', None),
    'Skirt&Dress': ('lower', 'skirt or dress', None),
    'boots': ('footwear', 'boots', None),
}

_COLORS = ('Black', 'Blue', 'Brown', 'Green', 'Grey', 'Gray', 'Orange',
           'Pink', 'Purple', 'Red', 'White', 'Yellow')

# PETA: all 105 names (the 35 evaluated ones are a subset).
_PETA = {
    'personalLess15': ('age', 'child', None),
    'personalLess30': ('age', 'young', None),
    'personalLess45': ('age', 'middle-aged', None),
    'personalLess60': ('age', 'older', None),
    'personalLarger60': ('age', 'elderly', None),
    'personalMale': ('gender', 'man', 'woman'),
    'personalFemale': ('gender', 'woman', None),
    'hairLong': ('hair', 'long', 'short'),
    'hairShort': ('hair', 'short', None),
    'hairBald': ('hair', 'bald', None),
    'upperBodyCasual': ('upper', 'casual top', None),
    'upperBodyFormal': ('upper', 'formal top', None),
    'upperBodyJacket': ('upper', 'jacket', None),
    'upperBodyLogo': ('motif', 'logo', None),
    'upperBodyPlaid': ('motif', 'plaid', None),
    'upperBodyThinStripes': ('motif', 'thin-striped', None),
    'upperBodyThickStripes': ('motif', 'thick-striped', None),
    'upperBodyShortSleeve': ('sleeve', 'short', None),
    'upperBodyLongSleeve': ('sleeve', 'long', None),
    'upperBodyNoSleeve': ('sleeve', 'no', None),
    'upperBodyTshirt': ('upper', 't-shirt', None),
    'upperBodyOther': ('upper', 'other top', None),
    'upperBodyVNeck': ('upper', 'v-neck top', None),
    'upperBodySuit': ('upper', 'suit', None),
    'upperBodySweater': ('upper', 'sweater', None),
    'lowerBodyCasual': ('lower', 'casual trousers', None),
    'lowerBodyFormal': ('lower', 'formal trousers', None),
    'lowerBodyJeans': ('lower', 'jeans', None),
    'lowerBodyShorts': ('lower', 'shorts', None),
    'lowerBodyShortSkirt': ('lower', 'short skirt', None),
    'lowerBodyLongSkirt': ('lower', 'long skirt', None),
    'lowerBodyTrousers': ('lower', 'trousers', None),
    'lowerBodyCapri': ('lower', 'capri pants', None),
    'lowerBodyHotPants': ('lower', 'hot pants', None),
    'lowerBodySuits': ('lower', 'suit trousers', None),
    'lowerBodyPlaid': ('lower_motif', 'plaid', None),
    'lowerBodyThinStripes': ('lower_motif', 'striped', None),
    'accessoryHat': _flag('accessory', 'a hat'),
    'accessoryMuffler': _flag('accessory', 'a muffler'),
    'accessorySunglasses': _flag('accessory', 'sunglasses'),
    'accessoryNothing': ('accessory', 'nothing else', None),
    'accessoryHeadphone': ('accessory', 'headphones', None),
    'accessoryHairBand': ('accessory', 'a hair band', None),
    'accessoryKerchief': ('accessory', 'a kerchief', None),
    'footwearLeatherShoes': ('footwear', 'leather shoes', None),
    'footwearSandals': ('footwear', 'sandals', None),
    'footwearShoes': ('footwear', 'shoes', None),
    'footwearSneaker': ('footwear', 'sneakers', None),
    'footwearBoots': ('footwear', 'boots', None),
    'footwearStocking': ('footwear', 'stockings', None),
    'carryingBackpack': _flag('bag', 'a backpack'),
    'carryingMessengerBag': _flag('bag', 'a messenger bag'),
    'carryingPlasticBags': _flag('bag', 'a plastic bag'),
    'carryingOther': ('bag', 'something else', None),
    'carryingNothing': ('bag', 'nothing else', None),
    'carryingBabyBuggy': ('bag', 'a baby buggy', None),
    'carryingShoppingTro': ('bag', 'a shopping trolley', None),
    'carryingUmbrella': ('bag', 'an umbrella', None),
    'carryingFolder': ('bag', 'a folder', None),
    'carryingLuggageCase': ('bag', 'a luggage case', None),
    'carryingSuitcase': ('bag', 'a suitcase', None),
}
for _c in _COLORS:
    _PETA[f'upperBody{_c}'] = ('upper_color', _c.lower(), None)
    _PETA[f'lowerBody{_c}'] = ('lower_color', _c.lower(), None)
    _PETA[f'hair{_c}'] = ('hair', _c.lower(), None)
    _PETA[f'footwear{_c}'] = ('footwear', f'{_c.lower()} shoes', None)

# RAP v2 (prefixed names) and RAP v1 (its `attribute_eng` without prefixes).
_RAP_CORE = {
    'Femal': ('gender', 'woman', 'man'),  # RAP v2's spelling
    'Female': ('gender', 'woman', 'man'),
    'AgeLess16': ('age', 'young', None),
    'Age17-30': ('age', 'young adult', None),
    'Age31-45': ('age', 'middle-aged', None),
    'Age46-60': ('age', 'older', None),
    'BodyFat': ('build', 'heavy', None),
    'BodyNormal': ('build', 'average-build', None),
    'BodyThin': ('build', 'thin', None),
    'Customer': ('role', 'customer', None),
    'Clerk': ('role', 'clerk', None),
    'Employee': ('role', 'employee', None),
    'BaldHead': ('hair', 'bald', None),
    'LongHair': ('hair', 'long', 'short'),
    'BlackHair': ('hair', 'black', None),
    'Hat': _flag('accessory', 'a hat'),
    'Glasses': _flag('accessory', 'glasses'),
    'Muffler': _flag('accessory', 'a muffler'),
    'Shirt': ('upper', 'shirt', None),
    'Sweater': ('upper', 'sweater', None),
    'Vest': ('upper', 'vest', None),
    'TShirt': ('upper', 't-shirt', None),
    'Cotton': ('upper', 'cotton coat', None),
    'Jacket': ('upper', 'jacket', None),
    'Suit-Up': ('upper', 'suit', None),
    'SuitUp': ('upper', 'suit', None),
    'Tight': ('upper', 'tight top', None),
    'ShortSleeve': ('sleeve', 'short', 'long'),
    'LongTrousers': ('lower', 'long trousers', None),
    'Skirt': ('lower', 'skirt', None),
    'ShortSkirt': ('lower', 'short skirt', None),
    'Dress': ('lower', 'dress', None),
    'Jeans': ('lower', 'jeans', None),
    'TightTrousers': ('lower', 'tight trousers', None),
    'LeatherShoes': ('footwear', 'leather shoes', None),
    'Leather': ('footwear', 'leather shoes', None),
    'SportShoes': ('footwear', 'sport shoes', None),
    'Sports': ('footwear', 'sport shoes', None),
    'Boots': ('footwear', 'boots', None),
    'ClothShoes': ('footwear', 'cloth shoes', None),
    'Cloth': ('footwear', 'cloth shoes', None),
    'CasualShoes': ('footwear', 'casual shoes', None),
    'Casual': ('footwear', 'casual shoes', None),
    'Backpack': _flag('bag', 'a backpack'),
    'SSBag': _flag('bag', 'a shoulder bag'),
    'ShoulderBag': _flag('bag', 'a shoulder bag'),
    'HandBag': _flag('bag', 'a handbag'),
    'Box': ('bag', 'a box', None),
    'PlasticBag': ('bag', 'a plastic bag', None),
    'PaperBag': ('bag', 'a paper bag', None),
    'HandTrunk': ('bag', 'a hand trunk', None),
    'OtherAttchment': ('bag', 'something else', None),
    'Calling': ('action', 'calling', None),
    'Talking': ('action', 'talking', None),
    'Gathering': ('action', 'gathering', None),
    'Holding': ('action', 'holding something', None),
    'Pusing': ('action', 'pushing something', None),
    'Pushing': ('action', 'pushing something', None),
    'Pulling': ('action', 'pulling something', None),
    'CarryingbyArm': ('action', 'carrying by arm', None),
    'CarryingByArm': ('action', 'carrying by arm', None),
    'CarryingbyHand': ('action', 'carrying by hand', None),
    'CarryingByHand': ('action', 'carrying by hand', None),
}
_RAP = dict(_RAP_CORE)
for _prefix, _names in {
        'hs-': ('BaldHead', 'LongHair', 'BlackHair', 'Hat', 'Glasses',
                'Muffler'),
        'ub-': ('Shirt', 'Sweater', 'Vest', 'TShirt', 'Cotton', 'Jacket',
                'SuitUp', 'Tight', 'ShortSleeve'),
        'lb-': ('LongTrousers', 'Skirt', 'ShortSkirt', 'Dress', 'Jeans',
                'TightTrousers'),
        'shoes-': ('Leather', 'Sports', 'Boots', 'Cloth', 'Casual'),
        'attachment-': ('Backpack', 'ShoulderBag', 'HandBag', 'Box',
                        'PlasticBag', 'PaperBag', 'HandTrunk'),
        'action-': ('Calling', 'Talking', 'Gathering', 'Holding', 'Pushing',
                    'Pulling', 'CarryingByArm', 'CarryingByHand'),
}.items():
    for _n in _names:
        _RAP[_prefix + _n] = _RAP_CORE[_n]
_RAP.update({
    'ub-Others': ('upper', 'other top', None),
    'shoes-Other': ('footwear', 'other shoes', None),
    'attachment-Other': ('bag', 'something else', None),
    'action-Other': ('action', 'doing something else', None),
})

_MARKET = {
    'age_young': ('age', 'young', None),
    'age_teenager': ('age', 'teenage', None),
    'age_adult': ('age', 'adult', None),
    'age_old': ('age', 'elderly', None),
    'female': ('gender', 'woman', 'man'),
    'long_hair': ('hair', 'long', 'short'),
    'hat': _flag('accessory', 'a hat'),
    'backpack': _flag('bag', 'a backpack'),
    'bag': _flag('bag', 'a bag'),
    'handbag': _flag('bag', 'a handbag'),
    'lower_pants': ('lower', 'trousers', 'a dress'),
    'lower_short': ('lower_motif', 'short', 'long'),
    'short_sleeve': ('sleeve', 'short', 'long'),
}
for _c in ('black', 'blue', 'brown', 'gray', 'green', 'pink', 'purple',
           'white', 'yellow'):
    _MARKET[f'down_{_c}'] = ('lower_color', _c, None)
for _c in ('black', 'blue', 'green', 'gray', 'purple', 'red', 'white',
           'yellow'):
    _MARKET[f'up_{_c}'] = ('upper_color', _c, None)

_UPAR = {
    'Age-Young': ('age', 'young', None),
    'Age-Adult': ('age', 'adult', None),
    'Age-Old': ('age', 'elderly', None),
    'Gender-Female': ('gender', 'woman', 'man'),
    'Hair-Length-Short': ('hair', 'short', None),
    'Hair-Length-Long': ('hair', 'long', None),
    'Hair-Length-Bald': ('hair', 'bald', None),
    'UpperBody-Length-Short': ('sleeve', 'short', 'long'),
    'LowerBody-Length-Short': ('lower_motif', 'short', 'long'),
    'LowerBody-Type-Trousers&Shorts': ('lower', 'trousers or shorts', None),
    'LowerBody-Type-Skirt&Dress': ('lower', 'skirt or dress', None),
    'Accessory-Backpack': _flag('bag', 'a backpack'),
    'Accessory-Bag': _flag('bag', 'a bag'),
    'Accessory-Glasses-Normal': _flag('accessory', 'glasses'),
    'Accessory-Glasses-Sun': _flag('accessory', 'sunglasses'),
    'Accessory-Hat': _flag('accessory', 'a hat'),
}
for _c in ('Black', 'Blue', 'Brown', 'Green', 'Grey', 'Orange', 'Pink',
           'Purple', 'Red', 'White', 'Yellow', 'Other'):
    _word = 'other-coloured' if _c == 'Other' else _c.lower()
    _UPAR[f'UpperBody-Color-{_c}'] = ('upper_color', _word, None)
    _UPAR[f'LowerBody-Color-{_c}'] = ('lower_color', _word, None)

# Dataset (registry) name -> table. Add a dataset here.
DESCRIPTION_TABLES: Dict[str, Dict[str, Entry]] = dict(
    PA100K=_PA100K,
    SyntheticPedestrians=_PA100K,
    PETA=_PETA,
    RAPv2=_RAP,
    Market1501Attr=_MARKET,
    UPAR2024=_UPAR,
)


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


class PseudoDescriptionBuilder:
    """Turns attribute vectors of one dataset into sentences.

    Args:
        attributes (Sequence[str]): The dataset's attribute names, in the
            order of its label vectors.
        dataset (str): Key of ``DESCRIPTION_TABLES`` (the dataset's registry
            name).
        table (dict, optional): ``{attribute: (slot, positive phrase,
            negative phrase or None)}`` to use instead of (or, for the
            attributes it names, on top of) the dataset's table; how a user
            describes their own dataset.

    Raises:
        KeyError: the dataset has no table, or an attribute has no entry.

    Example:
        >>> builder = PseudoDescriptionBuilder(['Female', 'Hat'], 'PA100K')
        >>> builder([1, 0])
        'This is a photo of a woman, is wearing no hat.'
    """

    def __init__(self,
                 attributes: Sequence[str],
                 dataset: Optional[str] = None,
                 table: Optional[Dict[str, Entry]] = None):
        if dataset is not None and dataset not in DESCRIPTION_TABLES:
            raise KeyError(
                f'No pseudo-description table for dataset {dataset!r}; '
                f'known: {sorted(DESCRIPTION_TABLES)}. Pass `table=` to '
                'describe a new dataset.')
        merged = dict(DESCRIPTION_TABLES.get(dataset, {}))
        merged.update(table or {})
        missing = [a for a in attributes if a not in merged]
        if missing:
            raise KeyError(
                f'Pseudo-description table {dataset!r} has no entry for '
                f'attributes {missing}; add them to DESCRIPTION_TABLES in '
                f'{__name__} or pass `table=`.')
        for name in attributes:
            slot = merged[name][0]
            if slot not in SLOTS:
                raise ValueError(f'Attribute {name!r}: unknown slot '
                                 f'{slot!r}; slots are {SLOTS}.')
        self.attributes = list(attributes)
        self.dataset = dataset
        self.entries = [merged[a] for a in self.attributes]
        self._index = {a: i for i, a in enumerate(self.attributes)}

    # -- vectors -------------------------------------------------------
    def check_vector(self, vector) -> np.ndarray:
        """A 0/1 vector of this dataset's length, else ``ValueError``."""
        vector = np.asarray(vector)
        if vector.ndim != 1 or vector.shape[0] != len(self.attributes):
            raise ValueError(
                f'Expected an attribute vector of length '
                f'{len(self.attributes)} ({self.dataset or "custom"} '
                f'attributes), got shape {tuple(vector.shape)}.')
        if not np.isin(vector, (0, 1)).all():
            raise ValueError(f'Attribute vectors are 0/1; got values '
                             f'{sorted(set(vector.tolist()) - {0, 1})}.')
        return vector.astype(np.int64)

    def vector_from_names(self, names: Union[str, Sequence[str]]
                          ) -> np.ndarray:
        """``'Female, Backpack'`` or ``['Female', 'Backpack']`` -> 0/1 vector
        with those attributes positive. Unknown names raise ``KeyError``
        listing the closest valid ones."""
        if isinstance(names, str):
            names = [n for n in re.split(r'[,;]', names)]
        vector = np.zeros(len(self.attributes), dtype=np.int64)
        for name in (n.strip() for n in names):
            if not name:
                continue
            if name not in self._index:
                close = difflib.get_close_matches(name, self.attributes, 3)
                raise KeyError(
                    f'{self.dataset or "This dataset"} has no attribute '
                    f'{name!r}' + (f' (did you mean {close}?)' if close else
                                   '') + f'; its attributes: '
                    f'{self.attributes}.')
            vector[self._index[name]] = 1
        return vector

    # -- sentences -----------------------------------------------------
    def slots(self, vector) -> Dict[str, str]:
        """Filled slots of a vector: ``{slot: phrase}``."""
        vector = self.check_vector(vector)
        parts: Dict[str, List[str]] = {}
        for (slot, pos, neg), value in zip(self.entries, vector):
            phrase = pos if value else neg
            if phrase is not None and phrase not in parts.get(slot, []):
                parts.setdefault(slot, []).append(phrase)
        filled = {s: _join(p) for s, p in parts.items()}
        for slot, default in SLOT_DEFAULTS.items():
            filled.setdefault(slot, default)
        return filled

    def __call__(self, vector) -> str:
        """The Eq. (7) sentence of one attribute vector."""
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
            words = [s.get('lower_motif'), s.get('lower_color'),
                     s.get('lower', 'lower-body clothing')]
            clothes.append(' '.join(w for w in words if w))
        if ('upper' in s or 'upper_color' in s or 'sleeve' in s
                or 'motif' in s):
            words = [s.get('upper_color'), s.get('upper', 'top')]
            upper = ' '.join(w for w in words if w)
            if 'sleeve' in s:
                upper += f' with {s["sleeve"]} sleeves'
            if 'motif' in s:
                upper += f' with {s["motif"]} motif'
            clothes.append(f'{_article(upper)} {upper}')
        if clothes:
            text += ', is dressed in ' + ' and '.join(clothes)
        worn = [s[k] for k in ('accessory', 'footwear') if k in s]
        if worn:
            text += ', is wearing ' + ' and '.join(worn)
        if 'bag' in s:
            text += f', carrying {s["bag"]}'
        if 'action' in s:
            text += f', {s["action"]}'
        return text + '.'

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
