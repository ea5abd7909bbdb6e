"""Zip archives are hostile input: unsafe members are refused before anything is read."""

import stat
import zipfile

import pytest

from tests.archives import FER2013_SMALL, zip_folder
from webapp.datasets.archive import ArchiveError, ArchiveLimits, SafeZip


def _zip_with(tmp_path, name, data=b"x", **info_fields):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        for field, value in info_fields.items():
            setattr(info, field, value)
        archive.writestr(info, data)
    return path


def test_a_good_archive_lists_its_files_and_skips_junk(tmp_path):
    path = zip_folder(FER2013_SMALL, tmp_path / "ok.zip", extra={"__MACOSX/._a.jpg": b"x", "train/.DS_Store": b"x"})
    with SafeZip(path) as archive:
        names = [i.filename for i in archive.files()]
        assert len(names) == 21 and all(n.endswith(".jpg") for n in names)
        assert archive.read(archive.files()[0])[:2] == b"\xff\xd8"  # a JPEG


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("/etc/passwd", "absolute paths"),
        ("C:/windows/x.jpg", "absolute paths"),
        ("train/../../x.jpg", "'..'"),
        ("..\\x.jpg", "'..'"),
    ],
)
def test_unsafe_paths_are_refused(tmp_path, name, message):
    with pytest.raises(ArchiveError, match=message):
        SafeZip(_zip_with(tmp_path, name))


def test_links_are_refused(tmp_path):
    path = _zip_with(tmp_path, "train/happy/link.jpg", b"/etc/passwd", external_attr=(stat.S_IFLNK | 0o777) << 16)
    with pytest.raises(ArchiveError, match="links are not allowed"):
        SafeZip(path)


def test_zip_bombs_are_refused(tmp_path):
    path = _zip_with(tmp_path, "train/happy/zeros.jpg", bytes(20 * 1024**2))
    with pytest.raises(ArchiveError, match="compression ratio"):
        SafeZip(path)


def test_size_and_count_limits(tmp_path):
    path = zip_folder(FER2013_SMALL, tmp_path / "ok.zip")
    with pytest.raises(ArchiveError, match="members is over the limit"):
        SafeZip(path, ArchiveLimits(max_members=5))
    with pytest.raises(ArchiveError, match="uncompressed is over the limit"):
        SafeZip(path, ArchiveLimits(max_total_bytes=10_000))
    with pytest.raises(ArchiveError, match="member limit"):
        SafeZip(path, ArchiveLimits(max_member_bytes=100))


def test_not_a_zip(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"hello")
    with pytest.raises(ArchiveError, match="not a readable zip archive"):
        SafeZip(tmp_path / "x.zip")
