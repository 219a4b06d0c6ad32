"""C2PA provenance for what Marionette publishes: sign AI-generated clips and portraits, verify them.

Every output carries a signed C2PA manifest that
- declares it was made by a trained model (an actions assertion whose c2pa.created action has the
  IPTC digitalSourceType trainedAlgorithmicMedia), so any C2PA reader labels it as AI-generated;
- binds the invisible watermark payload as a soft binding (c2pa.soft-binding plus a
  c2pa.watermarked.bound action), so a copy whose metadata was stripped can still be traced back
  to its manifest through the watermark;
- opts the asset out of AI training, inference and data mining (cawg.training-mining).

verify() reports what a manifest claims and whether its signature and content hashes still hold.

Framework-free on purpose (no Django): the same code signs in a worker and verifies in a view.
"""

import datetime as dt
import io
import json
import os
import re
import shutil
import struct
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SUPPORTED = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

# Our watermark is not on the C2PA soft-binding algorithm list, so it gets a reverse-domain name.
WATERMARK_ALG = "org.marionette.watermark.1"
SOFT_BINDING_LABEL = "c2pa.soft-binding"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
# IPTC source types that mean "a trained model made (part of) this"; matched on the last URL segment.
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
# C2PA 2.x moved the training-and-mining assertion to CAWG; c2pa.training-mining is the deprecated 1.x form.
TRAINING_MINING_LABEL = "cawg.training-mining"
TRAINING_MINING_ENTRIES = ("cawg.ai_generative_training", "cawg.ai_inference", "cawg.ai_training", "cawg.data_mining")

# The asset is the picture: an embedded thumbnail would only add weight (c2pa-rs stores a full-size
# copy of a PNG, ~1 MB for a 768 px portrait) and time (50-120 ms per image instead of 2-6 ms).
BUILDER_SETTINGS = {"builder": {"thumbnail": {"enabled": False}}}
UNTRUSTED = "signingCredential.untrusted"

DEV_IDENTITY_DIRNAME = "c2pa-dev-signer"
DEV_VALIDITY = dt.timedelta(days=3650)
DEV_ORGANIZATION = "Marionette development signer (not publicly trusted)"

_ACTIONS_LABEL = re.compile(r"^c2pa\.actions(\.v\d+)?(__\d+)?$")
_SOFT_BINDING = re.compile(r"^c2pa\.soft-binding(__\d+)?$")


class ProvenanceError(Exception):
    """Signing or identity setup failed; str(err) says what to fix."""


@dataclass(frozen=True)
class SigningIdentity:
    """The certificate chain and key that sign manifests, plus the root a verifier should trust."""

    chain_pem: bytes  # leaf first, then intermediates, then (optionally) the root
    key_pem: bytes = field(repr=False)  # PKCS#8; kept out of repr so it never lands in a log
    root_pem: bytes | None  # trust anchor that makes verify() report Trusted, when known


@dataclass(frozen=True)
class ProvenanceReport:
    """What an asset's active manifest claims, and whether the claim still holds.

    The claim fields (ai_generated, watermark_payload, title, generator) are read even from an
    Invalid manifest, because moderation wants to know what was claimed; trust them only when
    state is Valid or Trusted.
    """

    state: str  # "Trusted" | "Valid" | "Invalid" | "Missing" (no manifest)
    ai_generated: bool
    watermark_payload: bytes | None
    title: str | None
    generator: str | None
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for APIs and logs (the payload as hex)."""
        return {
            "state": self.state,
            "ai_generated": self.ai_generated,
            "watermark_payload": self.watermark_payload.hex() if self.watermark_payload is not None else None,
            "title": self.title,
            "generator": self.generator,
            "errors": list(self.errors),
        }


# --- signing identities ---------------------------------------------------------------------------


def dev_identity(directory: Path) -> SigningIdentity:
    """A self-made root CA and signer under directory, generated on first use and reused afterwards.

    Lets development and tests sign without an operator certificate. The files are written to a
    private temporary folder that is then renamed into place in one step, so processes that race
    on first use all end up with the same identity and never see half-written files.
    """
    directory = Path(directory)
    final = directory / DEV_IDENTITY_DIRNAME
    if not final.exists():
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        _publish_dev_identity(directory, final)
    return _load_dev_identity(final)


def operator_identity(chain_path: Path, key_path: Path, root_path: Path | None = None) -> SigningIdentity:
    """The operator's own certificate, checked now so a bad one fails at startup, not at first publish.

    The key must belong to the first certificate of the chain; c2pa then gets to judge the chain
    by signing a one-pixel PNG, and, when a root is given, that signature must verify as Trusted.
    """
    chain_pem = _read_pem(Path(chain_path), "certificate chain")
    key_pem = _read_pem(Path(key_path), "private key")
    root_pem = _read_pem(Path(root_path), "trust root") if root_path is not None else None
    certificates = _load_certificates(chain_pem, Path(chain_path))
    key = _load_private_key(key_pem, Path(key_path))
    _check_key_matches(certificates, key, Path(chain_path), Path(key_path))
    if root_pem is not None and root_path is not None:
        _load_certificates(root_pem, Path(root_path))
    identity = SigningIdentity(chain_pem=b"".join(map(_certificate_pem, certificates)), key_pem=_pkcs8(key), root_pem=root_pem)
    _probe(identity, certificates[0])
    return identity


def _publish_dev_identity(directory: Path, final: Path) -> None:
    """Write a fresh identity next to final and rename it into place; a lost race is not an error."""
    staging = Path(tempfile.mkdtemp(prefix=f".{DEV_IDENTITY_DIRNAME}-", dir=directory))
    try:
        chain_pem, key_pem, root_pem = _new_dev_certificates()
        _write_file(staging / "chain.pem", chain_pem, 0o644)
        _write_file(staging / "key.pem", key_pem, 0o600)
        _write_file(staging / "root.pem", root_pem, 0o644)
        os.rename(staging, final)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        if not final.is_dir():  # a concurrent caller winning the rename is fine; anything else is not
            raise ProvenanceError(f"cannot create the development signing identity in {directory}: {err}") from err


def _load_dev_identity(final: Path) -> SigningIdentity:
    """Read a stored development identity; a damaged one is reported rather than silently replaced."""
    try:
        return SigningIdentity(
            chain_pem=(final / "chain.pem").read_bytes(),
            key_pem=(final / "key.pem").read_bytes(),
            root_pem=(final / "root.pem").read_bytes(),
        )
    except OSError as err:
        raise ProvenanceError(
            f"the development signing identity in {final} is incomplete ({err}); delete that folder to regenerate it"
        ) from err


def _new_dev_certificates() -> tuple[bytes, bytes, bytes]:
    """An ECDSA P-256 root CA and a leaf with the usages c2pa-rs insists on; the root key is thrown away."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Marionette Development Root CA")
    root = _issue(root_name, root_name, root_key.public_key(), root_key, now, ca=True)
    leaf = _issue(_name("Marionette Development Signer"), root_name, leaf_key.public_key(), root_key, now, ca=False)
    return _certificate_pem(leaf) + _certificate_pem(root), _pkcs8(leaf_key), _certificate_pem(root)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION)]
    )


def _issue(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    *,
    ca: bool,
) -> x509.Certificate:
    """One certificate. c2pa-rs rejects a leaf without an Authority Key Identifier or without the
    emailProtection extended key usage (the C2PA-specific and documentSigning EKUs alone fail)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # tolerate a slightly slow clock on the verifier
        .not_valid_after(now + DEV_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(_key_usage(ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write_file(path: Path, data: bytes, mode: int) -> None:
    """Create path with mode from the start, so a key is never readable by others even briefly."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)  # the umask may have narrowed it


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ProvenanceError(f"cannot read the C2PA {what} {path}: {err.strerror or err}") from err


def _load_certificates(pem: bytes, path: Path) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as err:
        raise ProvenanceError(f"{path} holds no PEM certificate: {err}") from err
    return certificates


def _load_private_key(pem: bytes, path: Path) -> Any:
    try:
        return serialization.load_pem_private_key(pem, password=None)
    except TypeError as err:
        raise ProvenanceError(f"the private key {path} is encrypted; give an unencrypted PEM key") from err
    except ValueError as err:
        raise ProvenanceError(f"{path} holds no usable PEM private key: {err}") from err


def _check_key_matches(certificates: list[x509.Certificate], key: Any, chain_path: Path, key_path: Path) -> None:
    """The key must belong to the leaf, and the leaf must come first: c2pa signs with chain[0]."""
    wanted = _spki(key.public_key())
    if _spki(certificates[0].public_key()) == wanted:
        return
    if any(_spki(certificate.public_key()) == wanted for certificate in certificates[1:]):
        raise ProvenanceError(
            f"{chain_path} must start with the signing certificate that matches {key_path}; reorder it leaf first"
        )
    subject = certificates[0].subject.rfc4514_string()
    raise ProvenanceError(f"the private key {key_path} does not match the signing certificate ({subject}) in {chain_path}")


def _spki(public_key: Any) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pkcs8(key: Any) -> bytes:
    """c2pa-rs reads PKCS#8 only ("BEGIN PRIVATE KEY"), so other PEM key formats are converted."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _certificate_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _probe(identity: SigningIdentity, leaf: x509.Certificate) -> None:
    """Sign and read back a one-pixel PNG, because only c2pa itself knows which certificates it accepts."""
    signed = io.BytesIO()
    try:
        _sign_stream(
            identity, "image/png", io.BytesIO(_one_pixel_png()), signed, manifest_definition(payload=b"\x00", title="probe")
        )
    except ProvenanceError as err:
        hints = "; ".join(_certificate_hints(leaf))
        raise ProvenanceError(
            f"c2pa refuses the operator certificate: {err}" + (f" (likely cause: {hints})" if hints else "")
        ) from err
    if identity.root_pem is not None:
        signed.seek(0)
        state, _store, errors = _read_store("image/png", signed, identity.root_pem)
        if state != "Trusted":
            raise ProvenanceError(
                f"the trust root does not anchor the operator chain: verification gives {state} ({'; '.join(errors)})"
            )


def _certificate_hints(leaf: x509.Certificate) -> list[str]:
    """Plain-language reasons c2pa-rs is known to reject a signing certificate for."""
    hints = []
    key_usage = _extension(leaf, x509.KeyUsage)
    if key_usage is None or not key_usage.digital_signature:
        hints.append("the certificate lacks the digitalSignature key usage")
    usages = _extension(leaf, x509.ExtendedKeyUsage)
    if usages is None or ExtendedKeyUsageOID.EMAIL_PROTECTION not in usages:
        hints.append("the certificate lacks the emailProtection extended key usage")
    if _extension(leaf, x509.AuthorityKeyIdentifier) is None:
        hints.append("the certificate has no Authority Key Identifier")
    now = dt.datetime.now(dt.UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        hints.append("the certificate is outside its validity period")
    return hints


def _extension(certificate: x509.Certificate, kind: type) -> Any:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _one_pixel_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


# --- signing ----------------------------------------------------------------------------------------


def manifest_definition(
    *, payload: bytes, title: str, generator: str = "Marionette", training_allowed: bool = False
) -> dict[str, Any]:
    """The c2pa-python manifest definition sign() writes (c2pa adds the hard binding and signature)."""
    agent = {"name": generator}
    use = "allowed" if training_allowed else "notAllowed"
    return {
        "claim_generator_info": [agent],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                            "softwareAgent": agent,
                            "description": "Generated by an AI model.",
                        },
                        {
                            "action": "c2pa.watermarked.bound",
                            "softwareAgent": agent,
                            "description": f"Invisible watermark embedded; its payload is bound to this manifest by the {SOFT_BINDING_LABEL} assertion.",
                            "parameters": {"org.marionette.soft_binding": {"label": SOFT_BINDING_LABEL, "alg": WATERMARK_ALG}},
                        },
                    ]
                },
            },
            {
                "label": SOFT_BINDING_LABEL,
                # One block over the whole asset (empty scope); the value's format is the algorithm's, ours is hex.
                # pad is required by c2pa-rs' SoftBinding type; JSON can only express it as an empty array.
                "data": {"alg": WATERMARK_ALG, "blocks": [{"scope": {}, "value": payload.hex()}], "pad": []},
            },
            {"label": TRAINING_MINING_LABEL, "data": {"entries": {entry: {"use": use} for entry in TRAINING_MINING_ENTRIES}}},
        ],
    }


def sign(
    src: Path,
    dst: Path,
    *,
    payload: bytes,
    title: str,
    identity: SigningIdentity,
    generator: str = "Marionette",
    training_allowed: bool = False,
) -> None:
    """Write dst: src with an embedded, signed manifest declaring it AI-generated and watermarked.

    dst appears complete or not at all (written beside it, then renamed), with src's permissions.
    """
    src, dst = Path(src), Path(dst)
    mime = _mime_for(src)
    _check_destination(src, dst, mime)
    if not isinstance(payload, bytes) or not payload:
        raise ProvenanceError(
            "the watermark payload must be non-empty bytes: it is what ties a stripped copy back to its manifest"
        )
    manifest = manifest_definition(payload=payload, title=title, generator=generator, training_allowed=training_allowed)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    except OSError as err:
        raise ProvenanceError(f"cannot write next to {dst}: {err}") from err
    try:
        with os.fdopen(handle, "w+b") as target, src.open("rb") as source:
            _sign_stream(identity, mime, source, target, manifest)
        shutil.copymode(src, temporary)
        os.replace(temporary, dst)
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise ProvenanceError(f"cannot sign {src} into {dst}: {err}") from err
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mime_for(src: Path) -> str:
    try:
        return SUPPORTED[src.suffix.lower()]
    except KeyError:
        formats = ", ".join(sorted(SUPPORTED))
        raise ProvenanceError(f"cannot sign {src.name}: only {formats} files are signed") from None


def _check_destination(src: Path, dst: Path, mime: str) -> None:
    """Refuse in-place signing (a failure would destroy the original) and a dst of another format."""
    if dst.resolve() == src.resolve():
        raise ProvenanceError(f"sign() writes a new file: dst must differ from src ({src})")
    if SUPPORTED.get(dst.suffix.lower()) != mime:
        raise ProvenanceError(f"dst {dst.name} must keep the format of src {src.name} ({mime})")


def _sign_stream(identity: SigningIdentity, mime: str, source: BinaryIO, target: BinaryIO, manifest: dict[str, Any]) -> None:
    """Embed and sign. c2pa also verifies the result right after signing, so a bad chain fails here."""
    try:
        info = c2pa.C2paSignerInfo(_signing_alg(identity.key_pem), identity.chain_pem, identity.key_pem, None)
        with (
            c2pa.Signer.from_info(info) as signer,
            c2pa.Context.from_dict(BUILDER_SETTINGS) as context,
            c2pa.Builder(manifest, context) as builder,
        ):
            builder.sign(signer, mime, source, target)
    except c2pa.C2paError as err:
        raise ProvenanceError(f"C2PA signing failed: {err}") from err


def _signing_alg(key_pem: bytes) -> c2pa.C2paSigningAlg:
    """The COSE algorithm follows from the key; c2pa does not infer it and fails on a mismatch."""
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (TypeError, ValueError) as err:
        raise ProvenanceError(f"the signing key is not an unencrypted PEM private key: {err}") from err
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {
            "secp256r1": c2pa.C2paSigningAlg.ES256,
            "secp384r1": c2pa.C2paSigningAlg.ES384,
            "secp521r1": c2pa.C2paSigningAlg.ES512,
        }
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return c2pa.C2paSigningAlg.ED25519
    if isinstance(key, rsa.RSAPrivateKey):
        return c2pa.C2paSigningAlg.PS256
    raise ProvenanceError("the signing key must be ECDSA P-256/P-384/P-521, Ed25519 or RSA")


# --- verification ---------------------------------------------------------------------------------


def verify(path: Path, *, trust_root_pem: bytes | None = None) -> ProvenanceReport:
    """Read and validate path's manifest. Trusted needs trust_root_pem to anchor the signer's chain.

    A file c2pa cannot even parse reports Invalid: moderation should fail closed on it.
    """
    path = Path(path)
    try:
        with path.open("rb") as stream:
            state, store, errors = _read_store(SUPPORTED.get(path.suffix.lower()), stream, trust_root_pem)
    except OSError as err:
        raise ProvenanceError(f"cannot read {path}: {err}") from err
    manifest = _active_manifest(store)
    return ProvenanceReport(
        state=state,
        ai_generated=_declares_ai(store, store.get("active_manifest"), set()),
        watermark_payload=_watermark_payload(manifest),
        title=manifest.get("title"),
        generator=_generator(manifest),
        errors=errors,
    )


def _read_store(mime: str | None, stream: BinaryIO, trust_root_pem: bytes | None) -> tuple[str, dict[str, Any], list[str]]:
    """(state, manifest store as JSON, failures). A None mime lets c2pa sniff the format."""
    settings: dict[str, Any] = {"verify": {"verify_trust": True}}
    if trust_root_pem is not None:
        settings["trust"] = {"user_anchors": trust_root_pem.decode("ascii", errors="replace")}
    try:
        with c2pa.Context.from_dict(settings) as context:
            reader = c2pa.Reader.try_create(mime, stream, None, context)
            if reader is None:
                return "Missing", {}, []
            with reader:
                store = json.loads(reader.json())
                state = reader.get_validation_state()
    except c2pa.C2paError as err:
        return "Invalid", {}, [f"unreadable: {err}"]
    errors = _failures(store, trust_requested=trust_root_pem is not None)
    return state or ("Invalid" if errors else "Valid"), store, errors


def _failures(store: dict[str, Any], *, trust_requested: bool) -> list[str]:
    """Validation failures as "code: explanation". An unknown signer is only a failure when the
    caller asked for trust; otherwise the state (Valid, not Trusted) already says it."""
    failures = []
    for status in store.get("validation_status") or []:
        code = status.get("code", "unknown")
        if code == UNTRUSTED and not trust_requested:
            continue
        explanation = status.get("explanation")
        failures.append(f"{code}: {explanation}" if explanation else code)
    return failures


def _active_manifest(store: dict[str, Any]) -> dict[str, Any]:
    return (store.get("manifests") or {}).get(store.get("active_manifest"), {})


def _declares_ai(store: dict[str, Any], label: str | None, seen: set[str]) -> bool:
    """True when this manifest, or one of its ingredients' manifests, has an action with an AI
    digitalSourceType: an AI image later edited elsewhere is still AI-generated content."""
    manifest = (store.get("manifests") or {}).get(label)
    if manifest is None or label is None or label in seen:
        return False
    seen.add(label)
    if any(_is_ai_source(action.get("digitalSourceType")) for action in _actions(manifest)):
        return True
    return any(_declares_ai(store, ingredient.get("active_manifest"), seen) for ingredient in manifest.get("ingredients") or [])


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    actions = []
    for assertion in manifest.get("assertions") or []:
        if _ACTIONS_LABEL.match(assertion.get("label", "")):
            actions += [action for action in (assertion.get("data") or {}).get("actions") or [] if isinstance(action, dict)]
    return actions


def _is_ai_source(source_type: Any) -> bool:
    return isinstance(source_type, str) and source_type.rstrip("/").rsplit("/", 1)[-1] in AI_SOURCE_TYPES


def _watermark_payload(manifest: dict[str, Any]) -> bytes | None:
    """Our watermark's payload; other algorithms' soft bindings are not ours to decode."""
    for assertion in manifest.get("assertions") or []:
        data = assertion.get("data") or {}
        if not _SOFT_BINDING.match(assertion.get("label", "")) or data.get("alg") != WATERMARK_ALG:
            continue
        for block in data.get("blocks") or []:
            try:
                return bytes.fromhex(block.get("value", ""))
            except (TypeError, ValueError, AttributeError):
                return None
    return None


def _generator(manifest: dict[str, Any]) -> str | None:
    """The claim generator's name: claim_generator_info in C2PA 2.x, the claim_generator string before."""
    for info in manifest.get("claim_generator_info") or []:
        if isinstance(info, dict) and info.get("name"):
            return info["name"]
    legacy = manifest.get("claim_generator")
    return legacy.split(" ")[0] if isinstance(legacy, str) and legacy else None
