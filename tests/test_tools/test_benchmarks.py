"""The benchmark scripts of issue 30 run end to end on the tiny preset
(a few runs each: their numbers are not checked here, their records and
tables are): benchmark_inference.py with its ONNX Runtime settings sweep,
benchmark_model.py's throughput mode, and a clear refusal of
``--device cuda`` where PyTorch sees no GPU."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from tests.conftest import REPO
from tests.utils import python, run

pytest.importorskip('onnxruntime')


def test_inference_benchmark_and_its_sweep(tmp_path):
    out = tmp_path / 'inference.json'
    run('tools/analysis_tools/benchmark_inference.py', '--presets', 'tiny',
        '--batch-sizes', '2', '--repeats', '1', '--warmup', '0',
        '--no-compile', '--precisions', 'fp32', 'int8', '--sweep',
        '--sweep-repeats', '1', '--pause', '0', '--out', str(out))
    record = json.load(open(out))
    assert record['device'] == 'cpu' and record['weights'] == 'random'
    (row, ) = record['rows']
    assert row['preset'] == 'tiny' and row['batch'] == 2
    assert set(row['variants']) == {'eager', 'onnxruntime',
                                    'onnxruntime_int8'}
    # the fp32 graph scores as PyTorch does; int8 differs a little
    assert row['variants']['onnxruntime']['max_difference'] < 1e-4
    assert 0 < row['variants']['onnxruntime_int8']['max_difference'] < 0.3
    settings = {r['setting'] for r in record['sweep']}
    assert {'dynamic batch', 'optimisation: disable', '1 thread',
            'IO binding', 'no spin-waiting', 'transformer fusions (vit)',
            'int8 (dynamic MatMul, Gemm)',
            'int8 dynamic, convolutions too'} <= settings
    for r in record['sweep']:
        assert r['vs_default'] == pytest.approx(r['img_s'] /
                                                r['default_img_s'])

    spec = importlib.util.spec_from_file_location(
        'generate_tables', osp.join(REPO, 'tools/misc/generate_tables.py'))
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    speed, _ = tables.inference_table(record, 'speed', {})
    assert speed[0].startswith('| preset | batch | eager | ORT fp32 | '
                               'ORT int8 |')
    assert speed[2].startswith('| tiny | 2 |')
    sweep, _ = tables.inference_table(record, 'sweep', {})
    assert len(sweep) == 2 + len(settings)


def test_training_throughput_benchmark(tmp_path):
    out = tmp_path / 'throughput.json'
    run('tools/analysis_tools/benchmark_model.py',
        'configs/clear/par_synthetic.py', '--img-size', '128', '64',
        '--throughput', '--batch-sizes', '2', '--repeats', '1',
        '--no-compile', '--peak-tflops', '2', '--out', str(out))
    record = json.load(open(out))['throughput']
    assert [r['variant'] for r in record['rows']] == [
        'fp32', 'bf16', 'channels_last'
    ]
    for r in record['rows']:
        assert r['train_img_s'] > 0 and r['infer_img_s'] > 0
        # 6 FLOPs per multiply-add of a training step, over the peak
        assert r['train_tflops'] == pytest.approx(
            6 * record['macs_per_image'] * r['train_img_s'] / 1e12)
        assert r['train_mfu'] == pytest.approx(r['train_tflops'] / 2)


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here')
def test_cuda_benchmarks_refuse_without_a_gpu():
    for script, extra in (
            ('tools/analysis_tools/benchmark_inference.py', []),
            ('tools/analysis_tools/benchmark_model.py',
             ['configs/clear/par_synthetic.py', '--throughput'])):
        proc = python(script, *extra, '--device', 'cuda')
        assert proc.returncode != 0
        assert 'PyTorch sees no CUDA device' in proc.stderr + proc.stdout
