"""Files written so that a crash leaves the old file or the whole new one."""
import io
import os
import os.path as osp
import tempfile

import torch


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. a platform without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(data: bytes, filepath: str) -> None:
    """Write ``data`` to ``filepath`` so that a crash leaves either the old
    file or the complete new one: a temporary file in the same folder,
    flushed and fsync'ed, then ``os.replace``."""
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(folder)


def atomic_torch_save(obj, filepath: str) -> None:
    """``torch.save(obj, filepath)`` through :func:`atomic_write`."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write(buffer.getvalue(), filepath)


def read_utf8(path: str) -> str:
    """A text file's content; a byte-order mark is dropped (it is not part
    of the first cell), and a file that is not UTF-8 is a ``ValueError``
    naming the file and the offending bytes."""
    try:
        with open(path, encoding='utf-8-sig', newline='') as f:
            return f.read()
    except UnicodeDecodeError as e:
        raise ValueError(
            f'{path} is not UTF-8 text (byte {e.start}: '
            f'{e.object[e.start:e.start + 8]!r}); save it as UTF-8.') from None
