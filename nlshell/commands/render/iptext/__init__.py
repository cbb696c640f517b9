"""ip's own text output (``--output ip``): what ``ip``, ``bridge`` and ``tc`` print for the
same command, byte for byte, including ``-o``, ``-s``, ``-s -s``, ``-d``, ``-h``, ``-iec``
and ``-t``.

One module per object, each a set of functions from messages (and a ``RenderContext``
plus the ``Options``) to text: ``link``, ``address``, ``route``, ``neighbour``, ``rule``,
``nexthop``, ``netns``, ``bridge``, ``tc``; ``numbers`` holds ip's number formats (``-h``
and ``-iec`` sizes and rates) that several objects share.
"""
