"""Sans-I/O rtnetlink codec: bytes in, lazy message views out; keyword data in, bytes out.

Nothing here opens a socket or starts a thread.
"""

from . import constants
from .errors import DecodeError
from .message import ErrorMessage, Message, encode, parse
from .views import AttrSet, StructView, Table

__all__ = ["AttrSet", "DecodeError", "ErrorMessage", "Message", "StructView", "Table",
           "constants", "encode", "parse"]
