"""Assertions shared by the data tests."""
from __future__ import annotations

import pytest

from recipec.runtime.errors import DataError


def raises(code: str, fragments, fn, *args, **kw) -> DataError:
    """`fn(*args, **kw)` raises DataError `code` whose message contains every fragment."""
    with pytest.raises(DataError) as info:
        fn(*args, **kw)
    err = info.value
    assert err.code == code, (err.code, str(err))
    for f in fragments:
        assert f in str(err), (f, str(err))
    assert err.render().startswith(f"error[{code}]: ")
    return err
