import torch
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

from clear_mm.registry import DATASETS


@DATASETS.register_module()
class CachedFeatureDataset(Dataset):
    """Precomputed features of a dataset's images, with their attribute
    labels: what :class:`RetrievalFeatureCacheHook` trains the retrieval
    adapters on instead of images.

    Each item is ``dict(inputs=feature, data_samples=DataSample with
    gt_score, is_feature=True)``; the flag tells
    :class:`RetrievalDataPreprocessor` and the model that the inputs are
    features, not images.

    Args:
        features (torch.Tensor): ``(N, C)`` features.
        labels (torch.Tensor): ``(N, A)`` 0/1 attribute labels.
        metainfo (dict, optional): The image dataset's ``metainfo``.
    """

    def __init__(self, features: torch.Tensor, labels: torch.Tensor,
                 metainfo: dict = None):
        if features.dim() != 2 or len(features) != len(labels):
            raise ValueError(
                f'CachedFeatureDataset: (N, C) features and N label rows '
                f'expected, got {tuple(features.shape)} and '
                f'{tuple(labels.shape)}.')
        self.features, self.labels = features, labels
        self.metainfo = dict(metainfo or {})

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i: int) -> dict:
        return dict(
            inputs=self.features[i],
            data_samples=DataSample().set_gt_score(self.labels[i]),
            is_feature=True)
