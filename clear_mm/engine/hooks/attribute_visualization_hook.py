import os
import os.path as osp
from typing import Optional, Sequence

from mmcv.image import imread
from mmengine.hooks import Hook
from PIL import Image

from clear_mm.registry import HOOKS


@HOOKS.register_module()
class AttributeVisualizationHook(Hook):
    """Draw test images with their predicted and true attributes
    (``tools/test.py --show-dir``): right predictions green, wrong ones
    red, missed true attributes grey, every score printed
    (:func:`clear_mm.visualization.draw_attributes`), the image at 256 rows
    in RGB order.

    Args:
        out_dir (str): Where the pictures go (``<image name>.png``).
        interval (int): Draw every ``interval``-th test image. Defaults to 1.
        thr (float): Decision threshold of the drawn predictions. Defaults
            to 0.5.
    """

    def __init__(self, out_dir: str, interval: int = 1, thr: float = 0.5):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}.')
        self.out_dir = out_dir
        self.interval = interval
        self.thr = thr
        self._seen = 0

    def before_test(self, runner) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        self._seen = 0
        self.attributes = list(
            runner.test_dataloader.dataset.metainfo['attributes'])

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        from clear_mm.visualization import draw_attributes
        for sample in outputs or []:
            index, self._seen = self._seen, self._seen + 1
            if index % self.interval or 'pred_score' not in sample:
                continue
            path = sample.img_path
            scores = sample.pred_score.float().cpu().numpy()
            gt = None
            if 'gt_score' in sample:
                gt = sample.gt_score.cpu().numpy().astype(bool)
            name = osp.splitext(osp.basename(path))[0]
            picture = draw_attributes(
                imread(path)[..., ::-1], self.attributes, scores,
                scores > self.thr, gt, title=name)
            Image.fromarray(picture).save(osp.join(self.out_dir,
                                                   f'{name}.png'))
