//! The image and audio fixtures, made here rather than kept as binary files: a 1×1 red PNG and
//! a tenth of a second of a 440 Hz tone as 16-bit mono WAV, both base64 as MCP carries them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub const PNG_MIME: &str = "image/png";
pub const WAV_MIME: &str = "audio/wav";

/// The red pixel, base64.
pub fn png_base64() -> String {
    STANDARD.encode(red_pixel_png())
}

/// The tone, base64.
pub fn wav_base64() -> String {
    STANDARD.encode(tone_wav())
}

fn red_pixel_png() -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&1u32.to_be_bytes()); // width
    header.extend_from_slice(&1u32.to_be_bytes()); // height
    // 8-bit RGB, deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    push_chunk(&mut png, b"IHDR", &header);
    // One scanline: filter type 0, then the pixel.
    push_chunk(&mut png, b"IDAT", &zlib_stored(&[0, 0xff, 0, 0]));
    push_chunk(&mut png, b"IEND", &[]);
    png
}

fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream holding `data` in one uncompressed deflate block (fine for a few bytes).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let length = u16::try_from(data.len()).unwrap_or(u16::MAX);
    let mut out = vec![0x78, 0x01, 0x01];
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&(!length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

fn tone_wav() -> Vec<u8> {
    const RATE: u32 = 8_000;
    const SAMPLES: u32 = RATE / 10;
    let data: Vec<u8> = (0..SAMPLES)
        .flat_map(|n| {
            let phase = f64::from(n) * 440.0 * std::f64::consts::TAU / f64::from(RATE);
            // A quarter of full scale, so the cast cannot overflow.
            let sample = (phase.sin() * f64::from(i16::MAX / 4)) as i16;
            sample.to_le_bytes()
        })
        .collect();
    let data_len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&RATE.to_le_bytes());
    wav.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    wav.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_png_ends_with_the_well_known_iend_chunk() {
        let png = red_pixel_png();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn the_wav_header_counts_its_samples() {
        let wav = tone_wav();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.len(), 44 + 1_600);
    }
}
