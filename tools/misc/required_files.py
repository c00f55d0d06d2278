"""List every outside file a config needs: found or absent, where it must
go, and the command that fetches it on an online machine.

    python tools/misc/required_files.py configs/clear/par_pa100k.py \
        configs/clear/ret_pa100k.py configs/clip/clip_zeroshot_pa100k_crop.py

Loads nothing and goes on past absent files. Files named ``checkpoints/...``
in a config live under the checkpoints root: the CLEAR_MM_CHECKPOINTS
environment variable, else the config's ``checkpoints_root`` key, else the
repository's ``checkpoints/`` folder. Exits 0 when every required file is
found, 1 otherwise (optional ones do not count).
"""
import argparse
import sys

from mmengine.config import Config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__)
    parser.add_argument('configs', nargs='+', metavar='CONFIG')
    args = parser.parse_args(argv)
    from clear_mm.utils.checkpoints_root import set_checkpoints_root
    from clear_mm.utils.required_files import required_files
    absent, distinct = 0, set()
    for config in args.configs:
        cfg = Config.fromfile(config)
        set_checkpoints_root(None)  # each config's own key, if any
        files = required_files(cfg)
        print(f'{config}:' + ('' if files else ' no outside files'))
        for f in files:
            state = 'found ' if f.found else (
                'absent (optional)' if f.optional else 'ABSENT')
            print(f'  [{state}] {f.kind} ({f.key})\n      at {f.path}')
            if not f.found:
                print(f'      fetch: {f.fetch}')
                absent += not f.optional
                if not f.optional:
                    distinct.add(f.path)
    print(f'\n{absent} required file(s) absent ({len(distinct)} distinct).'
          if absent else '\nEvery required file is found.')
    return 1 if absent else 0


if __name__ == '__main__':
    sys.exit(main())
