"""Extract the text of a PDF written by matplotlib, page by page (tests only; no PDF library is installed).

Reads the cross-reference table, inflates the streams, maps each font's codes to Unicode through
its ToUnicode CMap, and joins the strings of each BT ... ET block (one drawn line) with newlines.
Enough for matplotlib's output (Type 0 / Identity-H fonts, TJ arrays); not a general PDF parser.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

__all__ = ["pdf_pages_text"]

_REF = rb"(\d+)\s+0\s+R"


class _Pdf:
    def __init__(self, data: bytes) -> None:
        self.data = data
        start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
        m = re.match(rb"xref\s+(\d+)\s+(\d+)\s+", data[start:])
        assert m, "no classic xref table"
        first, count = int(m[1]), int(m[2])
        table = data[start + m.end():]
        self.offsets = {}
        for i in range(count):
            entry = table[i * 20:(i + 1) * 20]
            if entry[17:18] == b"n":
                self.offsets[first + i] = int(entry[:10])

    def obj(self, num: int) -> tuple[bytes, bytes | None]:
        """(dictionary/body text, inflated stream or None) of object ``num``."""
        at = self.offsets[num]
        head = re.match(rb"\s*\d+\s+0\s+obj\s*", self.data[at:])
        body_start = at + head.end()
        end = self.data.index(b"endobj", body_start)
        s = self.data.find(b"stream", body_start, end)
        if s < 0:
            return self.data[body_start:end], None
        body = self.data[body_start:s]
        length = re.search(rb"/Length\s+(\d+)(\s+0\s+R)?", body)
        n = int(length[1])
        if length[2]:
            n = int(self.obj(n)[0].strip())
        start = s + len(b"stream")
        start += 2 if self.data[start:start + 2] == b"\r\n" else 1
        raw = self.data[start:start + n]
        end = self.data.index(b"endobj", start + n)
        return body, zlib.decompress(raw) if b"/FlateDecode" in body else raw

    def deref(self, text: bytes, key: bytes) -> bytes:
        """The value of ``/key`` in a dictionary, following one indirect reference."""
        m = re.search(rb"/" + key + rb"\s*(" + _REF + rb"|<<(?:[^<>]|<<[^<>]*>>)*>>)", text)
        if not m:
            return b""
        return self.obj(int(m[2]))[0] if m[2] else m[1]


def _cmap(data: bytes) -> dict[int, str]:
    out: dict[int, str] = {}
    text = data.decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]+>|\[[^\]]*\])", block):
            lo_i, hi_i = int(lo, 16), int(hi, 16)
            if dst.startswith("["):
                for i, item in enumerate(re.findall(r"<([0-9a-fA-F]+)>", dst)):
                    out[lo_i + i] = bytes.fromhex(item).decode("utf-16-be")
            else:
                base = bytes.fromhex(dst[1:-1]).decode("utf-16-be")
                for i in range(hi_i - lo_i + 1):
                    out[lo_i + i] = base[:-1] + chr(ord(base[-1]) + i)
    return out


_TOKEN = re.compile(rb"/[^\s/\[\]()<>]+|<[0-9a-fA-F\s]*>|\((?:\\.|[^\\)])*\)|\[|\]|[^\s/\[\]()<>]+")


def _literal(raw: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            i += 1
            out.append({ord("n"): 10, ord("r"): 13, ord("t"): 9}.get(raw[i], raw[i]))
        else:
            out.append(c)
        i += 1
    return bytes(out)


def pdf_pages_text(path: str | Path) -> list[str]:
    """The text of each page: one line per text block, in drawing order."""
    pdf = _Pdf(Path(path).read_bytes())
    catalog = re.search(rb"/Root\s+" + _REF, pdf.data[pdf.data.rindex(b"trailer"):])
    pages_obj = pdf.deref(pdf.obj(int(catalog[1]))[0], b"Pages")
    kids = [int(k) for k in re.findall(_REF, re.search(rb"/Kids\s*\[([^\]]*)\]", pages_obj)[1])]
    out = []
    for kid in kids:
        page = pdf.obj(kid)[0]
        resources = pdf.deref(page, b"Resources")
        fonts_text = pdf.deref(resources, b"Font")
        fonts: dict[bytes, tuple[dict[int, str], int]] = {}
        for name, num in re.findall(rb"/([^\s/<>]+)\s+" + _REF, fonts_text):
            font = pdf.obj(int(num))[0]
            tu = re.search(rb"/ToUnicode\s+" + _REF, font)
            cmap = _cmap(pdf.obj(int(tu[1]))[1] or b"") if tu else {}
            fonts[name] = (cmap, 2 if b"/Type0" in font else 1)
        contents = re.search(rb"/Contents\s+" + _REF, page)
        stream = pdf.obj(int(contents[1]))[1] or b""
        lines, line, font = [], [], (dict(), 1)
        operands: list[bytes] = []
        for tok in _TOKEN.findall(stream):
            if tok in (b"Tj", b"TJ"):
                for s in operands:
                    if s.startswith(b"<"):
                        raw = bytes.fromhex(s[1:-1].decode().replace(" ", ""))
                    elif s.startswith(b"("):
                        raw = _literal(s[1:-1])
                    else:
                        continue
                    cmap, width = font
                    for i in range(0, len(raw), width):
                        code = int.from_bytes(raw[i:i + width], "big")
                        line.append(cmap.get(code, chr(code) if width == 1 else "\ufffd"))
                operands = []
            elif tok == b"Tf":
                font = fonts.get(operands[-2][1:], ({}, 1)) if len(operands) >= 2 else font
                operands = []
            elif tok == b"ET":
                lines.append("".join(line))
                line, operands = [], []
            elif tok in (b"[", b"]"):
                continue
            elif tok[:1] in b"/<(" or re.fullmatch(rb"[-+.\d]+", tok):
                operands.append(tok)
            else:
                operands = []
        out.append("\n".join(lines))
    return out
