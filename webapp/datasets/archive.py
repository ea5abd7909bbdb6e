"""Opening uploaded zip archives as hostile input.

Every member is checked before anything is extracted or written: no absolute paths, no
`..`, no links, no encryption, bounded member count, total size and compression ratio
(zip bombs). Members are then read one at a time, never more bytes than declared.
"""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


class ArchiveError(ValueError):
    """The archive is unsafe or unreadable; the message says which member and why."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 200_000
    max_total_bytes: int = 4 * 1024**3  # uncompressed
    max_member_bytes: int = 50 * 1024**2
    max_ratio: float = 200.0  # uncompressed / compressed, for members over 1 MiB and overall


def _check_member(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    name = info.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"{name!r}: absolute paths are not allowed in an archive")
    if ".." in path.parts:
        raise ArchiveError(f"{name!r}: '..' in a path is not allowed in an archive")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArchiveError(f"{name!r}: links are not allowed in an archive")
    if info.flag_bits & 0x1:
        raise ArchiveError(f"{name!r}: encrypted members are not supported")
    if info.file_size > limits.max_member_bytes:
        raise ArchiveError(f"{name!r}: {info.file_size} bytes is over the {limits.max_member_bytes}-byte member limit")
    if info.file_size > 1024**2 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        raise ArchiveError(f"{name!r}: compression ratio over {limits.max_ratio:g} (a zip bomb?)")


class SafeZip:
    """A checked zip archive: `files()` lists regular members, `read(info)` reads one."""

    def __init__(self, path: Path, limits: ArchiveLimits = ArchiveLimits()):
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ArchiveError(f"not a readable zip archive: {exc}") from None
        infos = self._zip.infolist()
        if len(infos) > limits.max_members:
            raise ArchiveError(f"{len(infos)} members is over the limit of {limits.max_members}")
        for info in infos:
            _check_member(info, limits)
        total = sum(i.file_size for i in infos)
        if total > limits.max_total_bytes:
            raise ArchiveError(f"{total} bytes uncompressed is over the limit of {limits.max_total_bytes}")
        compressed = sum(i.compress_size for i in infos)
        if total > 10 * 1024**2 and total > limits.max_ratio * max(compressed, 1):
            raise ArchiveError(f"overall compression ratio over {limits.max_ratio:g} (a zip bomb?)")
        self._files = [i for i in infos if not i.is_dir() and not _is_junk(i.filename)]

    def files(self) -> list[zipfile.ZipInfo]:
        return list(self._files)

    def read(self, info: zipfile.ZipInfo) -> bytes:
        # Read at most what the header declared, plus one byte to catch a lying header.
        with self._zip.open(info) as member:
            data = member.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise ArchiveError(f"{info.filename!r}: more data than its header declares")
        return data

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_junk(name: str) -> bool:
    """Files that archivers add beside the data (macOS resource forks, Finder metadata)."""
    parts = PurePosixPath(name).parts
    return "__MACOSX" in parts or parts[-1] in {".DS_Store", "Thumbs.db"} or parts[-1].startswith("._")
