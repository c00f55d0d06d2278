"""tools/analysis_tools/fault_injection.py: every fault case that needs no
training ends in a clear error or is handled (none silent or unclear);
the training ones run in tests/test_engine/test_reliability.py."""
import json

from tests.utils import run


def test_fault_injection_without_training(tmp_path):
    out = str(tmp_path / 'faults.json')
    log = run('tools/analysis_tools/fault_injection.py', '--skip-training',
              '--out', out)
    table = json.load(open(out))
    assert table['totals']['silent'] == 0, log
    assert table['totals']['unclear'] == 0, log
    cases = {row['case']: row for row in table['cases']}
    assert len(cases) >= 20
    assert cases['PA100K label 0.5']['outcome'] == 'clear'
    assert 'row 4' in cases['PA100K label 0.5']['message']
    assert cases['CSV with a byte-order mark']['outcome'] == 'handled'
