"""Big route tables printed a run at a time: one template per shape, values sliced in.

The dump comes as ``codec.runs.Run``\\ s: messages of one shape where only a few fields
vary (the destination, its length, gateway, device, preferred source, metric). For such a
run the general renderer is asked once, for the run's first route with each varying value
replaced by a marker; the text it writes around the markers is the template, and every
route of the run is the template with its own values put in place of the markers. The
text of a value is the general renderer's own: a device name, a gateway or a metric is
rendered once per distinct value through the whole renderer and cut out of its output;
a destination is checked once to be written as its plain text. So the template path
prints what the general path prints, by construction.

A run that does not fit (another field varies, a route the selection must look at one by
one, a record of several lines, a value that renders oddly) goes the general way, route
by route: never a wrong line, only a slower one.
"""

from __future__ import annotations

from nlshell.engine.codec.constants import RTM_NEWROUTE

from . import names as N
from .route import _prefix_text, route_entry

TYPE_CHECKING = False  # typing and collections.abc cost start-up time: checkers only
if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterable
    from typing import Any

# fields a run may vary in and stay on the template path -> the entry key they make
_KEY_OF = {"RTA_DST": "dst", "dst_len": "dst", "RTA_GATEWAY": "gateway", "RTA_OIF": "dev",
           "RTA_PREFSRC": "prefsrc", "RTA_PRIORITY": "metric"}
_ORDER = ("dst", "gateway", "dev", "prefsrc", "metric")
# markers: text for the text keys, numbers out of u32 range for metric (JSON writes an
# integer without quotes: the marker must be one too)
_MARK: dict[str, Any] = {"dst": "@@nlsh-dst@@", "gateway": "@@nlsh-gw@@",
                         "dev": "@@nlsh-dev@@", "prefsrc": "@@nlsh-src@@",
                         "metric": 98765432109876}
_MARKS = frozenset(str(v) for v in _MARK.values())
_FRAGS_MAX = 4096  # distinct values of one key rendered per template before giving up


class _Template:
    """One shape's record text with slots: ``literals[0] + v0 + literals[1] + ...``."""

    __slots__ = ("keys", "literals", "fmt", "text", "frags", "entry", "first", "ok")

    def __init__(self) -> None:
        self.ok = False
        self.keys: list[str] = []
        self.literals: list[str] = []
        self.frags: dict[str, dict[Any, str]] = {}


class _Shaped:
    """The template path's common part: templates by (layout, varying fields), the
    values of a run's slots, the general path for what does not fit.

    ``render(entry, m)`` is the general renderer of one route (a str: its record).
    ``select`` keeps what the general path keeps (used on a run's first route: the
    fields it looks at do not vary in a run, see ``plain`` in ``streams.stream_routes``)."""

    def __init__(self, rctx: Any, hide: Collection[str], select: Callable[[list], list],
                 render: Callable[[dict[str, Any], Any], Any]) -> None:
        self.rctx, self.hide, self.select, self.render = rctx, frozenset(hide), select, render
        self._templates: dict[tuple, _Template] = {}

    def shaped(self, runs: list[Any], sep: str,
               general: Callable[[list], Iterable[str]]) -> list[str]:
        """The records of `runs`: a run that fits its template as one slice of text (its
        records joined by `sep`), any other through `general` (its selected messages)."""
        out: list[str] = []
        for run in runs:
            t = self.template(run) if run.n > 1 else None
            if t is not None:
                if not self.keeps(t):
                    continue
                text = self.joined(t, run, sep)
                if text is not None:
                    out.append(text)
                    continue
            out.extend(general(self.general(run)))
        return out

    def template(self, run: Any, extra: tuple = ()) -> _Template | None:
        key = (run.key(), run.cls, run.varying, *extra)
        t = self._templates.get(key)
        if t is None:
            if len(self._templates) > 256:
                self._templates.clear()
            t = self._templates[key] = self._make(run)
        return t if t.ok else None

    def _make(self, run: Any) -> _Template:
        t = _Template()
        if not run.varying.issubset(_KEY_OF):
            return t
        m = run.alone()
        if m.type != RTM_NEWROUTE:
            return t
        e = route_entry(m, self.rctx, self.hide)
        keys = [k for k in _ORDER if k in e and k in {_KEY_OF[f] for f in run.varying}]
        marked = dict(e)
        for k in keys:
            marked[k] = _MARK[k]
        t.entry, t.first = marked, m
        t.keys = keys
        if not self._layout(t, self.render(marked, m)):
            return t
        t.frags = {k: {} for k in keys}
        # the destination is sliced in as its plain text: check the renderer writes it so
        if "dst" in keys and not self.plain(self.frag(t, "dst", e["dst"]), e["dst"]):
            return t
        t.ok = True
        return t

    def _layout(self, t: _Template, text: Any) -> bool:
        """Cut the marked record into literals around the markers (each once)."""
        if not isinstance(text, str) or "\n" in text or "\x00" in text:
            return False  # several lines (-o may keep a break: see iptext.route)
        order = sorted((text.find(str(_MARK[k])), k) for k in t.keys)
        if any(pos < 0 or text.count(str(_MARK[k])) != 1 for pos, k in order):
            return False
        t.keys = [k for _pos, k in order]
        lits, rest = [], text
        for k in t.keys:
            before, rest = rest.split(str(_MARK[k]))
            lits.append(before)
        lits.append(rest)
        t.literals = lits
        t.text = text
        t.fmt = "%s".join(s.replace("%", "%%") for s in lits)
        return True

    def plain(self, frag: str | None, value: str) -> bool:
        """Is ``frag`` how this renderer writes ``value`` as it is?"""
        return frag == value

    def frag(self, t: _Template, key: str, value: Any) -> str | None:
        """What the general renderer writes for ``key`` = ``value`` in this template."""
        e = dict(t.entry)
        e[key] = value
        out = self.render(e, t.first)
        mark = str(_MARK[key])
        before, after = t.text.split(mark)
        if not isinstance(out, str) or not (out.startswith(before) and out.endswith(after)) \
                or len(out) < len(before) + len(after):
            return None
        return out[len(before):len(out) - len(after)]

    def values(self, t: _Template, run: Any) -> list[list[str]] | None:
        """Each slot's text for every route of the run, slot by slot; None if a value
        does not render as a plain piece."""
        cols = []
        for key in t.keys:
            col = self._dst(run) if key == "dst" else self._low(t, key, run)
            if col is None:
                return None
            cols.append(col)
        return cols

    def _dst(self, run: Any) -> list[str]:
        m = run.first()
        family = m["family"]
        bits = N.HOST_BITS.get(family, 0)
        varying = run.varying
        if "RTA_DST" in varying:
            addrs = run.column("RTA_DST")
        else:
            addrs = [m.get("RTA_DST")] * run.n
        if "dst_len" in varying:
            lens = run.column("dst_len")
            if addrs and addrs[0] is not None:  # the address is in the shape: all have one
                return [a if ln == bits else f"{a}/{ln}"
                        for a, ln in zip(addrs, lens, strict=True)]
            return [_prefix_text(a, ln, bits) or "default"
                    for a, ln in zip(addrs, lens, strict=True)]
        ln = m["dst_len"]
        if addrs and addrs[0] is not None and ln == bits:
            return addrs
        if addrs and addrs[0] is not None:
            suffix = f"/{ln}"
            return [a + suffix for a in addrs]
        return [_prefix_text(a, ln, bits) or "default" for a in addrs]

    def _low(self, t: _Template, key: str, run: Any) -> list[str] | None:
        field = {"gateway": "RTA_GATEWAY", "dev": "RTA_OIF", "prefsrc": "RTA_PREFSRC",
                 "metric": "RTA_PRIORITY"}[key]
        frags = t.frags[key]
        col = run.keys(field)
        ifname = self.rctx.ifname
        for v in set(col).difference(frags):
            if len(frags) >= _FRAGS_MAX:
                return None
            text = self.frag(t, key, ifname(v) if key == "dev" else run.value(field, v))
            if text is None or "\n" in text:
                return None
            frags[v] = text
        return list(map(frags.__getitem__, col))

    def joined(self, t: _Template, run: Any, sep: str) -> str | None:
        """The run's records joined by ``sep`` (no ``sep`` after the last)."""
        cols = self.values(t, run)
        if cols is None:
            return None
        lits = t.literals
        if not cols:
            return sep.join([t.text] * run.n)
        if len(cols) == 1:
            return lits[0] + (lits[1] + sep + lits[0]).join(cols[0]) + lits[1]
        return sep.join(map(t.fmt.__mod__, zip(*cols, strict=True)))

    def general(self, run: Any) -> list[Any]:
        return self.select(run.views())

    def keeps(self, t: _Template) -> bool:
        """Does the selection keep the run (its routes differ in no field it reads)?"""
        return bool(self.select([t.first]))


class TextRuns(_Shaped):
    """ip's text (``--output ip``) of runs: the text of ``lines`` per route."""

    def __init__(self, rctx: Any, hide: Collection[str], select: Callable, opts: Any
                 ) -> None:
        from .iptext.route import lines, text

        super().__init__(rctx, hide, select, lambda e, m: text(e, m, rctx))
        self.opts, self._lines = opts, lines

    def feed(self, runs: list[Any]) -> str:
        out = self.shaped(runs, "\n",
                          lambda msgs: self._lines(msgs, self.rctx, self.opts, self.hide))
        return "\n".join(out) + "\n" if out else ""


class JsonRuns(_Shaped):
    """ip -j's compact JSON items of runs, joined by commas."""

    def __init__(self, rctx: Any, hide: Collection[str], select: Callable) -> None:
        from .route import RouteFast, _dumps

        super().__init__(rctx, hide, select, lambda e, m: _dumps(e))
        self._text = RouteFast(rctx, hide).json_text

    def feed(self, runs: list[Any]) -> str:
        return ",".join(self.shaped(runs, ",", lambda msgs: map(self._text, msgs)))


class TableRuns(_Shaped):
    """The human table's lines of runs, once the table's first rows settled its columns
    (``tables.TableStream.settled``); before that, and for what does not fit, its rows go
    through the table the general way."""

    def __init__(self, rctx: Any, hide: Collection[str], select: Callable, table: Any
                 ) -> None:
        from .route import RouteRows

        self.rows = RouteRows(rctx, hide, False)
        self.table = table
        self._layout_key: tuple = ()
        self._formats: dict[int, tuple[_Template, str]] = {}
        super().__init__(rctx, hide, select, self._line)

    def _line(self, e: dict[str, Any], m: Any) -> str | None:
        """One route's table line as the settled table writes it (None: no such line)."""
        keep, widths, dropped = self._layout_key
        row = self.rows.row(e, m)
        if any(row[i] for i in dropped):
            return None  # the table would start a new block
        cells = [row[i] for i in keep]
        if any("\n" in c or "\x1b" in c for c in cells):
            return None
        from .tables import _width

        # a marker is not padded: its value is, in _joined, to the column's width
        parts = [c if c in _MARKS else c + " " * max(0, w - _width(c))
                 for c, w in zip(cells, widths, strict=True)]
        return "  ".join(parts).rstrip()

    def plain(self, frag: str | None, value: str) -> bool:
        return frag is not None and frag.rstrip() == value and \
            frag == value.ljust(len(frag))

    def feed(self, runs: list[Any]) -> None:
        table = self.table
        settled = table.settled()
        if settled is None:
            table.feed(self.rows.rows([m for run in runs for m in self.general(run)]))
            return
        keep, widths = settled
        self._layout_key = (tuple(keep), tuple(widths),
                            tuple(i for i in range(len(table.headers)) if i not in keep))
        out: list[str] = []
        for run in runs:
            t = self.template(run, self._layout_key) if run.n > 1 else None
            text = None
            if t is not None:
                if not self.keeps(t):
                    continue
                text = self._joined(t, run)
            if text is not None:
                out.append(text)
                continue
            if out:
                table.write("\n".join(out) + "\n")
                out = []
            table.feed(self.rows.rows(self.general(run)))
            settled = table.settled()  # a new block may have changed the columns
            keep, widths = settled
            self._layout_key = (tuple(keep), tuple(widths),
                                tuple(i for i in range(len(table.headers)) if i not in keep))
        if out:
            table.write("\n".join(out) + "\n")

    def _joined(self, t: _Template, run: Any) -> str | None:
        """Lines of a run: the destination padded to its column's width as the table pads
        it (``%-Ns``: a wider value is written whole), the other values as the table wrote
        them. The marked line ends as the table's lines do (stripped): a slot at its very
        end is not padded, and its values are stripped as the table strips them."""
        cols = self.values(t, run)
        if cols is None:
            return None
        fmt = self._formats.get(id(t))
        if fmt is None or fmt[0] is not t:
            fmt = self._format(t)
            if fmt is None:
                return None
        fmt = fmt[1]
        if not cols:
            return "\n".join([t.text] * run.n)
        if t.literals[-1] == "":
            cols[-1] = [v.rstrip() for v in cols[-1]]
        if len(cols) == 1:
            return "\n".join(map(fmt.__mod__, cols[0]))
        return "\n".join(map(fmt.__mod__, zip(*cols, strict=True)))

    def _format(self, t: _Template) -> tuple[_Template, str] | None:
        parts = [t.literals[0].replace("%", "%%")]
        last = len(t.keys) - 1
        for k, (key, lit) in enumerate(zip(t.keys, t.literals[1:], strict=True)):
            if key == "dst" and not (k == last and lit == ""):
                width = self._dst_width(t)
                if width is None:
                    return None
                parts.append(f"%-{width}s")
            else:
                parts.append("%s")
            parts.append(lit.replace("%", "%%"))
        if len(self._formats) > 256:
            self._formats.clear()
        got = self._formats[id(t)] = (t, "".join(parts))
        return got

    def _dst_width(self, t: _Template) -> int | None:
        keep, widths, _dropped = self._layout_key
        row = self.rows.row(t.entry, t.first)
        for i, w in zip(keep, widths, strict=True):
            if row[i] == _MARK["dst"]:
                return w
        return None
