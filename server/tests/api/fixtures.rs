//! Files the tests upload, made in the test: a plain PNG, a JPEG whose EXIF
//! holds a GPS position, and a one-page PDF with a given text.

use std::io::Cursor;

pub fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::DynamicImage::new_rgb8(width, height);
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub const MARK: &[u8] = b"SECRET-LOCATION-MARK";

/// A JPEG whose EXIF (APP1) holds a GPS position and a description.
pub fn jpeg_with_gps() -> Vec<u8> {
    let image = image::DynamicImage::new_rgb8(64, 48);
    let mut plain = Vec::new();
    image
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut plain))
        .unwrap();
    // TIFF, little-endian: IFD0 with ImageDescription and a GPS IFD
    // pointer; the GPS IFD with GPSLatitudeRef 'N' and GPSLatitude.
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    let description_at = 8 + 2 + 2 * 12 + 4;
    let gps_at = description_at + MARK.len() as u32 + 1;
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(0x010Eu16.to_le_bytes()); // ImageDescription
    tiff.extend(2u16.to_le_bytes()); // ASCII
    tiff.extend((MARK.len() as u32 + 1).to_le_bytes());
    tiff.extend(description_at.to_le_bytes());
    tiff.extend(0x8825u16.to_le_bytes()); // GPSInfo
    tiff.extend(4u16.to_le_bytes()); // LONG
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(gps_at.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    tiff.extend(MARK);
    tiff.push(0);
    let rationals_at = gps_at + 2 + 2 * 12 + 4;
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(1u16.to_le_bytes()); // GPSLatitudeRef
    tiff.extend(2u16.to_le_bytes());
    tiff.extend(2u32.to_le_bytes());
    tiff.extend(*b"N\0\0\0");
    tiff.extend(2u16.to_le_bytes()); // GPSLatitude
    tiff.extend(5u16.to_le_bytes()); // RATIONAL
    tiff.extend(3u32.to_le_bytes());
    tiff.extend(rationals_at.to_le_bytes());
    tiff.extend(0u32.to_le_bytes());
    for (n, d) in [(51u32, 1u32), (30, 1), (2644, 100)] {
        tiff.extend(n.to_le_bytes());
        tiff.extend(d.to_le_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((tiff.len() + 8) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend(app1);
    jpeg.extend(&plain[2..]);
    jpeg
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A one-page PDF whose page shows `text` (ASCII, no parentheses), with a
/// correct cross-reference table.
pub fn pdf_with_text(text: &str) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        table.push_str(&format!("{offset:010} 00000 n \n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.extend_from_slice(table.as_bytes());
    pdf
}
