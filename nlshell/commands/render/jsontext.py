"""ip -j's compact JSON text (``json.dumps(obj, separators=(",", ":"))``, byte for byte)
made by the C encoder of the `_json` module directly.

`import json` imports `re` (and enum, functools, collections under it): about 5 ms, more
than half of the interpreter's own start, for every ``nlshell -j``. The encoder the json
package would use for this call is the one `_json` provides; this module calls it with
the same arguments `json.JSONEncoder` passes (its defaults: ASCII only, NaN allowed,
circular references checked, keys in order). -p (indented) output still uses `json`.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _not_serializable(obj: Any) -> Any:
    # json.JSONEncoder.default's error, word for word
    raise TypeError(f"Object of type {obj.__class__.__name__} is not JSON serializable")


def _encoder() -> Any:
    # CPython's C accelerator, imported plainly: an interpreter without it fails here,
    # loudly, rather than quietly taking the slow path
    from _json import encode_basestring_ascii, make_encoder

    def dumps(obj: Any) -> str:
        if isinstance(obj, str):
            return encode_basestring_ascii(obj)
        # make_encoder(markers, default, encoder, indent, key_separator, item_separator,
        # sort_keys, skipkeys, allow_nan) as JSONEncoder.iterencode calls it, with a fresh
        # markers dict (the circular-reference check) per call
        return "".join(make_encoder({}, _not_serializable, encode_basestring_ascii, None,
                                    ":", ",", False, False, True)(obj, 0))

    return dumps


compact = _encoder()
