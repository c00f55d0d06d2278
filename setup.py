from setuptools import find_packages, setup


def read_requirements(path):
    with open(path) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


version = {}
with open('clear_mm/version.py') as f:
    exec(f.read(), version)

setup(
    name='clear_mm',
    version=version['__version__'],
    description='CLEAR pedestrian attribute recognition and attribute-based '
    'person retrieval for MMPretrain',
    packages=find_packages(include=['clear_mm', 'clear_mm.*']),
    python_requires='>=3.9',
    license='Apache-2.0',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require={
        'tests': read_requirements('requirements/tests.txt'),
        'deploy': read_requirements('requirements/deploy.txt'),
        'vis': read_requirements('requirements/vis.txt'),
        'search': read_requirements('requirements/search.txt'),
        'web': read_requirements('requirements/web.txt'),
    },
)
