//! Hostile files, made on demand: decompression bombs of every image type
//! the server accepts, and documents that loop, nest or count without end.
//! The tests and the benchmark generate what they throw at the parsers
//! (a class of attack, at any size), rather than keep a few samples.

use std::fmt::Write as _;
use std::io::Write as _;

/// A PNG of `width` x `height` 16-bit RGBA pixels, all zero, whose
/// compressed data really holds every row: 12,000 x 12,000 is about a
/// megabyte on the wire and 1.15 GB decoded.
///
/// Made without compressing the whole: with a sync flush after each
/// megabyte of zeros, every megabyte after the first compresses to the
/// same bytes (the window is zeros either way), so they are repeated, and
/// the zlib checksum of all-zero data is computed directly.
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let row = 1 + u64::from(width) * 8;
    let total = row * u64::from(height);
    const CHUNK: usize = 1 << 20;
    let zeros = vec![0u8; CHUNK];
    let mut compress = Compress::new(Compression::best(), true);
    let mut step = |input: &[u8], flush: FlushCompress| {
        let mut out = Vec::with_capacity(input.len() / 100 + 64);
        let start = compress.total_in();
        loop {
            let consumed = (compress.total_in() - start) as usize;
            out.reserve(4096);
            compress
                .compress_vec(&input[consumed..], &mut out, flush)
                .expect("deflate");
            let done = (compress.total_in() - start) as usize == input.len();
            if done && out.len() < out.capacity() {
                return out;
            }
        }
    };
    let mut idat = Vec::new();
    let mut left = total;
    let mut steady: Option<Vec<u8>> = None;
    let mut first = true;
    while left > CHUNK as u64 {
        let piece = match &steady {
            Some(piece) => piece.clone(),
            None => {
                let piece = step(&zeros, FlushCompress::Sync);
                if !first {
                    steady = Some(piece.clone());
                }
                first = false;
                piece
            }
        };
        idat.extend(piece);
        left -= CHUNK as u64;
    }
    let mut tail = step(&zeros[..left as usize], FlushCompress::Finish);
    // Adler-32 of `total` zero bytes: a stays 1, b adds it once a byte.
    let adler = ((total % 65_521) << 16) as u32 | 1;
    let end = tail.len() - 4;
    tail[end..].copy_from_slice(&adler.to_be_bytes());
    idat.extend(&tail);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([16, 6, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &header);
    png_chunk(&mut png, b"IDAT", &idat);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn png_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend(kind);
    png.extend(data);
    png.extend(crc.sum().to_be_bytes());
}

/// An animated GIF of `frames` frames of `width` x `height`, each frame's
/// compressed data made once and repeated: 2,000 x 2,000 x 200 is a few
/// megabytes holding 800 million pixels.
pub fn gif_bomb(width: u16, height: u16, frames: usize) -> Vec<u8> {
    let pixels = vec![0u8; usize::from(width) * usize::from(height)];
    let mut frame = gif::Frame::from_indexed_pixels(width, height, pixels, None);
    frame.make_lzw_pre_encoded();
    let mut out = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut out, width, height, &[0, 0, 0, 255, 255, 255]).expect("gif");
        encoder.set_repeat(gif::Repeat::Infinite).expect("gif");
        for _ in 0..frames {
            encoder.write_lzw_pre_encoded_frame(&frame).expect("gif");
        }
    }
    out
}

/// A lossless WebP whose header claims 16,383 x 16,383 pixels (a gigabyte
/// decoded) over a few bytes of data.
pub fn webp_bomb() -> Vec<u8> {
    // VP8L: signature 0x2f, then 14 bits width-1, 14 bits height-1,
    // alpha, version.
    let bits: u32 = 16_382 | (16_382 << 14) | (1 << 28);
    let mut vp8l = vec![0x2f];
    vp8l.extend(bits.to_le_bytes());
    vp8l.extend([0u8; 31]);
    let mut webp = b"RIFF".to_vec();
    webp.extend(((4 + 8 + vp8l.len()) as u32).to_le_bytes());
    webp.extend(b"WEBPVP8L");
    webp.extend((vp8l.len() as u32).to_le_bytes());
    webp.extend(vp8l);
    webp
}

/// A real 16 x 16 JPEG whose frame header is rewritten to claim
/// `width` x `height`.
pub fn jpeg_bomb(width: u16, height: u16) -> Vec<u8> {
    let image = image::DynamicImage::new_rgb8(16, 16);
    let mut jpeg = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .expect("jpeg");
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xff, 0xc0])
        .expect("a baseline frame header");
    // marker, length (2), precision (1), then height and width.
    jpeg[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    jpeg
}

/// A PDF written object by object, with a correct cross-reference table.
fn pdf(objects: &[String], root: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        write!(out, "{} 0 obj\n{body}\nendobj\n", index + 1).expect("vec");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    out.extend(table.as_bytes());
    write!(
        out,
        "trailer\n<< /Size {} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .expect("vec");
    out
}

/// A PDF whose page tree lists itself among its own kids (lopdf's page
/// walk bounds this one).
pub fn pdf_kids_cycle() -> Vec<u8> {
    pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>".into(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>".into(),
        ],
        1,
    )
}

/// A PDF whose page tree points back to itself through `/Parent`: a page
/// without resources inherits them from its parents, round the loop for
/// ever (a core pinned in a release build, the stack overflowed in a debug
/// one).
pub fn pdf_page_tree_cycle() -> Vec<u8> {
    pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 /Parent 4 0 R >>".into(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>".into(),
            "<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>".into(),
        ],
        1,
    )
}

/// A PDF with an array nested `depth` deep in its page.
pub fn pdf_deep_nesting(depth: usize) -> Vec<u8> {
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
            format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Deep {nested} >>"),
        ],
        1,
    )
}

/// A PDF whose page tree names one page `count` times and claims far more.
pub fn pdf_huge_count(count: usize) -> Vec<u8> {
    let kids = "3 0 R ".repeat(count);
    pdf(
        &[
            "<< /Type /Catalog /Pages 2 0 R >>".into(),
            format!("<< /Type /Pages /Kids [{kids}] /Count 2147483647 >>"),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R >>".into(),
            "<< /Length 0 >>\nstream\n\nendstream".into(),
        ],
        1,
    )
}

/// HTML with elements nested `depth` deep.
pub fn html_deep_nesting(depth: usize) -> String {
    format!(
        "<!doctype html><html><body>{}deep{}</body></html>",
        "<div><span>".repeat(depth),
        "</span></div>".repeat(depth)
    )
}

/// Markdown quotes and lists nested `depth` deep.
pub fn markdown_deep_nesting(depth: usize) -> String {
    let mut text = String::new();
    for level in 0..depth {
        let _ = writeln!(text, "{}- item {level}", "> ".repeat(level));
    }
    text
}
