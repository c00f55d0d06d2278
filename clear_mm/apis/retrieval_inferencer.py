import sys
from math import ceil
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.utils import track_iter_progress

from .base import ModelInferencer, ModelType, list_images

QueryType = Union[str, Sequence[str], Sequence[int], np.ndarray]


class AttributeRetrievalInferencer(ModelInferencer):
    """Attribute queries in, ranked gallery images out, for the attribute
    retrieval models: CLEAR's retriever, ASMR, the multi-task model and
    Cerberus (APS). The model-level API the search index builds on.

    A query is the attribute names present (``'Female, Backpack'`` or a
    list; every other attribute is asked to be absent) or a 0/1 vector. The
    gallery is any folder (searched recursively), ``.txt`` list or list of
    images; no labels are needed. Scores are cosine similarities of the
    L2-normalised query and image embeddings, the ranking every model here
    is trained and evaluated with (the multi-task model's fused ranking
    with PAR scores is its metric's, ``FusedRetrievalMetric``).

    Args:
        model (BaseModel | str | Config): Config file, config, model name or
            built model.
        pretrained (str, optional): The retrieval checkpoint.
        gallery (optional): Images to embed now (see :meth:`set_gallery`).
        device (str, optional): Defaults to None (CPU).
        batch_size (int): Gallery batch size. Defaults to 16.
        onnx (str, optional): An image graph exported from this model
            (``tools/deployment/export_onnx.py --kind image``, any
            precision): ONNX Runtime embeds the gallery, its batch fixed to
            the gallery batch size; the model still encodes the queries.
            Defaults to None.

    Example:
        >>> from clear_mm.apis import AttributeRetrievalInferencer
        >>> inferencer = AttributeRetrievalInferencer(
        ...     'configs/clear/ret_synthetic.py', pretrained='ret.pth',
        ...     gallery='data/synthetic/images')
        >>> inferencer('Female, Backpack, LongSleeve, Trousers', topk=5)[0]
        {'query': [...], 'results': [{'img_path': ..., 'score': 0.71}, ...]}
    """

    def __init__(self,
                 model: ModelType,
                 pretrained: Optional[str] = None,
                 gallery=None,
                 device: Optional[str] = None,
                 batch_size: int = 16,
                 metainfo: Optional[dict] = None,
                 cfg_options: Optional[dict] = None,
                 onnx: Optional[str] = None) -> None:
        super().__init__(model, pretrained, device, metainfo, cfg_options)
        self.gallery: Optional[dict] = None
        self.graph = None
        if onnx is not None:
            self.use_graph(onnx, batch_size)
        if gallery is not None:
            self.set_gallery(gallery, batch_size)

    def check_model(self, model) -> None:
        from clear_mm.models import AttributeModel
        if not isinstance(model, AttributeModel):
            raise ValueError(
                f'{type(model).__name__} does not embed attribute '
                'queries; the retrieval models are AttributeRetriever '
                '(CLEAR), ASMRRetriever, MultiTaskAttributeTransformer, '
                'Cerberus and CLIPZeroShotPAR. For attributes of images use '
                'PARInferencer.')

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # -- images ----------------------------------------------------------
    def use_graph(self, path: Optional[str], batch_size: int = 16) -> None:
        """Embed images with the exported image graph ``path`` in ONNX
        Runtime, its batch fixed to ``batch_size`` (None: back to the
        model). The graph must be this model's: its kind, class,
        attributes and input size are checked, and it must give the
        attribute scores the model predicts."""
        if path is None:
            self.graph = None
            return
        from clear_mm.deployment.onnx_export import graph_input_size
        from clear_mm.deployment.runtime import OnnxGraph
        graph = OnnxGraph(path, batch_size=batch_size)
        graph.check(type(self.model).__name__, self.attributes,
                    graph_input_size(self.config), 'image')
        name = type(self.model).__name__
        if self.model.predicts_attribute_scores and \
                'scores' not in graph.output_names:
            if not self.model.recognition_graph_exportable:
                raise ValueError(
                    f'{name} scores attributes outside a network, so its '
                    f'image graph {path} gives no scores, which the search '
                    'stores: embed with the model instead.')
            raise ValueError(
                f'{path} gives {graph.output_names}; {name} also predicts '
                'attribute scores, which the search stores: export it '
                'again with this version of '
                'tools/deployment/export_onnx.py.')
        self.graph = graph

    def _embed_batch(self, data: dict) -> List[dict]:
        """Embedding, scores (or None) and path of each image of a
        preprocessed batch."""
        samples = data['data_samples']
        if self.graph is None:
            return [
                dict(embedding=s.pred_embedding.float().cpu(),
                     score=s.pred_score.float().cpu()
                     if 'pred_score' in s else None,
                     path=s.get('img_path'))
                for s in self.model.test_step(data)
            ]
        # the pipeline's BGR uint8 images -> the graph's RGB 0-255 input
        images = torch.stack(data['inputs']).flip(1).float().numpy() \
            if isinstance(data['inputs'], (list, tuple)) else \
            data['inputs'].flip(1).float().numpy()
        out = self.graph.run(images)
        scores = out.get('scores')
        return [
            dict(embedding=torch.from_numpy(out['embeddings'][i]),
                 score=None if scores is None else torch.from_numpy(
                     scores[i]),
                 path=s.get('img_path')) for i, s in enumerate(samples)
        ]

    @torch.no_grad()
    def embed_images(self, inputs, batch_size: int = 16,
                     progress: bool = True) -> dict:
        """``embeddings`` ``(N, D)`` (L2-normalised), ``scores`` ``(N, A)``
        attribute scores when the model predicts them (else None), and
        ``img_paths`` (None for arrays) of the images ``inputs``; with a
        progress bar (and its ETA) on stderr when ``progress``."""
        items = list_images(inputs)
        embeddings, scores, paths = [], [], []
        batches = self.preprocess(items, batch_size=batch_size)
        if progress:
            batches = track_iter_progress(
                (batches, ceil(len(items) / batch_size)), file=sys.stderr)
        for data in batches:
            for item in self._embed_batch(data):
                embeddings.append(item['embedding'])
                paths.append(item['path'])
                if item['score'] is not None:
                    scores.append(item['score'])
        return dict(
            embeddings=F.normalize(torch.stack(embeddings), dim=1),
            scores=torch.stack(scores) if len(scores) == len(items) else None,
            img_paths=paths)

    def set_gallery(self, inputs, batch_size: int = 16) -> None:
        """Embed the gallery images ``inputs`` (or take an
        :meth:`embed_images` result) once, for every later query."""
        self.gallery = inputs if isinstance(inputs, dict) else \
            self.embed_images(inputs, batch_size)

    # -- queries ---------------------------------------------------------
    def query_vectors(self, queries) -> np.ndarray:
        """``(Q, A)`` 0/1 vectors of queries given by names or vectors; a
        query that puts two attributes of an exclusive group (two age
        bins) is an error."""
        from clear_mm.structures.schema import (exclusive_conflicts,
                                                vector_from_names)
        if isinstance(queries, str) or (isinstance(queries, np.ndarray)
                                        and queries.ndim == 1):
            queries = [queries]
        elif (isinstance(queries, (list, tuple)) and queries
              and isinstance(queries[0], (int, np.integer))):
            queries = [queries]
        if not len(queries):
            raise ValueError('No queries.')
        out = []
        for query in queries:
            if isinstance(query, str) or (len(query)
                                          and isinstance(query[0], str)):
                vector = vector_from_names(query, self.attributes,
                                           type(self.model).__name__)
            else:
                vector = np.asarray(query)
            if vector.shape != (len(self.attributes), ) or not np.isin(
                    vector, (0, 1)).all():
                raise ValueError(
                    f'A query vector must be 0/1 of length '
                    f'{len(self.attributes)}; got {vector!r}.')
            conflicts = exclusive_conflicts(vector, self.model.dataset_meta)
            if conflicts:
                raise ValueError(f'Query {query!r} contradicts itself: '
                                 f'{"; ".join(conflicts)}.')
            out.append(vector.astype(np.int64))
        return np.stack(out)

    @torch.no_grad()
    def encode_queries(self, queries) -> torch.Tensor:
        """``(Q, D)`` L2-normalised query embeddings."""
        vectors = torch.from_numpy(self.query_vectors(queries))
        return F.normalize(
            self.model.encode_queries(vectors.to(self.device)).float().cpu(),
            dim=1)

    def __call__(self, queries, topk: int = 5) -> List[dict]:
        """Per query: ``query`` (the attribute names present) and
        ``results``, the ``topk`` gallery images as ``{img_path, score,
        index}``, best first."""
        if self.gallery is None:
            raise RuntimeError('No gallery: call set_gallery(images) first '
                               '(or pass gallery= when building).')
        vectors = self.query_vectors(queries)
        sims = self.encode_queries(vectors) @ self.gallery['embeddings'].t()
        top = sims.topk(min(topk, sims.size(1)), dim=1)
        out = []
        for vector, scores, index in zip(vectors, *top):
            out.append(
                dict(
                    query=[a for a, v in zip(self.attributes, vector) if v],
                    results=[
                        dict(
                            img_path=self.gallery['img_paths'][int(i)],
                            score=float(s),
                            index=int(i)) for s, i in zip(scores, index)
                    ]))
        return out
