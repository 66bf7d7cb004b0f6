//! What an uploaded file is, decided from its bytes: images (PNG, JPEG,
//! GIF, WebP) are decoded and encoded again, which leaves their metadata
//! (EXIF with its GPS position, text chunks, comments) behind, and get a
//! small preview; PDF, ZIP, plain text and CSV are kept as they are;
//! anything else is refused. The client's claimed type and the file's
//! name play no part.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The long side of a preview, in pixels.
pub const PREVIEW_PX: u32 = 480;
/// Images larger than this in either direction are refused: decoding one
/// would take more memory than an upload should.
const MAX_SIDE_PX: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// A file ready to store.
#[derive(Debug)]
pub struct Inspected {
    pub content_type: &'static str,
    pub data: Vec<u8>,
    /// Images: the preview's type and bytes.
    pub preview: Option<(&'static str, Vec<u8>)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Not a type on the allow-list.
    Unsupported,
    /// Claims to be an image (by its bytes) but does not decode.
    Damaged,
}

pub fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

pub fn inspect(bytes: Vec<u8>) -> Result<Inspected, Refused> {
    let detected = infer::get(&bytes).map(|kind| kind.mime_type());
    let image = match detected {
        Some("image/png") => Some(ImageFormat::Png),
        Some("image/jpeg") => Some(ImageFormat::Jpeg),
        Some("image/gif") => Some(ImageFormat::Gif),
        Some("image/webp") => Some(ImageFormat::WebP),
        _ => None,
    };
    if let Some(format) = image {
        return reencode(&bytes, format);
    }
    let content_type = match detected {
        Some("application/pdf") => "application/pdf",
        Some("application/zip") => "application/zip",
        // HTML, XML or a script is text all the same, served as plain text.
        Some(kind) if kind.starts_with("text/") => text_type(&bytes).ok_or(Refused::Unsupported)?,
        Some(_) => return Err(Refused::Unsupported),
        None => text_type(&bytes).ok_or(Refused::Unsupported)?,
    };
    Ok(Inspected {
        content_type,
        data: bytes,
        preview: None,
    })
}

/// `text/csv` or `text/plain` for UTF-8 text without binary control
/// characters; `None` for anything else.
fn text_type(bytes: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
    {
        return None;
    }
    // CSV: the first lines (up to five) have the same, non-zero number of
    // commas or semicolons.
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).take(5).collect();
    let separated = |sep: char| {
        let counts: Vec<usize> = lines.iter().map(|l| l.matches(sep).count()).collect();
        lines.len() >= 2 && counts[0] > 0 && counts.iter().all(|c| *c == counts[0])
    };
    Some(if separated(',') || separated(';') {
        "text/csv"
    } else {
        "text/plain"
    })
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Inspected, Refused> {
    let data = if format == ImageFormat::Gif {
        reencode_gif(bytes)?
    } else {
        Vec::new()
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(|_| Refused::Damaged)?;
    // The orientation lives in the EXIF that is about to go: turn the
    // pixels first, so the photo still shows the right way up.
    let orientation = decoder.orientation().map_err(|_| Refused::Damaged)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| Refused::Damaged)?;
    image.apply_orientation(orientation);
    let (content_type, data) = match format {
        ImageFormat::Gif => ("image/gif", data),
        ImageFormat::Png => ("image/png", encode(&image, ImageFormat::Png)?),
        ImageFormat::WebP => ("image/webp", encode(&image, ImageFormat::WebP)?),
        _ => ("image/jpeg", encode_jpeg(&image.to_rgb8().into(), 90)?),
    };
    Ok(Inspected {
        content_type,
        data,
        preview: Some(preview(&image)?),
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, Refused> {
    let mut out = Cursor::new(Vec::new());
    let image = if format == ImageFormat::WebP {
        // The WebP encoder takes 8-bit RGB(A) only.
        DynamicImage::from(image.to_rgba8())
    } else {
        image.clone()
    };
    image
        .write_to(&mut out, format)
        .map_err(|_| Refused::Damaged)?;
    Ok(out.into_inner())
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image
        .write_with_encoder(encoder)
        .map_err(|_| Refused::Damaged)?;
    Ok(out)
}

/// Every frame again, without the comment and application extensions.
fn reencode_gif(bytes: &[u8]) -> Result<Vec<u8>, Refused> {
    use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
    use image::AnimationDecoder;
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|_| Refused::Damaged)?;
    decoder.set_limits(limits()).map_err(|_| Refused::Damaged)?;
    let frames = decoder
        .into_frames()
        .collect_frames()
        .map_err(|_| Refused::Damaged)?;
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|_| Refused::Damaged)?;
        encoder
            .encode_frames(frames)
            .map_err(|_| Refused::Damaged)?;
    }
    Ok(out)
}

/// At most [`PREVIEW_PX`] on the long side: JPEG, or PNG when the image
/// has transparency.
fn preview(image: &DynamicImage) -> Result<(&'static str, Vec<u8>), Refused> {
    let small = if image.width().max(image.height()) > PREVIEW_PX {
        image.thumbnail(PREVIEW_PX, PREVIEW_PX)
    } else {
        image.clone()
    };
    if small.color().has_alpha() {
        Ok((
            "image/png",
            encode(&small.to_rgba8().into(), ImageFormat::Png)?,
        ))
    } else {
        Ok(("image/jpeg", encode_jpeg(&small.to_rgb8().into(), 80)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = DynamicImage::new_rgb8(width, height);
        encode(&image, ImageFormat::Png).unwrap()
    }

    #[test]
    fn images_are_reencoded_with_a_small_preview() {
        let inspected = inspect(png(1200, 600)).unwrap();
        assert_eq!(inspected.content_type, "image/png");
        let (kind, preview) = inspected.preview.unwrap();
        assert_eq!(kind, "image/jpeg");
        let preview = image::load_from_memory(&preview).unwrap();
        assert_eq!((preview.width(), preview.height()), (480, 240));
    }

    #[test]
    fn text_and_csv_are_told_apart_and_binaries_refused() {
        assert_eq!(
            inspect(b"hello\nworld\n".to_vec()).unwrap().content_type,
            "text/plain"
        );
        assert_eq!(
            inspect(b"a,b\n1,2\n3,4\n".to_vec()).unwrap().content_type,
            "text/csv"
        );
        assert_eq!(
            inspect(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec()).unwrap_err(),
            Refused::Unsupported
        );
        assert_eq!(
            inspect(b"MZ\x90\0\x03\0\0\0".to_vec()).unwrap_err(),
            Refused::Unsupported
        );
        assert_eq!(inspect(b"a\0b".to_vec()).unwrap_err(), Refused::Unsupported);
        assert_eq!(inspect(Vec::new()).unwrap_err(), Refused::Unsupported);
    }

    proptest::proptest! {
        /// Whatever follows an image's or document's magic number,
        /// inspecting it answers (stored or refused) and never panics.
        #[test]
        fn any_bytes_are_answered(
            magic in proptest::sample::select(vec![
                &b"\x89PNG\r\n\x1a\n"[..], &b"\xff\xd8\xff"[..], &b"GIF89a"[..],
                &b"RIFF\0\0\0\0WEBPVP8 "[..], &b"%PDF-"[..], &b"PK\x03\x04"[..], &b""[..],
            ]),
            rest in proptest::collection::vec(proptest::num::u8::ANY, 0..512),
        ) {
            let mut bytes = magic.to_vec();
            bytes.extend(rest);
            let _ = inspect(bytes);
        }
    }

    #[test]
    fn a_truncated_image_is_refused_not_panicked_on() {
        let mut bytes = png(64, 64);
        bytes.truncate(40);
        assert_eq!(inspect(bytes).unwrap_err(), Refused::Damaged);
    }
}
