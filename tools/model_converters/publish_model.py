"""Make a trained checkpoint publishable, as MMPretrain's publish_model.py
does: drop the training state (optimizer, schedulers, message hub), keep
the weights and ``meta.dataset_meta`` (the attribute names and schema the
inferencers need), and name the file ``<out>_<YYYYMMDD>-<sha256[:8]>.pth``.
The result loads with ``torch.load(weights_only=True)`` and no allow-list
(MMPretrain's own script fails on our checkpoints: its ``torch.load``
refuses the HistoryBuffer objects in ``message_hub``).

    python tools/model_converters/publish_model.py \
        work_dirs/demo/best_par_mA_epoch_18.pth clear-tiny_synthetic.pth
"""
import argparse
import datetime
import hashlib
import io
import os
import os.path as osp

import torch

# what tools/train.py's checkpoints hold besides weights and meta
TRAINING_STATE = ('optimizer', 'param_schedulers', 'message_hub',
                  'hook_msgs', 'ema_state_dict')


def parse_args():
    parser = argparse.ArgumentParser(
        description='Strip a checkpoint for publishing')
    parser.add_argument('in_file', help='checkpoint written by tools/train.py')
    parser.add_argument(
        'out_file', help='output name; the date and hash are appended')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='allow the input to unpickle arbitrary objects (only for files '
        'you trust)')
    return parser.parse_args()


def publish(in_file: str, out_file: str) -> str:
    """Write the published checkpoint; returns its final path."""
    from clear_mm.structures.schema import plain
    from clear_mm.utils.checkpoint import load_checkpoint_file
    from clear_mm.utils.io import atomic_write
    from clear_mm.version import __version__
    checkpoint = load_checkpoint_file(in_file)
    if 'state_dict' not in checkpoint:
        checkpoint = dict(state_dict=checkpoint)
    meta = dict(checkpoint.get('meta') or {})
    if not (meta.get('dataset_meta') or {}).get('attributes'):
        raise SystemExit(
            f'{in_file} carries no dataset_meta with attribute names: the '
            'published model could not name its predictions. Publish a '
            'checkpoint written by tools/train.py.')
    published = dict(
        state_dict={
            k: v.detach().cpu().contiguous()
            for k, v in checkpoint['state_dict'].items()
        },
        meta=plain(meta))
    published['meta']['clear_mm_version'] = __version__
    buffer = io.BytesIO()
    torch.save(published, buffer)
    data = buffer.getvalue()
    try:  # the published file must load without any allow-list
        torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)
    except Exception as e:
        raise SystemExit(f'The meta of {in_file} holds objects that '
                         f'weights_only loading refuses: {e}') from None
    stem = out_file[:-4] if out_file.endswith('.pth') else out_file
    date = datetime.date.today().strftime('%Y%m%d')
    final = f'{stem}_{date}-{hashlib.sha256(data).hexdigest()[:8]}.pth'
    atomic_write(data, final)
    return final


def main():
    args = parse_args()
    if args.trust_checkpoint:
        from clear_mm.utils import trust_checkpoint
        trust_checkpoint(args.in_file)
    final = publish(args.in_file, args.out_file)
    before, after = osp.getsize(args.in_file), os.path.getsize(final)
    print(f'Published {final} ({after / 2**20:.1f} MiB; the input was '
          f'{before / 2**20:.1f} MiB)')


if __name__ == '__main__':
    main()
