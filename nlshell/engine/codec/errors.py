"""The codec's one exception type."""


class DecodeError(ValueError):
    """Bytes that are not a well-formed netlink message.

    ``offset`` is the byte position (from the start of the datagram or of the
    attribute block being read) where the problem was found.
    """

    def __init__(self, message: str, offset: int | None = None) -> None:
        self.offset = offset
        if offset is not None:
            message = f"{message} (at byte {offset})"
        super().__init__(message)
