"""Extra state packed into one uint8 tensor of JSON: round trip, older
checkpoints' plain dicts, and what cannot be packed."""
import numpy as np
import pytest
import torch

from clear_mm.structures.extra_state import pack_state, unpack_state


def test_round_trip_keeps_values_dtypes_and_shapes():
    state = dict(
        schema=dict(attributes=['Female', 'Hat'],
                    descriptions={'Hat': ('accessory', 'a hat', 'no hat')},
                    pos_ratio=[np.float64(0.25), 0.5], sid_groups=None),
        proxies=torch.tensor([[0, 1], [1, 1]]),
        tables=[np.zeros((0, 3), np.int64), torch.rand(2, 2)])
    packed = pack_state(state)
    assert packed.dtype == torch.uint8 and packed.dim() == 1
    out = unpack_state(packed)
    assert out['schema']['attributes'] == ['Female', 'Hat']
    # JSON has no tuples: description entries come back as lists
    assert out['schema']['descriptions']['Hat'] == [
        'accessory', 'a hat', 'no hat']
    assert out['schema']['pos_ratio'] == [0.25, 0.5]
    assert out['schema']['sid_groups'] is None
    assert torch.equal(out['proxies'], state['proxies'])
    assert out['proxies'].dtype == torch.int64
    assert out['tables'][0].shape == (0, 3)
    assert torch.equal(out['tables'][1], state['tables'][1])


def test_plain_dicts_of_older_checkpoints_are_read():
    state = dict(schema=None, proxies=torch.zeros(0, 3))
    assert unpack_state(state) is state


def test_errors():
    with pytest.raises(TypeError, match='cannot hold a object'):
        pack_state(dict(x=object()))
    with pytest.raises(TypeError, match='keys must be strings'):
        pack_state({1: 2})
    with pytest.raises(ValueError, match='Corrupt extra state'):
        unpack_state(torch.tensor([255, 0, 1], dtype=torch.uint8))
    with pytest.raises(TypeError, match='uint8 tensor'):
        unpack_state(torch.zeros(3))
