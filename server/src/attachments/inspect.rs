//! What an uploaded file is, decided from its bytes: images (PNG, JPEG,
//! GIF, WebP) are decoded and encoded again, which leaves their metadata
//! (EXIF with its GPS position, text chunks, comments) behind, and get a
//! small preview; PDF, ZIP, plain text and CSV are kept as they are;
//! anything else is refused. The client's claimed type and the file's
//! name play no part.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

/// The long side of a preview, in pixels.
pub const PREVIEW_PX: u32 = 480;
/// Images larger than this in either direction are refused.
const MAX_SIDE_PX: u32 = 12_000;
/// The most pixels an image may have: 40 megapixels (a 12-megapixel phone
/// photo is far inside it).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The most bytes a decoded image (or an animation's canvas) may take,
/// from its header: pixels times bytes per pixel, so 16 bits a channel
/// count double. Checked before anything is decoded.
pub const MAX_DECODE_BYTES: u64 = 160 * 1024 * 1024;
/// An animation's frames, and their pixels all together.
pub const MAX_FRAMES: usize = 1_000;
pub const MAX_ANIMATION_PIXELS: u64 = 100_000_000;
/// A re-encoded file larger than this is refused (an animation can grow).
const MAX_OUTPUT_BYTES: usize = 32 * 1024 * 1024;

/// A file ready to store.
#[derive(Debug)]
pub struct Inspected {
    pub content_type: &'static str,
    pub data: Vec<u8>,
    /// Images: the preview's type and bytes.
    pub preview: Option<(&'static str, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Refused {
    /// Not a type on the allow-list.
    Unsupported,
    /// Claims to be an image (by its bytes) but does not decode.
    Damaged,
    /// An image with more pixels, bytes or frames than the limits above.
    TooLarge,
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

/// The decoders' own limits: the sides, and every allocation they make.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE_PX);
    limits.max_image_height = Some(MAX_SIDE_PX);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn refused(error: ImageError) -> Refused {
    match error {
        ImageError::Limits(_) => Refused::TooLarge,
        _ => Refused::Damaged,
    }
}

/// The header's word on the size, before any pixel is decoded.
fn within_budget(width: u32, height: u32, bytes: u64) -> Result<(), Refused> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS || bytes > MAX_DECODE_BYTES {
        return Err(Refused::TooLarge);
    }
    Ok(())
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Inspected, Refused> {
    if format == ImageFormat::Gif {
        return reencode_gif(bytes);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    within_budget(width, height, decoder.total_bytes())?;
    // The orientation lives in the EXIF that is about to go: turn the
    // pixels first, so the photo still shows the right way up.
    let orientation = decoder.orientation().map_err(refused)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    // The preview first: encoding below consumes the image, so no
    // full-size copy is ever made.
    let preview = preview(&image)?;
    let (content_type, data) = match format {
        ImageFormat::Png => ("image/png", encode(&image, ImageFormat::Png)?),
        ImageFormat::WebP => (
            "image/webp",
            // The WebP encoder takes 8-bit RGB(A) only.
            encode(&DynamicImage::from(image.into_rgba8()), ImageFormat::WebP)?,
        ),
        _ => ("image/jpeg", encode_jpeg(&image.into_rgb8().into(), 90)?),
    };
    Ok(Inspected {
        content_type,
        data,
        preview: Some(preview),
    })
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, Refused> {
    let mut out = Cursor::new(Vec::new());
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

/// Every frame again, without the comment and application extensions:
/// each frame is decoded to its palette indices and written back, one at
/// a time (never the whole animation in memory), counting frames and
/// pixels as it goes. The preview is the first frame, composed.
fn reencode_gif(bytes: &[u8]) -> Result<Inspected, Refused> {
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    if let Some(limit) = std::num::NonZeroU64::new(MAX_DECODE_BYTES) {
        options.set_memory_limit(gif::MemoryLimit::Bytes(limit));
    }
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(|_| Refused::Damaged)?;
    let (width, height) = (decoder.width(), decoder.height());
    // The preview composes a frame on a canvas of the logical screen.
    within_budget(
        width.into(),
        height.into(),
        u64::from(width) * u64::from(height) * 4,
    )?;
    let palette = decoder.global_palette().unwrap_or_default().to_vec();
    let mut encoder =
        gif::Encoder::new(Vec::new(), width, height, &palette).map_err(|_| Refused::Damaged)?;
    encoder
        .set_repeat(decoder.repeat())
        .map_err(|_| Refused::Damaged)?;
    let (mut frames, mut pixels) = (0usize, 0u64);
    while let Some(frame) = decoder.read_next_frame().map_err(|e| match e {
        gif::DecodingError::MemoryLimit => Refused::TooLarge,
        _ => Refused::Damaged,
    })? {
        frames += 1;
        pixels += u64::from(frame.width) * u64::from(frame.height);
        if frames > MAX_FRAMES || pixels > MAX_ANIMATION_PIXELS {
            return Err(Refused::TooLarge);
        }
        encoder.write_frame(frame).map_err(|_| Refused::Damaged)?;
        if encoder.get_ref().len() > MAX_OUTPUT_BYTES {
            return Err(Refused::TooLarge);
        }
    }
    if frames == 0 {
        return Err(Refused::Damaged);
    }
    let data = encoder.into_inner().map_err(|_| Refused::Damaged)?;
    let mut first = GifDecoder::new(Cursor::new(bytes)).map_err(refused)?;
    first.set_limits(limits()).map_err(refused)?;
    let first = DynamicImage::from_decoder(first).map_err(refused)?;
    Ok(Inspected {
        content_type: "image/gif",
        data,
        preview: Some(preview(&first)?),
    })
}

/// At most [`PREVIEW_PX`] on the long side: JPEG, or PNG when the image
/// has transparency.
fn preview(image: &DynamicImage) -> Result<(&'static str, Vec<u8>), Refused> {
    // Only a small image is copied whole.
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

    use crate::sandbox::hostile;

    #[test]
    fn decompression_bombs_of_every_type_are_refused_from_their_headers() {
        let started = std::time::Instant::now();
        let png = hostile::png_bomb(12_000, 12_000);
        assert!(
            png.len() < 2 * 1024 * 1024,
            "a bomb is small: {}",
            png.len()
        );
        assert_eq!(inspect(png).unwrap_err(), Refused::TooLarge);
        // Inside the sides' limit, over the pixels'.
        assert_eq!(
            inspect(hostile::png_bomb(7_000, 7_000)).unwrap_err(),
            Refused::TooLarge
        );
        assert_eq!(
            inspect(hostile::jpeg_bomb(60_000, 60_000)).unwrap_err(),
            Refused::TooLarge
        );
        assert_eq!(
            inspect(hostile::jpeg_bomb(9_000, 9_000)).unwrap_err(),
            Refused::TooLarge
        );
        assert_eq!(
            inspect(hostile::webp_bomb()).unwrap_err(),
            Refused::TooLarge
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn an_animation_is_refused_once_its_frames_pass_the_budget() {
        let gif = hostile::gif_bomb(2_000, 2_000, 200);
        assert!(gif.len() < 10 * 1024 * 1024, "{}", gif.len());
        assert_eq!(inspect(gif).unwrap_err(), Refused::TooLarge);
        // A small animation keeps every frame.
        let small = inspect(hostile::gif_bomb(64, 48, 12)).unwrap();
        assert_eq!(small.content_type, "image/gif");
        let frames = gif::DecodeOptions::new()
            .read_info(std::io::Cursor::new(&small.data))
            .map(|mut decoder| {
                let mut count = 0;
                while decoder.read_next_frame().unwrap().is_some() {
                    count += 1;
                }
                count
            })
            .unwrap();
        assert_eq!(frames, 12);
        assert!(small.preview.is_some());
    }

    #[test]
    fn a_bomb_generator_makes_what_it_says() {
        // The PNG's data really decompresses to every row.
        let bytes = hostile::png_bomb(300, 200);
        let image = image::load_from_memory(&bytes).unwrap();
        assert_eq!((image.width(), image.height()), (300, 200));
        assert_eq!(image.color(), image::ColorType::Rgba16);
    }

    #[test]
    fn a_truncated_image_is_refused_not_panicked_on() {
        let mut bytes = png(64, 64);
        bytes.truncate(40);
        assert_eq!(inspect(bytes).unwrap_err(), Refused::Damaged);
    }
}
