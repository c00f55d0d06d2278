import csv
import json
import os
import os.path as osp
from typing import Any, Optional, Sequence

import numpy as np
from mmengine.evaluator import DumpResults
from mmengine.fileio import dump
from mmengine.logging import print_log

from clear_mm.registry import METRICS

# what a prediction dump keeps of each data sample
FIELDS = ('gt_score', 'gt_ignore', 'pred_score', 'pred_embedding')


@METRICS.register_module()
class DumpPredictions(DumpResults):
    """Write each test image's prediction to a file (``tools/test.py
    --dump``), like MMEngine's ``DumpResults`` (``.pkl``: a list of dicts,
    the format ``mmpretrain``'s ``tools/test.py --out-item pred`` writes),
    plus readable formats that name the attributes:

    - ``.json``: ``{"attributes": [...], "predictions": [{img_path,
      gt_score, pred_score, pred_embedding}, ...]}``;
    - ``.csv``: one row per image: ``img_path``, then the score of every
      attribute (``pred_score``) and its true label (``gt_<name>``).

    A model that predicts no attribute scores (retrieval models) dumps its
    image embeddings (``pred_embedding``; ``.pkl`` or ``.json``).

    Args:
        out_file_path (str): ``.pkl``, ``.json`` or ``.csv`` file.
    """

    def __init__(self, out_file_path: str, collect_device: str = 'cpu',
                 collect_dir: Optional[str] = None) -> None:
        if not out_file_path.endswith(('.pkl', '.pickle', '.json', '.csv')):
            raise ValueError(f'{out_file_path}: a prediction dump is a .pkl, '
                             '.json or .csv file.')
        # DumpResults takes .pkl only; the suffix is checked above
        super().__init__('.pkl', collect_device, collect_dir)
        self.out_file_path = out_file_path

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            out = dict(img_path=sample.get('img_path'))
            for key in FIELDS:
                if key in sample:
                    out[key] = np.asarray(sample[key].cpu()).tolist()
            self.results.append(out)

    def compute_metrics(self, results: list) -> dict:
        attributes = list((self.dataset_meta or {}).get('attributes') or [])
        folder = osp.dirname(osp.abspath(self.out_file_path))
        os.makedirs(folder, exist_ok=True)
        if self.out_file_path.endswith('.csv'):
            self._write_csv(results, attributes)
        elif self.out_file_path.endswith('.json'):
            with open(self.out_file_path, 'w', encoding='utf-8') as f:
                json.dump(dict(attributes=attributes, predictions=results), f)
        else:
            dump(results, self.out_file_path)
        print_log(
            f'{len(results)} predictions written to {self.out_file_path}.',
            logger='current')
        return {}

    def _write_csv(self, results: list, attributes: list) -> None:
        if not results or 'pred_score' not in results[0]:
            raise ValueError(
                f'{self.out_file_path}: the model predicts no attribute '
                'scores (a retrieval model); dump its embeddings to a .pkl '
                'or .json file.')
        has_gt = 'gt_score' in results[0]
        with open(self.out_file_path, 'w', newline='', encoding='utf-8') as f:
            writer = csv.writer(f)
            writer.writerow(['img_path'] + attributes +
                            ([f'gt_{a}' for a in attributes] if has_gt else
                             []))
            for r in results:
                gt = [int(v) for v in r['gt_score']] if has_gt else []
                writer.writerow([r['img_path']] +
                                [f'{s:.4f}' for s in r['pred_score']] + gt)
