//! Format inspection of image data, as Glance 33 does it on upload and import (B080, B203).
//!
//! Glance inspects the data of a `bare` image while it arrives and compares the format it finds
//! with `disk_format`: data of another inspectable format is refused ("Image disk_format qcow2
//! does not match stream data raw"); anything declared `raw` is accepted (raw can hold any
//! bytes), and formats Glance cannot inspect (ami, ari, aki, ploop) take unrecognised data. The
//! virtual size comes from the format's header where the format matched (qcow2), and is the
//! byte size for raw.

/// Formats Glance's inspector knows (oslo.utils `format_inspector.ALL_FORMATS`).
const INSPECTABLE: [&str; 10] = [
    "raw", "qcow2", "vhd", "vhdx", "vmdk", "vdi", "qed", "iso", "gpt", "luks",
];

/// Magic bytes of the formats that have them: (offset, bytes, format).
const MAGIC: [(usize, &[u8], &str); 8] = [
    (0, b"QFI\xfb", "qcow2"),
    (0, b"KDMV", "vmdk"),
    (0, b"conectix", "vhd"),
    (0, b"vhdxfile", "vhdx"),
    (0x40, &[0x7f, 0x10, 0xda, 0xbe], "vdi"),
    (0, b"QED\0", "qed"),
    (0, b"LUKS\xba\xbe", "luks"),
    (0x8001, b"CD001", "iso"),
];

/// The format the data's own header reveals; `raw` when none does.
pub fn detect(data: &[u8]) -> &'static str {
    let at = |offset: usize, magic: &[u8]| data.get(offset..offset + magic.len()) == Some(magic);
    if let Some((_, _, format)) = MAGIC.iter().find(|(offset, magic, _)| at(*offset, magic)) {
        format
    } else if at(510, &[0x55, 0xaa]) && at(512, b"EFI PART") {
        // GPT: the protective MBR's signature, then the GPT header in the next sector.
        "gpt"
    } else {
        "raw"
    }
}

/// The virtual disk size a qcow2 header states (bytes 24..32, big-endian).
fn qcow2_virtual_size(data: &[u8]) -> Option<i64> {
    let bytes: [u8; 8] = data.get(24..32)?.try_into().ok()?;
    i64::try_from(u64::from_be_bytes(bytes)).ok()
}

/// Checks `data` against the image's formats. `Ok` carries the virtual size to show (if
/// any); `Err` the reason the data is refused (answered with 415).
pub fn check(
    disk_format: Option<&str>,
    container_format: Option<&str>,
    data: &[u8],
) -> Result<Option<i64>, String> {
    let size = data.len() as i64;
    // Like Glance, an empty raw image gets no virtual size.
    let raw_size = (size > 0).then_some(size);
    let declared = disk_format.unwrap_or("raw");
    if container_format != Some("bare") {
        // Glance inspects only bare images; others keep the old rule (raw: the byte size).
        return Ok(raw_size.filter(|_| declared == "raw"));
    }
    let found = detect(data);
    if found == declared {
        return Ok(match found {
            "raw" => raw_size,
            "qcow2" => qcow2_virtual_size(data),
            _ => None,
        });
    }
    if declared == "raw" {
        // Any bytes may be a raw disk; its virtual size is its byte size.
        return Ok(raw_size);
    }
    if found == "raw" && !INSPECTABLE.contains(&declared) {
        return Ok(None);
    }
    Err(format!(
        "Image disk_format {declared} does not match stream data {found}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 1 MiB qcow2 `qemu-img create -f qcow2 -o cluster_size=512` writes (1792 bytes).
    fn qcow2() -> Vec<u8> {
        crate::diskimage::qcow2(1 << 20)
    }

    #[test]
    fn formats_are_told_apart_by_their_headers() {
        assert_eq!(detect(&qcow2()), "qcow2");
        assert_eq!(detect(b"hello imgconf data\n"), "raw");
        assert_eq!(detect(b""), "raw");
        assert_eq!(detect(b"KDMV\x01\x00\x00\x00"), "vmdk");
        let mut iso = vec![0u8; 0x9000];
        iso[0x8001..0x8006].copy_from_slice(b"CD001");
        assert_eq!(detect(&iso), "iso");
    }

    #[test]
    fn the_declared_format_must_match_except_for_raw() {
        let q = qcow2();
        let bare = Some("bare");
        assert_eq!(check(Some("qcow2"), bare, &q), Ok(Some(1 << 20)));
        assert_eq!(check(Some("raw"), bare, &q), Ok(Some(1792)));
        assert_eq!(check(Some("raw"), bare, b"abc"), Ok(Some(3)));
        assert_eq!(check(Some("raw"), bare, b""), Ok(None));
        assert_eq!(
            check(Some("qcow2"), bare, b"abc"),
            Err("Image disk_format qcow2 does not match stream data raw".into())
        );
        assert_eq!(
            check(Some("vmdk"), bare, &q),
            Err("Image disk_format vmdk does not match stream data qcow2".into())
        );
        // Not inspectable: unrecognised data passes, recognised data of another format not.
        assert_eq!(check(Some("ami"), bare, b"abc"), Ok(None));
        assert!(check(Some("ami"), bare, &q).is_err());
        // Only bare images are inspected.
        assert_eq!(check(Some("qcow2"), Some("ova"), b"abc"), Ok(None));
        assert_eq!(check(Some("raw"), Some("ova"), b"abc"), Ok(Some(3)));
    }
}
