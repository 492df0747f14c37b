"""Containers for the test documents: ZIP and OLE2 files, and long deflate streams.

Written by hand rather than with zipfile, because a bomb's big member must not be
compressed in full: ``repeated_deflate`` builds a deflate stream of any length, with its
CRC-32 and Adler-32, from one compressed megabyte.
"""

from __future__ import annotations

import struct
import zlib

#: A member already deflated: (name, raw deflate bytes, inflated size, CRC-32).
Member = tuple[str, bytes, int, int]


def deflated_member(name: str, body: bytes) -> Member:
    """``body`` deflated (raw, as ZIP stores it) into a member named ``name``."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return name, compressor.compress(body) + compressor.flush(), len(body), zlib.crc32(body)


def zip_archive(members: list[Member]) -> bytes:
    """A ZIP of already deflated members: (name, deflated bytes, inflated size, CRC-32)."""
    out = bytearray()
    directory = bytearray()
    # 1980-01-01 00:00, so that the bytes do not depend on the clock.
    dos_time, dos_date = 0, (0 << 9) | (1 << 5) | 1
    for name, deflated, size, crc in members:
        encoded = name.encode("ascii")
        fields = struct.pack(
            "<HHHHHIIIHH", 20, 0, 8, dos_time, dos_date, crc, len(deflated), size, len(encoded), 0
        )
        offset = len(out)
        out += b"PK\x03\x04" + fields + encoded + deflated
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + encoded
        )
    end = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(out), 0
    )
    return bytes(out + directory + end)


def repeated_deflate(
    head: bytes, unit: bytes, count: int, tail: bytes
) -> tuple[bytes, int, int, int]:
    """Raw deflate of head + unit * count + tail, with its length, CRC-32 and Adler-32.

    Only one megabyte is ever compressed: a full flush empties the compressor's window,
    so the deflate blocks of one megabyte decode on their own and are repeated; the
    checksums of the repeats are combined arithmetically, as zlib's *_combine do.
    """
    chunk = unit * max(1, (1024 * 1024) // len(unit))
    repeats, rest = divmod(max(0, count) * len(unit), len(chunk))
    rest_bytes = chunk[:rest]
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(rest_bytes + tail) + compressor.flush()
    crc = zlib.crc32(head)
    adler = zlib.adler32(head)
    crc_repeats, adler_repeats = _repeated_checksums(chunk, repeats)
    crc = _crc32_combine(crc, crc_repeats, len(chunk) * repeats)
    adler = _adler32_combine(adler, adler_repeats, len(chunk) * repeats)
    crc = _crc32_combine(crc, zlib.crc32(rest_bytes + tail), len(rest_bytes + tail))
    adler = _adler32_combine(adler, zlib.adler32(rest_bytes + tail), len(rest_bytes + tail))
    length = len(head) + len(chunk) * repeats + len(rest_bytes) + len(tail)
    return start + block * repeats + end, length, crc, adler


def _repeated_checksums(chunk: bytes, times: int) -> tuple[int, int]:
    """CRC-32 and Adler-32 of ``chunk * times`` without building it (square and multiply)."""
    crc, adler, length = 0, 1, 0
    power_crc, power_adler, power_length = zlib.crc32(chunk), zlib.adler32(chunk), len(chunk)
    while times:
        if times & 1:
            crc = _crc32_combine(crc, power_crc, power_length)
            adler = _adler32_combine(adler, power_adler, power_length)
            length += power_length
        power_crc = _crc32_combine(power_crc, power_crc, power_length)
        power_adler = _adler32_combine(power_adler, power_adler, power_length)
        power_length *= 2
        times >>= 1
    return crc, adler


def _gf2_times(matrix: list[int], vector: int) -> int:
    total = 0
    row = 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(32)]


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """The CRC-32 of A + B from CRC(A), CRC(B) and len(B): zlib's crc32_combine."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


_ADLER_BASE = 65521


def _adler32_combine(adler1: int, adler2: int, length2: int) -> int:
    """The Adler-32 of A + B from Adler(A), Adler(B) and len(B): zlib's adler32_combine."""
    remainder = length2 % _ADLER_BASE
    sum1 = adler1 & 0xFFFF
    sum2 = (remainder * sum1) % _ADLER_BASE
    sum1 = (sum1 + (adler2 & 0xFFFF) + _ADLER_BASE - 1) % _ADLER_BASE
    sum2 = (sum2 + (adler1 >> 16) + (adler2 >> 16) + _ADLER_BASE - remainder) % _ADLER_BASE
    return sum1 | (sum2 << 16)


# --- OLE2 compound files (the container of encrypted and legacy Office files) --------

_CFB_SECTOR = 512
#: Streams of 4096 bytes or more live in ordinary sectors (no mini stream to write).
CFB_STREAM = 4096
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (MS-CFB) holding ``streams`` (each of 4096 bytes or more).

    Sector 0 is the FAT, sector 1 the directory (root + up to 3 streams), then the streams.
    """
    if len(streams) > 3 or any(len(body) < CFB_STREAM for body in streams.values()):
        raise ValueError("up to 3 streams of 4096 bytes or more")
    fat = [_FAT, _END]
    sectors: list[bytes] = []
    starts = []
    for body in streams.values():
        padded = body + b"\0" * (-len(body) % _CFB_SECTOR)
        count = len(padded) // _CFB_SECTOR
        first = 2 + len(sectors)
        starts.append(first)
        fat += [first + n + 1 for n in range(count - 1)] + [_END]
        sectors += [padded[n * _CFB_SECTOR : (n + 1) * _CFB_SECTOR] for n in range(count)]
    if len(fat) > _CFB_SECTOR // 4:
        raise ValueError("the streams need more than one FAT sector")
    fat += [_FREE] * (_CFB_SECTOR // 4 - len(fat))
    names = list(streams)
    # The root's child is the first stream; the others hang off it as right siblings,
    # in the order the format compares names (shorter first, then by upper case).
    order = sorted(range(len(names)), key=lambda n: (len(names[n]), names[n].upper()))
    entries = [_cfb_entry("Root Entry", 5, child=order[0] + 1 if order else None, start=_END)]
    for position, index in enumerate(order):
        right = order[position + 1] + 1 if position + 1 < len(order) else None
        entries.append(
            _cfb_entry(
                names[index], 2, right=right, start=starts[index], size=len(streams[names[index]])
            )
        )
    # Entries are stored by index (stream n is entry n + 1), whatever the tree order.
    by_index = [entries[0]] + [entries[1 + order.index(n)] for n in range(len(names))]
    directory = b"".join(by_index).ljust(_CFB_SECTOR, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END)
        + struct.pack("<I", 0)  # no DIFAT sectors: the header's 109 slots suffice
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<108I", *([_FREE] * 108))
    )
    return header + struct.pack("<128I", *fat) + directory + b"".join(sectors)


def _cfb_entry(
    name: str,
    kind: int,
    *,
    child: int | None = None,
    right: int | None = None,
    start: int = _END,
    size: int = 0,
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)  # colour 1: black
        + struct.pack(
            "<III", _FREE, _FREE if right is None else right, _FREE if child is None else child
        )
        + b"\0" * 16  # CLSID
        + b"\0" * 4  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )
