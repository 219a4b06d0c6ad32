"""sanitize_image against well-formed, hostile and damaged uploads, all built here with Pillow."""

import io
import random
import struct
import time
import zlib

import pytest
from PIL import ExifTags, Image

from imaging import (
    MAX_UPLOAD_BYTES,
    ImageRejected,
    SanitizedImage,
    sanitize_image,
)

RED = (220, 30, 30)
BLUE = (30, 30, 220)
GREEN = (30, 200, 30)


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def noise(width: int, height: int) -> Image.Image:
    """Incompressible content, so truncating the file really cuts into pixel data."""
    return Image.frombytes("RGB", (width, height), random.Random(width * height).randbytes(width * height * 3))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int, height: int) -> bytes:
    """A well-formed PNG header declaring a huge RGB image, with almost no pixel data behind it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def decoded(jpeg: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(jpeg))
    assert image.format == "JPEG"
    image.load()
    return image


def rejected(data: bytes, **limits) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        sanitize_image(data, **limits)
    return caught.value


# --- accepted formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params"),
    [("PNG", {}), ("JPEG", {"quality": 95}), ("WEBP", {"quality": 90}), ("WEBP", {"lossless": True})],
)
def test_each_accepted_format_comes_back_as_jpeg(fmt, params):
    data = encode(Image.new("RGB", (640, 480), GREEN), fmt, **params)

    result = sanitize_image(data)

    assert isinstance(result, SanitizedImage)
    assert result.source_format == fmt
    assert (result.width, result.height) == (640, 480)
    assert decoded(result.image).size == (640, 480)
    assert decoded(result.image).mode == "RGB"
    assert decoded(result.thumbnail).size == (256, 256)


def test_format_is_sniffed_from_content_not_from_any_name():
    """A PNG is reported as PNG whatever it was called; the function never sees a name."""
    assert sanitize_image(encode(Image.new("RGB", (8, 8)), "PNG")).source_format == "PNG"


def test_greyscale_palette_and_sixteen_bit_inputs_become_rgb():
    for image in (
        Image.new("L", (20, 10), 128),
        Image.new("P", (20, 10), 3),
        Image.new("1", (20, 10), 1),
        Image.new("I;16", (20, 10), 32768),
    ):
        out = decoded(sanitize_image(encode(image, "PNG")).image)
        assert out.mode == "RGB"
    # 16-bit mid-grey stays mid-grey instead of clipping to white
    assert out.getpixel((10, 5)) == pytest.approx((128, 128, 128), abs=3)


def test_cmyk_jpeg_becomes_rgb():
    data = encode(Image.new("CMYK", (32, 32), (0, 255, 255, 0)), "JPEG")
    red, green, blue = decoded(sanitize_image(data).image).getpixel((16, 16))
    assert red > 200 and green < 60 and blue < 60


# --- refused formats --------------------------------------------------------------------------

SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'


@pytest.mark.parametrize(
    ("data", "looks_like"),
    [
        (encode(Image.new("RGB", (10, 10), RED), "GIF"), "a GIF"),
        (encode(Image.new("RGB", (10, 10), RED), "BMP"), "a BMP"),
        (encode(Image.new("RGB", (10, 10), RED), "TIFF"), "a TIFF"),
        (SVG, "an SVG"),
        (b"  \n" + SVG, "an SVG"),
        (b"<html><body>hello</body></html>", "an HTML or XML document"),
        (b"just some text, not an image at all", "something other than an image"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "something other than an image"),
    ],
)
def test_other_formats_are_refused_by_content(data, looks_like):
    err = rejected(data)
    assert err.code == "unsupported_format"
    assert str(err) == f"Only PNG, JPEG and WebP images are accepted (this looks like {looks_like})."


def test_a_gif_with_a_png_name_is_still_a_gif():
    """Renaming can't help: only the bytes are judged."""
    err = rejected(encode(Image.new("RGB", (10, 10)), "GIF"))
    assert err.code == "unsupported_format"
    assert "GIF" in str(err)


def test_empty_file_is_refused():
    err = rejected(b"")
    assert err.code == "empty"
    assert str(err) == "The image file is empty."


# --- size limits ------------------------------------------------------------------------------


def test_file_over_ten_megabytes_is_refused():
    """A valid JPEG with trailing junk: the byte count alone decides."""
    jpeg = encode(Image.new("RGB", (16, 16), RED), "JPEG")
    padded = jpeg + b"\x00" * (12_300_000 - len(jpeg))
    assert len(padded) > MAX_UPLOAD_BYTES
    err = rejected(padded)
    assert err.code == "too_large"
    assert str(err) == "The image is 12.3 MB; the limit is 10 MB."


def test_file_just_over_the_limit_never_reads_as_equal_to_it():
    data = encode(Image.new("RGB", (16, 16)), "PNG")
    err = rejected(data, max_bytes=len(data) - 1)
    assert err.code == "too_large"
    assert rejected(b"\x89PNG" + b"\x00" * 10_000_000).args[0].startswith("The image is 10.1 MB;")


def test_file_exactly_at_the_limit_is_accepted():
    data = encode(Image.new("RGB", (16, 16)), "PNG")
    assert sanitize_image(data, max_bytes=len(data)).source_format == "PNG"


def test_declared_bomb_is_refused_before_pillow_opens_it(monkeypatch):
    """100000×100000 RGB would be 30 GB of pixels; the header alone must be enough to refuse it."""

    def must_not_open(*args, **kwargs):
        raise AssertionError("Pillow was asked to open a decompression bomb")

    monkeypatch.setattr(Image, "open", must_not_open)
    started = time.perf_counter()

    err = rejected(bomb_png(100_000, 100_000))

    assert err.code == "too_many_pixels"
    assert str(err) == "The image is 100000×100000 pixels; the limit is 4096×4096."
    assert time.perf_counter() - started < 0.5


def test_bomb_is_refused_even_with_pillows_own_limit_switched_off(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    assert rejected(bomb_png(100_000, 100_000)).code == "too_many_pixels"


def test_pillows_bomb_error_is_reported_as_too_many_pixels(monkeypatch):
    """If a deployment lowers Pillow's limit below ours, its error still becomes a clean refusal."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    err = rejected(encode(Image.new("RGB", (100, 100)), "PNG"))
    assert err.code == "too_many_pixels"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_too_wide_image_is_refused(fmt):
    err = rejected(encode(Image.new("RGB", (5000, 10)), fmt))
    assert err.code == "too_many_pixels"
    assert str(err) == "The image is 5000×10 pixels; the limit is 4096×4096."


def test_too_tall_image_is_refused_against_a_custom_limit():
    err = rejected(encode(Image.new("RGB", (10, 300)), "JPEG"), max_dimension=200)
    assert str(err) == "The image is 10×300 pixels; the limit is 200×200."


def test_largest_allowed_image_is_accepted():
    result = sanitize_image(encode(Image.new("RGB", (4096, 4096), BLUE), "PNG"))
    assert (result.width, result.height) == (1024, 1024)


def test_jpeg_with_a_huge_second_frame_header_is_refused():
    """Pillow honours the last start-of-frame before the scan, so the parser must see them all."""
    data = encode(Image.new("RGB", (16, 16)), "JPEG")
    sof = data.index(b"\xff\xc0")
    (length,) = struct.unpack(">H", data[sof + 2 : sof + 4])
    segment = bytearray(data[sof : sof + 2 + length])
    segment[5:9] = struct.pack(">HH", 60_000, 60_000)
    forged = data[: sof + 2 + length] + bytes(segment) + data[sof + 2 + length :]
    assert rejected(forged).code == "too_many_pixels"


def test_webp_canvas_size_is_checked_before_decoding():
    data = bytearray(encode(Image.new("RGBA", (10, 10), (*RED, 128)), "WEBP"))
    assert data[12:16] == b"VP8X"
    data[24:27] = (9999).to_bytes(3, "little")
    err = rejected(bytes(data))
    assert err.code == "too_many_pixels"
    assert "10000×10 pixels" in str(err)


# --- damaged files ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_file_is_refused_as_corrupt(fmt, keep):
    data = encode(noise(200, 200), fmt)
    err = rejected(data[: int(len(data) * keep)])
    assert err.code == "corrupt"
    assert str(err) == "The image file is damaged or truncated."


def test_png_missing_only_its_end_chunk_is_refused():
    data = encode(noise(50, 50), "PNG")
    assert rejected(data[:-12]).code == "corrupt"


def test_png_with_a_damaged_chunk_is_refused():
    data = bytearray(encode(noise(50, 50), "PNG"))
    data[len(data) // 2] ^= 0xFF
    assert rejected(bytes(data)).code == "corrupt"


@pytest.mark.parametrize("head", [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBP"])
def test_signature_with_nothing_behind_it_is_refused(head):
    assert rejected(head + b"\x00" * 40).code == "corrupt"


@pytest.mark.parametrize("seed", range(40))
def test_garbage_after_a_jpeg_signature_is_refused(seed):
    """Random bytes sometimes read as a frame header declaring a huge size; refused either way."""
    garbage = random.Random(seed).randbytes(5000)
    assert rejected(b"\xff\xd8\xff" + garbage).code in {"corrupt", "too_many_pixels"}


# --- orientation and metadata -----------------------------------------------------------------


def exif_with_orientation_and_private_tags() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # stored sideways: rotate 90° clockwise to display
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Model] = "Model-X-42"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


def sideways_photo() -> Image.Image:
    """300×200 with a red band along the top edge as stored."""
    image = Image.new("RGB", (300, 200), BLUE)
    image.paste(RED, (0, 0, 300, 40))
    return image


def test_exif_orientation_is_applied_and_all_metadata_dropped():
    exif = exif_with_orientation_and_private_tags()
    data = encode(sideways_photo(), "JPEG", exif=exif, icc_profile=b"not-really-a-profile", comment=b"at home")
    source = Image.open(io.BytesIO(data))
    assert source.getexif()[ExifTags.Base.Make] == "SecretCam"
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    result = sanitize_image(data)

    assert (result.width, result.height) == (200, 300)
    out = decoded(result.image)
    assert out.size == (200, 300)
    # rotated clockwise: the band that was on top is now on the right
    assert out.getpixel((190, 150))[0] > 180
    assert out.getpixel((10, 150))[2] > 180
    for jpeg in (result.image, result.thumbnail):
        image = decoded(jpeg)
        assert not image.getexif()
        assert {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"}.isdisjoint(image.info)
        for secret in (b"Exif\x00\x00", b"SecretCam", b"Model-X-42", b"not-really-a-profile", b"at home"):
            assert secret not in jpeg


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_exif_orientation_is_applied_for_png_and_webp_too(fmt):
    data = encode(sideways_photo(), fmt, exif=exif_with_orientation_and_private_tags())
    result = sanitize_image(data)
    assert (result.width, result.height) == (200, 300)
    assert b"SecretCam" not in result.image


def test_xmp_is_dropped():
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>creator=Someone</rdf:RDF></x:xmpmeta>'
    data = encode(Image.new("RGB", (40, 40), GREEN), "JPEG", xmp=xmp)
    assert b"creator=Someone" in data
    assert b"creator=Someone" not in sanitize_image(data).image


# --- pixels: transparency, sizes, animation ---------------------------------------------------


def test_transparency_is_flattened_onto_white():
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((*RED, 255), (0, 0, 50, 100))
    out = decoded(sanitize_image(encode(image, "PNG")).image)
    assert out.getpixel((75, 50)) == pytest.approx((255, 255, 255), abs=3)
    assert out.getpixel((25, 50)) == pytest.approx(RED, abs=6)


def test_half_transparent_webp_is_blended_with_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 128))
    out = decoded(sanitize_image(encode(image, "WEBP", lossless=True)).image)
    assert out.getpixel((20, 20)) == pytest.approx((127, 127, 127), abs=4)


def test_palette_transparency_is_flattened_onto_white():
    image = Image.new("P", (30, 30), 0)
    image.putpalette([0, 0, 0] * 256)
    out = decoded(sanitize_image(encode(image, "PNG", transparency=0)).image)
    assert out.getpixel((15, 15)) == pytest.approx((255, 255, 255), abs=3)


def test_large_image_is_scaled_to_a_long_side_of_1024():
    result = sanitize_image(encode(Image.new("RGB", (3000, 1500), GREEN), "JPEG"))
    assert (result.width, result.height) == (1024, 512)
    assert decoded(result.image).size == (1024, 512)


def test_portrait_image_is_scaled_by_its_height():
    result = sanitize_image(encode(Image.new("RGB", (1500, 3000), GREEN), "PNG"))
    assert (result.width, result.height) == (512, 1024)


def test_small_image_is_not_upscaled():
    result = sanitize_image(encode(Image.new("RGB", (300, 200), GREEN), "PNG"))
    assert (result.width, result.height) == (300, 200)
    assert decoded(result.image).size == (300, 200)


def test_thumbnail_is_a_centre_crop():
    image = Image.new("RGB", (3000, 1000), RED)
    image.paste(BLUE, (1000, 0, 2000, 1000))  # the middle third is blue
    thumb = decoded(sanitize_image(encode(image, "PNG")).thumbnail)
    assert thumb.size == (256, 256)
    for x in (5, 128, 250):
        assert thumb.getpixel((x, 128))[2] > 180


def test_thumbnail_size_can_be_chosen():
    result = sanitize_image(encode(Image.new("RGB", (300, 200)), "PNG"), thumbnail_size=64, long_side=100)
    assert decoded(result.thumbnail).size == (64, 64)
    assert (result.width, result.height) == (100, 67)


def animation(fmt: str) -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in (RED, BLUE, GREEN)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3
    return data


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_animation_keeps_its_first_frame(fmt):
    result = sanitize_image(animation(fmt))
    assert result.source_format == fmt
    assert decoded(result.image).getpixel((32, 32)) == pytest.approx(RED, abs=8)


def test_output_is_jpeg_quality_encoded_and_progressive():
    result = sanitize_image(encode(noise(300, 300), "PNG"))
    out = decoded(result.image)
    assert out.info.get("progressive") or out.info.get("progression")
