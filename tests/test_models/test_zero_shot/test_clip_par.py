"""CLIP zero-shot PAR (paper 002) on a tiny random CLIP: prompts, the
group softmax, the person crop and the wiring into tools/test.py."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from clear_mm.datasets import PA100K
from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
from clear_mm.models import TorchvisionPersonCrop, attribute_prompts, letterbox
from clear_mm.registry import MODELS
from tests.conftest import REPO
from tests.utils import cli, run, small

TABLE = PA100K.METAINFO['descriptions']
RULES = PA100K.METAINFO['exclusion_rules']


def test_prompts_from_the_description_tables():
    p = attribute_prompts(['Hat', 'Female', 'AgeOver60', 'Backpack',
                           'ShortSleeve'], TABLE)
    assert p['Hat'] == ('a photo of a person wearing a hat.',
                        'a photo of a person not wearing a hat.')
    assert p['Female'] == ('a photo of a woman.', 'a photo of a man.')
    assert p['AgeOver60'][0] == 'a photo of an elderly person.'
    assert p['Backpack'] == ('a photo of a person carrying a backpack.',
                             'a photo of a person not carrying a backpack.')
    assert p['ShortSleeve'][0] == 'a photo of a person wearing short sleeves.'
    own = attribute_prompts(['Hat'], TABLE,
                            prompts={'Hat': ('a cap', 'no cap')})
    assert own['Hat'] == ('a cap', 'no cap')
    with pytest.raises(KeyError, match="'Wings' has no prompt"):
        attribute_prompts(['Wings'], TABLE)
    with pytest.raises(KeyError, match="metainfo\\['descriptions'\\]"):
        attribute_prompts(['Hat'], {})


def test_scores_binary_and_grouped(tiny_clip):
    model = MODELS.build(dict(type='CLIPZeroShotPAR', clip=tiny_clip))
    attrs = ['Female', 'AgeOver60', 'Age18-60', 'AgeLess18', 'Hat']
    groups = dict(gender=['Female'], age=attrs[1:4], accessory=['Hat'])
    model.set_dataset_meta(dict(attributes=attrs, attribute_groups=groups,
                                descriptions=TABLE, exclusion_rules=RULES))
    assert model.groups == [[1, 2, 3]]  # PA100K: exactly one age bin
    images = torch.rand(2, 3, 64, 32)
    scores = model.attribute_scores(images)
    # independent computation from the CLIP model's outputs
    pixels = model.prepare_images(images)
    img = F.normalize(model.clip.get_image_features(
        pixel_values=pixels).pooler_output, dim=-1)
    pairs = attribute_prompts(attrs, TABLE)
    tok = model.tokenizer([t for a in attrs for t in pairs[a]],
                          padding=True, return_tensors='pt')
    txt = F.normalize(model.clip.get_text_features(**tok).pooler_output,
                      dim=-1).view(5, 2, -1)
    logit = model.clip.logit_scale.exp() * torch.einsum(
        'bd,atd->bat', img, txt)
    binary = torch.sigmoid(logit[..., 0] - logit[..., 1])
    torch.testing.assert_close(scores[:, [0, 4]], binary[:, [0, 4]])
    torch.testing.assert_close(scores[:, 1:4],
                               logit[:, 1:4, 0].softmax(-1))
    # letterboxed to CLIP's 32x32, aspect kept
    assert pixels.shape == (2, 3, 32, 32)
    preds = model.predict(images)
    assert preds[0].pred_score.shape == (5, )
    with pytest.raises(RuntimeError, match='zero-shot'):
        model(images, mode='loss')


def test_explicit_groups_and_errors(tiny_clip):
    model = MODELS.build(dict(type='CLIPZeroShotPAR', clip=tiny_clip,
                              groups=[['Hat', 'Nope']]))
    with pytest.raises(ValueError, match=r"unknown: \['Nope'\]"):
        model.set_dataset_meta(dict(attributes=['Hat', 'Female'],
                                    descriptions=TABLE))
    with pytest.raises(ValueError, match='needs 0-1 RGB input'):
        MODELS.build(dict(type='CLIPZeroShotPAR', clip=tiny_clip,
                          data_preprocessor=dict(mean=[123.675, 116.28,
                                                       103.53],
                                                 std=[58.395, 57.12, 57.375])))
    with pytest.raises(FileNotFoundError, match='Nothing is downloaded'):
        MODELS.build(dict(type='CLIPZeroShotPAR', clip='/no/such/clip'))
    fresh = MODELS.build(dict(type='CLIPZeroShotPAR', clip=tiny_clip))
    with pytest.raises(RuntimeError, match='DatasetMetaHook'):
        fresh.attribute_scores(torch.rand(1, 3, 32, 16))


def test_letterbox_keeps_aspect():
    img = torch.ones(3, 64, 32)
    out = letterbox(img, 32, fill=0.0)
    assert out.shape == (3, 32, 32)
    assert out[:, :, 8:24].min() > 0.99  # the 32x16 image, centred
    assert out[:, :, :8].abs().max() == 0 and out[:, :, 24:].abs().max() == 0


def test_person_crop_keeps_the_largest_person():
    crop = TorchvisionPersonCrop(arch='fasterrcnn_resnet50_fpn',
                                 score_thr=0.5)
    output = dict(
        boxes=torch.tensor([[0., 0., 40., 40.], [2., 4., 12., 30.],
                            [0., 0., 8., 8.], [10., 2., 30., 60.]]),
        labels=torch.tensor([3, 1, 1, 1]),  # a car, then three people
        scores=torch.tensor([0.99, 0.9, 0.95, 0.3]))
    person = crop.select(output)  # the largest box is a car, the last
    torch.testing.assert_close(person['box'], output['boxes'][1])  # < thr
    image = torch.rand(3, 64, 32)
    assert crop.crop(image, person).shape == (3, 26, 10)
    assert crop.select(dict(boxes=output['boxes'][:1],
                            labels=torch.tensor([3]),
                            scores=torch.tensor([0.99]))) is None
    assert crop.crop(image, None) is image
    # with a mask, the background becomes `fill`
    mask = torch.zeros(64, 32)
    mask[10:20, 5:10] = 1
    out = crop.crop(image, dict(box=torch.tensor([0., 0., 32., 64.]),
                                mask=mask))
    assert (out[:, :10] == 0.5).all()
    torch.testing.assert_close(out[:, 10:20, 5:10], image[:, 10:20, 5:10])


def test_random_mask_rcnn_runs():
    """A real torchvision Mask R-CNN (random weights whose classifier sees
    people everywhere): forward gives the masked crop of the largest
    person box, computed here from the detector's raw output; the whole
    image when nobody passes the threshold."""
    torch.manual_seed(0)
    crop = TorchvisionPersonCrop(score_thr=0.0)
    crop.detector.transform.min_size = (64, )
    crop.detector.transform.max_size = 64
    with torch.no_grad():  # random weights that see people everywhere
        bias = crop.detector.roi_heads.box_predictor.cls_score.bias
        bias.fill_(-10.)
        bias[1] = 10.
    image = torch.rand(1, 3, 64, 32)
    out = crop(image)
    with torch.no_grad():
        det = crop.detector(list(image))[0]
    # computed here: the person (COCO label 1) box of the largest area,
    # the pixels outside its mask (>= 0.5) set to the fill, then the box
    people = [i for i in range(len(det['labels'])) if det['labels'][i] == 1]
    assert len(people) > 1, 'the detector found no people to choose from'
    areas = [float((det['boxes'][i, 2] - det['boxes'][i, 0]) *
                   (det['boxes'][i, 3] - det['boxes'][i, 1])) for i in people]
    best = people[int(np.argmax(areas))]
    masked = image[0].clone()
    masked[:, det['masks'][best, 0] < 0.5] = crop.fill
    x1, y1, x2, y2 = det['boxes'][best].tolist()
    want = masked[:, max(int(y1), 0):min(round(y2), 64),
                  max(int(x1), 0):min(round(x2), 32)]
    assert len(out) == 1
    torch.testing.assert_close(out[0], want)
    crop.score_thr = 2.0  # nobody scores that high: the whole image
    assert torch.equal(crop(image)[0], image[0])


def test_tools_test_without_checkpoint(tmp_path, tiny_clip):
    """tools/test.py with no checkpoint: DatasetMetaHook gives the model the
    dataset's attributes, PARMetric evaluates the zero-shot scores."""
    config = osp.join(REPO, 'configs', 'clip', 'clip_zeroshot_synthetic.py')
    opts = {
        k: v for k, v in small(tmp_path, 1).items()
        if k.startswith('test_dataloader')
    }
    opts['model.clip'] = tiny_clip
    work = str(tmp_path / 'work')
    out = run('tools/test.py', config, '--work-dir', work, '--out',
              osp.join(work, 'metrics.json'), *cli(opts))
    assert f'CLIPZeroShotPAR: {len(ATTRIBUTES)} attributes, 3 exclusive ' \
        'groups' in out
    metrics = json.load(open(osp.join(work, 'metrics.json')))
    # PARMetric, every attribute's mA and paper 002's Table 4 rows
    table4 = {f'par/{name}/{key}'
              for name in ('Female', 'Hat', 'Glasses', 'Bags')
              for key in ('samples', 'precision', 'recall', 'f1', 'mA')}
    assert set(metrics) == {
        'par/mA', 'par/accuracy', 'par/precision', 'par/recall', 'par/f1'
    } | table4 | {f'par/mA_{a}' for a in ATTRIBUTES}
