import os
import shutil

import numpy as np
import pytest
import scipy.io as sio

from clear_mm.datasets import Market1501Attr, SyntheticPedestrians
from clear_mm.structures.semantic_ids import SemanticIDs
from tests.conftest import realdata


def test_encode_decode_hand_built():
    attrs = ['male', 'young', 'old', 'hat', 'view']
    groups = dict(identity=['male', 'young', 'old'], head=['hat'])
    vectors = np.array([[1, 1, 0, 0, 1], [0, 0, 1, 1, 0], [1, 1, 0, 1, 0]])
    sids = SemanticIDs(attrs, groups, vectors)
    assert sids.num_sids == [2, 2]
    assert sids.ungrouped == ['view']
    # identity SIDs sorted: (0,0,1) 'old female', (1,1,0) 'young male'
    assert sids.names(0, 0) == ['old'] and sids.names(0, 1) == [
        'male', 'young'
    ]
    codes = sids.encode(vectors)
    np.testing.assert_array_equal(codes, [[1, 0], [0, 1], [1, 1]])
    decoded = sids.decode(codes, fill=0)
    np.testing.assert_array_equal(decoded[:, :4], vectors[:, :4])
    assert (decoded[:, 4] == 0).all()  # the ungrouped attribute
    assert [c.tolist() for c in sids.counts(vectors)] == [[1, 2], [1, 2]]
    with pytest.raises(KeyError, match="identity attributes .* no known"):
        sids.encode([[1, 0, 1, 0, 0]])
    assert sids.encode([[1, 0, 1, 0, 0]], strict=False)[0, 0] == -1
    with pytest.raises(ValueError, match='more than one SID group'):
        SemanticIDs(attrs, dict(a=['hat'], b=['hat']), vectors)
    with pytest.raises(KeyError, match=r"\['wings'\] are not"):
        SemanticIDs(attrs, dict(a=['wings']), vectors)


def market_vectors(tmp_path):
    """Identity-level attribute vectors of the real Market-1501 annotation
    (one fake image per identity)."""
    path = realdata('market_attribute.mat')
    shutil.copy(path, tmp_path)
    root = sio.loadmat(path)['market_attribute'][0, 0]
    for split, folder in (('train', 'bounding_box_train'),
                          ('test', 'bounding_box_test')):
        os.makedirs(tmp_path / folder)
        for pid in root[split][0, 0]['image_index'].ravel():
            (tmp_path / folder / f'{pid[0]}_c1s1_000151_01.jpg').touch()
    out = {}
    for split in ('train', 'test'):
        ds = Market1501Attr(data_root=str(tmp_path), split=split)
        out[split] = ds.get_attribute_matrix()
    return ds.metainfo['attributes'], out


def test_market_sids_round_trip(tmp_path):
    """Table 1 groups on the real annotation: 751 training identities give
    66 SIDs, the number the paper reports for Market-1501's training set;
    attributes -> SIDs -> attributes is the identity."""
    attributes, vectors = market_vectors(tmp_path)
    assert len(vectors['train']) == 751 and len(vectors['test']) == 750
    sids = SemanticIDs(attributes, Market1501Attr.METAINFO['sid_groups'],
                       vectors['train'])
    assert sids.group_names == ['head', 'upper', 'lower', 'identity',
                                'carrying']
    assert sids.num_sids == [4, 16, 34, 8, 4] and sum(sids.num_sids) == 66
    assert sids.ungrouped == []  # all 30 attributes are in a group
    for split in ('train', 'test'):
        codes = sids.encode(vectors[split], strict=False)
        known = (codes >= 0).all(1)
        np.testing.assert_array_equal(
            sids.decode(codes[known]), vectors[split][known])
    # two test identities have an upper-body SID unseen in training
    unseen = (sids.encode(vectors['test'], strict=False) < 0).any(1)
    assert 0 < unseen.sum() < 10


def test_tables_cover_their_datasets():
    from clear_mm.datasets.market1501_attr import MARKET_ATTRIBUTES
    from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
    market = [a for a, _, _ in MARKET_ATTRIBUTES]
    grouped = sum(Market1501Attr.METAINFO['sid_groups'].values(), [])
    assert sorted(grouped) == sorted(market)
    pa100k = sum(SyntheticPedestrians.METAINFO['sid_groups'].values(), [])
    assert sorted(pa100k + ['Front', 'Side', 'Back']) == sorted(ATTRIBUTES)


def test_from_tables_round_trip():
    groups = dict(a=['x', 'y'], b=['z'])
    vectors = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0]])
    sids = SemanticIDs(['x', 'y', 'z'], groups, vectors)
    copy = SemanticIDs.from_tables(['x', 'y', 'z'], groups, sids.sids)
    assert copy.num_sids == sids.num_sids == [2, 2]
    np.testing.assert_array_equal(copy.encode(vectors), sids.encode(vectors))
    with pytest.raises(ValueError, match=r'expected \(S, 1\)'):
        SemanticIDs.from_tables(['x', 'y', 'z'], groups,
                                [sids.sids[0], np.zeros((2, 2))])
