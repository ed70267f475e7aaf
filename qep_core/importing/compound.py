"""The streams of an OLE compound file (the container of an old binary ``.xls``), read within bounds.

calamine reads ``.xls`` through its own compound-file reader, which trusts the sizes and sector
chains the file declares. This reader walks the same structures with every number checked against
the file's real size: a chain that loops or leaves the file, a stream declaring more bytes than its
sectors hold, a sector size other than 512 or 4096 bytes, and the file is refused (in French)
before calamine sees it. Only what the checks of :mod:`qep_core.importing.xls_scan` need is read:
the ``Workbook`` stream. Format: [MS-CFB] (header, FAT, DIFAT, directory, mini stream).
"""

from __future__ import annotations

import struct

from qep_core.importing.safety import reject

FREE, END_OF_CHAIN = 0xFFFFFFFF, 0xFFFFFFFE
MAX_REGULAR = 0xFFFFFFFA  # sector numbers above this are markers, never sectors
HEADER_DIFAT = 109
DAMAGED = "le classeur Excel 97-2003 (.xls) est abîmé ou tronqué (structure interne incohérente) : il ne peut pas être lu"


class CompoundFile:
    """A compound file's header, FAT and directory, every number checked against the data."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data
        if len(data) < 512:
            raise self._damaged()
        (major, byte_order, shift, mini_shift) = struct.unpack_from("<2xHHHH", data, 24)
        if byte_order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6:
            raise self._damaged()
        self.sector_size = 1 << shift
        self.sectors = (len(data) - self.sector_size) // self.sector_size  # the header fills sector "-1"
        (self.dir_start, self.mini_cutoff, minifat_start, self.difat_start,
         self.difat_count) = struct.unpack_from("<I4xIIxxxxII", data, 48)
        self.fat = self._read_fat()
        self.entries = self._directory()
        root_start, root_size = self.entries.get("Root Entry", (END_OF_CHAIN, 0))
        self.mini_stream = self._regular(root_start, root_size) if root_size else b""
        self.minifat = self._table(self._chain(minifat_start, self.fat)) if minifat_start <= MAX_REGULAR else []

    def _damaged(self) -> Exception:
        return reject(self.name, DAMAGED)

    def _sector(self, number: int) -> bytes:
        if number >= self.sectors:
            raise self._damaged()
        at = (number + 1) * self.sector_size
        return self.data[at:at + self.sector_size]

    @staticmethod
    def _table(blocks: list[bytes]) -> list[int]:
        joined = b"".join(blocks)
        return list(struct.unpack_from(f"<{len(joined) // 4}I", joined))

    def _read_fat(self) -> list[int]:
        numbers = list(struct.unpack_from(f"<{HEADER_DIFAT}I", self.data, 76))
        per_sector = self.sector_size // 4 - 1
        seen: set[int] = set()
        following = self.difat_start
        while following <= MAX_REGULAR:  # the DIFAT chain: each sector lists FAT sectors, then the next one
            if following in seen or len(seen) > self.sectors:
                raise self._damaged()
            seen.add(following)
            entries = struct.unpack_from(f"<{per_sector + 1}I", self._sector(following))
            numbers.extend(entries[:per_sector])
            following = entries[per_sector]
        return self._table([self._sector(n) for n in numbers if n <= MAX_REGULAR])

    def _chain(self, start: int, table: list[int]) -> list[bytes]:
        """The sectors of a chain of the FAT: refused if it loops or leaves the file."""
        blocks: list[int] = []
        seen: set[int] = set()
        current = start
        while current != END_OF_CHAIN:
            if current in seen or current >= len(table) or current > MAX_REGULAR:
                raise self._damaged()
            seen.add(current)
            blocks.append(current)
            current = table[current]
        return [self._sector(n) for n in blocks]

    def _regular(self, start: int, size: int) -> bytes:
        body = b"".join(self._chain(start, self.fat))
        if size > len(body):  # a declared size its sectors do not hold
            raise self._damaged()
        return body[:size]

    def _mini(self, start: int, size: int) -> bytes:
        parts: list[bytes] = []
        seen: set[int] = set()
        current = start
        while current != END_OF_CHAIN:
            if current in seen or current >= len(self.minifat) or (current + 1) * 64 > len(self.mini_stream):
                raise self._damaged()
            seen.add(current)
            parts.append(self.mini_stream[current * 64:(current + 1) * 64])
            current = self.minifat[current]
        body = b"".join(parts)
        if size > len(body):
            raise self._damaged()
        return body[:size]

    def _directory(self) -> dict[str, tuple[int, int]]:
        """Stream or storage name → (first sector, size); the names of a workbook are unique."""
        raw = b"".join(self._chain(self.dir_start, self.fat))
        entries: dict[str, tuple[int, int]] = {}
        for at in range(0, len(raw) - 127, 128):
            length, kind = struct.unpack_from("<HB", raw, at + 64)
            if kind not in (1, 2, 5) or not 2 <= length <= 64:
                continue
            name = raw[at:at + length - 2].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<IQ", raw, at + 116)
            if self.sector_size == 512:
                size &= 0xFFFFFFFF  # version 3: the high half is undefined
            if size > len(self.data) and kind != 5:
                raise self._damaged()
            entries.setdefault(name, (start, size))
        return entries

    def stream(self, *names: str) -> bytes | None:
        """The first of the named streams that exists (``Workbook``, or ``Book`` for Excel 5)."""
        for name in names:
            if name in self.entries:
                start, size = self.entries[name]
                return self._mini(start, size) if size < self.mini_cutoff else self._regular(start, size)
        return None
