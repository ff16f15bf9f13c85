"""Readers of standard dataset files (MNIST/Fashion-MNIST IDX, CIFAR binary batches, image
folders) and checksum-verified downloads, on tiny files written here in the real formats."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import sys
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lucid.data import (
    CIFAR10,
    CIFAR100,
    MNIST,
    DataLoader,
    DatasetFolder,
    FashionMNIST,
    ImageFolder,
    download_url,
)
from lucid.data import transforms as T
from lucid.data.mnist import read_idx


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """An IDX file: 0, 0, type code, ndim, big-endian uint32 dims, big-endian data."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}[type_code]
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(dtype).tobytes()


def write_mnist(root: Path, name: str = "MNIST", n_train: int = 5, n_test: int = 3,
                gz: bool = False) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    for stem, arr in arrays.items():
        data = idx_bytes(arr)
        if gz:
            (raw / (stem + ".gz")).write_bytes(gzip.compress(data))
        else:
            (raw / stem).write_bytes(data)
    return arrays


def test_read_idx_types_and_header(tmp_path):
    arr = np.arange(6).reshape(2, 3)
    for code, dtype in ((0x08, np.uint8), (0x0B, np.int16), (0x0C, np.int32)):
        (tmp_path / "f").write_bytes(idx_bytes(arr, code))
        got = read_idx(tmp_path / "f")
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, arr)
    (tmp_path / "g.gz").write_bytes(gzip.compress(idx_bytes(np.array([1.5, -2.0]), 0x0D)))
    f = read_idx(tmp_path / "g.gz")
    assert f.dtype == np.float32 and f.tolist() == [1.5, -2.0]


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_torchvisions_layout(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    train = MNIST(tmp_path)
    test = MNIST(tmp_path, train=False)
    assert len(train) == 5 and len(test) == 3
    np.testing.assert_array_equal(train.data, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets, arrays["t10k-labels-idx1-ubyte"])
    img, label = train[2]
    assert img.shape == (28, 28) and img.dtype == np.uint8
    assert label == int(arrays["train-labels-idx1-ubyte"][2]) and isinstance(label, int)
    assert train.classes[0] == "0 - zero" and train.class_to_idx["9 - nine"] == 9
    with_tf = MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda y: y + 100)
    x, y = with_tf[0]
    assert x.shape == (1, 28, 28) and y == arrays["train-labels-idx1-ubyte"][0] + 100
    xb, yb = next(iter(DataLoader(with_tf, batch_size=4)))
    assert xb.shape == (4, 1, 28, 28)


def test_fashion_mnist_has_its_own_folder_and_classes(tmp_path):
    write_mnist(tmp_path, name="FashionMNIST")
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 5 and ds.classes[9] == "Ankle boot"
    with pytest.raises(RuntimeError, match=r"MNIST not found: expected "
                                           r"train-images-idx3-ubyte\(\.gz\) in .*MNIST/raw\. "
                                           r"Use download=True"):
        MNIST(tmp_path)


def test_mnist_damaged_files_are_named(tmp_path):
    write_mnist(tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    path = raw / "train-images-idx3-ubyte"
    good = path.read_bytes()
    path.write_bytes(good[:-10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: IDX header says shape "
                                         r"\(5, 28, 28\).* truncated or damaged"):
        MNIST(tmp_path)
    path.write_bytes(b"\x1f\x8b" + good[2:])
    with pytest.raises(ValueError, match="not an IDX file"):
        MNIST(tmp_path)
    path.write_bytes(idx_bytes(np.zeros((4, 28, 28))))
    with pytest.raises(ValueError, match="4 images but 5 labels"):
        MNIST(tmp_path)
    path.write_bytes(good)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 3, 4, 12])))
    with pytest.raises(ValueError, match="label 12 is out of range for 10 classes"):
        MNIST(tmp_path)
    (raw / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.arange(5), 0x0C))
    with pytest.raises(ValueError, match="labels must be a uint8"):
        MNIST(tmp_path)
    (raw / "t10k-images-idx3-ubyte").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="too short for an IDX header"):
        MNIST(tmp_path, train=False)


def test_mnist_download_from_a_local_mirror(tmp_path, monkeypatch):
    source = tmp_path / "mirror"
    arrays = write_mnist(source, gz=True)
    files = sorted((source / "MNIST" / "raw").iterdir())
    resources = [(f.name, hashlib.md5(f.read_bytes()).hexdigest()) for f in files]
    monkeypatch.setattr(MNIST, "mirrors", ["file:///nonexistent/",
                                           (source / "MNIST" / "raw").as_uri() + "/"])
    monkeypatch.setattr(MNIST, "resources", resources)
    ds = MNIST(tmp_path / "data", download=True)
    np.testing.assert_array_equal(ds.targets, arrays["train-labels-idx1-ubyte"])
    assert not list((tmp_path / "data" / "MNIST" / "raw").glob("*.part"))


def test_download_verifies_checksums_and_writes_atomically(tmp_path):
    src = tmp_path / "file.bin"
    src.write_bytes(b"lucid" * 1000)
    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    out = download_url(src.as_uri(), tmp_path / "dl", md5=md5)
    assert out.read_bytes() == src.read_bytes()
    assert download_url(src.as_uri(), tmp_path / "dl2", sha256=sha).name == "file.bin"
    with pytest.raises(RuntimeError, match="md5 checksum mismatch: expected 0+, got " + md5):
        download_url(src.as_uri(), tmp_path / "bad", filename="x.bin", md5="0" * 32)
    assert list((tmp_path / "bad").iterdir()) == []  # nothing half-written is left behind
    src.write_bytes(b"changed")  # a good file already there is kept, not fetched again
    assert download_url(src.as_uri(), tmp_path / "dl", md5=md5).read_bytes() == b"lucid" * 1000


def test_download_offline_raises_a_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(RuntimeError, match=r"(?s)could not download t10k.gz \(are you "
                                           r"offline\?\).*name resolution.*put it at"):
        download_url(["https://example.invalid/t10k.gz"], tmp_path)


def cifar_records(n: int, label_bytes: int, seed: int) -> tuple[bytes, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    labels = np.stack([rng.integers(0, 20, n), rng.integers(0, 100, n)], 1)[:, -label_bytes:]
    if label_bytes == 1:
        labels = labels % 10
    out = io.BytesIO()
    for img, lab in zip(images, labels):
        out.write(bytes(int(v) for v in lab))
        for c in range(3):  # red plane, green plane, blue plane, row-major
            out.write(img[:, :, c].tobytes())
    return out.getvalue(), images, labels


def write_cifar10(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    folder = root / "cifar-10-batches-bin"
    folder.mkdir(parents=True)
    imgs, labs = [], []
    for i in range(1, 6):
        data, im, lab = cifar_records(2, 1, i)
        (folder / f"data_batch_{i}.bin").write_bytes(data)
        imgs.append(im)
        labs.append(lab[:, 0])
    data, test_im, test_lab = cifar_records(3, 1, 9)
    (folder / "test_batch.bin").write_bytes(data)
    return np.concatenate(imgs), np.concatenate(labs), test_im, test_lab[:, 0]


def test_cifar10_reads_the_binary_batches(tmp_path):
    train_im, train_lab, test_im, test_lab = write_cifar10(tmp_path)
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert len(train) == 10 and len(test) == 3
    np.testing.assert_array_equal(train.data, train_im)
    np.testing.assert_array_equal(train.targets, train_lab)
    np.testing.assert_array_equal(test.data, test_im)
    img, label = test[1]
    assert img.shape == (32, 32, 3) and label == int(test_lab[1])
    assert train.classes[0] == "airplane" and train.class_to_idx["truck"] == 9
    (tmp_path / "cifar-10-batches-bin" / "batches.meta.txt").write_text(
        "\n".join(f"c{i}" for i in range(10)) + "\n")
    assert CIFAR10(tmp_path).classes[3] == "c3"


def test_cifar_damaged_and_missing_files(tmp_path):
    write_cifar10(tmp_path)
    batch = tmp_path / "cifar-10-batches-bin" / "data_batch_3.bin"
    data = batch.read_bytes()
    batch.write_bytes(data[:-1])
    with pytest.raises(ValueError, match=r"data_batch_3.bin: 6145 bytes is not a whole number "
                                         r"of 3073-byte CIFAR records"):
        CIFAR10(tmp_path)
    batch.write_bytes(bytes([10]) + data[1:])
    with pytest.raises(ValueError, match="label 10 in label byte 0 is out of range"):
        CIFAR10(tmp_path)
    batch.unlink()
    with pytest.raises(RuntimeError, match=r"data_batch_3.bin missing .* binary version, "
                                           r"cifar-10-binary.tar.gz"):
        CIFAR10(tmp_path)
    with pytest.raises(RuntimeError, match="CIFAR100 not found"):
        CIFAR100(tmp_path)


def test_cifar100_fine_and_coarse_labels(tmp_path):
    folder = tmp_path / "cifar-100-binary"
    folder.mkdir()
    data, images, labels = cifar_records(4, 2, 3)
    (folder / "train.bin").write_bytes(data)
    (folder / "test.bin").write_bytes(cifar_records(1, 2, 4)[0])
    ds = CIFAR100(tmp_path)
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels[:, 1])
    np.testing.assert_array_equal(ds.coarse_targets, labels[:, 0])
    assert len(ds.classes) == 100 and ds.classes[0] == "apple" and ds.classes[99] == "worm"
    assert len(CIFAR100(tmp_path, train=False)) == 1


def test_cifar10_download_unpacks_the_archive(tmp_path, monkeypatch):
    source = tmp_path / "src"
    train_im, _, _, _ = write_cifar10(source)
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source / "cifar-10-batches-bin", arcname="cifar-10-batches-bin")
    monkeypatch.setattr(CIFAR10, "url", archive.as_uri())
    monkeypatch.setattr(CIFAR10, "tgz_md5", hashlib.md5(archive.read_bytes()).hexdigest())
    ds = CIFAR10(tmp_path / "data", download=True)
    np.testing.assert_array_equal(ds.data, train_im)


def make_image_folder(root: Path) -> None:
    Image = pytest.importorskip("PIL.Image")
    for cls, color in (("dog", (255, 0, 0)), ("cat", (0, 255, 0))):
        (root / cls / "sub").mkdir(parents=True)
        for i, name in enumerate(("b.png", "a.PNG", "sub/c.jpg")):
            Image.new("RGB", (5 + i, 4), color).save(root / cls / name)
        (root / cls / "notes.txt").write_text("not an image")


def test_image_folder_follows_torchvision(tmp_path):
    make_image_folder(tmp_path)
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [Path(p).relative_to(tmp_path).as_posix() for p, _ in ds.samples]
    assert names == ["cat/a.PNG", "cat/b.png", "cat/sub/c.jpg",
                     "dog/a.PNG", "dog/b.png", "dog/sub/c.jpg"]
    assert ds.targets == [0, 0, 0, 1, 1, 1] and ds.imgs == ds.samples
    img, label = ds[3]
    assert img.mode == "RGB" and img.size == (6, 4) and label == 1
    assert np.asarray(img)[0, 0].tolist() == [255, 0, 0]
    tf = ImageFolder(tmp_path, transform=T.Compose([T.Resize((4, 4)), T.ToTensor()]))
    x, y = next(iter(DataLoader(tf, batch_size=6)))
    assert x.shape == (6, 3, 4, 4) and y.numpy().tolist() == [0, 0, 0, 1, 1, 1]
    only_png = ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"))
    assert len(only_png) == 2
    texts = DatasetFolder(tmp_path, loader=lambda p: Path(p).read_text(), extensions=".txt")
    assert texts[1] == ("not an image", 1)


def test_image_folder_errors(tmp_path):
    make_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=r"Found no valid file for the classes empty .*"
                                                r"Supported extensions are: \.jpg"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True).classes) == 3
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ImageFolder(tmp_path / "empty")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolder(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None"):
        DatasetFolder(tmp_path, loader=str)
    (tmp_path / "empty" / "broken.png").write_bytes(b"\x89PNG but not really")
    ds = ImageFolder(tmp_path)
    with pytest.raises(OSError, match=r"cannot read the image file .*broken\.png"):
        ds[[p for p, _ in ds.samples].index(str(tmp_path / "empty" / "broken.png"))]


def test_image_folder_without_pillow(tmp_path, monkeypatch):
    make_image_folder(tmp_path)
    ds = ImageFolder(tmp_path)  # listing files needs no Pillow
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "lucid\[vision\]"'):
        ds[0]
