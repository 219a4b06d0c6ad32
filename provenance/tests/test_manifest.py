"""C2PA signing and verification on real media: an H.264/AAC MP4 made with ffmpeg, a PNG and a JPEG made with Pillow."""

import datetime as dt
import json
import random
import re
import stat
import struct
import subprocess
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from PIL import Image

from provenance.manifest import (
    DEV_IDENTITY_DIRNAME,
    TRAINED_ALGORITHMIC_MEDIA,
    TRAINING_MINING_ENTRIES,
    TRAINING_MINING_LABEL,
    WATERMARK_ALG,
    ProvenanceError,
    ProvenanceReport,
    SigningIdentity,
    _publish_dev_identity,
    dev_identity,
    operator_identity,
    sign,
    verify,
)

PAYLOAD = bytes.fromhex("5eed0123456789abcdef")
TITLE = "Ada waves hello"


# --- media, built here ------------------------------------------------------------------------------


def make_mp4(path: Path) -> Path:
    """One second of test pattern with a sine tone: H.264 video and AAC audio, as the clip renderer writes."""
    ffmpeg = pytest.importorskip("imageio_ffmpeg").get_ffmpeg_exe()
    command = [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=10:duration=1"]
    command += ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-preset", "ultrafast"]
    command += ["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return path


def make_image(path: Path, fmt: str) -> Path:
    """Noise, so the compressed pixel data is long enough to damage in the middle."""
    rng = random.Random(7)
    Image.frombytes("RGB", (48, 48), rng.randbytes(48 * 48 * 3)).save(path, fmt)
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    return {
        ".mp4": make_mp4(folder / "clip.mp4"),
        ".png": make_image(folder / "portrait.png", "PNG"),
        ".jpg": make_image(folder / "portrait.jpg", "JPEG"),
    }


@pytest.fixture(scope="session")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return dev_identity(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def signed(media: dict[str, Path], identity: SigningIdentity, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("signed")
    outputs = {}
    for suffix, src in media.items():
        outputs[suffix] = folder / f"signed{suffix}"
        sign(src, outputs[suffix], payload=PAYLOAD, title=TITLE, identity=identity)
    return outputs


# --- damaging signed media while keeping the container parseable ------------------------------------


def flip_in_png_idat(data: bytes) -> bytes:
    """Change one byte of pixel data and fix the chunk CRC, so only the C2PA hash can notice."""
    out, pos = bytearray(data), 8
    while pos < len(out):
        length, kind = struct.unpack(">I4s", out[pos : pos + 8])
        if kind == b"IDAT":
            out[pos + 8 + length // 2] ^= 0x01
            out[pos + 8 + length : pos + 12 + length] = struct.pack(">I", zlib.crc32(out[pos + 4 : pos + 8 + length]))
            return bytes(out)
        pos += 12 + length
    raise AssertionError("no IDAT chunk")


def flip_in_jpeg_scan(data: bytes) -> bytes:
    """Change one byte of entropy-coded data after the SOS header, avoiding 0xFF so no marker appears."""
    pos = 2
    while data[pos + 1] != 0xDA:  # walk the segments (APP11 carries the manifest) up to start-of-scan
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    start = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    out = bytearray(data)
    target = next(i for i in range((start + len(data)) // 2, len(data)) if out[i] < 0xFE and out[i - 1] != 0xFF)
    out[target] ^= 0x01
    return bytes(out)


def flip_in_mp4_mdat(data: bytes) -> bytes:
    """Change one byte inside the top-level mdat box (the coded frames and audio)."""
    pos = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"mdat":
            out = bytearray(data)
            out[pos + size // 2] ^= 0xFF
            return bytes(out)
        pos += size
    raise AssertionError("no mdat box")


TAMPER = {".png": flip_in_png_idat, ".jpg": flip_in_jpeg_scan, ".mp4": flip_in_mp4_mdat}


def manifest_json(path: Path) -> dict:
    with c2pa.Reader(str(path)) as reader:
        store = json.loads(reader.json())
    return store["manifests"][store["active_manifest"]]


def assertion(manifest: dict, label: str) -> dict:
    return next(item["data"] for item in manifest["assertions"] if item["label"] == label)


# --- signing identities -----------------------------------------------------------------------------


def test_dev_identity_is_generated_once_then_reused(tmp_path):
    first = dev_identity(tmp_path / "keys")
    second = dev_identity(tmp_path / "keys")

    assert first == second
    assert first.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    stored = tmp_path / "keys" / DEV_IDENTITY_DIRNAME
    assert stat.S_IMODE((stored / "key.pem").stat().st_mode) == 0o600
    leaf, root = x509.load_pem_x509_certificates(first.chain_pem)
    assert root == x509.load_pem_x509_certificate(first.root_pem)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION in leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc > dt.timedelta(days=9 * 365)


def test_dev_identity_racing_callers_all_get_the_same_identity(tmp_path):
    barrier = threading.Barrier(6)

    def call(_: int) -> SigningIdentity:
        barrier.wait()
        return dev_identity(tmp_path)

    with ThreadPoolExecutor(6) as pool:
        identities = list(pool.map(call, range(6)))

    assert len({item.key_pem for item in identities}) == 1
    assert [path.name for path in tmp_path.iterdir()] == [DEV_IDENTITY_DIRNAME]  # no staging folder left behind


def test_losing_the_publish_race_keeps_the_winner(tmp_path):
    winner = dev_identity(tmp_path)
    _publish_dev_identity(tmp_path, tmp_path / DEV_IDENTITY_DIRNAME)  # a late racer with a fresh identity

    assert dev_identity(tmp_path) == winner
    assert [path.name for path in tmp_path.iterdir()] == [DEV_IDENTITY_DIRNAME]


def dev_files(identity_dir: Path) -> tuple[Path, Path, Path]:
    stored = identity_dir / DEV_IDENTITY_DIRNAME
    return stored / "chain.pem", stored / "key.pem", stored / "root.pem"


def test_operator_identity_accepts_a_good_certificate_and_converts_the_key_to_pkcs8(tmp_path, media):
    dev_identity(tmp_path)
    chain, key, root = dev_files(tmp_path)
    traditional = serialization.load_pem_private_key(key.read_bytes(), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    (tmp_path / "ec.key").write_bytes(traditional)

    operator = operator_identity(chain, tmp_path / "ec.key", root)
    sign(media[".png"], tmp_path / "out.png", payload=PAYLOAD, title=TITLE, identity=operator)

    assert operator.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert verify(tmp_path / "out.png", trust_root_pem=operator.root_pem).state == "Trusted"


def test_operator_identity_refuses_a_key_of_another_certificate(tmp_path):
    dev_identity(tmp_path / "a")
    dev_identity(tmp_path / "b")
    chain, _, _ = dev_files(tmp_path / "a")
    _, other_key, _ = dev_files(tmp_path / "b")

    with pytest.raises(ProvenanceError, match="does not match the signing certificate"):
        operator_identity(chain, other_key)


def test_operator_identity_wants_the_leaf_first(tmp_path):
    dev_identity(tmp_path)
    chain, key, _ = dev_files(tmp_path)
    leaf, root = x509.load_pem_x509_certificates(chain.read_bytes())
    (tmp_path / "reversed.pem").write_bytes(
        root.public_bytes(serialization.Encoding.PEM) + leaf.public_bytes(serialization.Encoding.PEM)
    )

    with pytest.raises(ProvenanceError, match="leaf first"):
        operator_identity(tmp_path / "reversed.pem", key)


def test_operator_identity_reports_missing_and_unparseable_files(tmp_path):
    dev_identity(tmp_path)
    chain, key, _ = dev_files(tmp_path)
    (tmp_path / "junk.pem").write_text("not a certificate")

    with pytest.raises(ProvenanceError, match="cannot read the C2PA private key"):
        operator_identity(chain, tmp_path / "missing.key")
    with pytest.raises(ProvenanceError, match="no PEM certificate"):
        operator_identity(tmp_path / "junk.pem", key)


def test_operator_identity_explains_a_certificate_c2pa_rejects(tmp_path):
    """A leaf without emailProtection: c2pa says "certificate is invalid", we say why."""
    now = dt.datetime.now(dt.UTC)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Operator")])
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    (tmp_path / "chain.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )

    with pytest.raises(ProvenanceError, match=r"c2pa refuses the operator certificate.*emailProtection"):
        operator_identity(tmp_path / "chain.pem", tmp_path / "key.pem")


def test_operator_identity_refuses_a_root_that_does_not_anchor_the_chain(tmp_path):
    dev_identity(tmp_path / "a")
    dev_identity(tmp_path / "b")
    chain, key, _ = dev_files(tmp_path / "a")
    _, _, other_root = dev_files(tmp_path / "b")

    with pytest.raises(ProvenanceError, match="does not anchor"):
        operator_identity(chain, key, other_root)


# --- sign and verify --------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".mp4", ".png", ".jpg"])
def test_signed_media_verifies_and_reports_its_claims(signed, identity, suffix):
    report = verify(signed[suffix])

    assert report == ProvenanceReport(
        state="Valid", ai_generated=True, watermark_payload=PAYLOAD, title=TITLE, generator="Marionette", errors=[]
    )
    assert verify(signed[suffix], trust_root_pem=identity.root_pem).state == "Trusted"


def test_a_root_that_did_not_issue_the_signer_gives_valid_with_the_reason(signed, tmp_path):
    stranger = dev_identity(tmp_path)

    report = verify(signed[".png"], trust_root_pem=stranger.root_pem)

    assert report.state == "Valid"
    assert [error.split(":")[0] for error in report.errors] == ["signingCredential.untrusted"]


def test_manifest_declares_ai_generation_watermark_and_no_training(signed):
    manifest = manifest_json(signed[".jpg"])

    actions = assertion(manifest, "c2pa.actions.v2")["actions"]
    assert [action["action"] for action in actions] == ["c2pa.created", "c2pa.watermarked.bound"]
    assert actions[0]["digitalSourceType"] == TRAINED_ALGORITHMIC_MEDIA
    assert actions[0]["softwareAgent"] == {"name": "Marionette"}
    binding = assertion(manifest, "c2pa.soft-binding")
    assert binding["alg"] == WATERMARK_ALG
    assert binding["blocks"] == [{"scope": {}, "value": PAYLOAD.hex()}]
    entries = assertion(manifest, TRAINING_MINING_LABEL)["entries"]
    assert entries == {entry: {"use": "notAllowed"} for entry in TRAINING_MINING_ENTRIES}
    assert "thumbnail" not in manifest


def test_training_can_be_allowed_and_generator_named(media, identity, tmp_path):
    sign(
        media[".png"],
        tmp_path / "out.png",
        payload=PAYLOAD,
        title=TITLE,
        identity=identity,
        generator="Studio",
        training_allowed=True,
    )

    manifest = manifest_json(tmp_path / "out.png")
    assert {entry["use"] for entry in assertion(manifest, TRAINING_MINING_LABEL)["entries"].values()} == {"allowed"}
    assert verify(tmp_path / "out.png").generator == "Studio"


@pytest.mark.parametrize("suffix", [".mp4", ".png", ".jpg"])
def test_altered_media_data_is_invalid(signed, tmp_path, suffix):
    damaged = tmp_path / f"damaged{suffix}"
    damaged.write_bytes(TAMPER[suffix](signed[suffix].read_bytes()))

    report = verify(damaged)

    assert report.state == "Invalid"
    assert any(".mismatch" in error for error in report.errors), report.errors
    assert report.watermark_payload == PAYLOAD  # still reported: moderation sees what was claimed


@pytest.mark.parametrize("suffix", [".mp4", ".png", ".jpg"])
def test_media_without_manifest_is_missing(media, suffix):
    report = verify(media[suffix])

    assert report == ProvenanceReport(
        state="Missing", ai_generated=False, watermark_payload=None, title=None, generator=None, errors=[]
    )


def test_a_file_c2pa_cannot_parse_is_invalid(tmp_path):
    (tmp_path / "fake.png").write_bytes(b"not a png at all")

    report = verify(tmp_path / "fake.png")

    assert report.state == "Invalid"
    assert report.errors[0].startswith("unreadable:")


def test_verify_of_a_missing_file_raises(tmp_path):
    with pytest.raises(ProvenanceError, match="cannot read"):
        verify(tmp_path / "gone.mp4")


def test_report_to_dict_is_json_ready(signed):
    data = verify(signed[".png"]).to_dict()

    assert json.loads(json.dumps(data)) == data
    assert data["watermark_payload"] == PAYLOAD.hex()
    assert data["state"] == "Valid"


# --- refusals ---------------------------------------------------------------------------------------


def test_unsupported_format_is_refused(identity, tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "anim.gif")

    with pytest.raises(ProvenanceError, match=re.escape("only .jpeg, .jpg, .mp4, .png")):
        sign(tmp_path / "anim.gif", tmp_path / "out.gif", payload=PAYLOAD, title=TITLE, identity=identity)


def test_signing_in_place_or_into_another_format_is_refused(media, identity, tmp_path):
    with pytest.raises(ProvenanceError, match="must differ from src"):
        sign(media[".png"], media[".png"], payload=PAYLOAD, title=TITLE, identity=identity)
    with pytest.raises(ProvenanceError, match="must keep the format"):
        sign(media[".png"], tmp_path / "out.jpg", payload=PAYLOAD, title=TITLE, identity=identity)


def test_empty_payload_is_refused(media, identity, tmp_path):
    with pytest.raises(ProvenanceError, match="payload"):
        sign(media[".png"], tmp_path / "out.png", payload=b"", title=TITLE, identity=identity)


def test_failed_signing_leaves_nothing_behind(media, identity, tmp_path):
    other = dev_identity(tmp_path / "other")
    broken = SigningIdentity(chain_pem=identity.chain_pem, key_pem=other.key_pem, root_pem=None)
    (tmp_path / "out").mkdir()

    with pytest.raises(ProvenanceError, match="C2PA signing failed"):
        sign(media[".jpg"], tmp_path / "out" / "clip.jpg", payload=PAYLOAD, title=TITLE, identity=broken)
    assert list((tmp_path / "out").iterdir()) == []
