import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.image import imread
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from .base import ModelInferencer, ModelType, attribute_groups


def predicts_attributes(model: BaseModel) -> bool:
    """Whether ``model.predict`` fills ``pred_score`` with attribute
    scores: an MMPretrain classifier (CLEAR's recognition model, the
    baselines), or an attribute model that declares it
    (:attr:`AttributeModel.predicts_attribute_scores`)."""
    from mmpretrain.models import ImageClassifier

    from clear_mm.models import AttributeModel
    if isinstance(model, ImageClassifier):
        return True
    return isinstance(model, AttributeModel) and \
        bool(model.predicts_attribute_scores)


def load_thresholds(thr: Union[float, str, Dict[str, float]],
                    attributes: Sequence[str]) -> np.ndarray:
    """Per-attribute decision thresholds ``(A, )``: one number for all, a
    ``{name: thr}`` dict, or a file holding one (``.json``, or ``.csv`` /
    ``.txt`` lines ``name,thr``). Attributes a dict does not name keep
    0.5; unknown names and values outside (0, 1) are errors."""
    out = np.full(len(attributes), 0.5)
    source = 'thr'
    if isinstance(thr, str):
        source = thr
        if not osp.isfile(thr):
            raise FileNotFoundError(f'Threshold file {thr} does not exist.')
        with open(thr, encoding='utf-8') as f:
            text = f.read()
        if thr.endswith('.json'):
            thr = json.loads(text)
        else:
            thr = {}
            for n, line in enumerate(text.splitlines(), 1):
                if not line.strip() or line.startswith('#'):
                    continue
                parts = [p.strip() for p in line.split(',')]
                if len(parts) != 2:
                    raise ValueError(f'{source}, line {n}: {line!r}; expected '
                                     '"attribute,threshold".')
                if parts[1].lower() in ('thr', 'threshold'):
                    continue  # a header
                try:
                    thr[parts[0]] = float(parts[1])
                except ValueError:
                    raise ValueError(f'{source}, line {n}: {parts[1]!r} is '
                                     'not a number.') from None
    if isinstance(thr, dict):
        unknown = sorted(set(thr) - set(attributes))
        if unknown:
            raise KeyError(f'{source}: unknown attributes {unknown}; the '
                           f"model's attributes: {list(attributes)}.")
        for name, value in thr.items():
            if isinstance(value, bool) or not isinstance(value,
                                                         (int, float)):
                raise ValueError(f'{source}: the threshold of {name} is '
                                 f'{value!r}; expected a number in (0, 1).')
            out[list(attributes).index(name)] = value
    else:
        out[:] = float(thr)
    bad = [(a, v) for a, v in zip(attributes, out) if not 0 < v < 1]
    if bad:
        raise ValueError(f'{source}: thresholds must be in (0, 1); got {bad}.')
    return out


class PARInferencer(ModelInferencer):
    """Pedestrian attributes of images, by name, for every model here that
    predicts them.

    Args:
        model (BaseModel | str | Config): A config file, config, model name
            (:func:`clear_mm.apis.list_models`) or built model.
        pretrained (str, optional): The checkpoint (trained by
            ``tools/train.py``; it carries the attribute names). Defaults to
            None (CLIP zero-shot only).
        device (str, optional): Defaults to None (CPU).
        thr (float | str | dict): Decision thresholds (see
            :func:`load_thresholds`). Defaults to 0.5.
        resolve_groups (bool): Keep one attribute per exclusive group (the
            dataset's ``exclusion_rules``: the highest-scoring one of a
            ``'one'`` group, e.g. one age bin and one view; of an
            ``'at_most_one'`` group only if it passes its threshold).
            Defaults to True.
        metainfo (dict, optional): The schema, for a checkpoint without one.
        onnx (str, optional): A recognition graph exported from this model
            (``tools/deployment/export_onnx.py``, any precision): ONNX
            Runtime computes the scores, on the same preprocessed images;
            the model still gives the schema and the pipeline. Its
            attribute names must be the model's. Defaults to None.

    Example:
        >>> from clear_mm.apis import PARInferencer
        >>> inferencer = PARInferencer('configs/clear/par_synthetic.py',
        ...                            pretrained='work_dirs/demo/best.pth')
        >>> result = inferencer('person.jpg')[0]
        >>> result['pred_attributes']
        ['Female', 'Age18-60', 'Front', 'LongSleeve', 'Trousers']
        >>> result['scores']['Female']
        0.93
    """
    visualize_kwargs = {'show_dir', 'gt'}

    def __init__(self,
                 model: ModelType,
                 pretrained: Optional[str] = None,
                 device: Optional[str] = None,
                 thr: Union[float, str, Dict[str, float]] = 0.5,
                 resolve_groups: bool = True,
                 metainfo: Optional[dict] = None,
                 cfg_options: Optional[dict] = None,
                 onnx: Optional[str] = None) -> None:
        super().__init__(model, pretrained, device, metainfo, cfg_options)
        self.meta = self.model.dataset_meta
        self.thr = load_thresholds(thr, self.attributes)
        self.groups = attribute_groups(self.meta) if resolve_groups else []
        self.session = None if onnx is None else self._open_graph(onnx)

    def _open_graph(self, path: str):
        """The ONNX Runtime session of ``path``, checked against the model:
        its kind, attribute names and input size."""
        from clear_mm.deployment.onnx_export import graph_input_size
        from clear_mm.deployment.runtime import OnnxGraph
        graph = OnnxGraph(path)
        graph.check(type(self.model).__name__, self.attributes,
                    graph_input_size(self.config), 'recognition')
        return graph

    def forward(self, inputs: dict, **kwargs) -> List[DataSample]:
        if self.session is None:
            return super().forward(inputs, **kwargs)
        # the pipeline's BGR uint8 images -> the graph's RGB 0-255 input
        images = inputs['inputs'].flip(1).float().numpy()
        scores = self.session.run(images)['scores']
        samples = inputs['data_samples']
        for sample, score in zip(samples, scores):
            sample.set_pred_score(torch.from_numpy(score))
        return samples

    def check_model(self, model: BaseModel) -> None:
        if not predicts_attributes(model):
            raise ValueError(
                f'{type(model).__name__} does not predict attributes '
                '(ASMR trains its visual model for retrieval only): use '
                'AttributeRetrievalInferencer, or the recognition model it '
                'was built on.')

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """``(A, )`` bool: scores above their thresholds, one attribute per
        exclusive group."""
        pred = scores > self.thr
        for _, rule, cols in self.groups:
            best = cols[int(np.argmax(scores[cols]))]
            pred[cols] = False
            pred[best] = rule == 'one' or scores[best] > self.thr[best]
        return pred

    def _scores(self, sample: DataSample) -> np.ndarray:
        if 'pred_score' not in sample:
            raise RuntimeError(f'{type(self.model).__name__} gave no '
                               'attribute scores.')
        return sample.pred_score.detach().cpu().float().numpy()

    def gt_vector(self, gt) -> np.ndarray:
        """True attributes as names (``'Female, Backpack'``, a list) or a
        0/1 vector."""
        from clear_mm.structures.schema import vector_from_names
        if isinstance(gt, str) or (len(gt) and isinstance(gt[0], str)):
            return vector_from_names(gt, self.attributes).astype(bool)
        gt = np.asarray(gt)
        if gt.shape != (len(self.attributes), ) or not np.isin(gt,
                                                               (0, 1)).all():
            raise ValueError(
                f'A true-attribute vector must be 0/1 of length '
                f'{len(self.attributes)}; got shape {gt.shape}.')
        return gt.astype(bool)

    def visualize(self,
                  ori_inputs: list,
                  preds: List[DataSample],
                  show_dir: Optional[str] = None,
                  gt: Optional[Sequence] = None) -> Optional[List]:
        """With ``show_dir``, a picture per image: the image and its
        predicted attributes (with ``gt``, one entry of true attributes per
        image, right ones green, wrong ones red, missed ones grey)."""
        if show_dir is None:
            return None
        from clear_mm.visualization import draw_attributes
        if gt is not None and len(gt) != len(ori_inputs):
            raise ValueError(f'gt: {len(gt)} entries for {len(ori_inputs)} '
                             'images.')
        os.makedirs(show_dir, exist_ok=True)
        pictures, used = [], set()
        for i, (item, sample) in enumerate(zip(ori_inputs, preds)):
            image = item if isinstance(item, np.ndarray) else imread(item)
            scores = self._scores(sample)
            name = f'{i:06d}' if isinstance(item, np.ndarray) else \
                osp.splitext(osp.basename(item))[0]
            if name in used:
                name = f'{name}_{i}'
            used.add(name)
            picture = draw_attributes(
                image[..., ::-1], self.attributes, scores,
                self.decide(scores),
                None if gt is None else self.gt_vector(gt[i]), title=name)
            path = osp.join(show_dir, f'{name}.png')
            from PIL import Image
            Image.fromarray(picture).save(path)
            pictures.append(path)
        return pictures

    def postprocess(self,
                    preds: List[DataSample],
                    visualization: Optional[List] = None,
                    return_datasamples: bool = False) -> list:
        """Per image: ``img_path``, ``scores`` (``{attribute: score}``),
        ``pred_attributes`` (names, after thresholds and exclusive
        groups), ``pred_label`` (0/1 per attribute) and, with a picture,
        ``visualization`` (its path)."""
        if return_datasamples:
            return preds
        results = []
        for i, sample in enumerate(preds):
            scores = self._scores(sample)
            pred = self.decide(scores)
            result = dict(
                img_path=sample.get('img_path'),
                scores=dict(zip(self.attributes, scores.tolist())),
                pred_attributes=[a for a, p in zip(self.attributes, pred)
                                 if p],
                pred_label=pred.astype(int).tolist())
            if visualization:
                result['visualization'] = visualization[i]
            results.append(result)
        return results
