import os.path as osp

import cv2

# mmpretrain registers mmcv's transforms when its transforms are imported:
# that must happen before the stock name is taken over below.
import mmpretrain.datasets.transforms  # noqa: F401
from mmcv.transforms import LoadImageFromFile
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPedestrianImage(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with errors that name the file.

    Datasets read annotations only, so this is where a missing or unreadable
    image is found: a missing file raises ``FileNotFoundError`` and a file
    that does not decode raises ``ValueError``, each with its path, instead
    of a bare assertion.

    It is also registered as ``LoadImageFromFile`` in mmpretrain's
    ``TRANSFORMS`` (configs use that name), so mmpretrain's inferencers and
    tools, which find the loading step by that name to replace or drop it,
    recognise it; loading is the same, only the errors are clearer.
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if self.backend_args is None and not osp.isfile(path):
            raise FileNotFoundError(
                f'Image {path} does not exist. The annotation file lists it; '
                'check the dataset layout in docs/datasets.md.')
        if self.backend_args is None and osp.getsize(path) == 0:
            raise ValueError(f'Image {path} is empty (0 bytes).')
        try:
            out = super().transform(results)
        except (AssertionError, cv2.error):
            out = None
        if out is None:
            raise ValueError(f'Image {path} could not be decoded (corrupt or '
                             'not an image).')
        return out


# The stock name: mmpretrain's inferencers and tools (ImageClassification-
# Inferencer, verify_dataset.py, vis_tsne.py) look for it in a pipeline.
TRANSFORMS.register_module(
    name='LoadImageFromFile', module=LoadPedestrianImage, force=True)
