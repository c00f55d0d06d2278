"""A fork server for the suite's Python subprocesses.

Most of a tool's start-up is importing torch, MMEngine and MMPretrain
(about 4 s of the 5 s ``tools/train.py`` takes to start on this machine).
This process imports those host libraries once, runs no computation, and
forks one child per request; the child runs the script as ``python`` would
(``__main__``, ``sys.argv``, ``sys.path[0]``, working directory,
environment, its own stdout / stderr) and exits with the script's status,
so exit codes and signals (a SIGKILL fault) are those of a real process.
clear_mm itself is not imported here: each child imports it as a fresh
interpreter would, so a tool that forgets an import still fails.

Protocol (one request at a time): a JSON line on stdin ``{argv, cwd,
env, stdout, stderr}`` (``argv`` is a script path and its arguments, or
``['-c', code, ...]``; ``stdout`` / ``stderr`` are files the child writes);
the answer is a JSON line ``{pid}`` when the child starts and
``{returncode}`` when it ends (``-N`` for signal ``N``). A line
``{"kill": true}`` kills the running child (a timeout).
"""
import json
import os
import runpy
import select
import signal
import sys
import traceback


def preload() -> None:
    import numpy  # noqa: F401
    import PIL.Image  # noqa: F401
    import torch  # noqa: F401
    import torchvision  # noqa: F401
    import mmengine.runner  # noqa: F401
    import mmcv.transforms  # noqa: F401
    import mmpretrain.datasets  # noqa: F401
    import mmpretrain.engine  # noqa: F401
    import mmpretrain.evaluation  # noqa: F401
    import mmpretrain.models  # noqa: F401


# sys.path as a fresh interpreter has it, without this file's folder
BASE_PATH = [p for p in sys.path
             if p != os.path.dirname(os.path.abspath(__file__))]


def child(request: dict) -> None:
    """In the forked child: become ``python ARGV`` and exit with its
    status (never returns)."""
    code = 1
    try:
        os.setpgid(0, 0)  # its own group: a timeout kills its children too
        for fd, path in ((1, request['stdout']), (2, request['stderr'])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(out, fd)
            os.close(out)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        argv = request['argv']
        extra = [p for p in request['env'].get('PYTHONPATH', '').split(
            os.pathsep) if p]
        if argv[0] == '-c':
            sys.argv = ['-c', *argv[2:]]
            sys.path[:] = [''] + extra + BASE_PATH
            code = 0
            exec(compile(argv[1], '<string>', 'exec'),
                 {'__name__': '__main__'})
        else:
            sys.argv = list(argv)
            sys.path[:] = [os.path.dirname(os.path.abspath(argv[0]))
                           ] + extra + BASE_PATH
            code = 0
            runpy.run_path(argv[0], run_name='__main__')
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve() -> None:
    preload()
    print(json.dumps(dict(ready=True)), flush=True)
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        request = json.loads(line)
        if request.get('kill'):
            continue  # no child is running any more
        pid = os.fork()
        if pid == 0:
            child(request)
        print(json.dumps(dict(pid=pid)), flush=True)
        while True:
            ready, _, _ = select.select([sys.stdin], [], [], 0.05)
            if ready:
                message = sys.stdin.readline()
                if not message or json.loads(message).get('kill'):
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
        returncode = (-os.WTERMSIG(status) if os.WIFSIGNALED(status)
                      else os.WEXITSTATUS(status))
        print(json.dumps(dict(returncode=returncode)), flush=True)


if __name__ == '__main__':
    serve()
