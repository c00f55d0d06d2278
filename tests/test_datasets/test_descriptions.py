"""Pseudo-descriptions (CLEAR Eq. 7) for every dataset."""
import numpy as np
import pytest

from mmpretrain.registry import DATASETS

from clear_mm.datasets.descriptions import (PseudoDescriptionBuilder,
                                            attribute_words)
from clear_mm.datasets.market1501_attr import MARKET_ATTRIBUTES
from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
from clear_mm.datasets.upar2024 import UPAR_ATTRIBUTES
from tests.conftest import realdata

PA100K = list(ATTRIBUTES)  # the synthetic set uses the PA100K schema
MARKET = [a[0] for a in MARKET_ATTRIBUTES]


def table(dataset):
    """The description table a dataset class declares in its METAINFO."""
    return DATASETS.get(dataset).METAINFO['descriptions']


def vector(attributes, positives):
    return np.array([int(a in positives) for a in attributes])


def test_pa100k_sentence():
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    v = vector(PA100K, {'Female', 'Age18-60', 'Front', 'Hat', 'Backpack',
                        'LongSleeve', 'UpperPlaid', 'Trousers'})
    assert builder(v) == (
        'This is a photo of an adult woman taken from the front, is dressed '
        'in trousers and a top with long sleeves with plaid motif, is '
        'wearing a hat and no glasses, carrying no handbag and no shoulder '
        'bag and a backpack.')
    assert builder.words(v) == ('female, age 18 60, front, hat, backpack, '
                                'long sleeve, upper plaid, trousers')


def test_market_sentence_has_colours_and_negatives():
    builder = PseudoDescriptionBuilder(MARKET, table('Market1501Attr'))
    v = vector(MARKET, {'age_adult', 'down_blue', 'up_black', 'lower_pants',
                        'short_sleeve'})
    assert builder(v) == (
        'This is a photo of an adult man with short hair, is dressed in '
        'long blue trousers and a black top with short sleeves, is wearing '
        'no hat, carrying no backpack and no bag and no handbag.')


@pytest.mark.parametrize('dataset,attributes', [
    ('PA100K', PA100K),
    ('SyntheticPedestrians', PA100K),
    ('Market1501Attr', MARKET),
    ('UPAR2024', list(UPAR_ATTRIBUTES)),
])
def test_every_vector_gets_a_distinct_deterministic_sentence(
        dataset, attributes):
    builder = PseudoDescriptionBuilder(attributes, table(dataset))
    rng = np.random.default_rng(0)
    vectors = np.unique(rng.integers(0, 2, (300, len(attributes))), axis=0)
    sentences = builder.batch(vectors)
    assert sentences == builder.batch(vectors)  # deterministic
    for s in sentences:
        assert s.startswith('This is a photo of ') and s.endswith('.')
    # a flipped binary attribute always changes the sentence
    assert len(set(sentences)) == len(vectors)


def test_peta_and_rap_tables_cover_the_real_files():
    from clear_mm.datasets import PETA, RAPv2
    path = realdata('PETA.mat')
    for all_attributes in (False, True):
        # the dataset's metainfo carries the table of its attributes
        meta = PETA(data_root=osp_dir(path), ann_file='PETA.mat',
                    all_attributes=all_attributes).metainfo
        assert len(meta['descriptions']) == len(meta['attributes'])
        builder = PseudoDescriptionBuilder(meta['attributes'],
                                           meta['descriptions'])
        assert builder(np.ones(len(meta['attributes']), int)).startswith(
            'This is a photo')
    path = realdata('RAPv1_annotation.mat')
    ann = RAPv2(data_root=osp_dir(path), ann_file='RAPv1_annotation.mat',
                lazy_init=True).load_table()
    builder = PseudoDescriptionBuilder(ann.attributes, table('RAPv2'))
    female = ann.attributes.index('Female')
    for row in ann.labels[:100]:
        words = builder(row == 1).split()
        assert ('woman' in words) == (row[female] == 1)
        assert ('man' in words) == (row[female] != 1)


def osp_dir(path):
    import os.path as osp
    return osp.dirname(path)


def test_rap_v2_names_are_covered():
    names = ['Femal', 'AgeLess16', 'Age17-30', 'Age31-45', 'Age46-60',
             'BodyFat', 'BodyNormal', 'BodyThin', 'Customer', 'Employee',
             'hs-BaldHead', 'hs-LongHair', 'hs-BlackHair', 'hs-Hat',
             'hs-Glasses', 'ub-Shirt', 'ub-Sweater', 'ub-Vest', 'ub-TShirt',
             'ub-Cotton', 'ub-Jacket', 'ub-SuitUp', 'ub-Tight',
             'ub-ShortSleeve', 'ub-Others', 'lb-LongTrousers', 'lb-Skirt',
             'lb-ShortSkirt', 'lb-Dress', 'lb-Jeans', 'lb-TightTrousers',
             'shoes-Leather', 'shoes-Sports', 'shoes-Boots', 'shoes-Cloth',
             'shoes-Casual', 'shoes-Other', 'attachment-Backpack',
             'attachment-ShoulderBag', 'attachment-HandBag',
             'attachment-Box', 'attachment-PlasticBag',
             'attachment-PaperBag', 'attachment-HandTrunk',
             'attachment-Other', 'action-Calling', 'action-Talking',
             'action-Gathering', 'action-Holding', 'action-Pushing',
             'action-Pulling', 'action-CarryingByArm',
             'action-CarryingByHand', 'action-Other']
    assert len(names) == 54
    builder = PseudoDescriptionBuilder(names, table('RAPv2'))
    v = vector(names, {'Femal', 'Age17-30', 'hs-LongHair', 'ub-Jacket',
                       'lb-Jeans', 'attachment-Backpack', 'action-Calling'})
    assert builder(v) == (
        'This is a photo of a young adult woman with long hair, is dressed '
        'in jeans and a jacket with long sleeves, is wearing no hat and no '
        'glasses, carrying a backpack and no shoulder bag and no handbag, '
        'calling.')


def test_errors_name_the_problem():
    with pytest.raises(KeyError, match='no entry for attributes'):
        PseudoDescriptionBuilder(['Female', 'Wings'], table('PA100K'))
    with pytest.raises(KeyError, match="metainfo\\['descriptions'\\]"):
        PseudoDescriptionBuilder(['Female'], {}, name='MyDataset')
    with pytest.raises(ValueError, match="with a slot of"):
        PseudoDescriptionBuilder(['Female'], {'Female': ('sex', 'w', 'm')})
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    with pytest.raises(ValueError, match='length 26'):
        builder(np.zeros(25))
    with pytest.raises(ValueError, match='0/1'):
        builder(np.full(26, 2))
    with pytest.raises(KeyError, match="did you mean \\['Backpack'"):
        builder.vector_from_names('Female, Backpak')
    v = builder.vector_from_names('Female, Backpack')
    assert v.sum() == 2 and v[PA100K.index('Backpack')] == 1
    with pytest.raises(ValueError, match='An empty query'):
        builder.vector_from_names(' , ')


def test_contradictory_queries_are_named():
    from clear_mm.datasets.schema import exclusive_conflicts
    from tests.utils import synthetic_meta
    meta = synthetic_meta()
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    ok = builder.vector_from_names('Female, Age18-60, Front, Backpack')
    assert exclusive_conflicts(ok, meta) == []
    bad = builder.vector_from_names('AgeLess18, Age18-60, Front, Back')
    conflicts = exclusive_conflicts(bad, meta)
    assert len(conflicts) == 2
    assert conflicts[0].startswith('age: Age18-60, AgeLess18')
    assert conflicts[1].startswith('view: Front, Back')


def test_custom_table():
    builder = PseudoDescriptionBuilder(
        ['red_coat', 'umbrella'],
        table={'red_coat': ('upper', 'red coat', None),
               'umbrella': ('bag', 'an umbrella', 'no umbrella')})
    assert builder([1, 0]) == ('This is a photo of a person, is dressed in a '
                               'red coat, carrying no umbrella.')


def test_attribute_words():
    assert attribute_words('UpperBody-Color-Black') == 'upper body color black'
    assert attribute_words('personalLess30') == 'personal less 30'
    assert attribute_words('Skirt&Dress') == 'skirt dress'


def test_tables_use_known_slots():
    from clear_mm.datasets.schema import SLOTS
    for name in ('PA100K', 'SyntheticPedestrians', 'PETA', 'RAPv2',
                 'Market1501Attr', 'UPAR2024'):
        for attr, (slot, pos, neg) in table(name).items():
            assert slot in SLOTS, (name, attr)
            assert pos, (name, attr)


def _doc_attributes(title):
    """The attribute list of the dataset a docs section is about."""
    if title.startswith(('PA100K', 'Synthetic')):
        return PA100K
    if title.startswith('Market'):
        return MARKET
    if title.startswith('UPAR'):
        return list(UPAR_ATTRIBUTES)
    from clear_mm.datasets import PETA, RAPv2
    if title.startswith('PETA'):
        path = realdata('PETA.mat')
        return PETA(data_root=osp_dir(path), lazy_init=True).load_table(
        ).attributes
    path = realdata('RAPv1_annotation.mat')
    return RAPv2(data_root=osp_dir(path), ann_file='RAPv1_annotation.mat',
                 lazy_init=True).load_table().attributes


def test_docs_examples_are_current():
    import re

    from tests.conftest import REPO
    text = open(f'{REPO}/docs/pseudo_descriptions.md').read()
    sections = re.findall(
        r'## (.+?) \(.*?`(\w+)`\)\n\n- positive attributes: `(.*?)`\n'
        r'- sentence: "(.*?)"\n- W query: "(.*?)"', text)
    assert len(sections) == 6
    for title, dataset, positives, sentence, words in sections:
        try:
            attributes = _doc_attributes(title)
        except pytest.skip.Exception:
            continue
        builder = PseudoDescriptionBuilder(attributes, table(dataset))
        v = builder.vector_from_names(positives)
        assert builder(v) == sentence, title
        assert builder.words(v) == words, title
