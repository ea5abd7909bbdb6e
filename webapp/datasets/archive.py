"""Opening uploaded zip archives as hostile input.

Every member is checked before anything is extracted or written: no absolute paths, no
`..`, no links, no encryption, bounded member count, total size and compression ratio
(zip bombs). Members are then read one at a time, never more bytes than declared.
"""

from __future__ import annotations

import io
import os
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
    # AffectNet's and Kaggle's CSV files run to hundreds of MB; readers stream them (`open_text`).
    max_csv_bytes: int = 2 * 1024**3
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
    limit = limits.max_csv_bytes if name.lower().endswith(".csv") else limits.max_member_bytes
    if info.file_size > limit:
        raise ArchiveError(f"{name!r}: {info.file_size} bytes is over the {limit}-byte member limit")
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

    def open_text(self, info: zipfile.ZipInfo) -> io.TextIOBase:
        """A member as streamed UTF-8 text (big CSV files are never held in memory whole)."""
        return io.TextIOWrapper(self._zip.open(info), encoding="utf-8-sig", newline="")

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


# A server folder is chosen by an admin under IMPORT_ROOT, not uploaded: AffectNet's ~420,000
# images must fit, so only the member count is raised.
SERVER_FOLDER_LIMITS = ArchiveLimits(max_members=2_000_000)


@dataclass(frozen=True)
class FolderMember:
    """A regular file of a server folder, shaped like a ZipInfo for the record readers."""

    filename: str  # POSIX path relative to the folder
    file_size: int


class FolderTree:
    """A dataset folder on the server, read like a SafeZip: `files()` and `read(member)`.

    Links are skipped when listing and refused when reading, so nothing outside the folder
    (which lies under IMPORT_ROOT) is ever read.
    """

    def __init__(self, root: Path, limits: ArchiveLimits = SERVER_FOLDER_LIMITS):
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise ArchiveError(f"{root} is not a folder")
        members = []
        for folder, dirs, names in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
            for name in sorted(names):
                path = Path(folder) / name
                if path.is_symlink() or not path.is_file() or _is_junk(name):
                    continue
                members.append(FolderMember(path.relative_to(self.root).as_posix(), path.stat().st_size))
                if len(members) > limits.max_members:
                    raise ArchiveError(f"over {limits.max_members} files in {root}")
        self._files = members
        self._limits = limits

    def files(self) -> list[FolderMember]:
        return list(self._files)

    def read(self, member: FolderMember) -> bytes:
        self.read_check(member)
        path = self.root / member.filename
        limit = (
            self._limits.max_csv_bytes if member.filename.lower().endswith(".csv") else self._limits.max_member_bytes
        )
        if path.stat().st_size > limit:
            raise ArchiveError(f"{member.filename!r}: over the {limit}-byte file limit")
        return path.read_bytes()

    def open_text(self, member: FolderMember) -> io.TextIOBase:
        self.read_check(member)
        return open(self.root / member.filename, encoding="utf-8-sig", newline="")

    def read_check(self, member: FolderMember) -> None:
        path = self.root / member.filename
        if path.is_symlink() or not path.resolve().is_relative_to(self.root):
            raise ArchiveError(f"{member.filename!r}: links are not followed")

    def close(self) -> None:
        pass

    def __enter__(self) -> FolderTree:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def resolve_server_path(raw: str, root: Path | None) -> Path:
    """`raw` (relative to IMPORT_ROOT, or absolute) as a real path inside it; ArchiveError otherwise.

    Resolving first means `..`, absolute paths elsewhere and links pointing out all fail the
    same containment check.
    """
    if root is None:
        raise ArchiveError("imports from a server path are off: set IMPORT_ROOT to the folder they may come from")
    if not raw.strip() or "\x00" in raw:
        raise ArchiveError("give a file or folder under IMPORT_ROOT")
    root = Path(root).resolve()
    path = (root / raw.strip()).resolve()
    if not path.is_relative_to(root):
        raise ArchiveError(f"{raw!r} is outside IMPORT_ROOT; only paths under it can be imported")
    if not path.exists():
        raise ArchiveError(f"{raw!r} does not exist under IMPORT_ROOT")
    return path
