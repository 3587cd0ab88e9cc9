//! Disk images the harness makes itself: data of a real format for format-inspection cases,
//! and the pseudo-random bytes it serves for web-download.

/// An empty qcow2 (version 3) disk of `virtual_size` bytes, laid out as `qemu-img create -f
/// qcow2 -o cluster_size=512` writes it: header, refcount table, one refcount block, L1 table.
/// `virtual_size` is rounded up to whole 512-byte clusters; at most 256 clusters of metadata
/// (one refcount block) are described, which covers disks up to about 8 GiB.
pub fn qcow2(virtual_size: u64) -> Vec<u8> {
    const CLUSTER: u64 = 512;
    // One L2 table (a cluster of 8-byte entries) maps 64 clusters.
    let per_l1_entry = CLUSTER * (CLUSTER / 8);
    let l1_entries = virtual_size.div_ceil(per_l1_entry).max(1);
    let refcount_table = CLUSTER;
    let refcount_block = 2 * CLUSTER;
    let l1_table = 3 * CLUSTER;
    let len = (l1_table + l1_entries * 8) as usize;
    let clusters = (len as u64).div_ceil(CLUSTER);
    let mut out = vec![0u8; len];
    let mut put = |at: u64, bytes: &[u8]| {
        let at = at as usize;
        out[at..at + bytes.len()].copy_from_slice(bytes);
    };
    put(0, b"QFI\xfb");
    put(4, &3u32.to_be_bytes()); // version
    put(20, &9u32.to_be_bytes()); // cluster_bits: 512-byte clusters
    put(24, &virtual_size.to_be_bytes());
    put(36, &(l1_entries as u32).to_be_bytes());
    put(40, &l1_table.to_be_bytes());
    put(48, &refcount_table.to_be_bytes());
    put(56, &1u32.to_be_bytes()); // refcount_table_clusters
    put(96, &4u32.to_be_bytes()); // refcount_order: 16-bit refcounts
    put(100, &112u32.to_be_bytes()); // header_length (v3, with the compression type byte)
    put(refcount_table, &refcount_block.to_be_bytes());
    for c in 0..clusters.min(CLUSTER / 2) {
        put(refcount_block + 2 * c, &1u16.to_be_bytes());
    }
    out
}

/// `size` pseudo-random bytes (xorshift64*, deterministic for a seed; the same generator as
/// the `generate` request bodies).
pub fn pseudo_random(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(size);
    fill(&mut state, &mut out, size);
    out
}

/// Appends `n` bytes of the generator at `state` to `buf`.
pub fn fill(state: &mut u64, buf: &mut Vec<u8>, n: usize) {
    let end = buf.len() + n;
    while buf.len() < end {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        let word = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        let take = (end - buf.len()).min(8);
        buf.extend_from_slice(&word[..take]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Non-zero bytes of `qemu-img create -f qcow2 -o cluster_size=512 x.qcow2 1M` (QEMU 7.2),
    /// a 1792-byte file.
    const QEMU_1M: [(usize, u8); 18] = [
        (0, 0x51),
        (1, 0x46),
        (2, 0x49),
        (3, 0xfb),
        (7, 0x03),
        (23, 0x09),
        (29, 0x10),
        (39, 0x20),
        (46, 0x06),
        (54, 0x02),
        (59, 0x01),
        (99, 0x04),
        (103, 0x70),
        (518, 0x04),
        (1025, 0x01),
        (1027, 0x01),
        (1029, 0x01),
        (1031, 0x01),
    ];

    #[test]
    fn qcow2_is_what_qemu_img_writes() {
        let image = qcow2(1 << 20);
        assert_eq!(image.len(), 1792);
        let nonzero: Vec<(usize, u8)> = image
            .iter()
            .enumerate()
            .filter(|(_, b)| **b != 0)
            .map(|(i, b)| (i, *b))
            .collect();
        assert_eq!(nonzero, QEMU_1M);
        // 4 MiB: a 1 KiB L1 table, so five clusters are counted.
        let image = qcow2(4 << 20);
        assert_eq!(image.len(), 2560);
        assert_eq!(image[1033], 1);
        assert_eq!(image[1035], 0);
    }

    #[test]
    fn pseudo_random_is_deterministic() {
        assert_eq!(pseudo_random(100, 7), pseudo_random(100, 7));
        assert_ne!(pseudo_random(100, 7), pseudo_random(100, 8));
        let mut state = 7 | 1;
        let mut buf = Vec::new();
        // Whole words carry over between calls (as the 64 KiB chunks of a request body do).
        fill(&mut state, &mut buf, 64);
        fill(&mut state, &mut buf, 36);
        assert_eq!(buf, pseudo_random(100, 7));
    }
}
