from typing import Optional, Union

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from torch import nn

from clear_mm.registry import MODELS


def with_defaults(data_preprocessor: Optional[Union[dict, nn.Module]],
                  **defaults) -> Union[dict, nn.Module]:
    """A model's ``data_preprocessor`` argument with ``defaults`` (e.g.
    its ``type``) filled in where the config (or the Runner, which passes
    the config's top-level ``data_preprocessor``) left them out; a built
    module passes unchanged."""
    if data_preprocessor is None:
        data_preprocessor = {}
    if isinstance(data_preprocessor, dict):
        data_preprocessor = dict(defaults, **data_preprocessor)
    return data_preprocessor


@MODELS.register_module()
class RetrievalDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` that also passes cached visual features.

    Image batches are normalised as usual. A batch of cached f_par features
    says so (``is_feature``, set by :class:`CachedFeatureDataset`): its
    inputs are only stacked and moved to the device, with the data samples,
    and the model is told (``is_feature=True``) not to run f_par on them.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        flags = data.get('is_feature')
        if not flags:
            return super().forward(data, training)
        if not all(flags):
            raise ValueError('A batch mixes cached features and images.')
        inputs = data['inputs']
        if not torch.is_tensor(inputs):
            inputs = torch.stack(list(inputs))
        return dict(
            inputs=self.cast_data(inputs).float(),
            data_samples=self.cast_data(data.get('data_samples')),
            is_feature=True)
