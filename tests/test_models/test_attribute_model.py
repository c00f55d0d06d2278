"""The one interface of the attribute retrieval models: every one declares
it, and the code that uses models asks the interface instead of probing
attributes."""
import ast
import glob
import os.path as osp

import pytest
import torch

from clear_mm.models import (AttributeModel, Cerberus, CLIPZeroShotPAR,
                             MultiTaskAttributeTransformer)
from clear_mm.models.retrievers import (ASMRRetriever, AttributeRetriever,
                                        BaseAttributeRetriever)
from clear_mm.registry import MODELS
from tests.utils import REPO


def test_every_retrieval_model_implements_it():
    for cls in (AttributeRetriever, ASMRRetriever,
                MultiTaskAttributeTransformer, Cerberus, CLIPZeroShotPAR):
        assert issubclass(cls, AttributeModel), cls
        assert not cls.__abstractmethods__, (cls, cls.__abstractmethods__)
    # the shared base of the proxy-trained models is not a model itself
    assert BaseAttributeRetriever.__abstractmethods__ == {
        'embed_images', 'encode_queries'
    }
    # what each declares
    assert Cerberus.predicts_attribute_scores
    assert not Cerberus.query_graph_exportable
    assert not Cerberus.scores_are_probabilities
    assert CLIPZeroShotPAR.embeds_text
    assert not CLIPZeroShotPAR.query_graph_exportable
    assert MultiTaskAttributeTransformer.recognition_graph_exportable


def test_a_retriever_predicts_attributes_only_with_its_trained_head():
    """CLEAR's retriever reads its frozen recognition model's head; ASMR
    trained end to end has no trained head."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs/clear/ret_synthetic.py'))
    cfg.model.par_checkpoint = None
    clear = MODELS.build(cfg.model)
    assert clear.predicts_attribute_scores
    assert clear.recognition_graph_exportable
    assert clear.text_query_forms == ['soft']
    assert clear.score_scale == cfg.model.loss.scale == 12.0
    x = torch.zeros(2, 3, 128, 64)
    assert clear.attribute_logits(x).shape == (2, 26)
    from clear_mm.models.utils.pretrained import remove_pretrained
    asmr_cfg = Config.fromfile(osp.join(REPO, 'configs/asmr/asmr_pa100k.py'))
    remove_pretrained(asmr_cfg.model)
    asmr = MODELS.build(asmr_cfg.model)
    assert not asmr.freeze_par and not asmr.predicts_attribute_scores
    assert asmr.text_query_forms == []


USERS = ('clear_mm/search', 'clear_mm/deployment', 'clear_mm/apis',
         'clear_mm/engine/hooks')


@pytest.mark.parametrize('folder', USERS)
def test_users_ask_the_interface_not_the_attributes(folder):
    """No ``hasattr(model, ...)`` / ``getattr(model, ..., default)`` on a
    model in the code that uses models."""
    probes = []
    for path in glob.glob(osp.join(REPO, folder, '**', '*.py'),
                          recursive=True):
        for node in ast.walk(ast.parse(open(path).read())):
            if (isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ('hasattr', 'getattr')
                    and node.args):
                target = ast.unparse(node.args[0])
                # _config: whether MMPretrain's get_model built it
                attribute = ast.unparse(node.args[1]) if len(
                    node.args) > 1 else ''
                if (target in ('model', 'self.model')
                        or target.endswith('.model')) and \
                        attribute != "'_config'":
                    probes.append(f'{osp.relpath(path, REPO)}:'
                                  f'{node.lineno}: {ast.unparse(node)}')
    assert not probes, probes
