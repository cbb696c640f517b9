"""The command language: one grammar read by the parser, the suggester, help and the lexer.

grammar.py declares (objects, verbs, typed params, the registry), slots.py types values,
parser.py parses lines, suggest.py completes and colours them, helptext.py renders help; one
declaration module per object registers into `grammar.REGISTRY`. Nothing heavy is imported here.
"""
